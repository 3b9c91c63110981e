//! Uptake's user interface: pages, components, charts and the thin server
//! functions behind them.

pub mod api;
#[cfg(feature = "ssr")]
mod assets;
pub mod charts;
mod components;
mod pages;

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Outlet, ParentRoute, Route, Router, Routes},
    path,
};

#[cfg(feature = "ssr")]
pub use api::ssr::AppState;

/// The HTML document around the app, rendered on the server.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let (styles, plotly) = assets::hrefs(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=styles.clone()/>
                <script src=plotly.clone()></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <leptos_meta::MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Uptake"/>
        <Router>
            <Routes fallback=|| view! { <main id="main"><p class="empty">"Page not found."</p></main> }>
                <Route path=path!("/login") view=|| view! {
                    <header class="topbar"><span class="brand">"Uptake"</span></header>
                    <main id="main"><pages::SignInPage/></main>
                }/>
                <ParentRoute path=path!("") view=SignedIn>
                    <Route path=path!("") view=pages::OverviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/units") view=pages::UnitsPage ssr=SsrMode::Async/>
                    <Route path=path!("/units/:code") view=pages::OverviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/units/:code/people") view=pages::PeoplePage ssr=SsrMode::Async/>
                    <Route path=path!("/age-groups") view=pages::AgeGroupsPage ssr=SsrMode::Async/>
                    <Route path=path!("/waves") view=pages::WavesPage ssr=SsrMode::Async/>
                    <Route path=path!("/data") view=pages::DataPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/password") view=pages::PasswordPage/>
                    <Route path=path!("/admin/accounts") view=pages::AccountsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view=pages::AuditPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The frame of every page behind sign-in: the top bar with the user's
/// units and sign-out, then the page.
#[component]
fn SignedIn() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Uptake"</a>
            <nav aria-label="Main">
                <a href="/">"Force overview"</a>
                <a href="/units">"Units"</a>
                <a href="/age-groups">"Age groups"</a>
                <a href="/waves">"Waves"</a>
            </nav>
            <components::UserMenu/>
        </header>
        <main id="main"><Outlet/></main>
    }
}

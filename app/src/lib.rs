//! Uptake's user interface: pages, components, charts and the thin server
//! functions behind them.

pub mod api;
pub mod charts;
mod components;
mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

#[cfg(feature = "ssr")]
pub use api::ssr::AppState;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script src="/js/plotly.min.js"></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
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
        <Stylesheet id="leptos" href="/pkg/uptake.css"/>
        <Title text="Uptake"/>
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Uptake"</a>
                <nav aria-label="Main">
                    <a href="/">"Overview"</a>
                </nav>
            </header>
            <main id="main">
                <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                    <Route path=StaticSegment("") view=pages::OverviewPage/>
                </Routes>
            </main>
        </Router>
    }
}

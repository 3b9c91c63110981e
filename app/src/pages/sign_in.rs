use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::session::get_sign_in_options;

/// The sign-in form. It posts straight to `/auth/sign-in`, which sets the
/// session cookie and redirects, so it works before and after hydration.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        query.read().get("error").map(|e| match e.as_str() {
            "throttled" => "Too many failed sign-ins. Wait 15 minutes, or ask an admin.",
            "unavailable" => "The server could not sign you in. Try again, or see its log.",
            "entra" => "Sign-in with Microsoft Entra ID did not complete. Try again; if it keeps failing, an admin can read why in the audit log.",
            "entra_denied" => "Your Entra ID groups give no access to Uptake. Ask an admin to map one of your groups to a role and units.",
            "entra_off" => "Sign-in with Microsoft Entra ID is not set up here.",
            _ => "That name and password do not match an active account.",
        })
    };
    let options = Resource::new(|| (), |()| get_sign_in_options());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="page sign-in" data-hydrated=move || hydrated.get().to_string()>
            <h1>"Sign in to Uptake"</h1>
            {move || message().map(|m| view! { <p class="error" role="alert" data-testid="sign-in-error">{m}</p> })}
            <form method="post" action="/auth/sign-in" class="sign-in-form">
                <label for="username">"Sign-in name"</label>
                <input id="username" name="username" type="text" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <button type="submit">"Sign in"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || options.get().and_then(Result::ok).filter(|o| o.entra).map(|_| view! {
                    <p class="or">"or"</p>
                    <a class="entra" href="/auth/oidc/start" rel="external" data-testid="entra">"Sign in with Microsoft Entra ID"</a>
                })}
            </Suspense>
            <p class="note">"Staff usage figures are workplace monitoring data. Every sign-in is recorded."</p>
        </div>
    }
}

use leptos::prelude::*;

/// A server function's refusal or failure, in the words the server chose;
/// on a new install with no unit tree yet, how to start instead.
#[component]
pub fn ErrorNote(error: ServerFnError) -> impl IntoView {
    let message = match error {
        ServerFnError::ServerError(m) => m,
        other => other.to_string(),
    };
    if message.ends_with(domain::org::NO_TREE) {
        return view! { <FirstRun/> }.into_any();
    }
    view! { <p class="error" role="alert">{message}</p> }.into_any()
}

/// What to do first on a new install: the figures need the org tree, the
/// roster and usage, in that order, and the waves give them targets.
#[component]
fn FirstRun() -> impl IntoView {
    view! {
        <section class="chart first-run" data-testid="first-run" aria-labelledby="first-run">
            <h1 id="first-run">"No data yet"</h1>
            <p>"Uptake shows who has taken up each tool once it knows the force, its staff and their use. To start:"</p>
            <ol>
                <li>"Load the org tree (" <code>"units.csv"</code> "): on the " <a href="/data">"Data page"</a>
                    ", or " <code>"uptake import units FILE --effective DAY"</code> "."</li>
                <li>"Load the staff roster (" <code>"roster.csv"</code> "), the same way: " <code>"uptake import roster FILE --effective DAY"</code> "."</li>
                <li>"Bring in usage: connect Microsoft Graph and Box (see the README's “Telemetry”), upload their reports on the Data page, or push to "
                    <code>"/api/v1/activity"</code> "."</li>
                <li>"Add the rollout waves, with their go-live days and targets, on the " <a href="/waves">"Waves page"</a> "."</li>
            </ol>
            <p class="note">"To look around first, " <code>"uptake demo"</code> " fills a database of its own with a made-up force."</p>
        </section>
    }
}

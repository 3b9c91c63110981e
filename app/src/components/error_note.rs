use leptos::prelude::*;

/// A server function's refusal or failure, in the words the server chose.
#[component]
pub fn ErrorNote(error: ServerFnError) -> impl IntoView {
    let message = match error {
        ServerFnError::ServerError(m) => m,
        other => other.to_string(),
    };
    view! { <p class="error" role="alert">{message}</p> }
}

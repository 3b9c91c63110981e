use leptos::prelude::*;

use crate::{api::session::ChangePassword, components::ErrorNote};

/// Sets a new password. An account signed in with a one-time password is
/// sent here first and can do nothing else until it is done.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="page sign-in" data-hydrated=move || hydrated.get().to_string()>
            <h1>"Set your password"</h1>
            <p class="note">"Choose a password of at least 12 characters that you do not use anywhere else."</p>
            <ActionForm action=change attr:class="sign-in-form">
                <label for="current">"Current (or one-time) password"</label>
                <input id="current" name="current" type="password" autocomplete="current-password" required/>
                <label for="new">"New password"</label>
                <input id="new" name="new" type="password" autocomplete="new-password" minlength="12" required/>
                <label for="confirm">"New password again"</label>
                <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="12" required/>
                <button type="submit">"Set password"</button>
            </ActionForm>
            {move || change.value().get().map(|r| match r {
                Ok(()) => view! {
                    <p role="status" data-testid="password-changed">"Your password is set. " <a href="/">"Go to the overview"</a></p>
                }.into_any(),
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
        </div>
    }
}

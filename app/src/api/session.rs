use domain::access::Viewer;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// The signed-in user: name, role and scope, for the header and for
/// choosing where to land.
#[server(input = GetUrl, endpoint = "me")]
pub async fn get_me() -> Result<Viewer, ServerFnError> {
    let (_, caller) = super::ssr::signed_in()?;
    Ok(caller.viewer)
}

/// Replaces the caller's password. The only thing open to an account that
/// signed in with a one-time password.
#[server(endpoint = "change-password")]
pub async fn change_password(
    current: String,
    new: String,
    confirm: String,
) -> Result<(), ServerFnError> {
    use super::ssr::{accounts, failed, signed_in};
    let (state, caller) = signed_in()?;
    let keep = caller.session.as_deref();
    accounts::change_password(
        &state.store,
        &caller.actor(),
        keep,
        &current,
        &new,
        &confirm,
    )
    .await
    .map_err(failed)
}

/// How people may sign in here; open to everyone, for the sign-in page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignInOptions {
    /// Sign-in with Microsoft Entra ID is configured.
    pub entra: bool,
}

#[server(input = GetUrl, endpoint = "sign-in-options")]
pub async fn get_sign_in_options() -> Result<SignInOptions, ServerFnError> {
    super::ssr::public::<SignInOptions>()
}

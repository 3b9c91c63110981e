use domain::access::Viewer;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// The signed-in user: name, role and scope, for the header and for
/// choosing where to land.
#[server(input = GetUrl, endpoint = "me")]
pub async fn get_me() -> Result<Viewer, ServerFnError> {
    let (_, caller) = super::ssr::signed_in()?;
    Ok(caller.viewer)
}

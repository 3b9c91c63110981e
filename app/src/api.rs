//! Server functions, grouped by resource. Each one gets the state from
//! context, calls `store`, and returns a view type from `domain`.

pub mod overview;

#[cfg(feature = "ssr")]
pub mod ssr {
    use leptos::prelude::*;
    use store::Store;

    /// What every request can reach: the store.
    #[derive(Clone, Debug)]
    pub struct AppState {
        pub store: Store,
        pub leptos_options: LeptosOptions,
    }

    pub fn state() -> Result<AppState, ServerFnError> {
        use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state is missing"))
    }

    /// Logs the detail and gives the client a plain message.
    pub fn internal(err: impl std::fmt::Display) -> ServerFnError {
        tracing::error!(error = %err, "server function failed");
        ServerFnError::new("the server could not load these figures; see its log")
    }
}

//! The one error policy, for every surface: REST routes answer with
//! [`AppError`]'s response, server functions convert it into their error
//! (with the same status), and the command line prints its text.
//!
//! What the user can fix is said in plain words. An internal failure is
//! logged with a reference and shown only as "something went wrong (ref
//! …)", so no database, file or library text reaches a user.

use std::fmt;

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use domain::access::Denied;
use http::StatusCode;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use store::StoreError;

use super::accounts::AccountError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// A request the caller can fix; the reason in plain words.
    BadRequest(String),
    /// Not signed in, or a credential that is not right.
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    /// The request clashes with what is stored.
    Conflict(String),
    TooLarge(String),
    /// Busy for a moment: the same request will work if retried.
    Busy(String),
    /// A failure inside the server, already logged under `reference`.
    Internal {
        reference: String,
    },
}

impl AppError {
    /// Logs an internal failure under a fresh reference; the user sees
    /// only the reference.
    pub fn internal(err: impl fmt::Display) -> Self {
        let reference = reference();
        tracing::error!(reference = %reference, error = %err, "internal error");
        AppError::Internal { reference }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The text a user sees.
impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::TooLarge(m)
            | AppError::Busy(m) => f.write_str(m),
            AppError::Internal { reference } => {
                write!(f, "something went wrong (ref {reference})")
            }
        }
    }
}

/// Eight hex digits, enough to find one failure in a day's log.
fn reference() -> String {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(_) => format!("{:08x}", chrono::Utc::now().timestamp_subsec_nanos()),
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(format!("there is no {what}")),
            StoreError::Denied(d) => d.into(),
            e if e.is_users_to_fix() => AppError::BadRequest(e.to_string()),
            e => AppError::internal(e),
        }
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        AppError::Forbidden(d.to_string())
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(e) => e.into(),
            e if e.is_users_to_fix() => AppError::BadRequest(e.to_string()),
            e => AppError::internal(e),
        }
    }
}

/// REST routes: the status and `{"error": text}`.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}

/// Server functions: the same status on the response, and the same text.
/// (`AppError` is not a `std::error::Error`, so that this conversion, and
/// not `ServerFnError`'s blanket one, applies.)
impl From<AppError> for ServerFnError {
    fn from(e: AppError) -> Self {
        if let Some(response) = use_context::<ResponseOptions>() {
            response.set_status(e.status());
        }
        ServerFnError::new(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_failure_shows_only_its_reference() {
        let e = AppError::from(StoreError::Internal("SELECT * FROM secret_table".into()));
        let text = e.to_string();
        assert!(text.starts_with("something went wrong (ref "), "{text}");
        assert!(!text.contains("secret_table"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn what_the_user_can_fix_is_said_plainly() {
        let e = AppError::from(StoreError::Rejected(
            "a wave's target value must be between 0 and 1".into(),
        ));
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            e.to_string(),
            "a wave's target value must be between 0 and 1"
        );
        let e = AppError::from(StoreError::NotFound("account 'x'".into()));
        assert_eq!(
            (e.status(), e.to_string()),
            (StatusCode::NOT_FOUND, "there is no account 'x'".into())
        );
        assert_eq!(
            AppError::from(Denied::OutOfScope).status(),
            StatusCode::FORBIDDEN
        );
    }
}

//! The server functions' guards as axum extractors, for REST routes and
//! exports: the same checks, the same refusals ([`AppError`]), and the
//! same note of the access granted in the `x-uptake-access` header.

use std::sync::{Arc, Mutex};

use axum::{extract::FromRequestParts, http::request::Parts};

use super::{AppError, Caller};

/// Where a guard notes the access it granted, for the response header.
/// The server's authentication middleware puts one into every request and
/// copies what it holds onto the response.
#[derive(Clone, Debug, Default)]
pub struct AccessNote(Arc<Mutex<Option<String>>>);

impl AccessNote {
    pub fn note(&self, access: &str) {
        if let Ok(mut held) = self.0.lock() {
            *held = Some(access.to_owned());
        }
    }

    pub fn taken(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut held| held.take())
    }
}

fn note_access(extensions: &http::Extensions, access: &str) {
    if let Some(note) = extensions.get::<AccessNote>() {
        note.note(access);
    }
}

fn signed_in(parts: &Parts) -> Result<Caller, AppError> {
    parts
        .extensions
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| AppError::Unauthorized("sign in first".into()))
}

/// A signed-in admin, or 401/403.
pub struct AdminCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for AdminCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let caller = signed_in(parts)?;
        caller.viewer.require_admin()?;
        note_access(&parts.extensions, "admin");
        Ok(AdminCaller(caller))
    }
}

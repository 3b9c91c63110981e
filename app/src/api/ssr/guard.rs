//! The server functions' guards as axum extractors, for REST routes and
//! exports: the same checks, the same refusals ([`AppError`]), and the
//! same note of the access granted in the `x-uptake-access` header.

use std::sync::{Arc, Mutex};

use axum::{extract::FromRequestParts, http::request::Parts};
use domain::access::{Grant, PersonListGrant, Reach};
use store::Store;

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

/// A signed-in caller, for a route that names its unit in its query:
/// [`SignedIn::unit`] then grants it by the one check every server
/// function passes ([`Store::grant`]), or refuses with 403 (404 for those
/// who see every unit).
pub struct SignedIn {
    pub caller: Caller,
    note: Option<AccessNote>,
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(SignedIn {
            caller: signed_in(parts)?,
            note: parts.extensions.get::<AccessNote>().cloned(),
        })
    }
}

impl SignedIn {
    fn noted(&self, access: &str) {
        if let Some(note) = &self.note {
            note.note(access);
        }
    }

    /// A grant on one unit (`None` is the whole force) and its code.
    pub async fn unit(
        &self,
        store: &Store,
        code: Option<&str>,
    ) -> Result<(Grant, String), AppError> {
        let (grant, code) = store.grant(&self.caller.viewer, code).await?;
        self.noted(&format!("unit:{code}"));
        Ok((grant, code))
    }

    /// A grant on a unit in full, for a scope's whole exports (the
    /// workbook, the board pack): a commander's grant on the force, for
    /// comparison, is refused.
    pub async fn whole_unit(
        &self,
        store: &Store,
        code: Option<&str>,
    ) -> Result<(Grant, String), AppError> {
        let (grant, code) = self.unit(store, code).await?;
        match grant.reach() {
            Reach::Full => Ok((grant, code)),
            Reach::ForceComparison => Err(AppError::Forbidden(
                "a board export covers units you see in full: ask for your own command".into(),
            )),
        }
    }

    /// A grant to list a unit's people: the unit grant plus the separate
    /// permission. The route audits the export.
    pub async fn person_list(
        &self,
        store: &Store,
        code: &str,
    ) -> Result<PersonListGrant, AppError> {
        let (grant, code) = self.unit(store, Some(code)).await?;
        let list = grant.person_lists()?;
        self.noted(&format!("people:{code}"));
        Ok(list)
    }
}

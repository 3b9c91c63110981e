//! `POST /data/upload`: an admin's file import from the data page.
//!
//! The file is streamed to a temporary file as it arrives (so any size
//! goes through in bounded memory), imported exactly as `uptake import`
//! would, and removed. The page is shown again with the import's rejected
//! rows, or with the reason the file was refused.

use std::path::PathBuf;

use app::api::ssr::Caller;
use axum::{
    Extension,
    extract::{Multipart, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{NaiveDate, Utc};
use tokio::io::AsyncWriteExt;

use crate::{
    import::{self, ImportOptions, Kind},
    routes::ServerState,
};

/// The largest upload: a year of Box events for a large force.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024 * 1024;

/// A temporary file removed when dropped.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn back(error: Option<&str>, import: Option<i32>) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(e) = error {
        query.append_pair("error", e);
    }
    if let Some(id) = import {
        query.append_pair("import", &id.to_string());
    }
    let query = query.finish();
    let to = if query.is_empty() {
        "/data".to_owned()
    } else {
        format!("/data?{query}")
    };
    Redirect::to(&to).into_response()
}

pub async fn upload(
    State(state): State<ServerState>,
    Extension(caller): Extension<Caller>,
    mut form: Multipart,
) -> Response {
    if let Err(denied) = caller.viewer.require_admin() {
        return (StatusCode::FORBIDDEN, denied.to_string()).into_response();
    }
    let mut kind = None;
    let mut day = None;
    let mut effective = None;
    let mut file: Option<(String, Spool)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return back(Some(&format!("the upload broke off: {e}")), None),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            match spool(field).await {
                Ok(path) => file = Some((file_name, path)),
                Err(e) => return back(Some(&e), None),
            }
            continue;
        }
        let Ok(text) = field.text().await else {
            return back(Some("the form could not be read"), None);
        };
        let date = |t: &str| {
            (!t.is_empty())
                .then(|| t.parse::<NaiveDate>().ok())
                .flatten()
        };
        match name.as_str() {
            "kind" => kind = Kind::parse(&text),
            "day" => day = date(&text),
            "effective" => effective = date(&text),
            _ => {}
        }
    }
    let (Some(kind), Some((file_name, spooled))) = (kind, file) else {
        return back(Some("choose a kind and a file to import"), None);
    };
    let options = ImportOptions {
        effective: effective.unwrap_or_else(|| Utc::now().date_naive()),
        day,
        zone: state.zone,
    };
    let opened = std::fs::File::open(&spooled.0);
    let input = match opened {
        Ok(f) => std::io::BufReader::with_capacity(1 << 20, f),
        Err(e) => {
            return back(
                Some(&format!("the upload could not be read back: {e}")),
                None,
            );
        }
    };
    let name = format!("upload: {file_name}");
    match import::import(
        &state.app.store,
        kind,
        &name,
        input,
        options,
        &caller.actor(),
    )
    .await
    {
        Ok(report) => back(None, (!report.rejects.is_empty()).then_some(report.id)),
        Err(e) => back(Some(&format!("{e:#}")), None),
    }
}

/// Streams an uploaded file to a temporary file.
async fn spool(mut field: axum::extract::multipart::Field<'_>) -> Result<Spool, String> {
    let tag = crate::auth::random_token().map_err(|e| e.to_string())?;
    let path = std::env::temp_dir().join(format!("uptake-upload-{tag}"));
    let spooled = Spool(path.clone());
    let mut open = tokio::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    open.mode(0o600);
    let mut out = open
        .open(&path)
        .await
        .map_err(|e| format!("the upload cannot be stored: {e}"))?;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => out
                .write_all(&chunk)
                .await
                .map_err(|e| format!("the upload cannot be stored: {e}"))?,
            Ok(None) => break,
            Err(e) => return Err(format!("the upload broke off: {e}")),
        }
    }
    out.flush()
        .await
        .map_err(|e| format!("the upload cannot be stored: {e}"))?;
    Ok(spooled)
}

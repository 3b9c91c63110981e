//! `POST /data/upload`: an admin's file import from the data page.
//!
//! The file is streamed to a temporary file as it arrives (so any size
//! goes through in bounded memory), imported exactly as `uptake import`
//! would, and removed. The page is shown again with the import's rejected
//! rows, or with the reason the file was refused. The page reads that
//! reason from the store, by the import's id: the URL carries only ids and
//! fixed codes, never text to show.

use std::path::PathBuf;

use app::api::ssr::guard::AdminCaller;
use axum::{
    extract::{Multipart, State},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{NaiveDate, Utc};
use tokio::io::AsyncWriteExt;

use crate::{
    import::{self, ImportOptions, Kind},
    state::ServerState,
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

/// Where the upload sends the browser back to: the data page, with what
/// became of the upload.
enum Back {
    /// Imported; any rejected rows are listed by the import's id.
    Imported(Option<i32>),
    /// Refused whole: the reason is stored with the import's id.
    Refused(i32),
    /// The form could not be read or lacked a kind or a file
    /// (`?error=form`).
    Form,
    /// The file could not be received or stored (`?error=upload`).
    Upload,
}

fn back(to: Back) -> Response {
    let to = match to {
        Back::Imported(None) => "/data".to_owned(),
        Back::Imported(Some(id)) => format!("/data?import={id}"),
        Back::Refused(id) => format!("/data?refused={id}"),
        Back::Form => "/data?error=form".to_owned(),
        Back::Upload => "/data?error=upload".to_owned(),
    };
    Redirect::to(&to).into_response()
}

pub async fn upload(
    State(state): State<ServerState>,
    AdminCaller(caller): AdminCaller,
    mut form: Multipart,
) -> Response {
    let mut kind = None;
    let mut day = None;
    let mut effective = None;
    let mut file: Option<(String, Spool)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "an upload broke off");
                return back(Back::Upload);
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            match spool(field).await {
                Ok(path) => file = Some((file_name, path)),
                Err(e) => {
                    tracing::warn!(error = %e, "an upload could not be received");
                    return back(Back::Upload);
                }
            }
            continue;
        }
        let Ok(text) = field.text().await else {
            return back(Back::Form);
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
        return back(Back::Form);
    };
    let options = ImportOptions {
        effective: effective.unwrap_or_else(|| Utc::now().date_naive()),
        day,
        zone: state.app.zone,
    };
    let opened = std::fs::File::open(&spooled.0);
    let input = match opened {
        Ok(f) => std::io::BufReader::with_capacity(1 << 20, f),
        Err(e) => {
            tracing::warn!(error = %e, "an upload could not be read back");
            return back(Back::Upload);
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
        Ok(report) => back(Back::Imported(
            (!report.rejects.is_empty()).then_some(report.id),
        )),
        Err(e) => {
            let reason = format!("{e:#}");
            match state
                .app
                .store
                .record_refused_import(&name, kind.key(), &reason)
                .await
            {
                Ok(id) => back(Back::Refused(id)),
                Err(store) => {
                    tracing::error!(error = %store, refused = reason, "recording a refused upload failed");
                    back(Back::Upload)
                }
            }
        }
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

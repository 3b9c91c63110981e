//! The export routes: a CSV per table, the workbook and the board pack.
//! Each reads the same published view values as the page it comes from,
//! through the same access check ([`SignedIn::unit`]), and is audited.

pub mod pack;
pub mod pdf;
pub mod workbook;

use app::{
    AppState,
    api::ssr::{AppError, guard::SignedIn, subject_or_first_product},
};
use axum::{
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderValue, header, request::Parts},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use domain::{
    access::{AuditAction, Grant, Viewer},
    catalog::Subject,
    chart::Measure,
    export::{Table, file_name, tables},
    unit_tree::{SortKey, arrange},
    wave::WaveProgress,
};
use serde::Deserialize;

use store::Store;

use crate::state::ServerState;
use workbook::{Sheet, Stamp, sheet_name};

/// The tables a CSV can be asked for, as `/exports/<name>.csv`.
pub const CSV_TABLES: &[&str] = &[
    "headline",
    "units",
    "trend",
    "unit-tree",
    "bands",
    "band-trend",
    "usage",
    "cohorts",
    "waves",
    "wave-units",
    "people",
];

/// What an export is of: the page's own query.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ExportQuery {
    /// The unit (default: the force).
    pub unit: Option<String>,
    /// `product:N`, `tool:N` or `all` (default: the first product).
    pub subject: Option<String>,
    /// A product's name, for a person-level list.
    pub product: Option<String>,
    pub as_of: Option<NaiveDate>,
    /// The unit tree's open nodes, comma-separated, as on its page.
    pub open: Option<String>,
    /// `rate` (default) or `active`, for a trend.
    pub measure: Option<String>,
    /// The unit tree's order, as on its page: a column's key, and `asc` or
    /// `desc`.
    pub sort: Option<String>,
    pub dir: Option<String>,
}

/// A query that does not parse is the caller's to fix: 400, in the words
/// of the one error policy (not the framework's).
impl<S: Send + Sync> FromRequestParts<S> for ExportQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<ExportQuery>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| q)
            .map_err(|e| {
                AppError::BadRequest(format!(
                    "the export's address does not read: {}",
                    e.body_text()
                ))
            })
    }
}

/// What an export covers: a unit (the root for the force) in the
/// reader's grant, on a day. The routes make one through the access check;
/// the command line and the scheduler as a service reader.
pub struct Scope<'a> {
    pub store: &'a Store,
    pub viewer: &'a Viewer,
    pub grant: Grant,
    pub code: String,
    pub as_of: NaiveDate,
}

impl<'a> Scope<'a> {
    /// A scope for a trusted reader (the command line, the scheduler): a
    /// unit (`None`: the force) by the one grant, on a day (`None`: the
    /// last day every source has complete).
    pub async fn read(
        store: &'a Store,
        viewer: &'a Viewer,
        unit: Option<&str>,
        as_of: Option<NaiveDate>,
    ) -> Result<Scope<'a>, AppError> {
        let granted = store.grant(viewer, unit).await?;
        Self::granted(store, viewer, granted, as_of).await
    }

    /// A scope of a grant already given (and its unit's code), on a day
    /// (`None`: the last day every source has complete).
    async fn granted(
        store: &'a Store,
        viewer: &'a Viewer,
        (grant, code): (Grant, String),
        as_of: Option<NaiveDate>,
    ) -> Result<Scope<'a>, AppError> {
        Ok(Scope {
            store,
            viewer,
            grant,
            code,
            as_of: store.resolve_as_of(as_of).await?,
        })
    }

    /// The waves, each with only its member units under the scope (the
    /// wave's whole as the reader may see it).
    pub async fn waves(&self) -> Result<Vec<WaveProgress>, AppError> {
        let mut waves = self
            .store
            .wave_progress(self.viewer, Some(self.as_of), None)
            .await?;
        for w in &mut waves {
            let mut under = Vec::with_capacity(w.units.len());
            for u in w.units.drain(..) {
                let path = self.store.unit_path(&u.code).await?;
                if path.is_some_and(|p| p.chain.iter().any(|&(id, _)| id == self.grant.unit())) {
                    under.push(u);
                }
            }
            w.units = under;
        }
        Ok(waves)
    }

    /// One table by its name (not a person-level list), read as its page
    /// reads it.
    pub async fn table(&self, key: &str, q: &ExportQuery) -> Result<Table, AppError> {
        let (store, viewer, grant, as_of) = (self.store, self.viewer, &self.grant, self.as_of);
        let measure = Measure::parse(q.measure.as_deref());
        let subject = || subject_or_first_product(store, q.subject.as_deref());
        Ok(match key {
            "headline" | "units" | "trend" => {
                let o = store.overview(viewer, grant, Some(as_of)).await?;
                match key {
                    "headline" => tables::headline(&o),
                    "units" => tables::units_under(&o),
                    _ => tables::chart("trend", o.trend.get(measure)),
                }
            }
            "unit-tree" => {
                let open = domain::org::unit_codes(q.open.as_deref());
                let mut tree = store
                    .unit_tree(viewer, subject().await?, as_of, &open)
                    .await?;
                let (key, descending) = SortKey::from_query(q.sort.as_deref(), q.dir.as_deref());
                tree.rows = arrange(tree.rows, key, descending);
                tables::unit_tree(&tree)
            }
            "bands" | "band-trend" => {
                let b = store
                    .band_table(viewer, grant, subject().await?, as_of)
                    .await?;
                match key {
                    "bands" => tables::bands(&b),
                    _ => tables::chart("band-trend", b.trend.get(measure)),
                }
            }
            "usage" | "cohorts" => {
                let u = store
                    .usage_table(viewer, grant, subject().await?, as_of)
                    .await?;
                match key {
                    "usage" => tables::usage(&u),
                    _ => tables::cohorts(&u),
                }
            }
            "waves" | "wave-units" => {
                let waves = store
                    .wave_progress(viewer, Some(as_of), q.unit.as_deref())
                    .await?;
                match key {
                    "waves" => tables::waves(&waves),
                    _ => tables::wave_units(&waves),
                }
            }
            other => return Err(AppError::NotFound(format!("there is no table '{other}'"))),
        })
    }

    /// The workbook: the headline, the units under the scope, the trend
    /// (as rates and as people), per product the age bands and speed,
    /// depth and retention, the waves, and the definitions.
    pub async fn workbook(&self, made: &str, by: &str) -> Result<Vec<u8>, AppError> {
        let (store, viewer, grant, as_of) = (self.store, self.viewer, &self.grant, self.as_of);
        let o = store.overview(viewer, grant, Some(as_of)).await?;
        let sheet = |name: &str, table: Table, line_chart: bool| Sheet {
            name: sheet_name(name),
            table,
            line_chart,
        };
        let mut sheets = vec![
            sheet("Headline", tables::headline(&o), false),
            sheet("Units", tables::units_under(&o), false),
            sheet("Trend (rate)", tables::chart("trend", &o.trend.rate), true),
            sheet(
                "Trend (people)",
                tables::chart("trend", &o.trend.active),
                true,
            ),
        ];
        for product in store.catalog().await?.products() {
            let subject = Subject::Product(product.id);
            let bands = store.band_table(viewer, grant, subject, as_of).await?;
            let usage = store.usage_table(viewer, grant, subject, as_of).await?;
            let name = &product.name;
            sheets.extend([
                sheet(&format!("Age bands - {name}"), tables::bands(&bands), false),
                sheet(&format!("Usage - {name}"), tables::usage(&usage), false),
                sheet(&format!("Cohorts - {name}"), tables::cohorts(&usage), false),
            ]);
        }
        let waves = self.waves().await?;
        sheets.extend([
            sheet("Waves", tables::waves(&waves), false),
            sheet("Wave units", tables::wave_units(&waves), false),
        ]);
        let stamp = Stamp {
            scope: &format!("{} ({})", o.scope_name, self.code),
            as_of,
            made,
            by,
        };
        workbook::build(&sheets, &stamp).map_err(AppError::internal)
    }
}

/// `GET /exports/<table>.csv`: one table of a page, as the page shows it.
pub async fn csv(
    State(state): State<ServerState>,
    Path(file): Path<String>,
    signed: SignedIn,
    query: ExportQuery,
) -> Result<Response, AppError> {
    let key = file
        .strip_suffix(".csv")
        .filter(|k| CSV_TABLES.contains(k))
        .ok_or_else(|| AppError::NotFound(format!("there is no export '{file}'")))?;
    let (table, scope, as_of) = match key {
        "people" => {
            let store = &state.app.store;
            let code = query
                .unit
                .as_deref()
                .ok_or_else(|| AppError::BadRequest("a person-level list needs a unit".into()))?;
            let grant = signed.person_list(store, code).await?;
            let as_of = store.resolve_as_of(query.as_of).await?;
            let list = store
                .not_started(&grant, query.product.as_deref(), as_of)
                .await?;
            (tables::people(&list), list.unit_code, as_of)
        }
        _ => {
            let scope = scope(
                &state.app,
                &signed,
                query.unit.as_deref(),
                query.as_of,
                false,
            )
            .await?;
            (scope.table(key, &query).await?, scope.code, scope.as_of)
        }
    };
    let body = table.csv().map_err(AppError::internal)?;
    let name = file_name(key, &scope, as_of, "csv");
    let action = if key == "people" {
        AuditAction::PersonListExported
    } else {
        AuditAction::Exported
    };
    audit(&state.app, &signed, action, &format!("CSV {name}")).await?;
    Ok(attachment(body, "text/csv; charset=utf-8", &name))
}

/// Writes an export to the audit log: who (the caller), what and its
/// scope and day (in the file name).
pub async fn audit(
    state: &AppState,
    signed: &SignedIn,
    action: AuditAction,
    detail: &str,
) -> Result<(), AppError> {
    Ok(signed
        .caller
        .actor()
        .audit(&state.store, action, detail)
        .await?)
}

/// A file to save, not to show.
pub fn attachment(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A scope through the access check: a unit (`None`: the force), or for
/// a whole-scope export by default the caller's own (`home`), in full.
async fn scope<'a>(
    state: &'a AppState,
    signed: &'a SignedIn,
    unit: Option<&str>,
    as_of: Option<NaiveDate>,
    whole: bool,
) -> Result<Scope<'a>, AppError> {
    let store = &state.store;
    let viewer = &signed.caller.viewer;
    let granted = match whole {
        true => {
            signed
                .whole_unit(store, unit.or_else(|| viewer.home()))
                .await?
        }
        false => signed.unit(store, unit).await?,
    };
    Scope::granted(store, viewer, granted, as_of).await
}

/// `GET /exports/workbook.xlsx`: every table of a scope (`unit`; by
/// default the force for those who see every unit, else the caller's
/// first scope unit) on its day, a sheet each, with the definitions.
pub async fn workbook(
    State(state): State<ServerState>,
    signed: SignedIn,
    query: ExportQuery,
) -> Result<Response, AppError> {
    let scope = scope(
        &state.app,
        &signed,
        query.unit.as_deref(),
        query.as_of,
        true,
    )
    .await?;
    let body = scope
        .workbook(&made_at(&state.app), &signed.caller.viewer.username)
        .await?;
    let name = file_name("workbook", &scope.code, scope.as_of, "xlsx");
    audit(
        &state.app,
        &signed,
        AuditAction::Exported,
        &format!("XLSX {name}"),
    )
    .await?;
    Ok(attachment(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
    ))
}

/// Now, in the configured zone, as an export's stamp says when it was made.
pub fn made_at(state: &AppState) -> String {
    domain::display::moment(&chrono::Utc::now().with_timezone(&state.zone))
}

/// `GET /exports/board-pack.pdf`: the board pack of a scope (`unit`; by
/// default the force for those who see every unit, else the caller's
/// first scope unit) on a day, published, or found again where the same
/// pack is already stored.
pub async fn board_pack(
    State(state): State<ServerState>,
    signed: SignedIn,
    query: ExportQuery,
) -> Result<Response, AppError> {
    let app = &state.app;
    let scope = scope(app, &signed, query.unit.as_deref(), query.as_of, true).await?;
    let name = file_name("board-pack", &scope.code, scope.as_of, "pdf");
    let detail = format!("PDF {name}");
    let actor = signed.caller.actor();
    let audit = actor.entry(AuditAction::Exported, &detail);
    let made = pack::make(&scope, &audit, app.today(), app.zone, true).await?;
    Ok(attachment(made.pdf, "application/pdf", &name))
}

/// `GET /exports/board-packs/<id>.pdf`: a published pack again, the same
/// bytes, for those who could make it.
pub async fn stored_pack(
    State(state): State<ServerState>,
    Path(file): Path<String>,
    signed: SignedIn,
) -> Result<Response, AppError> {
    let store = &state.app.store;
    let missing = || AppError::NotFound(format!("there is no board pack '{file}'"));
    let id: i32 = file
        .strip_suffix(".pdf")
        .and_then(|id| id.parse().ok())
        .ok_or_else(missing)?;
    let (info, pdf) = store.pack(id).await?.ok_or_else(missing)?;
    let grant = match signed.unit(store, Some(&info.scope)).await {
        Ok((grant, _)) => grant,
        // A pack of a unit the caller may not see is not there for them.
        Err(AppError::Forbidden(_) | AppError::NotFound(_)) => return Err(missing()),
        Err(e) => return Err(e),
    };
    if !domain::export::pack::may_read(&grant, info.own_cells) {
        return Err(missing());
    }
    let name = file_name("board-pack", &info.scope, info.as_of, "pdf");
    audit(
        &state.app,
        &signed,
        AuditAction::Exported,
        &format!("PDF {name} (published pack {id})"),
    )
    .await?;
    Ok(attachment(pdf, "application/pdf", &name))
}

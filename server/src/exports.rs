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
    extract::{Path, Query, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use domain::{
    access::AuditAction,
    catalog::Subject,
    chart::Measure,
    export::{Table, file_name, tables},
};
use serde::Deserialize;

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
}

/// One export's content with what it covers, for its file name and the
/// audit log.
pub struct Export {
    pub tables: Vec<Table>,
    pub scope: String,
    pub as_of: NaiveDate,
}

/// `GET /exports/<table>.csv`: one table of a page, as the page shows it.
pub async fn csv(
    State(state): State<ServerState>,
    Path(file): Path<String>,
    signed: SignedIn,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let key = file
        .strip_suffix(".csv")
        .filter(|k| CSV_TABLES.contains(k))
        .ok_or_else(|| AppError::NotFound(format!("there is no export '{file}'")))?;
    let export = table(&state.app, &signed, &query, key).await?;
    let [table] = <[Table; 1]>::try_from(export.tables)
        .map_err(|_| AppError::internal("a CSV export made other than one table"))?;
    let body = table.csv().map_err(AppError::internal)?;
    let name = file_name(key, &export.scope, export.as_of, "csv");
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

/// One table by its name, read as its page reads it.
pub async fn table(
    state: &AppState,
    signed: &SignedIn,
    q: &ExportQuery,
    key: &str,
) -> Result<Export, AppError> {
    let store = &state.store;
    let viewer = &signed.caller.viewer;
    if key == "people" {
        let code = q
            .unit
            .as_deref()
            .ok_or_else(|| AppError::BadRequest("a person-level list needs a unit".into()))?;
        let grant = signed.person_list(store, code).await?;
        let as_of = store.resolve_as_of(q.as_of).await?;
        let list = store
            .not_started(&grant, q.product.as_deref(), as_of)
            .await?;
        return Ok(Export {
            tables: vec![tables::people(&list)],
            scope: list.unit_code,
            as_of,
        });
    }
    let (grant, scope) = signed.unit(store, q.unit.as_deref()).await?;
    let as_of = store.resolve_as_of(q.as_of).await?;
    let measure = Measure::parse(q.measure.as_deref());
    let table = match key {
        "headline" | "units" | "trend" => {
            let o = store.overview(viewer, &grant, Some(as_of)).await?;
            match key {
                "headline" => tables::headline(&o),
                "units" => tables::units_under(&o),
                _ => tables::chart("trend", o.trend.get(measure)),
            }
        }
        "unit-tree" => {
            let subject = subject_or_first_product(store, q.subject.as_deref()).await?;
            let open = domain::org::unit_codes(q.open.as_deref());
            tables::unit_tree(&store.unit_tree(viewer, subject, as_of, &open).await?)
        }
        "bands" | "band-trend" => {
            let subject = subject_or_first_product(store, q.subject.as_deref()).await?;
            let b = store.band_table(viewer, &grant, subject, as_of).await?;
            match key {
                "bands" => tables::bands(&b),
                _ => tables::chart("band-trend", b.trend.get(measure)),
            }
        }
        "usage" | "cohorts" => {
            let subject = subject_or_first_product(store, q.subject.as_deref()).await?;
            let u = store.usage_table(viewer, &grant, subject, as_of).await?;
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
    };
    Ok(Export {
        tables: vec![table],
        scope,
        as_of,
    })
}

/// `GET /exports/workbook.xlsx`: every table of a scope (`unit`; by
/// default the force for those who see every unit, else the caller's
/// first scope unit) on its day, a sheet each, with the definitions.
pub async fn workbook(
    State(state): State<ServerState>,
    signed: SignedIn,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let (sheets, export) = workbook_sheets(&state.app, &signed, &query).await?;
    let made = made_at(&state.app);
    let stamp = Stamp {
        scope: &export.scope,
        as_of: export.as_of,
        made: &made,
        by: &signed.caller.viewer.username,
    };
    let body = workbook::build(&sheets, &stamp).map_err(AppError::internal)?;
    let name = file_name("workbook", &export.scope, export.as_of, "xlsx");
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

/// The workbook's sheets: the headline, the units under the scope, the
/// trend (as rates and as people), per product the age bands and speed,
/// depth and retention, and the waves.
pub async fn workbook_sheets(
    state: &AppState,
    signed: &SignedIn,
    q: &ExportQuery,
) -> Result<(Vec<Sheet>, Export), AppError> {
    let store = &state.store;
    let viewer = &signed.caller.viewer;
    let unit = q.unit.as_deref().or_else(|| viewer.home());
    let (grant, scope) = signed.whole_unit(store, unit).await?;
    let as_of = store.resolve_as_of(q.as_of).await?;
    let o = store.overview(viewer, &grant, Some(as_of)).await?;
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
        let bands = store.band_table(viewer, &grant, subject, as_of).await?;
        let usage = store.usage_table(viewer, &grant, subject, as_of).await?;
        let name = &product.name;
        sheets.extend([
            sheet(&format!("Age bands - {name}"), tables::bands(&bands), false),
            sheet(&format!("Usage - {name}"), tables::usage(&usage), false),
            sheet(&format!("Cohorts - {name}"), tables::cohorts(&usage), false),
        ]);
    }
    let waves = store
        .wave_progress(viewer, Some(as_of), q.unit.as_deref())
        .await?;
    sheets.extend([
        sheet("Waves", tables::waves(&waves), false),
        sheet("Wave units", tables::wave_units(&waves), false),
    ]);
    Ok((
        sheets,
        Export {
            tables: Vec::new(),
            scope,
            as_of,
        },
    ))
}

/// `GET /exports/board-pack.pdf`: the board pack of a scope (`unit`; by
/// default the force for those who see every unit, else the caller's
/// first scope unit) on a day, published, or found again where the same
/// pack is already stored.
pub async fn board_pack(
    State(state): State<ServerState>,
    signed: SignedIn,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let app = &state.app;
    let store = &app.store;
    let viewer = &signed.caller.viewer;
    let unit = query.unit.as_deref().or_else(|| viewer.home());
    let (grant, code) = signed.whole_unit(store, unit).await?;
    let as_of = store.resolve_as_of(query.as_of).await?;
    let name = file_name("board-pack", &code, as_of, "pdf");
    let detail = format!("PDF {name}");
    let actor = signed.caller.actor();
    let maker = pack::Maker {
        viewer,
        account: Some(viewer.account),
        audit: actor.entry(AuditAction::Exported, &detail),
    };
    let made = pack::make(store, &maker, &grant, &code, as_of, app.today(), app.zone)
        .await
        .map_err(AppError::internal)?;
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

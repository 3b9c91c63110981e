use domain::{
    access::Role,
    display::date as display_date,
    formats::ImportKind,
    health::{DataHealth, ImportRejects, LicenceHealth},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        data::{get_data_health, get_import_rejects},
        session::get_me,
    },
    components::ErrorNote,
};

/// Data health: is the data fresh, did imports go in, and whose activity
/// matches nobody on the roster.
#[component]
pub fn DataPage() -> impl IntoView {
    let query = use_query_map();
    let import = move || {
        query
            .read()
            .get("import")
            .and_then(|s| s.parse::<i32>().ok())
    };
    // The URL names what became of an upload by a fixed code or an
    // import's id; the words come from here or from the store, never from
    // the URL, so no link can put its own text on this page.
    let refused = move || {
        query
            .read()
            .get("refused")
            .and_then(|s| s.parse::<i32>().ok())
    };
    let error = move || match query.read().get("error").as_deref() {
        Some("form") => Some("Choose a kind and a file to import.".to_owned()),
        Some("upload") => Some(
            "The file did not arrive whole, or could not be stored; try the upload again."
                .to_owned(),
        ),
        _ => None,
    };
    let health = Resource::new(|| (), |()| get_data_health());
    let refusal = move || {
        let id = refused()?;
        let health = health.get()?.ok()?;
        let import = health.imports.into_iter().find(|i| i.id == id)?;
        // The stored reason may start with the file's name already.
        import.refused.map(|why| {
            let why = why
                .strip_prefix(&format!("{}: ", import.file))
                .unwrap_or(&why);
            format!("{} was refused: {why}", import.file)
        })
    };
    let rejects = Resource::new(import, |id| async move {
        match id {
            Some(id) => get_import_rejects(id).await.map(Some),
            None => Ok(None),
        }
    });
    let me = Resource::new(|| (), |()| get_me());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <header class="page-head">
                <h1>"Data health"</h1>
                <p class="note">
                    "Where each source's data starts and how far it is complete, the last sync and any error, what each import accepted and rejected, and sign-in names that match nobody on the roster. "
                    "Figures default to the last day every shown source has complete; missing data is never counted as inactivity."
                </p>
            </header>
            {move || error().map(|e| view! { <p class="error" role="alert" data-testid="upload-error">{e}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading data health…"</p> }>
                {move || refusal().map(|e| view! { <p class="error" role="alert" data-testid="upload-error">{e}</p> })}
                {move || rejects.get().map(|r| match r {
                    Ok(Some(rejects)) => view! { <RejectTable rejects=rejects/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
                {move || health.get().map(|r| match r {
                    Ok(h) => {
                        let admin = me
                            .get()
                            .and_then(Result::ok)
                            .is_some_and(|v| v.role == Role::Admin);
                        view! { <HealthTables health=h admin=admin/> }.into_any()
                    }
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

/// A plain multipart form: it works before hydration, and the server
/// streams the file to disk before importing it.
#[component]
fn UploadForm() -> impl IntoView {
    let kinds = ImportKind::ALL
        .iter()
        .map(|k| view! { <option value=k.key()>{k.label()}</option> })
        .collect_view();
    view! {
        <section class="chart">
            <h2>"Import a file"</h2>
            <form method="post" action="/data/upload" enctype="multipart/form-data" class="upload" data-testid="upload-form">
                <label>"Kind " <select name="kind">{kinds}</select></label>
                <label>"Report day (Graph files) " <input type="date" name="day"/></label>
                <label>"Effective from (roster and units) " <input type="date" name="effective"/></label>
                <input type="file" name="file" required=true aria-label="File"/>
                <button type="submit">"Import"</button>
            </form>
        </section>
    }
}

#[component]
fn HealthTables(health: DataHealth, admin: bool) -> impl IntoView {
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%d %b %Y %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".to_owned())
    };
    let day = |d: Option<chrono::NaiveDate>| d.map(display_date).unwrap_or_else(|| "–".to_owned());
    let sources = health
        .sources
        .iter()
        .map(|s| {
            view! {
                <tr data-source=s.source.key()>
                    <th scope="row">{s.label()}</th>
                    <td>{day(s.data_start)}</td>
                    <td>{day(s.complete_through)}</td>
                    <td>{s.freshness()}</td>
                    <td>
                        {when(s.last_success)}
                        {s.last_note.clone().map(|note| view! { <br/><small class="note">{note}</small> })}
                    </td>
                    <td class="error-text">{s.last_error.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let imports = health
        .imports
        .iter()
        .map(|i| {
            // Rejected rows are person-level: linked only for those who may see them.
            let rejected = match (i.rejected > 0, health.names_withheld) {
                (false, _) => None,
                (true, true) => Some(format!("{} rejected", i.rejected).into_any()),
                (true, false) => {
                    let href = format!("/data?import={}", i.id);
                    Some(view! { <a href=href>{format!("{} rejected", i.rejected)}</a> }.into_any())
                }
            };
            let rejected = match &i.refused {
                Some(why) => {
                    Some(view! { <span title=why.clone()>"Refused whole"</span> }.into_any())
                }
                None => rejected,
            };
            view! {
                <tr>
                    <td>{i.at.format("%d %b %Y %H:%M").to_string()}</td>
                    <td>{i.file.clone()}</td>
                    <td>{i.kind.clone()}</td>
                    <td class="num">{i.accepted}</td>
                    <td class="num">{rejected}</td>
                </tr>
            }
        })
        .collect_view();
    let names = health
        .unmatched
        .iter()
        .map(|n| {
            view! {
                <tr>
                    <td>{n.user.clone()}</td>
                    <td>{display_date(n.first_seen)}</td>
                    <td>{display_date(n.last_seen)}</td>
                    <td class="num">{n.events}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="chart">
            <h2>"Sources"</h2>
            <table class="units" data-testid="sources">
                <thead><tr>
                    <th scope="col">"Source"</th><th scope="col">"Data from"</th><th scope="col">"Complete through"</th>
                    <th scope="col">"Freshness"</th><th scope="col">"Last successful sync"</th><th scope="col">"Last error"</th>
                </tr></thead>
                <tbody>{sources}</tbody>
            </table>
        </section>
        <Licences licences=health.licences.clone()/>
        <section class="chart">
            <h2>"Imports"</h2>
            <table class="units" data-testid="imports">
                <thead><tr>
                    <th scope="col">"When (UTC)"</th><th scope="col">"File"</th><th scope="col">"Kind"</th>
                    <th scope="col">"Accepted"</th><th scope="col">"Rejected"</th>
                </tr></thead>
                <tbody>{imports}</tbody>
            </table>
        </section>
        {admin.then(|| view! { <UploadForm/> })}
        <section class="chart">
            <h2>"Names that match nobody"</h2>
            <p class="note">
                {format!(
                    "{} sign-in names in telemetry match nobody on the roster; their activity is kept and attached when a roster import matches them. {} external names (configured domains and service accounts) are counted as external.",
                    health.unmatched_total, health.external_total
                )}
            </p>
            {health.names_withheld.then(|| view! {
                <p class="note" data-testid="names-withheld">
                    "Sign-in names are person-level: they are shown to accounts with the person-level list permission."
                </p>
            })}
            <table class="units" data-testid="unmatched">
                <thead><tr>
                    <th scope="col">"Sign-in name"</th><th scope="col">"First seen"</th><th scope="col">"Last seen"</th><th scope="col">"Events"</th>
                </tr></thead>
                <tbody>{names}</tbody>
            </table>
        </section>
    }
}

/// Licence status from the latest active-user report, with the checks
/// against counted use that point at where to help.
#[component]
fn Licences(licences: Option<LicenceHealth>) -> impl IntoView {
    let Some(l) = licences else {
        return view! {
            <section class="chart">
                <h2>"Microsoft 365 licences"</h2>
                <p class="note" data-testid="licences-none">
                    "No active-user report is stored yet. The Microsoft 365 sync pulls the latest one; an admin can also import it (kind m365-licences)."
                </p>
            </section>
        }
        .into_any();
    };
    let rows = l
        .tools
        .iter()
        .map(|t| {
            let used_class = if t.used_unlicensed > 0 {
                "num warn"
            } else {
                "num"
            };
            view! {
                <tr data-tool=t.tool.clone()>
                    <th scope="row">{t.tool.clone()}</th>
                    <td class="num">{t.licensed}</td>
                    <td class="num">{t.unlicensed}</td>
                    <td class=used_class>{t.used_unlicensed}</td>
                    <td class="num">{t.licensed_never_used}</td>
                    <td class="num">{t.seen_not_counted}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="chart">
            <h2>"Microsoft 365 licences"</h2>
            <p class="note">
                {format!(
                    "From the active-user report of {} (stored {}): {} accounts, {} of them not on the roster. Counts are of staff in post on that day. ",
                    display_date(l.day),
                    l.stored_at.format("%d %b %Y %H:%M UTC"),
                    l.rows,
                    l.unmatched
                )}
                "\"Used without a licence\" is counted use in the 28 days to the report's day or since, with no licence in it: check the sign-in names, or a licence removed since. \"Seen, not using\" is someone the tool saw in those 28 days (its last activity date) with no counted use in them."
            </p>
            <table class="units" data-testid="licences">
                <thead><tr>
                    <th scope="col">"Tool"</th><th scope="col">"Licensed"</th><th scope="col">"No licence"</th>
                    <th scope="col">"Used without a licence"</th><th scope="col">"Licensed, never used"</th>
                    <th scope="col">"Seen, not using"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn RejectTable(rejects: ImportRejects) -> impl IntoView {
    let ImportRejects { import, rows } = rejects;
    let summary = format!(
        "{} of {}, {}: {} rows accepted, {} rejected{}. ",
        import.kind,
        import.at.format("%d %b %Y %H:%M UTC"),
        import.file,
        import.accepted,
        import.rejected,
        if rows.len() < import.rejected as usize {
            format!("; the first {} are shown", rows.len())
        } else {
            String::new()
        }
    );
    let rows = rows
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <td class="num">{r.line}</td>
                    <td>{r.reason}</td>
                    <td><code>{r.raw}</code></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="chart">
            <h2>{format!("Rejected rows of import {}", import.id)}</h2>
            <p class="note">{summary}<a href="/data">"Back to all imports"</a></p>
            <table class="units" data-testid="rejects">
                <thead><tr><th scope="col">"Line"</th><th scope="col">"Reason"</th><th scope="col">"Row"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

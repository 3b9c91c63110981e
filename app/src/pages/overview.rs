use chrono::NaiveDate;
use domain::{
    access::Reach,
    bands::BandTable,
    chart::Chart,
    display::{
        arrow, count, count_in, date as display_date, gap, percent, points, points_in_words,
        share_in,
    },
    health::Freshness,
    overview::Overview,
    usage::UsageTable,
    wave::{RISE_DAYS, Standing, WaveProgress, go_live_markers, wave_targets, where_to_help},
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        bands::get_band_table,
        data::get_freshness,
        overview::get_overview,
        usage::get_usage,
        waves::{get_go_live_curves, get_waves},
    },
    components::{
        BandSection, BoardExports, ChartView, ErrorNote, KpiTile, RateChange, SUPPRESSED,
        TrendView, UnitTable, UsageSection, export_query,
    },
    pages::waves::{Forecast, StatusBadge},
};

/// A unit's progress (the whole force at `/`): KPI tiles per product and
/// tool, the trend, and the units under it.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let params = use_params_map();
    let args = move || {
        let as_of = query
            .read()
            .get("as_of")
            .and_then(|s| s.parse::<NaiveDate>().ok());
        (params.read().get("code"), as_of)
    };
    let overview = Resource::new(args, |(unit, as_of)| get_overview(unit, as_of));
    let band_args = move || {
        let (unit, as_of) = args();
        (unit, query.read().get("bands"), as_of)
    };
    let bands = Resource::new(band_args, |(unit, subject, as_of)| {
        get_band_table(unit, subject, as_of)
    });
    let usage_args = move || {
        let (unit, as_of) = args();
        (unit, query.read().get("usage"), as_of)
    };
    let usage = Resource::new(usage_args, |(unit, subject, as_of)| {
        get_usage(unit, subject, as_of)
    });
    // The force's overview sums the waves up (each one's whole, for those
    // who see every unit in it); a unit's page sets its figures against
    // its waves' targets and the force's.
    let waves = Resource::new(args, |(unit, as_of)| get_waves(as_of, unit));
    let force = Resource::new(args, |(unit, as_of)| async move {
        match unit {
            Some(_) => get_overview(None, as_of).await.map(Some),
            None => Ok(None),
        }
    });
    let sources = Resource::new(|| (), |_| get_freshness());
    let curves = Resource::new(args, |(unit, as_of)| async move {
        match unit {
            Some(unit) => get_go_live_curves(unit, as_of).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading figures…"</p> }>
            {move || overview.get().map(|result| match result {
                Ok(o) => {
                    let at_force = args().0.is_none();
                    view! { <OverviewBody overview=o bands usage waves force sources curves at_force/> }
                        .into_any()
                }
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn OverviewBody(
    overview: Overview,
    bands: Resource<Result<BandTable, ServerFnError>>,
    usage: Resource<Result<UsageTable, ServerFnError>>,
    waves: Resource<Result<Vec<WaveProgress>, ServerFnError>>,
    force: Resource<Result<Option<Overview>, ServerFnError>>,
    sources: Resource<Result<Freshness, ServerFnError>>,
    curves: Resource<Result<Option<GoLiveCurves>, ServerFnError>>,
    at_force: bool,
) -> impl IntoView {
    let unit_code = overview.unit_code.clone();
    // The days waves went live, on the trend: a rate falls there because
    // more people became eligible.
    let trend = {
        let trend = overview.trend.clone();
        let unit = (!at_force).then(|| unit_code.clone());
        let csv = export_query(Some(&unit_code), None, overview.as_of);
        move || {
            let mut trend = trend.clone();
            if let Some(Ok(list)) = waves.get() {
                trend.mark(go_live_markers(&list, unit.as_deref()));
                trend.rate.targets = wave_targets(&list, unit.as_deref());
            }
            view! { <TrendView trend id="adoption-trend" param="trend" csv=("trend", csv.clone())/> }
        }
    };
    let since_go_live = move || {
        curves.get().map(|result| match result {
            Ok(list) => view! { <SinceGoLive list/> }.into_any(),
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
        })
    };
    let subjects: Vec<(String, String)> = overview
        .kpis
        .iter()
        .map(|k| (k.subject.clone(), k.label.clone()))
        .collect();
    let as_of = overview.as_of;
    let usage_subjects = subjects.clone();
    let by_age = move || {
        bands.get().map(|result| match result {
            Ok(table) => view! { <BandSection table subjects=subjects.clone() as_of/> }.into_any(),
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
        })
    };
    let how_used = move || {
        usage.get().map(|result| match result {
            Ok(table) => {
                view! { <UsageSection table subjects=usage_subjects.clone() as_of/> }.into_any()
            }
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
        })
    };
    let freshness = overview.complete_through.map_or_else(
        || "No source has reported complete data yet.".to_owned(),
        |d| format!("Data complete through {}.", display_date(d)),
    );
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let sections = overview
        .kpis
        .into_iter()
        .map(|k| {
            let slug = k.subject.replace(':', "-");
            let partial = k.partial.then(|| "28-day window not yet complete".to_owned());
            let tiles = match k.counts {
                Some(c) => view! {
                    <KpiTile label="Eligible staff" value=count(c.eligible) test_id=format!("{slug}-eligible")/>
                    <KpiTile label="Active in last 28 days" value=count_in(c.active28, c.eligible) test_id=format!("{slug}-active28")/>
                    <KpiTile label="Adoption rate" value=share_in(c.active28, c.eligible) note=partial.unwrap_or_default() test_id=format!("{slug}-rate")>
                        <RateChange week=k.change_7 month=k.change_28/>
                    </KpiTile>
                    <KpiTile label="Reached" value=count_in(c.reached, c.eligible) note=format!("{} of eligible", share_in(c.reached, c.eligible)) test_id=format!("{slug}-reached")/>
                }
                .into_any(),
                None => view! {
                    <KpiTile label="All figures" value="[c]".to_owned() note=SUPPRESSED.to_owned() test_id=format!("{slug}-suppressed")/>
                }
                .into_any(),
            };
            let versus = (!at_force).then(|| {
                view! { <Versus subject=k.subject.clone() unit=unit_code.clone() waves force/> }
            });
            view! {
                <section class="subject" aria-label=k.label.clone() data-testid=format!("kpis-{slug}")>
                    <h2>{k.label.clone()}</h2>
                    <div class="kpis">{tiles}</div>
                    {versus}
                </section>
            }
        })
        .collect_view();
    let comparison = (overview.reach == Reach::ForceComparison).then(|| {
        view! {
            <p class="note" data-testid="comparison-only">
                "Force-wide figures, shown for comparison. Your own units are listed under “My units”."
            </p>
        }
    });
    let people = overview.person_lists.then(|| {
        let links = overview
            .products
            .iter()
            .map(|p| {
                let href = format!(
                    "/units/{}/people?product={p}&as_of={}",
                    overview.unit_code, overview.as_of
                );
                view! { <a href=href data-testid="people-link">{p.clone()}</a> " " }
            })
            .collect_view();
        view! { <p class="note">"Who has not started: " {links}</p> }
    });
    // A scope's whole exports, where the viewer sees it in full (not the
    // force a commander sees for comparison).
    let exports = (overview.reach == Reach::Full).then(|| {
        view! { <BoardExports unit=overview.unit_code.clone() as_of=overview.as_of/> }
    });
    let drill = (!overview.children.is_empty()).then(|| {
        let query = export_query(Some(&overview.unit_code), None, overview.as_of);
        view! { <UnitTable columns=overview.columns rows=overview.children as_of=overview.as_of query/> }
    });
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string() data-unit=overview.unit_code>
            <header class="page-head">
                <h1>{overview.scope_name} " — overview"</h1>
                <p class="as-of">
                    "As of " <time datetime=overview.as_of.to_string() data-testid="as-of">{display_date(overview.as_of)}</time>
                    ". " {freshness}
                </p>
                <Suspense fallback=|| ()>
                    {move || sources.get().and_then(Result::ok).map(|f| view! { <SourceFreshness freshness=f/> })}
                </Suspense>
                {comparison}
                {people}
            </header>
            <div class="subjects">{sections}</div>
            <Suspense fallback=|| ()>{trend}</Suspense>
            <Suspense fallback=|| ()>{since_go_live}</Suspense>
            <Suspense fallback=|| ()>
                {move || waves.get().filter(|_| at_force).map(|result| match result {
                    Ok(list) => view! {
                        <WaveSummary list=list.clone()/>
                        <WhereToHelp list/>
                    }
                    .into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Suspense>
            {drill}
            <Suspense fallback=|| view! { <p class="loading">"Loading age bands…"</p> }>{by_age}</Suspense>
            <Suspense fallback=|| view! { <p class="loading">"Loading speed, depth and retention…"</p> }>{how_used}</Suspense>
            {exports}
        </div>
    }
}

/// A unit's curves since go-live, one per wave it is a member of (none on
/// the force's page).
type GoLiveCurves = Vec<(WaveProgress, Chart)>;

/// A unit's curve since go-live in each of its waves, beside the force's
/// median unit, with where it stands against the wave's target in words;
/// or, for a unit in no wave, what that means.
#[component]
fn SinceGoLive(list: Option<GoLiveCurves>) -> impl IntoView {
    let list = list?;
    let body = if list.is_empty() {
        view! {
            <p class="empty" data-testid="no-wave">
                "This unit is not itself a member of a rollout wave, so it has no go-live of its own and no target. "
                "Its figures count from the go-live of the unit above it that is; rollout managers add waves on the "
                <a href="/waves">"Waves"</a> " page."
            </p>
        }
        .into_any()
    } else {
        list.into_iter()
            .map(|(wave, chart)| {
                let own = wave.units.into_iter().next().map(|u| {
                    view! {
                        <p class="note" data-testid=format!("since-go-live-{}-status", wave.id)>
                            <StatusBadge outlook=u.outlook.clone()/> " "
                            {format!("{}: target {} {} by {}. ", wave.name, percent(Some(wave.target_value)), wave.target_metric.label(), display_date(wave.target_date))}
                            <Forecast outlook=u.outlook target_date=wave.target_date/>
                        </p>
                    }
                });
                view! { {own} <ChartView chart id=format!("since-go-live-{}", wave.id)/> }
            })
            .collect_view()
            .into_any()
    };
    Some(view! {
        <section class="since-go-live" aria-labelledby="since-go-live" data-testid="since-go-live">
            <h2 id="since-go-live">"Since go-live, beside the force"</h2>
            {body}
        </section>
    })
}

/// One line per wave whose whole the viewer sees: its status, where it
/// stands, and its forecast or what happened, linking to the wave.
#[component]
fn WaveSummary(list: Vec<WaveProgress>) -> impl IntoView {
    let lines: Vec<_> = list
        .into_iter()
        .filter_map(|w| {
            let total = w.total?;
            let href = format!("/waves#wave-{}", w.id);
            let target = format!(
                "target {} by {}",
                percent(Some(w.target_value)),
                display_date(w.target_date)
            );
            Some(view! {
                <li data-testid=format!("wave-summary-{}", w.id)>
                    <StatusBadge outlook=total.outlook.clone()/> " "
                    <a href=href>{w.name}</a>
                    {format!(
                        ": now {} ({target}). ",
                        total.current.map_or_else(|| "[c]".to_owned(), |v| percent(Some(v)))
                    )}
                    <Forecast outlook=total.outlook target_date=w.target_date/>
                </li>
            })
        })
        .collect();
    (!lines.is_empty()).then(|| {
        view! {
            <section class="chart" aria-labelledby="wave-summary" data-testid="wave-summary">
                <h2 id="wave-summary">"Waves"</h2>
                <ul class="wave-lines">{lines}</ul>
            </section>
        }
    })
}

/// How many units each of the overview's "where to help" lists names.
const HELP_LIST: usize = 5;

/// The units furthest behind their wave's target and those rising
/// fastest, over the waves' units the viewer sees, each linking to its
/// page.
#[component]
fn WhereToHelp(list: Vec<WaveProgress>) -> impl IntoView {
    let (behind, rising) = where_to_help(&list, HELP_LIST);
    let any_units = list.iter().any(|w| !w.units.is_empty());
    let link = |s: &Standing| {
        view! { <a href=format!("/units/{}", s.code)>{s.name.clone()}</a> }
    };
    let behind_lines = behind
        .iter()
        .map(|s| {
            let target = format!(
                ": {} against {} by {}, ",
                percent(Some(s.current)),
                percent(Some(s.target_value)),
                display_date(s.target_date)
            );
            view! {
                <li data-testid=format!("behind-{}", s.code)>
                    {link(s)} <span class="muted">{format!(" ({})", s.wave)}</span>
                    {target} <strong>{gap(Some(s.gap))}</strong>
                </li>
            }
        })
        .collect_view();
    let rising_lines = rising
        .iter()
        .map(|s| {
            let rise = s.rise.unwrap_or_default();
            view! {
                <li data-testid=format!("rising-{}", s.code)>
                    {link(s)} <span class="muted">{format!(" ({})", s.wave)}</span> ": "
                    <span aria-hidden="true">{format!("{} {}", arrow(rise), points(rise))}</span>
                    <span class="visually-hidden">{points_in_words(rise)}</span>
                    {format!(" to {}", percent(Some(s.current)))}
                </li>
            }
        })
        .collect_view();
    let none = |what: &'static str| view! { <p class="note">{what}</p> };
    any_units.then(|| {
        view! {
            <section class="chart" aria-labelledby="where-to-help" data-testid="where-to-help">
                <h2 id="where-to-help">"Where to help"</h2>
                <div class="help-lists">
                    <div data-testid="furthest-behind">
                        <h3>"Furthest behind their target"</h3>
                        {if behind.is_empty() {
                            none("No unit is short of its wave's target.").into_any()
                        } else {
                            view! { <ol class="wave-lines">{behind_lines}</ol> }.into_any()
                        }}
                    </div>
                    <div data-testid="rising-fastest">
                        <h3>{format!("Rising fastest in {RISE_DAYS} days")}</h3>
                        {if rising.is_empty() {
                            none("No unit's figure rose in that time.").into_any()
                        } else {
                            view! { <ol class="wave-lines">{rising_lines}</ol> }.into_any()
                        }}
                    </div>
                </div>
            </section>
        }
    })
}

/// One line under a unit's tiles for a subject: the force's adoption rate
/// beside it, and where the unit stands against each wave of that product
/// it belongs to.
#[component]
fn Versus(
    subject: String,
    unit: String,
    waves: Resource<Result<Vec<WaveProgress>, ServerFnError>>,
    force: Resource<Result<Option<Overview>, ServerFnError>>,
) -> impl IntoView {
    let slug = subject.replace(':', "-");
    let line = move || {
        let force_rate = force
            .get()
            .and_then(Result::ok)
            .flatten()
            .and_then(|f| f.kpis.into_iter().find(|k| k.subject == subject))
            .map(|k| {
                format!(
                    "Force: {}.",
                    k.counts
                        .map_or_else(|| "[c]".to_owned(), |_| percent(k.adoption_rate))
                )
            });
        let targets: Vec<String> = waves
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|w| w.subject == subject)
            .filter_map(|w| {
                let own = w.units.iter().find(|u| u.code == unit)?;
                Some(format!(
                    "{}: target {} {} by {}, {}.",
                    w.name,
                    percent(Some(w.target_value)),
                    w.target_metric.label(),
                    display_date(w.target_date),
                    gap(own.gap(w.target_value))
                ))
            })
            .collect();
        let text = force_rate
            .into_iter()
            .chain(targets)
            .collect::<Vec<_>>()
            .join(" ");
        (!text.is_empty()).then_some(text)
    };
    view! {
        <Suspense fallback=|| ()>
            {move || line().map(|text| view! { <p class="note versus" data-testid=format!("{slug}-versus")>{text}</p> })}
        </Suspense>
    }
}

/// Each source's freshness in words, and a link to the data page when one
/// is behind, for those who may open it.
#[component]
fn SourceFreshness(freshness: Freshness) -> impl IntoView {
    let lines = freshness
        .sources
        .iter()
        .map(|s| match &s.last_error {
            Some(failed) => format!("{}: {}; {failed}.", s.label(), s.freshness()),
            None => format!("{}: {}.", s.label(), s.freshness()),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let link = (freshness.behind() && freshness.data_page).then(|| {
        view! { " " <a href="/data" data-testid="freshness-data-link">"See the data page."</a> }
    });
    (!freshness.sources.is_empty()).then(|| {
        view! { <p class="as-of" data-testid="freshness">{lines} {link}</p> }
    })
}

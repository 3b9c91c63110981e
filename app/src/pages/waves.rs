use chrono::NaiveDate;
use domain::{
    display::{count, date as display_date, gap, percent},
    forecast::Outlook,
    wave::{Progress, WaveProgress, since_go_live_chart},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        session::get_me,
        waves::{CreateWave, EditWave, SetWaveTarget, get_products, get_waves},
    },
    components::{ChartView, CsvLink, ErrorNote, export_query},
};

/// Rollout waves against their targets: where each stands, when it is
/// forecast to get there, and which units hold it back.
#[component]
pub fn WavesPage() -> impl IntoView {
    let query = use_query_map();
    let as_of = move || {
        query
            .read()
            .get("as_of")
            .and_then(|s| s.parse::<NaiveDate>().ok())
    };
    let edit = ServerAction::<SetWaveTarget>::new();
    let create = ServerAction::<CreateWave>::new();
    let change = ServerAction::<EditWave>::new();
    // A wave change refused leaves its form as it was, with the reason in
    // it; one saved shows the waves again.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        change.version().track();
        if let Some(Ok(())) = change.value().get_untracked() {
            saved.update(|n| *n += 1);
        }
    });
    let waves = Resource::new(
        move || {
            (
                as_of(),
                edit.version().get(),
                create.version().get(),
                saved.get(),
            )
        },
        |(day, ..)| get_waves(day, None),
    );
    // Admins and rollout managers edit targets (the server checks again).
    let me = Resource::new(|| (), |()| get_me());
    let editor = move || {
        me.get()
            .and_then(Result::ok)
            .is_some_and(|v| v.role.sees_every_unit())
    };
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <header class="page-head">
                <h1>"Waves"</h1>
                <p class="note">
                    "Status compares the forecast with each wave's target date. The forecast fits an S-curve to the target metric since go-live; "
                    "the band holds 80% of bootstrap resamples. On track: the band's late end is on time. At risk: the median is on time, the late end is not. "
                    "Behind: the median is late, or the curve levels off below the target. "
                    "Met: the target was reached, on the first day shown at or over it. Missed: the target date passed short of it, by the points shown on that day. "
                    "Each wave's units are ranked by their gap to its target, furthest behind first."
                </p>
            </header>
            <Suspense fallback=|| ()>
                {move || editor().then(|| view! { <NewWaveForm create/> })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="loading">"Loading waves…"</p> }>
                {move || waves.get().map(|r| match r {
                    Ok(list) if list.is_empty() && editor() => view! {
                        <p class="empty" data-testid="no-waves">
                            "No rollout wave yet. Add the first above: its product, the units going live, the go-live day and the target. "
                            "Each unit's figures then count from its go-live, and the forecast tells whether the target will be met."
                        </p>
                    }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty" data-testid="no-waves">"No wave includes a unit in your scope yet."</p> }.into_any(),
                    Ok(list) => {
                        let chart = since_go_live_chart(&list);
                        let csv = list.first().map(|w| export_query(None, None, w.as_of)).unwrap_or_default();
                        view! {
                            <ChartView chart id="waves-since-go-live"/>
                            <p class="exports">
                                "Every wave: " <CsvLink table="waves" query=csv.clone()/>
                                " Every wave unit: " <CsvLink table="wave-units" query=csv/>
                            </p>
                            {move || edit.value().get().and_then(Result::err).map(|e| view! { <ErrorNote error=e/> })}
                            {move || (saved.get() > 0).then(|| view! {
                                <p class="note" role="status" data-testid="wave-changed">
                                    "Wave saved. Its figures follow a new go-live or new units once they are recomputed, within a minute or two."
                                </p>
                            })}
                            {list.into_iter().map(|w| view! { <WaveCard wave=w edit change editable=editor()/> }).collect_view()}
                        }
                        .into_any()
                    }
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn WaveCard(
    wave: WaveProgress,
    edit: ServerAction<SetWaveTarget>,
    change: ServerAction<EditWave>,
    editable: bool,
) -> impl IntoView {
    let target = format!(
        "{} {} by {}",
        percent(Some(wave.target_value)),
        wave.target_metric.label(),
        display_date(wave.target_date)
    );
    let total = wave.total.map(|t| {
        let status = t.outlook.status;
        view! {
            <p class="wave-total">
                <StatusBadge outlook=t.outlook.clone()/>
                {format!(
                    " Now {} of {} eligible. ",
                    t.current.map_or_else(|| "[c]".to_owned(), |v| percent(Some(v))),
                    t.eligible.map_or_else(|| "[c]".to_owned(), count)
                )}
                <Forecast outlook=t.outlook target_date=wave.target_date/>
            </p>
            <span hidden data-testid=format!("wave-{}-status", wave.id)>{status.key()}</span>
        }
    });
    let target_date = wave.target_date;
    let editor = editable.then(|| {
        let units = wave.units.iter().map(|u| u.code.clone()).collect();
        view! {
            <TargetForm id=wave.id value=wave.target_value date=wave.target_date go_live=wave.go_live edit/>
            <WaveForm id=wave.id name=wave.name.clone() go_live=wave.go_live units change/>
        }
    });
    let rows = wave
        .units
        .into_iter()
        .map(|u| view! { <UnitRow unit=u target=wave.target_value target_date/> })
        .collect_view();
    view! {
        <section class="chart wave" aria-labelledby=format!("wave-{}", wave.id) data-testid=format!("wave-{}", wave.id)>
            <h2 id=format!("wave-{}", wave.id)>{wave.name}</h2>
            <p class="note">{format!("{} · live from {} · target {target}", wave.product, display_date(wave.go_live))}</p>
            {editor}
            {total}
            <table class="units">
                <thead><tr>
                    <th scope="col">"Unit"</th><th scope="col" class="num">"Eligible"</th><th scope="col" class="num">"Now"</th>
                    <th scope="col" class="num">"Gap to target"</th><th scope="col">"Status"</th><th scope="col">"Reached, or forecast (80% band)"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// A new wave, for those who edit waves: the server checks each field and
/// says what is wrong in words.
#[component]
fn NewWaveForm(create: ServerAction<CreateWave>) -> impl IntoView {
    let products = Resource::new(|| (), |()| get_products());
    let options = move || {
        products
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
            .collect_view()
    };
    let outcome = move || {
        create.value().get().map(|r| match r {
            Ok(id) => view! {
                <p class="note" role="status" data-testid="wave-created">
                    {format!("Wave {id} added. Its figures follow its go-live once they are recomputed, within a minute or two.")}
                </p>
            }
            .into_any(),
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
        })
    };
    view! {
        <details class="chart new-wave" data-testid="new-wave">
            <summary>"Add a wave"</summary>
            <ActionForm action=create attr:class="inline-form">
                <label>"Name" <input type="text" name="name" required maxlength="120"/></label>
                <label>"Product" <select name="product" required><Suspense fallback=|| ()>{options}</Suspense></select></label>
                <label>"Go-live" <input type="date" name="go_live" required/></label>
                <label>"Target (%)" <input type="number" name="target_percent" min="1" max="100" step="1" required/></label>
                <label>"By" <input type="date" name="target_date" required/></label>
                <label>"Units (codes, comma-separated)" <input type="text" name="units" required placeholder="C01, C02"/></label>
                <button type="submit">"Add the wave"</button>
            </ActionForm>
            {outcome}
        </details>
    }
}

/// A wave's target, as a share and a day, for those who edit waves.
#[component]
fn TargetForm(
    id: i32,
    value: f64,
    date: NaiveDate,
    go_live: NaiveDate,
    edit: ServerAction<SetWaveTarget>,
) -> impl IntoView {
    view! {
        <details class="edit-target" data-testid=format!("wave-{id}-edit")>
            <summary>"Change the target"</summary>
            <ActionForm action=edit attr:class="inline-form">
                <input type="hidden" name="wave" value=id.to_string()/>
                <label>"Target (%)" <input type="number" name="target_percent" min="1" max="100" step="1" required
                    value=format!("{:.0}", value * 100.0)/></label>
                <label>"By" <input type="date" name="target_date" required min=go_live.to_string()
                    value=date.to_string()/></label>
                <button type="submit">"Save"</button>
            </ActionForm>
        </details>
    }
}

/// A wave's name, go-live and member units, for those who edit waves: the
/// server checks them as for a new wave and says what is wrong in words.
#[component]
fn WaveForm(
    id: i32,
    name: String,
    go_live: NaiveDate,
    units: Vec<String>,
    change: ServerAction<EditWave>,
) -> impl IntoView {
    // Only a refusal of this wave's form shows here (one saved shows the
    // waves again, and says so above them).
    let submitted = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(input) = change.input().get() {
            submitted.set(input.wave == id);
        }
    });
    let outcome = move || {
        change
            .value()
            .get()
            .filter(|_| submitted.get())
            .and_then(Result::err)
            .map(|e| view! { <ErrorNote error=e/> })
    };
    view! {
        <details class="edit-target" data-testid=format!("wave-{id}-change")>
            <summary>"Change the go-live or units"</summary>
            <ActionForm action=change attr:class="inline-form">
                <input type="hidden" name="wave" value=id.to_string()/>
                <label>"Name" <input type="text" name="name" required maxlength="120" value=name/></label>
                <label>"Go-live" <input type="date" name="go_live" required value=go_live.to_string()/></label>
                <label>"Units (codes, comma-separated)" <input type="text" name="units" required value=units.join(", ")/></label>
                <button type="submit">"Save"</button>
            </ActionForm>
            {outcome}
        </details>
    }
}

#[component]
fn UnitRow(unit: Progress, target: f64, target_date: NaiveDate) -> impl IntoView {
    let href = format!("/units/{}", unit.code);
    let short = gap(unit.gap(target));
    view! {
        <tr data-testid=format!("wave-unit-{}", unit.code)>
            <th scope="row"><a href=href>{unit.name}</a></th>
            <td class="num">{unit.eligible.map_or_else(|| "[c]".to_owned(), count)}</td>
            <td class="num">{unit.current.map_or_else(|| "[c]".to_owned(), |v| percent(Some(v)))}</td>
            <td class="num">{short}</td>
            <td><StatusBadge outlook=unit.outlook.clone()/></td>
            <td><Forecast outlook=unit.outlook target_date/></td>
        </tr>
    }
}

#[component]
pub(crate) fn StatusBadge(outlook: Outlook) -> impl IntoView {
    view! { <span class=format!("badge {}", outlook.status.key())>{outlook.status.label()}</span> }
}

/// What happened (met, missed) where it has, else the forecast day and
/// its band.
#[component]
pub(crate) fn Forecast(outlook: Outlook, target_date: NaiveDate) -> impl IntoView {
    view! { <span class="forecast">{outlook.in_words(target_date)}</span> }
}

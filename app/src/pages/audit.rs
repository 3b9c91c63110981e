use leptos::prelude::*;

use crate::{api::admin::get_audit_log, components::ErrorNote};

/// The audit log for admins: read-only here and everywhere else.
#[component]
pub fn AuditPage() -> impl IntoView {
    let log = Resource::new(|| (), |()| get_audit_log());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <header class="page-head">
                <h1>"Audit log"</h1>
                <p class="note">
                    "Sign-ins, person-level list views, exports, and changes to accounts and waves. Nothing can edit or delete it. "
                    <a href="/admin/audit.csv" download="uptake-audit.csv">"Export as CSV"</a>
                </p>
            </header>
            <Suspense fallback=|| view! { <p class="loading">"Loading the log…"</p> }>
                {move || log.get().map(|r| match r {
                    Ok(entries) => {
                        let rows = entries
                            .into_iter()
                            .map(|e| view! {
                                <tr>
                                    <td>{e.at.format("%d %b %Y %H:%M:%S").to_string()}</td>
                                    <td>{e.actor}</td>
                                    <td>{e.action}</td>
                                    <td>{e.detail}</td>
                                    <td>{e.scope}</td>
                                    <td>{e.address.unwrap_or_default()}</td>
                                </tr>
                            })
                            .collect_view();
                        view! {
                            // Focusable, so the table can be scrolled sideways by keyboard
                            // on a narrow screen.
                            <section class="chart" tabindex="0" aria-label="Audit log entries">
                                <table class="units" data-testid="audit-log">
                                    <thead><tr>
                                        <th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                                        <th scope="col">"Detail"</th><th scope="col">"Scope"</th><th scope="col">"From"</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

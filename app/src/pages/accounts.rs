use domain::access::{Account, Role};
use leptos::prelude::*;

use crate::{
    api::admin::{AddAccount, DisableAccount, SetAccountRole, get_accounts},
    components::ErrorNote,
};

/// Accounts for admins: who may see what, new accounts with a one-time
/// password, role changes, and disabling (which ends sessions at once).
#[component]
pub fn AccountsPage() -> impl IntoView {
    let add = ServerAction::<AddAccount>::new();
    let disable = ServerAction::<DisableAccount>::new();
    let set_role = ServerAction::<SetAccountRole>::new();
    let accounts = Resource::new(
        move || {
            (
                add.version().get(),
                disable.version().get(),
                set_role.version().get(),
            )
        },
        |_| get_accounts(),
    );
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let role_options = || {
        Role::ALL
            .into_iter()
            .map(|r| view! { <option value=r.key()>{r.label()}</option> })
            .collect_view()
    };
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <header class="page-head"><h1>"Accounts"</h1></header>
            <section class="chart" aria-labelledby="new-account">
                <h2 id="new-account">"New account"</h2>
                <ActionForm action=add attr:class="inline-form">
                    <label>"Sign-in name" <input name="username" required/></label>
                    <label>"Display name" <input name="display_name"/></label>
                    <label>"Role" <select name="role">{role_options()}</select></label>
                    <label>"Scope (unit codes)" <input name="scope" placeholder="C01, C02-B1"/></label>
                    <label><input type="checkbox" name="person_lists" value="yes"/> " Person-level lists"</label>
                    <button type="submit">"Create"</button>
                </ActionForm>
                {move || add.value().get().map(|r| match r {
                    Ok(p) => view! {
                        <p class="note" role="status" data-testid="one-time-password">
                            "One-time password (shown once): " <code>{p}</code>
                        </p>
                    }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
                {move || disable.value().get().and_then(Result::err).map(|e| view! { <ErrorNote error=e/> })}
                {move || set_role.value().get().and_then(Result::err).map(|e| view! { <ErrorNote error=e/> })}
            </section>
            <Suspense fallback=|| view! { <p class="loading">"Loading accounts…"</p> }>
                {move || accounts.get().map(|r| match r {
                    Ok(list) => view! { <AccountTable list disable set_role/> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AccountTable(
    list: Vec<Account>,
    disable: ServerAction<DisableAccount>,
    set_role: ServerAction<SetAccountRole>,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|a| {
            let state = a.state();
            let v = a.viewer;
            let scope = v
                .scope
                .iter()
                .map(|s| s.code.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let options = Role::ALL
                .into_iter()
                .map(|r| view! { <option value=r.key() selected=r == v.role>{r.label()}</option> })
                .collect_view();
            let name = v.username.clone();
            let role_name = name.clone();
            view! {
                <tr data-testid=format!("account-{}", v.username)>
                    <td>{v.username.clone()}</td>
                    <td>{v.display_name.clone()}</td>
                    <td>
                        <ActionForm action=set_role attr:class="inline-form">
                            <input type="hidden" name="username" value=role_name/>
                            <select name="role" aria-label="Role">{options}</select>
                            <button type="submit">"Set"</button>
                        </ActionForm>
                    </td>
                    <td>{scope}</td>
                    <td>{if v.person_lists { "yes" } else { "no" }}</td>
                    <td>{state}</td>
                    <td>
                        {(!a.disabled).then(move || view! {
                            <ActionForm action=disable>
                                <input type="hidden" name="username" value=name/>
                                <button type="submit">"Disable"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="chart">
            <table class="units">
                <thead><tr>
                    <th scope="col">"Sign-in name"</th><th scope="col">"Name"</th><th scope="col">"Role"</th>
                    <th scope="col">"Scope"</th><th scope="col">"Person lists"</th><th scope="col">"State"</th><th scope="col"></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

use leptos::prelude::*;

use crate::api::session::get_me;

/// Who is signed in, their units, and sign-out. Sign-out is a plain form
/// post, so it works before hydration too.
#[component]
pub fn UserMenu() -> impl IntoView {
    let me = Resource::new(|| (), |()| get_me());
    view! {
        <Suspense fallback=|| ()>
            {move || me.get().and_then(Result::ok).map(|v| {
                let units = v
                    .scope
                    .iter()
                    .map(|s| {
                        let href = format!("/units/{}", s.code);
                        view! { <a href=href data-testid="my-unit">{s.code.clone()}</a> }
                    })
                    .collect_view();
                let data = v
                    .role
                    .sees_every_unit()
                    .then(|| view! { <a href="/data">"Data health"</a> });
                let admin = (v.role == domain::access::Role::Admin)
                    .then(|| view! { <a href="/admin/accounts">"Accounts"</a> <a href="/admin/audit">"Audit log"</a> });
                view! {
                    <nav aria-label="My units" class="my-units">
                        {(!v.scope.is_empty()).then_some("My units:")} {units} {data} {admin}
                    </nav>
                    <div class="user">
                        <span data-testid="signed-in-as">{v.display_name.clone()} " · " {v.role.label()}</span>
                        <form method="post" action="/auth/sign-out">
                            <button type="submit" data-testid="sign-out">"Sign out"</button>
                        </form>
                    </div>
                }
            })}
        </Suspense>
    }
}

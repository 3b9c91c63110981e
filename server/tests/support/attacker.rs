//! What one account can see on one day, gathered from every endpoint that
//! shows a cell (each unit's overview, its age band table for every
//! subject, its series, the unit tree, the waves) into the picture that
//! `domain::publication::attack` bounds. Gathering asserts on the way
//! that every endpoint shows each cell the same way, as the one decision
//! leaves it (or whole, to one who sees the unit whole).

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::{
    bands::BandTable,
    catalog::Subject,
    metrics::Counts,
    overview::{DailySeries, Overview},
    publication::{SubjectLinks, as_published, attack::Knowledge},
    rollup::{ALL_BANDS, BAND_SLOTS},
    unit_tree::UnitsView,
    wave::WaveProgress,
};

use super::TestApp;

/// One account's picture, with how many hidden cells (with someone
/// eligible) and banded counts it met.
pub struct Seen {
    pub knowledge: Knowledge,
    pub hidden: usize,
    pub banded: usize,
}

/// The links between the store's subjects, in the order of the pictures.
pub async fn links(app: &TestApp) -> SubjectLinks {
    SubjectLinks::of(&app.store.catalog().await.expect("catalog"))
}

pub async fn seen_by(app: &TestApp, account: &str, as_of: NaiveDate) -> Seen {
    let store = &app.store;
    let backend = store.backend();
    let units = store.units().await.expect("units");
    let catalog = store.catalog().await.expect("catalog");
    let subjects = catalog.subjects();
    let subject_at = |key: &str| {
        let s = Subject::parse(key).expect("a subject key");
        subjects
            .iter()
            .position(|&x| x == s)
            .expect("in the catalog")
    };
    let cookie = app.sign_in(account).await;
    let viewer = store.account(account).await.expect("account").viewer;
    // (unit code, band slot, subject) → what was shown.
    let mut seen: HashMap<(String, usize, usize), Option<Counts>> = HashMap::new();
    let mut show = |code: &str, slot: usize, s: usize, cell: Option<Counts>, from: &str| {
        let before = seen.insert((code.to_owned(), slot, s), cell);
        assert!(
            before.is_none_or(|b| b == cell),
            "{backend:?} {account}: {code} slot {slot} subject {s} is {before:?} on one view \
             and {cell:?} on {from}"
        );
    };
    let mut visible = Vec::new();
    for unit in units.iter() {
        let query = format!("unit={}&as_of={as_of}", unit.code);
        let reply = app.get(&format!("/api/overview?{query}"), &cookie).await;
        if matches!(reply.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
            continue;
        }
        let o: Overview = reply.json();
        visible.push(unit.clone());
        for k in &o.kpis {
            show(
                &unit.code,
                ALL_BANDS,
                subject_at(&k.subject),
                k.counts,
                "a tile",
            );
        }
        for row in &o.children {
            for (product, cell) in catalog.products().iter().zip(&row.cells) {
                let s = subject_at(&Subject::Product(product.id).key());
                show(&row.code, ALL_BANDS, s, *cell, "a unit row");
            }
        }
        for (s, subject) in subjects.iter().enumerate() {
            let key = subject.key();
            let table: BandTable = app
                .get(&format!("/api/bands?{query}&subject={key}"), &cookie)
                .await
                .json();
            for row in &table.rows {
                for (slot, cell) in row.cells.iter().enumerate() {
                    show(&row.code, slot, s, *cell, "the age band table");
                }
            }
            let series: DailySeries = app
                .get(&format!("/api/series?{query}&subject={key}"), &cookie)
                .await
                .json();
            let (day, cell) = series.days.last().copied().expect("the as-of point");
            assert_eq!(day, as_of);
            show(&unit.code, ALL_BANDS, s, cell, "the series");
        }
    }
    // The unit tree, every row open, for every subject: each row's cell as
    // every other view shows it.
    let open: Vec<&str> = visible.iter().map(|u| u.code.as_str()).collect();
    for (s, subject) in subjects.iter().enumerate() {
        let view: UnitsView = app
            .get(
                &format!(
                    "/api/units?as_of={as_of}&subject={}&open={}",
                    subject.key(),
                    open.join(",")
                ),
                &cookie,
            )
            .await
            .json();
        for row in &view.tree.rows {
            show(&row.code, ALL_BANDS, s, row.cell, "the unit tree");
        }
    }
    // The waves show each member's eligible count and target metric: only
    // where the cell is published, and the same.
    let waves: Vec<WaveProgress> = app
        .get(&format!("/api/waves?as_of={as_of}"), &cookie)
        .await
        .json();
    for wave in &waves {
        let s = subject_at(&wave.subject);
        for p in &wave.units {
            let cell = seen.get(&(p.code.clone(), ALL_BANDS, s)).copied().flatten();
            assert_eq!(p.eligible, cell.map(|c| c.eligible), "{account} {}", p.code);
            // Within a rounding of the JSON number.
            let expected = cell.and_then(|c| wave.target_metric.value(&c));
            assert!(
                match (p.current, expected) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-12,
                    (a, b) => a == b,
                },
                "{account} {}: {:?} against {expected:?}",
                p.code,
                p.current
            );
        }
    }
    // The attacker's picture: the units it saw, each under its nearest
    // visible ancestor.
    let index: HashMap<&str, usize> = visible
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.as_str(), i))
        .collect();
    let by_id: HashMap<_, _> = units.iter().map(|u| (u.id, u)).collect();
    let parent: Vec<Option<usize>> = visible
        .iter()
        .map(|u| {
            let mut at = u.parent.and_then(|p| by_id.get(&p));
            while let Some(p) = at {
                if let Some(&i) = index.get(p.code.as_str()) {
                    return Some(i);
                }
                at = p.parent.and_then(|q| by_id.get(&q));
            }
            None
        })
        .collect();
    let ids: Vec<_> = visible.iter().map(|u| u.id).collect();
    let truth_read = store
        .band_cells_on(&ids, &subjects, as_of)
        .await
        .expect("cells");
    // A holder of person-level lists sees the cells of the units it may
    // list as they are (`store::Sight`): in its scope, with no restricted
    // unit on their path or under them. Codes extend their parent's.
    let restricted_near = |code: &str| {
        units.iter().any(|r| {
            r.restricted
                && (r.code == code
                    || r.code.starts_with(&format!("{code}-"))
                    || code.starts_with(&format!("{}-", r.code)))
        })
    };
    let shown: Vec<bool> = visible
        .iter()
        .map(|u| {
            viewer.person_lists
                && viewer.scope.iter().any(|root| {
                    let root = &root.code;
                    (u.code == *root || u.code.starts_with(&format!("{root}-")))
                        && !restricted_near(&u.code)
                })
        })
        .collect();
    let n = subjects.len();
    let (mut hidden, mut banded) = (0, 0);
    let mut known = vec![None; visible.len() * BAND_SLOTS * n];
    let mut truth = vec![Counts::default(); visible.len() * BAND_SLOTS * n];
    for (u, unit) in visible.iter().enumerate() {
        for (s, subject) in subjects.iter().enumerate() {
            let bands = truth_read
                .get(&(unit.id, *subject))
                .copied()
                .unwrap_or_default();
            for (slot, cell) in bands.into_iter().enumerate() {
                let at = (u * BAND_SLOTS + slot) * n + s;
                truth[at] = cell;
                known[at] = seen.get(&(unit.code.clone(), slot, s)).copied().flatten();
                match known[at] {
                    // What is shown is the cell as published, or as it is
                    // to one who sees the unit whole.
                    Some(c) if shown[u] => assert_eq!(c, cell),
                    Some(c) => {
                        assert_eq!(c, as_published(cell), "{account} {}", unit.code);
                        banded += usize::from(c != cell);
                    }
                    None => hidden += usize::from(cell.eligible > 0),
                }
            }
        }
    }
    Seen {
        knowledge: Knowledge {
            parent,
            known,
            truth,
            shown,
        },
        hidden,
        banded,
    }
}

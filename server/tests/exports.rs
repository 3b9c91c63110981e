//! The exports against the force worked by hand (`support::hand_worked`),
//! read back with independent readers: the csv crate for CSV, calamine and
//! the zip container for the workbook, and poppler's `pdftotext` for the
//! board pack. Scope, refusals and the audit log, on both backends.

mod support;

use std::{io::Cursor, process::Command};

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use server::exports::CSV_TABLES;
use store::testing;
use support::{
    Reply, day,
    hand_worked::{ADMIN, COMMANDER, FORMULA, HandWorked, hand_worked},
};

/// Uses that make 28 Feb a day with every figure published: A's people
/// 1–5 on 27 Feb, B's 21–26 on 26 Feb. On 28 Feb: A is 20 eligible, 5
/// active in 7 and 28 days, 7 reached (1–5, and 16–17 on 20 Jan); B 20, 6,
/// 10 (with 31–34 on 1 Feb), 10; the force 40, 11, 15, 17. The 30 Mar
/// figures stay as `BASE_USES` says: the force 40, 17, 25, 31.
const FEBRUARY: &[(usize, usize, &str)] = &[(1, 5, "2026-02-27"), (21, 26, "2026-02-26")];

fn csv_rows(reply: &Reply) -> Vec<Vec<String>> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    csv::Reader::from_reader(reply.body.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

fn row<'a>(rows: &'a [Vec<String>], first: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.first().is_some_and(|c| c == first))
        .unwrap_or_else(|| panic!("no row {first} in {rows:?}"))
}

/// The text of a PDF as poppler reads it (one line per line of the page).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pack.pdf");
    std::fs::write(&path, pdf).expect("write the pack");
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/setup.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One space between words, whatever the layout put there.
    String::from_utf8(out.stdout)
        .expect("text")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn csvs_carry_the_figures_worked_by_hand_with_formulas_inert() {
    let fixture = hand_worked(testing::sqlite().await.expect("database"), &[]).await;
    let admin = fixture.sign_in(ADMIN).await;
    let app = &fixture.app;

    let reply = app
        .get("/exports/headline.csv?as_of=2026-03-30", &admin)
        .await;
    assert_eq!(
        reply.header("content-disposition"),
        Some("attachment; filename=\"uptake-headline-F-2026-03-30.csv\"")
    );
    let rows = csv_rows(&reply);
    // Eligible, active 7, active 28, reached, rate (%), change, complete.
    assert_eq!(
        row(&rows, "Microsoft 365")[1..6],
        ["40", "17", "25", "31", "62.5"]
    );

    let rows = csv_rows(&app.get("/exports/units.csv?as_of=2026-03-30", &admin).await);
    let a = row(&rows, "A");
    // The formula comes out as text, its first character an apostrophe.
    assert_eq!(a[1], format!("'{FORMULA}"));
    assert_eq!(a[2..], ["20", "15", "75.0"]);
    assert_eq!(row(&rows, "B")[2..], ["20", "10", "50.0"]);

    // The unit tree in the page's order: the force first, then its units
    // by rate one way or the other.
    for (dir, descending) in [("desc", true), ("asc", false)] {
        let rows = csv_rows(
            &app.get(
                &format!("/exports/unit-tree.csv?as_of=2026-03-30&sort=rate&dir={dir}"),
                &admin,
            )
            .await,
        );
        // Code, unit, parent, level, eligible, active, rate (%), …
        assert_eq!(rows[0][3], "0", "the root first: {rows:?}");
        let rates: Vec<f64> = rows[1..]
            .iter()
            .map(|r| r[6].parse().expect("a published rate"))
            .collect();
        let mut sorted = rates.clone();
        sorted.sort_by(|a, b| {
            if descending {
                b.total_cmp(a)
            } else {
                a.total_cmp(b)
            }
        });
        assert!(rates.len() > 1 && rates[0] != rates[1], "{rows:?}");
        assert_eq!(rates, sorted, "{dir}: {rows:?}");
    }

    // Every table answers, named by what, scope and day.
    for table in CSV_TABLES.iter().filter(|t| **t != "people") {
        let reply = app
            .get(&format!("/exports/{table}.csv?as_of=2026-03-30"), &admin)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{table}: {}", reply.body);
        assert_eq!(
            reply.header("content-disposition"),
            Some(format!("attachment; filename=\"uptake-{table}-F-2026-03-30.csv\"").as_str()),
        );
        assert!(!reply.body.contains("\n="), "{table}: {}", reply.body);
    }
    let reply = app.get("/exports/nothing.csv", &admin).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // A day that does not parse is the caller's to fix, said as every
    // refusal is.
    let reply = app.get("/exports/units.csv?as_of=2026-13-45", &admin).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let said: serde_json::Value = reply.json();
    assert!(
        said["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("the export's address does not read")),
        "{said}"
    );
}

#[tokio::test]
async fn the_workbook_holds_typed_cells_native_charts_and_inert_text() {
    let fixture = hand_worked(testing::sqlite().await.expect("database"), &[]).await;
    let admin = fixture.sign_in(ADMIN).await;
    let reply = fixture
        .app
        .get("/exports/workbook.xlsx?as_of=2026-03-30", &admin)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.header("content-disposition"),
        Some("attachment; filename=\"uptake-workbook-F-2026-03-30.xlsx\"")
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(reply.bytes.clone())).expect("an xlsx");
    let names = book.sheet_names();
    for sheet in ["Headline", "Units", "Trend (rate)", "Waves", "Definitions"] {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }
    let headline = book.worksheet_range("Headline").expect("headline");
    let m365 = headline
        .rows()
        .find(|r| r[0] == Data::String("Microsoft 365".into()))
        .expect("a Microsoft 365 row");
    // Numbers as numbers, the rate as a share (formatted as a percentage).
    assert_eq!(
        m365[1..6],
        [
            Data::Float(40.0),
            Data::Float(17.0),
            Data::Float(25.0),
            Data::Float(31.0),
            Data::Float(0.625)
        ]
    );
    let units = book.worksheet_range("Units").expect("units");
    let a = units
        .rows()
        .find(|r| r[0] == Data::String("A".into()))
        .expect("A");
    assert_eq!(a[1], Data::String(format!("'{FORMULA}")));
    assert_eq!(
        a[2..5],
        [Data::Float(20.0), Data::Float(15.0), Data::Float(0.75)]
    );
    // No cell anywhere is a formula.
    for name in &names {
        let formulas = book.worksheet_formula(name).expect("formulas");
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name} holds a formula"
        );
    }
    // Native charts for the trends, frozen header rows.
    let mut zip = zip::ZipArchive::new(Cursor::new(reply.bytes)).expect("a zip");
    let charts = (0..zip.len())
        .filter(|&i| {
            zip.by_index(i)
                .expect("entry")
                .name()
                .is_ok_and(|n| n.starts_with("xl/charts/chart"))
        })
        .count();
    assert_eq!(charts, 2, "a line chart per trend sheet");
    let mut part = |name: &str| {
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut xml).expect("xml");
        xml
    };
    // Days on a date axis by month, the legend under the plot.
    let chart = part("xl/charts/chart1.xml");
    assert!(chart.contains("<c:dateAx>"), "{chart}");
    assert!(
        chart.contains("<c:majorTimeUnit val=\"months\"/>"),
        "{chart}"
    );
    assert!(chart.contains("<c:legendPos val=\"b\"/>"), "{chart}");
    // Frozen, filtered, and printed landscape a page wide.
    let sheet1 = part("xl/worksheets/sheet1.xml");
    assert!(sheet1.contains("state=\"frozen\""), "{sheet1}");
    assert!(sheet1.contains("<autoFilter"), "{sheet1}");
    assert!(
        sheet1.contains("<pageSetUpPr fitToPage=\"1\"/>"),
        "{sheet1}"
    );
    assert!(sheet1.contains("orientation=\"landscape\""), "{sheet1}");
}

/// Two packs a month apart on each backend: the second says what changed
/// since the first, as the fixture's differences; both are stored, and the
/// first comes again byte for byte.
#[tokio::test]
async fn packs_a_month_apart_say_what_changed_and_come_again_unchanged() {
    for db in testing::both().await.expect("databases") {
        let fixture: HandWorked = hand_worked(db, FEBRUARY).await;
        let admin = fixture.sign_in(ADMIN).await;
        let app = &fixture.app;

        let first = app
            .get("/exports/board-pack.pdf?as_of=2026-02-28", &admin)
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.header("content-type"), Some("application/pdf"));
        assert_eq!(
            first.header("content-disposition"),
            Some("attachment; filename=\"uptake-board-pack-F-2026-02-28.pdf\"")
        );
        let text = pdf_text(&first.bytes);
        assert!(
            text.contains(
                "Microsoft 365: 37.5% of the 40 eligible were active in the last 28 days"
            ),
            "{text}"
        );
        // No earlier pack: against 28 days before (31 Jan), when so few
        // were active that the counts are banded and the change reads –.
        assert!(text.contains("there is no earlier pack"), "{text}");
        // 31 Jan is compared with by its KPIs alone: the days its own
        // tiles would compare with (24 and 3 Jan) were not decided for it
        // (seconds a day at force scale).
        let days = [day("2026-01-24"), day("2026-01-03")];
        let found = fixture
            .app
            .store
            .published_days(&days, false)
            .await
            .expect("days");
        let decided: Vec<_> = days
            .iter()
            .zip(&found)
            .filter_map(|(d, p)| p.as_ref().map(|_| d))
            .collect();
        assert!(decided.is_empty(), "decided for the pack: {decided:?}");

        let second = app
            .get("/exports/board-pack.pdf?as_of=2026-03-30", &admin)
            .await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let text = pdf_text(&second.bytes);
        // 15 → 25 of 40 active: 37.5% → 62.5%, up 25.0 points; reached
        // 17 → 31.
        assert!(
            text.contains(
                "Microsoft 365: 62.5% of the 40 eligible were active in the last 28 days, up 25.0 points since the pack of 28 Feb 2026; 31 reached (+14)."
            ),
            "{text}"
        );
        // The headline table: eligible no change, active +10, reached +14.
        assert!(
            text.contains("Microsoft 365 40 no change 25 +10 62.5% +25.0 pts 31 +14"),
            "{text}"
        );
        // The cover, the methods, and the unit named as a formula in
        // plain text, with no link in the file.
        for words in [
            "Uptake board pack",
            "As of 30 Mar 2026",
            "Data freshness",
            "Methods and definitions",
            "Adoption rate Active in the last 28 days ÷ eligible.",
            "[c] marks a hidden figure.",
            FORMULA,
        ] {
            assert!(text.contains(words), "{words} in {text}");
        }
        assert!(!String::from_utf8_lossy(&second.bytes).contains("/URI"));

        // Both are stored; the first again is the same bytes.
        let packs = fixture.app.store.packs().await.expect("packs");
        assert_eq!(packs.len(), 2, "{packs:?}");
        let again = app
            .get("/exports/board-pack.pdf?as_of=2026-02-28", &admin)
            .await;
        assert_eq!(again.bytes, first.bytes);
        let stored = packs
            .iter()
            .find(|p| p.as_of.to_string() == "2026-02-28")
            .expect("first");
        let reply = app
            .get(&format!("/exports/board-packs/{}.pdf", stored.id), &admin)
            .await;
        assert_eq!(reply.bytes, first.bytes);
        assert_eq!(fixture.app.store.packs().await.expect("packs").len(), 2);
        // A stored pack cannot be changed.
        let (update, delete) =
            testing::edit_read_only(&fixture.app.store, "board_pack", "figures = '{}'").await;
        assert!(update.is_err() && delete.is_err(), "{update:?} {delete:?}");
    }
}

/// A commander's exports hold their command (and the force for
/// comparison) and nothing else; other units, person lists and the
/// force's packs are refused; every export is in the audit log.
#[tokio::test]
async fn a_commanders_exports_hold_only_their_scope() {
    let fixture = hand_worked(testing::sqlite().await.expect("database"), &[]).await;
    let admin = fixture.sign_in(ADMIN).await;
    let commander = fixture.sign_in(COMMANDER).await;
    let app = &fixture.app;

    for table in CSV_TABLES {
        let own = app
            .get(
                &format!("/exports/{table}.csv?unit=A&as_of=2026-03-30"),
                &commander,
            )
            .await;
        let other = app
            .get(
                &format!("/exports/{table}.csv?unit=B&as_of=2026-03-30"),
                &commander,
            )
            .await;
        if *table == "people" {
            // No person-level list permission.
            assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
            assert!(own.body.contains("person-level lists"), "{}", own.body);
        } else {
            assert_eq!(own.status, StatusCode::OK, "{table}: {}", own.body);
            assert_eq!(own.header("x-uptake-access"), Some("unit:A"), "{table}");
            assert!(!own.body.contains("Unit B"), "{table}: {}", own.body);
        }
        assert_eq!(
            other.status,
            StatusCode::FORBIDDEN,
            "{table}: {}",
            other.body
        );
    }
    for path in [
        "/exports/workbook.xlsx?unit=B",
        "/exports/board-pack.pdf?unit=B",
        // The force, which they see for comparison only.
        "/exports/workbook.xlsx?unit=F",
        "/exports/board-pack.pdf?unit=F",
    ] {
        let reply = app.get(path, &commander).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.body
        );
    }

    // The commander's pack is of A by default, with the force beside it.
    let pack = app
        .get("/exports/board-pack.pdf?as_of=2026-03-30", &commander)
        .await;
    assert_eq!(pack.status, StatusCode::OK, "{}", pack.body);
    assert_eq!(
        pack.header("content-disposition"),
        Some("attachment; filename=\"uptake-board-pack-A-2026-03-30.pdf\"")
    );
    let text = pdf_text(&pack.bytes);
    assert!(text.contains("The force, for comparison"), "{text}");
    assert!(!text.contains("Unit B"), "{text}");
    let workbook = app.get("/exports/workbook.xlsx", &commander).await;
    assert_eq!(workbook.status, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(workbook.bytes)).expect("an xlsx");
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("sheet");
        assert!(
            range
                .used_cells()
                .all(|(_, _, c)| c != &Data::String("Unit B".into())),
            "{name}"
        );
    }

    // The force's pack, made by the admin, is not there for the commander.
    let force = app
        .get("/exports/board-pack.pdf?as_of=2026-03-30", &admin)
        .await;
    assert_eq!(force.status, StatusCode::OK);
    let packs = app.store.packs().await.expect("packs");
    let force_pack = packs
        .iter()
        .find(|p| p.scope == "F")
        .expect("the force's pack");
    let reply = app
        .get(
            &format!("/exports/board-packs/{}.pdf", force_pack.id),
            &commander,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // Every export, refused or not, named in the audit log by what, scope
    // and day.
    let log = app.store.audit_log(1000).await.expect("audit log");
    let exported: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "exported" && e.actor == COMMANDER)
        .map(|e| e.detail.as_str())
        .collect();
    assert!(
        exported.contains(&"CSV uptake-units-A-2026-03-30.csv"),
        "{exported:?}"
    );
    assert!(
        exported.contains(&"PDF uptake-board-pack-A-2026-03-30.pdf"),
        "{exported:?}"
    );
    assert!(
        exported
            .iter()
            .any(|d| d.starts_with("XLSX uptake-workbook-A-")),
        "{exported:?}"
    );
}

/// The monthly packs: due on their day, published once a month per scope
/// even by two servers at once (the job lock), written to the folder.
#[tokio::test]
async fn monthly_packs_are_published_once_by_one_server() {
    use server::{exports::pack::Monthly, scheduler};

    for db in testing::both().await.expect("databases") {
        let fixture = hand_worked(db, &[]).await;
        let store = &fixture.app.store;
        let dir = tempfile::tempdir().expect("temp dir");
        let monthly = Monthly {
            dir: dir.path().to_owned(),
            day: 1,
            units: vec!["A".into()],
        };
        let zone = chrono_tz::Europe::London;
        let run = || {
            scheduler::exclusive(store, scheduler::BOARD_PACK_JOB, || async {
                monthly
                    .run(store, zone)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
        };
        let (one, two) = tokio::join!(run(), run());
        let written: usize = [one, two].into_iter().flatten().map(|f| f.len()).sum();
        assert_eq!(written, 2, "the force's pack and A's, once");
        let mut files: Vec<String> = std::fs::read_dir(dir.path())
            .expect("folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(
            files,
            [
                "uptake-board-pack-A-2026-03-30.pdf",
                "uptake-board-pack-F-2026-03-30.pdf"
            ]
        );
        // Once this month: a later look publishes nothing.
        assert!(run().await.expect("a later look").is_empty());
        let packs = store.packs().await.expect("packs");
        assert_eq!(packs.len(), 2);
        assert!(packs.iter().all(|p| p.made_by == "scheduler"), "{packs:?}");
        let text = pdf_text(&std::fs::read(dir.path().join(&files[1])).expect("pack"));
        assert!(text.contains("by scheduler"), "{text}");
    }
}

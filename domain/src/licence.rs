//! Licence status and last-seen dates: what Microsoft 365 says of each
//! person apart from their counted use. The active-user report gives each
//! tool's licence and last activity; the detail reports give the last
//! activity too. Neither is ever activity.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::{
    activity::{Identity, IdentityResolver},
    catalog::{Catalog, ToolId},
    graph::{LicenceRow, Report, ReportRow},
    people::StaffId,
};

/// A person's licence for a tool, in the latest active-user report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StaffLicence {
    pub staff: StaffId,
    pub tool: ToolId,
    pub assigned: Option<NaiveDate>,
}

/// The last day a vendor saw a person in a tool, counted use or not. The
/// stored date only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LastSeen {
    pub staff: StaffId,
    pub tool: ToolId,
    pub day: NaiveDate,
}

/// One active-user report, matched to the roster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenceBatch {
    pub licences: Vec<StaffLicence>,
    pub seen: Vec<LastSeen>,
    /// The report's rows, and how many of them were deleted accounts,
    /// names nobody on the roster has, and external or service accounts.
    pub rows: u64,
    pub deleted: u64,
    pub unmatched: u64,
    pub external: u64,
}

impl LicenceBatch {
    /// Matches the report's rows to staff; `tools` are the registered tools
    /// in the order of `Report::ALL`. A person with two names on the report
    /// (an old and a new domain) holds a licence if either does, from the
    /// earlier assign date, and was last seen on the later day. Concealed
    /// names are never attributed.
    pub fn resolve(resolver: &IdentityResolver, tools: [ToolId; 4], rows: &[LicenceRow]) -> Self {
        let mut batch = Self {
            rows: rows.len() as u64,
            ..Self::default()
        };
        let mut licences: BTreeMap<(StaffId, ToolId), Option<NaiveDate>> = BTreeMap::new();
        let mut seen = Seen::default();
        for row in rows {
            let staff = match resolver.resolve(&row.user) {
                Identity::Staff(staff) => staff,
                Identity::External => {
                    batch.external += 1;
                    continue;
                }
                Identity::Unmatched | Identity::Concealed => {
                    batch.unmatched += 1;
                    continue;
                }
            };
            batch.deleted += u64::from(row.deleted);
            for (status, tool) in row.tools.iter().zip(tools) {
                if let Some(day) = status.last_activity {
                    seen.add(staff, tool, day);
                }
                if status.licensed {
                    licences
                        .entry((staff, tool))
                        .and_modify(|a| *a = earliest(*a, status.assigned))
                        .or_insert(status.assigned);
                }
            }
        }
        batch.licences = licences
            .into_iter()
            .map(|((staff, tool), assigned)| StaffLicence {
                staff,
                tool,
                assigned,
            })
            .collect();
        batch.seen = seen.into_rows();
        batch
    }
}

/// The last-seen dates in one report day's rows (`Last Activity Date`),
/// for staff only. A row that counts use on the report's day says nothing
/// new with a date on or before it (its counted use is already the later
/// day), so only the other rows are kept.
pub fn report_last_seen(
    resolver: &IdentityResolver,
    tool: ToolId,
    day: NaiveDate,
    rows: &[ReportRow],
) -> Vec<LastSeen> {
    let mut seen = Seen::default();
    for row in rows {
        let Some(last) = row.last_activity else {
            continue;
        };
        if row.actions > 0 && last <= day {
            continue;
        }
        if let Identity::Staff(staff) = resolver.resolve(&row.user) {
            seen.add(staff, tool, last);
        }
    }
    seen.into_rows()
}

/// The registered tools for the four reports, in the order of `Report::ALL`,
/// or the first report whose tool is missing.
pub fn report_tools(catalog: &Catalog) -> Result<[ToolId; 4], Report> {
    let mut out = [ToolId(0); 4];
    for (slot, report) in out.iter_mut().zip(Report::ALL) {
        *slot = catalog.tool_by_name(report.tool()).ok_or(report)?.id;
    }
    Ok(out)
}

/// The latest day per person and tool.
#[derive(Default)]
struct Seen(BTreeMap<(StaffId, ToolId), NaiveDate>);

impl Seen {
    fn add(&mut self, staff: StaffId, tool: ToolId, day: NaiveDate) {
        self.0
            .entry((staff, tool))
            .and_modify(|d| *d = (*d).max(day))
            .or_insert(day);
    }

    fn into_rows(self) -> Vec<LastSeen> {
        self.0
            .into_iter()
            .map(|((staff, tool), day)| LastSeen { staff, tool, day })
            .collect()
    }
}

fn earliest(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{ToolStatus, licences};

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    const TOOLS: [ToolId; 4] = [ToolId(2), ToolId(3), ToolId(4), ToolId(5)];

    fn resolver() -> IdentityResolver {
        IdentityResolver::new([
            ("ann@force.police.uk".to_owned(), StaffId(1)),
            ("bob@force.police.uk".to_owned(), StaffId(2)),
        ])
        .with_domain_alias("old.police.uk", "force.police.uk")
        .with_external_domain("cps.gov.uk")
    }

    fn row(user: &str, licensed: [bool; 4], assigned: &str, last: [Option<&str>; 4]) -> LicenceRow {
        let mut tools = Report::ALL.map(|report| ToolStatus {
            report,
            licensed: false,
            assigned: None,
            last_activity: None,
        });
        for (i, t) in tools.iter_mut().enumerate() {
            t.licensed = licensed[i];
            t.assigned = t.licensed.then(|| day(assigned));
            t.last_activity = last[i].map(day);
        }
        LicenceRow {
            user: user.to_owned(),
            deleted: false,
            refreshed: None,
            tools,
        }
    }

    #[test]
    fn two_names_for_one_person_merge_and_strangers_are_counted_apart() {
        let rows = [
            row(
                "Ann@force.police.uk",
                [true, false, false, true],
                "2025-06-01",
                [Some("2026-03-01"), None, None, Some("2026-02-01")],
            ),
            row(
                "ann@old.police.uk",
                [false, true, false, true],
                "2024-01-01",
                [Some("2026-02-20"), None, None, Some("2026-03-02")],
            ),
            row("bob@force.police.uk", [false; 4], "2025-01-01", [None; 4]),
            row("clerk@cps.gov.uk", [true; 4], "2025-01-01", [None; 4]),
            row("nobody@force.police.uk", [true; 4], "2025-01-01", [None; 4]),
            row(
                "0123456789abcdef0123456789abcdef",
                [true; 4],
                "2025-01-01",
                [Some("2026-03-01"); 4],
            ),
        ];
        let batch = LicenceBatch::resolve(&resolver(), TOOLS, &rows);
        assert_eq!((batch.rows, batch.unmatched, batch.external), (6, 2, 1));
        assert_eq!(
            batch.licences,
            vec![
                StaffLicence {
                    staff: StaffId(1),
                    tool: ToolId(2),
                    assigned: Some(day("2025-06-01"))
                },
                StaffLicence {
                    staff: StaffId(1),
                    tool: ToolId(3),
                    assigned: Some(day("2024-01-01"))
                },
                StaffLicence {
                    staff: StaffId(1),
                    tool: ToolId(5),
                    assigned: Some(day("2024-01-01"))
                },
            ]
        );
        assert_eq!(
            batch.seen,
            vec![
                LastSeen {
                    staff: StaffId(1),
                    tool: ToolId(2),
                    day: day("2026-03-01")
                },
                LastSeen {
                    staff: StaffId(1),
                    tool: ToolId(5),
                    day: day("2026-03-02")
                },
            ]
        );
    }

    #[test]
    fn a_deleted_accounts_row_holds_no_licence() {
        let file = "User Principal Name,Is Deleted,Has Teams License,Has OneDrive License,Has SharePoint License,Has Exchange License\n\
                    bob@force.police.uk,True,True,True,True,True\n";
        let rows: Vec<LicenceRow> = licences(file.as_bytes())
            .expect("header")
            .collect::<Result<_, _>>()
            .expect("rows");
        let batch = LicenceBatch::resolve(&resolver(), TOOLS, &rows);
        assert_eq!(batch.deleted, 1);
        assert!(batch.licences.is_empty());
    }

    #[test]
    fn detail_reports_give_last_seen_for_staff_beyond_their_counted_use() {
        let rows = [
            ReportRow {
                user: "ann@force.police.uk".into(),
                actions: 0,
                last_activity: Some(day("2026-02-27")),
                period_days: Some(1),
            },
            ReportRow {
                user: "stranger@force.police.uk".into(),
                actions: 3,
                last_activity: Some(day("2026-03-01")),
                period_days: Some(1),
            },
            ReportRow {
                user: "bob@force.police.uk".into(),
                actions: 0,
                last_activity: None,
                period_days: Some(1),
            },
            // Counted use on the day already says as much.
            ReportRow {
                user: "bob@force.police.uk".into(),
                actions: 4,
                last_activity: Some(day("2026-03-01")),
                period_days: Some(1),
            },
        ];
        assert_eq!(
            report_last_seen(&resolver(), ToolId(2), day("2026-03-01"), &rows),
            vec![LastSeen {
                staff: StaffId(1),
                tool: ToolId(2),
                day: day("2026-02-27")
            }]
        );
    }
}

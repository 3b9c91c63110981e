//! Microsoft Graph usage reports: which report feeds which tool, which of
//! its columns count as use, and a streaming parser for its per-user detail
//! CSV (as the API's download gives it, or as saved from the admin centre).
//!
//! One row of the report for `date=D` is one person's day D. It counts as
//! use only if the sum of its counted action columns is above 0; passive
//! columns (Exchange's Receive Count) and `Last Activity Date` never do.

use std::io::Read;

use chrono::NaiveDate;

use crate::formats::{self, Column, FormatError, Rows};

/// What a source of day-by-day reports covers, from each report's stored
/// days (oldest first): from the first day any report has, through the last
/// day that every report has, with every day before it from its own first
/// day. A day missing from one report is never read as nobody active, so
/// coverage stops before the first gap; `None` until every report has a day.
pub fn report_coverage(days: &[Vec<NaiveDate>]) -> Option<(NaiveDate, NaiveDate)> {
    let mut first: Option<NaiveDate> = None;
    let mut through: Option<NaiveDate> = None;
    for report in days {
        let start = *report.first()?;
        let mut end = start;
        for &day in &report[1..] {
            if day == end {
                continue;
            }
            if Some(day) != end.succ_opt() {
                break;
            }
            end = day;
        }
        first = Some(first.map_or(start, |f| f.min(start)));
        through = Some(through.map_or(end, |t| t.min(end)));
    }
    first.zip(through)
}

/// A per-user detail report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Report {
    Teams,
    OneDrive,
    SharePoint,
    Exchange,
}

impl Report {
    pub const ALL: [Report; 4] = [
        Report::Teams,
        Report::OneDrive,
        Report::SharePoint,
        Report::Exchange,
    ];

    /// The Graph function, as in `GET /v1.0/reports/<function>(date=…)`.
    pub fn function(self) -> &'static str {
        match self {
            Report::Teams => "getTeamsUserActivityUserDetail",
            Report::OneDrive => "getOneDriveActivityUserDetail",
            Report::SharePoint => "getSharePointActivityUserDetail",
            Report::Exchange => "getEmailActivityUserDetail",
        }
    }

    /// The tool the report's activity belongs to (see `catalog::M365_TOOLS`).
    pub fn tool(self) -> &'static str {
        match self {
            Report::Teams => "Teams",
            Report::OneDrive => "OneDrive",
            Report::SharePoint => "SharePoint",
            Report::Exchange => "Exchange",
        }
    }

    pub fn for_tool(tool: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.tool().eq_ignore_ascii_case(tool))
    }

    /// The columns whose sum is the day's counted actions.
    pub fn counted_columns(self) -> &'static [&'static str] {
        match self {
            Report::Teams => &[
                "Team Chat Message Count",
                "Private Chat Message Count",
                "Call Count",
                "Meeting Count",
                "Post Messages",
                "Reply Messages",
            ],
            Report::OneDrive => &[
                "Viewed Or Edited File Count",
                "Synced File Count",
                "Shared Internally File Count",
                "Shared Externally File Count",
            ],
            Report::SharePoint => &[
                "Viewed Or Edited File Count",
                "Synced File Count",
                "Shared Internally File Count",
                "Shared Externally File Count",
                "Visited Page Count",
            ],
            Report::Exchange => &[
                "Send Count",
                "Read Count",
                "Meeting Created Count",
                "Meeting Interacted Count",
            ],
        }
    }

    /// Teams adds one action when `Has Other Action` is Yes.
    fn has_other_action(self) -> bool {
        self == Report::Teams
    }
}

/// One person's row of a one-day report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub user: String,
    /// The sum of the counted action columns.
    pub actions: i64,
    pub last_activity: Option<NaiveDate>,
    /// `Report Period`, when the file has it: 1 for a one-day report.
    pub period_days: Option<u32>,
}

const USER: &[&str] = &["User Principal Name"];
const LAST_ACTIVITY: &[&str] = &["Last Activity Date"];
const PERIOD: &[&str] = &["Report Period"];
const OTHER_ACTION: &[&str] = &["Has Other Action"];

/// Streams a report's rows. Columns are found by header name, unknown ones
/// are ignored, and a missing counted column refuses the file.
pub fn rows<R: Read>(report: Report, input: R) -> Result<Rows<R, ReportRow>, FormatError> {
    let counted = report.counted_columns();
    let mut columns = vec![
        Column::required(USER),
        Column::optional(LAST_ACTIVITY),
        Column::optional(PERIOD),
        Column {
            names: OTHER_ACTION,
            required: report.has_other_action(),
        },
    ];
    columns.extend(
        counted
            .iter()
            .map(|c| Column::required(std::slice::from_ref(c))),
    );
    formats::open(input, &columns, move |f| {
        let user = f[0];
        if user.is_empty() {
            return Err("User Principal Name is empty".to_owned());
        }
        let mut actions = 0i64;
        for (name, field) in counted.iter().zip(&f[4..]) {
            actions = actions.saturating_add(formats::count(field, name)?);
        }
        if yes_no(f[3], "Has Other Action")? {
            actions = actions.saturating_add(1);
        }
        let last_activity = optional_date(f[1], "Last Activity Date")?;
        let period_days = if f[2].is_empty() {
            None
        } else {
            Some(
                f[2].parse()
                    .map_err(|_| format!("Report Period '{}' is not a number of days", f[2]))?,
            )
        };
        Ok(ReportRow {
            user: user.to_owned(),
            actions,
            last_activity,
            period_days,
        })
    })
}

/// Microsoft 365 active users: for each person, whether they hold a licence
/// for each tool, since when, and the last day each tool saw them. It feeds
/// licence status and last-seen dates, never activity.
pub const LICENCE_FUNCTION: &str = "getOffice365ActiveUserDetail";

impl Report {
    /// The tool's columns in the active-user report: its licence flag, its
    /// last activity date and its licence assign date.
    fn licence_columns(self) -> [&'static [&'static str]; 3] {
        match self {
            Report::Teams => [
                &["Has Teams License"],
                &["Teams Last Activity Date"],
                &["Teams License Assign Date"],
            ],
            Report::OneDrive => [
                &["Has OneDrive License"],
                &["OneDrive Last Activity Date"],
                &["OneDrive License Assign Date"],
            ],
            Report::SharePoint => [
                &["Has SharePoint License"],
                &["SharePoint Last Activity Date"],
                &["SharePoint License Assign Date"],
            ],
            Report::Exchange => [
                &["Has Exchange License"],
                &["Exchange Last Activity Date"],
                &["Exchange License Assign Date"],
            ],
        }
    }
}

/// What the active-user report says of one person in one tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolStatus {
    pub report: Report,
    pub licensed: bool,
    pub assigned: Option<NaiveDate>,
    pub last_activity: Option<NaiveDate>,
}

/// One person's row of the active-user report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceRow {
    pub user: String,
    /// A deleted (or soft-deleted) account holds no licence.
    pub deleted: bool,
    /// `Report Refresh Date`: the day the report is for.
    pub refreshed: Option<NaiveDate>,
    /// One per tool, in the order of `Report::ALL`.
    pub tools: [ToolStatus; 4],
}

const DELETED: &[&str] = &["Is Deleted"];
const REFRESHED: &[&str] = &["Report Refresh Date"];

/// Streams the active-user report's rows, found by header name like the
/// detail reports. Each tool's licence column is required.
pub fn licences<R: Read>(input: R) -> Result<Rows<R, LicenceRow>, FormatError> {
    let mut columns = vec![
        Column::required(USER),
        Column::optional(DELETED),
        Column::optional(REFRESHED),
    ];
    for report in Report::ALL {
        let [flag, last, assigned] = report.licence_columns();
        columns.extend([
            Column::required(flag),
            Column::optional(last),
            Column::optional(assigned),
        ]);
    }
    formats::open(input, &columns, |f| {
        let user = f[0];
        if user.is_empty() {
            return Err("User Principal Name is empty".to_owned());
        }
        let deleted = yes_no(f[1], "Is Deleted")?;
        let mut tools = Report::ALL.map(|report| ToolStatus {
            report,
            licensed: false,
            assigned: None,
            last_activity: None,
        });
        for (i, status) in tools.iter_mut().enumerate() {
            let [flag, last, assigned] = status.report.licence_columns();
            let at = 3 + 3 * i;
            status.licensed = yes_no(f[at], flag[0])? && !deleted;
            status.last_activity = optional_date(f[at + 1], last[0])?;
            status.assigned = optional_date(f[at + 2], assigned[0])?;
        }
        Ok(LicenceRow {
            user: user.to_owned(),
            deleted,
            refreshed: optional_date(f[2], "Report Refresh Date")?,
            tools,
        })
    })
}

/// A True/False (or Yes/No) column; empty reads as false.
fn yes_no(field: &str, column: &str) -> Result<bool, String> {
    match field.to_ascii_lowercase().as_str() {
        "" | "no" | "false" => Ok(false),
        "yes" | "true" => Ok(true),
        other => Err(format!("{column} '{other}' is not True or False")),
    }
}

fn optional_date(field: &str, column: &str) -> Result<Option<NaiveDate>, String> {
    if field.is_empty() {
        Ok(None)
    } else {
        formats::date(field, column).map(Some)
    }
}

/// Graph's user ids when names are concealed.
pub const ZERO_USER_ID: &str = "00000000-0000-0000-0000-000000000000";

/// What the admin must do when the tenant conceals user names in reports.
pub const CONCEALED_ADVICE: &str = "Microsoft 365 is concealing user names in its usage reports, so no row can be matched to the roster and none has been counted. A Global Administrator can turn this off: Microsoft 365 admin centre > Settings > Org settings > Services > Reports, and clear 'Display concealed user, group, and site names in all reports'. Then run the sync again, or download the report again and import it.";

/// A report whose user names are concealed: refused whole, by the
/// connector and by a file import alike, with [`CONCEALED_ADVICE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{CONCEALED_ADVICE}")]
pub struct Concealed;

#[cfg(test)]
mod tests {
    use super::*;

    /// The column order of a real one-day Teams user detail download.
    const TEAMS: &str = "\u{feff}Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Meetings Organized Count,Meetings Attended Count,Ad Hoc Meetings Organized Count,Ad Hoc Meetings Attended Count,Scheduled One-time Meetings Organized Count,Scheduled One-time Meetings Attended Count,Scheduled Recurring Meetings Organized Count,Scheduled Recurring Meetings Attended Count,Audio Duration In Seconds,Video Duration In Seconds,Screen Share Duration In Seconds,Has Other Action,Urgent Messages,Post Messages,Tenant Display Name,Shared Channel Tenant Display Names,Reply Messages,Is Licensed,Report Period\r\n\
        2026-03-03,6f0c…,Ann.Smith@force.police.uk,2026-03-01,False,,MICROSOFT 365 E5,2,3,0,1,0,1,0,0,0,0,0,0,600,0,0,No,0,1,Force,,0,Yes,1\r\n\
        2026-03-03,7a1d…,bob@force.police.uk,2026-02-20,False,,MICROSOFT 365 E5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,Yes,0,0,Force,,0,Yes,1\r\n\
        2026-03-03,8b2e…,cat@force.police.uk,,False,,MICROSOFT 365 E5,0,0,0,0,5,5,0,0,0,0,0,0,3600,0,0,No,0,0,Force,,0,Yes,1\r\n";

    #[test]
    fn coverage_runs_through_the_last_day_every_report_has_without_a_gap() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        let days = |v: &[&str]| v.iter().map(|s| d(s)).collect::<Vec<_>>();
        // Teams has a file for the 27th but nothing for the 25th and 26th;
        // the others end on the 24th: coverage ends on the 24th.
        let reports = [
            days(&["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-27"]),
            days(&["2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]),
        ];
        assert_eq!(
            report_coverage(&reports),
            Some((d("2026-11-21"), d("2026-11-24")))
        );
        // The gap filled: through the 27th if every report has it.
        let filled = [
            days(&["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
            days(&["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
        ];
        assert_eq!(
            report_coverage(&filled),
            Some((d("2026-11-24"), d("2026-11-27")))
        );
        // A report with no day yet: no coverage.
        assert_eq!(report_coverage(&[days(&["2026-11-24"]), vec![]]), None);
    }

    #[test]
    fn teams_rows_sum_the_counted_columns_and_other_action() {
        let rows: Vec<ReportRow> = rows(Report::Teams, TEAMS.as_bytes())
            .expect("header")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 3);
        // 2 + 3 + 0 + 1 + 1 post + 0 replies.
        assert_eq!(rows[0].actions, 7);
        assert_eq!(rows[0].user, "Ann.Smith@force.police.uk");
        assert_eq!(rows[0].period_days, Some(1));
        // Has Other Action only.
        assert_eq!(rows[1].actions, 1);
        // Meetings organised and attended, and durations, are not counted
        // columns; Meeting Count is 0, so this day is not use.
        assert_eq!(rows[2].actions, 0);
        assert_eq!(rows[2].last_activity, None);
    }

    #[test]
    fn exchange_receive_count_is_passive() {
        let file = "Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Last Activity Date,Send Count,Receive Count,Read Count,Meeting Created Count,Meeting Interacted Count,Assigned Products,Report Period\n\
                    2026-03-03,a@force.police.uk,A,False,,2026-03-01,0,250,0,0,0,E5,1\n\
                    2026-03-03,b@force.police.uk,B,False,,2026-03-01,1,10,4,0,2,E5,1\n";
        let rows: Vec<ReportRow> = rows(Report::Exchange, file.as_bytes())
            .expect("header")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!((rows[0].actions, rows[1].actions), (0, 7));
    }

    #[test]
    fn sharepoint_counts_visited_pages_and_onedrive_does_not_need_them() {
        let header = "Report Refresh Date,User Principal Name,Is Deleted,Deleted Date,Last Activity Date,Viewed Or Edited File Count,Synced File Count,Shared Internally File Count,Shared Externally File Count,Visited Page Count,Assigned Products,Report Period\n";
        let row = "2026-03-03,a@force.police.uk,False,,2026-03-02,1,0,0,0,4,E5,1\n";
        let file = format!("{header}{row}");
        let sp: Vec<_> = rows(Report::SharePoint, file.as_bytes())
            .expect("header")
            .collect();
        let od: Vec<_> = rows(Report::OneDrive, file.as_bytes())
            .expect("header")
            .collect();
        assert_eq!(sp[0].as_ref().expect("row").actions, 5);
        assert_eq!(od[0].as_ref().expect("row").actions, 1);
    }

    #[test]
    fn the_reports_follow_the_catalogs_tool_order() {
        assert_eq!(Report::ALL.map(Report::tool), crate::catalog::M365_TOOLS);
    }

    /// The column order of a real active-user download.
    const ACTIVE_USERS: &str = "\u{feff}Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Has Exchange License,Has OneDrive License,Has SharePoint License,Has Skype For Business License,Has Yammer License,Has Teams License,Exchange Last Activity Date,OneDrive Last Activity Date,SharePoint Last Activity Date,Skype For Business Last Activity Date,Yammer Last Activity Date,Teams Last Activity Date,Exchange License Assign Date,OneDrive License Assign Date,SharePoint License Assign Date,Skype For Business License Assign Date,Yammer License Assign Date,Teams License Assign Date,Assigned Products\r\n\
        2026-03-03,ann@force.police.uk,Ann,False,,True,True,True,False,True,False,2026-03-02,,2026-02-11,,,,2025-06-01,2025-06-01,2025-06-01,,2025-06-01,,MICROSOFT 365 E3\r\n\
        2026-03-03,old@force.police.uk,Old,True,2026-02-01,True,True,True,False,False,True,,,,,,2026-01-20,2024-01-01,2024-01-01,2024-01-01,,,2024-01-01,MICROSOFT 365 E5\r\n";

    #[test]
    fn licence_rows_read_each_tools_flag_dates_and_deletion() {
        let rows: Vec<LicenceRow> = licences(ACTIVE_USERS.as_bytes())
            .expect("header")
            .collect::<Result<_, _>>()
            .expect("rows");
        let ann = &rows[0];
        assert_eq!(ann.refreshed, "2026-03-03".parse().ok());
        let by = |r: &LicenceRow, report| {
            *r.tools
                .iter()
                .find(|t| t.report == report)
                .expect("every tool")
        };
        let teams = by(ann, Report::Teams);
        assert!(!teams.licensed && teams.last_activity.is_none());
        let exchange = by(ann, Report::Exchange);
        assert!(exchange.licensed);
        assert_eq!(exchange.last_activity, "2026-03-02".parse().ok());
        assert_eq!(exchange.assigned, "2025-06-01".parse().ok());
        assert_eq!(
            by(ann, Report::SharePoint).last_activity,
            "2026-02-11".parse().ok()
        );
        // A deleted account holds nothing, whatever its flags say.
        let old = &rows[1];
        assert!(old.deleted);
        assert!(old.tools.iter().all(|t| !t.licensed));
        assert_eq!(
            by(old, Report::Teams).last_activity,
            "2026-01-20".parse().ok()
        );
    }

    #[test]
    fn a_licence_report_without_a_tools_flag_is_refused_and_bad_rows_rejected() {
        let err = licences("User Principal Name,Has Exchange License\na@f.uk,True\n".as_bytes())
            .err()
            .expect("missing column");
        let FormatError::MissingColumn { missing, .. } = err else {
            panic!("expected a missing column, got {err:?}");
        };
        assert_eq!(missing, "Has Teams License");
        let file = "User Principal Name,Has Teams License,Has OneDrive License,Has SharePoint License,Has Exchange License,Teams Last Activity Date\n\
                    a@f.uk,Maybe,True,True,True,\n\
                    b@f.uk,True,True,True,True,2026-02-30\n\
                    c@f.uk,True,,False,True,\n";
        let rows: Vec<_> = licences(file.as_bytes()).expect("header").collect();
        let flag = rows[0].as_ref().expect_err("flag");
        assert_eq!(flag.line, 2);
        assert!(
            flag.reason
                .contains("Has Teams License 'maybe' is not True or False")
        );
        assert!(
            rows[1]
                .as_ref()
                .expect_err("date")
                .reason
                .contains("Teams Last Activity Date")
        );
        let c = rows[2].as_ref().expect("blank flags read as false");
        assert_eq!(c.tools.map(|t| t.licensed), [true, false, false, true]);
    }

    #[test]
    fn a_missing_counted_column_is_named() {
        let file = "User Principal Name,Send Count,Read Count\na@f.uk,1,1\n";
        let err = rows(Report::Exchange, file.as_bytes())
            .err()
            .expect("missing column");
        let FormatError::MissingColumn { missing, found } = err else {
            panic!("expected a missing column, got {err:?}");
        };
        assert_eq!(missing, "Meeting Created Count");
        assert_eq!(found, "user principal name, send count, read count");
    }

    #[test]
    fn bad_counts_reject_the_row_with_its_line() {
        let file = "User Principal Name,Send Count,Read Count,Meeting Created Count,Meeting Interacted Count,Last Activity Date\n\
                    a@f.uk,1,-1,0,0,\n\
                    b@f.uk,x,0,0,0,\n\
                    c@f.uk,1,0,0,0,2026-13-01\n\
                    d@f.uk,,,,,\n";
        let rows: Vec<_> = rows(Report::Exchange, file.as_bytes())
            .expect("header")
            .collect();
        let negative = rows[0].as_ref().expect_err("negative");
        assert_eq!(negative.line, 2);
        assert!(negative.reason.contains("Read Count -1 is negative"));
        assert!(
            rows[1]
                .as_ref()
                .expect_err("not a number")
                .reason
                .contains("not a whole number")
        );
        assert!(
            rows[2]
                .as_ref()
                .expect_err("date")
                .reason
                .contains("Last Activity Date")
        );
        assert_eq!(rows[3].as_ref().expect("blank counts").actions, 0);
    }
}

//! Parsers for Uptake's own CSV formats: units.csv, roster.csv and the
//! generic activity.csv. Columns are matched by header name, unknown
//! columns are ignored, and each bad row is rejected with its line and
//! reason while the rest go through.

use std::{
    io::Read,
    sync::{Arc, Mutex, PoisonError},
};

use chrono::NaiveDate;

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reject {
    /// The 1-based line number in the file.
    pub line: u64,
    pub reason: String,
    pub raw: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("the file is empty: expected a header row with {0}")]
    Empty(String),
    #[error("column '{missing}' is missing (found: {found})")]
    MissingColumn { missing: String, found: String },
    #[error("the header row cannot be read: {0}")]
    Header(String),
    #[error("the file is UTF-16 text; save it as UTF-8 (CSV UTF-8 in Excel) and import it again")]
    Utf16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub kind: String,
    pub restricted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRecord {
    pub staff_number: String,
    pub sign_in_name: String,
    pub unit_code: String,
    pub birth_year: i32,
    pub role: String,
    pub start_date: NaiveDate,
    pub leave_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericActivity {
    pub tool: String,
    pub user: String,
    pub day: NaiveDate,
    pub actions: i64,
}

/// What a file import can be: the one list the command line
/// (`uptake import KIND FILE`) and the data page's upload both offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// The generic activity.csv: tool,user,day,actions.
    Activity,
    /// A Box events export in JSON: one entry per line, an array, or saved
    /// API pages.
    BoxJson,
    /// A Box events export in CSV.
    BoxCsv,
    /// Graph's Teams user activity detail for one day (needs its day).
    Teams,
    /// Graph's OneDrive activity detail for one day (needs its day).
    Onedrive,
    /// Graph's SharePoint activity detail for one day (needs its day).
    Sharepoint,
    /// Graph's email activity detail for one day (needs its day).
    Exchange,
    /// Graph's Microsoft 365 active users (licences and last activity per
    /// tool); the day is its Report Refresh Date, or the one given.
    M365Licences,
    /// roster.csv: staff and their units.
    Roster,
    /// units.csv: the org tree.
    Units,
}

impl ImportKind {
    /// Every kind, in the order the upload form offers them.
    pub const ALL: [ImportKind; 10] = [
        ImportKind::Activity,
        ImportKind::BoxJson,
        ImportKind::BoxCsv,
        ImportKind::Teams,
        ImportKind::Onedrive,
        ImportKind::Sharepoint,
        ImportKind::Exchange,
        ImportKind::M365Licences,
        ImportKind::Roster,
        ImportKind::Units,
    ];

    /// The name `uptake import` and the upload form use.
    pub fn key(self) -> &'static str {
        match self {
            ImportKind::Activity => "activity",
            ImportKind::BoxJson => "box-json",
            ImportKind::BoxCsv => "box-csv",
            ImportKind::Teams => "teams",
            ImportKind::Onedrive => "onedrive",
            ImportKind::Sharepoint => "sharepoint",
            ImportKind::Exchange => "exchange",
            ImportKind::M365Licences => "m365-licences",
            ImportKind::Roster => "roster",
            ImportKind::Units => "units",
        }
    }

    /// How the upload form names it.
    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Activity => "Generic activity CSV (tool,user,day,actions)",
            ImportKind::BoxJson => "Box events export, JSON",
            ImportKind::BoxCsv => "Box events export, CSV",
            ImportKind::Teams => "Graph Teams user activity, one day",
            ImportKind::Onedrive => "Graph OneDrive activity, one day",
            ImportKind::Sharepoint => "Graph SharePoint activity, one day",
            ImportKind::Exchange => "Graph email activity, one day",
            ImportKind::M365Licences => "Graph Microsoft 365 active users (licences)",
            ImportKind::Roster => "Roster (roster.csv)",
            ImportKind::Units => "Org tree (units.csv)",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The Graph detail report a one-day file holds.
    pub fn report(self) -> Option<crate::graph::Report> {
        use crate::graph::Report;
        match self {
            ImportKind::Teams => Some(Report::Teams),
            ImportKind::Onedrive => Some(Report::OneDrive),
            ImportKind::Sharepoint => Some(Report::SharePoint),
            ImportKind::Exchange => Some(Report::Exchange),
            _ => None,
        }
    }
}

impl GenericActivity {
    /// The one rule for a generic activity record, whether it came as a
    /// CSV row or a pushed line: tool and user trimmed and not empty, the
    /// day a calendar date, and actions not below zero.
    pub fn new(tool: &str, user: &str, day: &str, actions: i64) -> Result<Self, String> {
        let tool = required(tool.trim(), "tool")?.to_owned();
        let user = required(user.trim(), "user")?.to_owned();
        let day = date(day.trim(), "day")?;
        if actions < 0 {
            return Err(format!("actions {actions} is negative"));
        }
        Ok(Self {
            tool,
            user,
            day,
            actions,
        })
    }
}

/// Keeps the units of a units file whose parent is known (already stored,
/// or a kept unit of the same file) and turns the rest away with a reason,
/// each with its tag (its line, say): one bad parent never aborts the
/// file, and a unit under a turned-away unit is turned away too.
pub fn units_with_parents<T>(
    rows: Vec<(UnitRecord, T)>,
    stored: &std::collections::HashSet<String>,
) -> (Vec<UnitRecord>, Vec<(T, String)>) {
    let mut kept = rows;
    let mut refused = Vec::new();
    loop {
        let known: std::collections::HashSet<String> = stored
            .iter()
            .cloned()
            .chain(kept.iter().map(|(u, _)| u.code.clone()))
            .collect();
        let (good, bad): (Vec<_>, Vec<_>) = kept
            .into_iter()
            .partition(|(u, _)| u.parent_code.as_deref().is_none_or(|p| known.contains(p)));
        let done = bad.is_empty();
        refused.extend(bad.into_iter().map(|(u, tag)| {
            let parent = u.parent_code.unwrap_or_default();
            (
                tag,
                format!(
                    "unit {} names parent {parent}, which is not in the unit list",
                    u.code
                ),
            )
        }));
        kept = good;
        if done {
            return (kept.into_iter().map(|(u, _)| u).collect(), refused);
        }
    }
}

/// A column a reader looks for: the names it may go by (matched without
/// regard to case), and whether a file without it is refused.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub names: &'static [&'static str],
    pub required: bool,
}

impl Column {
    pub const fn required(names: &'static [&'static str]) -> Self {
        Self {
            names,
            required: true,
        }
    }

    pub const fn optional(names: &'static [&'static str]) -> Self {
        Self {
            names,
            required: false,
        }
    }
}

type RowParser<T> = Box<dyn Fn(&[&str]) -> Result<T, String> + Send + Sync>;

/// The bytes read from a file and not yet released, from byte `base`: a
/// rejected row keeps its line exactly as the file had it.
#[derive(Default)]
struct Seen {
    base: u64,
    bytes: Vec<u8>,
}

/// Reads through to the CSV reader, keeping what it read in [`Seen`].
struct Tee<R> {
    inner: R,
    seen: Arc<Mutex<Seen>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
            .extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// A streaming CSV reader that finds its columns by name. An optional
/// column the file lacks reads as an empty field.
pub struct Rows<R: Read, T> {
    reader: csv::Reader<Tee<R>>,
    seen: Arc<Mutex<Seen>>,
    /// The byte range of the row last read.
    span: (u64, u64),
    columns: Vec<Option<usize>>,
    /// The name each wanted column goes by, for messages.
    names: Vec<&'static str>,
    parse: RowParser<T>,
    record: csv::ByteRecord,
    /// The csv reader counts a CRLF header's line end late; this corrects
    /// record line numbers for it.
    line_skew: u64,
}

impl<R: Read, T> Iterator for Rows<R, T> {
    type Item = Result<T, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.release();
            let read = self.reader.read_byte_record(&mut self.record);
            let start = self.record.position().map_or(self.span.1, |p| p.byte());
            self.span = (start, self.reader.position().byte());
            match read {
                Ok(false) => return None,
                Err(e) => return Some(Err(self.reject(format!("the row cannot be read: {e}")))),
                Ok(true) => {}
            }
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            let mut fields = Vec::with_capacity(self.columns.len());
            for (c, name) in self.columns.iter().zip(&self.names) {
                let bytes = c.and_then(|c| self.record.get(c)).unwrap_or_default();
                match std::str::from_utf8(bytes) {
                    Ok(s) => fields.push(s.trim()),
                    Err(_) => {
                        let reason = format!("column '{name}' is not valid UTF-8");
                        return Some(Err(self.reject(reason)));
                    }
                }
            }
            return Some((self.parse)(&fields).map_err(|reason| self.reject(reason)));
        }
    }
}

impl<R: Read, T> Rows<R, T> {
    /// Rejects the row last read, for a reason found after parsing it (an
    /// unregistered tool, say), with its line as the file had it (any
    /// invalid UTF-8 replaced).
    pub fn reject(&self, reason: String) -> Reject {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let at = |byte: u64| {
            usize::try_from(byte.saturating_sub(seen.base))
                .unwrap_or(0)
                .min(seen.bytes.len())
        };
        let bytes = &seen.bytes[at(self.span.0)..at(self.span.1)];
        // The reader may count the line end before a row as its start.
        let ends = |b: &u8| *b == b'\r' || *b == b'\n';
        let from = bytes.iter().position(|b| !ends(b)).unwrap_or(bytes.len());
        let to = bytes.iter().rposition(|b| !ends(b)).map_or(from, |i| i + 1);
        let line = &bytes[from..to.max(from)];
        Reject {
            line: self.record.position().map_or(0, |p| p.line()) + self.line_skew,
            reason,
            raw: String::from_utf8_lossy(line).into_owned(),
        }
    }

    /// Lets go of the bytes of rows already read.
    fn release(&mut self) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let done = usize::try_from(self.span.1.saturating_sub(seen.base))
            .unwrap_or(0)
            .min(seen.bytes.len());
        seen.bytes.drain(..done);
        seen.base += done as u64;
    }
}

/// Opens a CSV file whose columns are found by header name; `parse` gets
/// the fields in the order of `wanted`.
pub fn open<R: Read, T>(
    input: R,
    wanted: &[Column],
    parse: impl Fn(&[&str]) -> Result<T, String> + Send + Sync + 'static,
) -> Result<Rows<R, T>, FormatError> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let tee = Tee {
        inner: input,
        seen: Arc::clone(&seen),
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(tee);
    let headers = reader
        .byte_headers()
        .map_err(|e| FormatError::Header(e.to_string()))?
        .clone();
    // UTF-16 (as Excel's "Unicode text" saves) starts with its byte-order
    // mark, or has a NUL beside every ASCII letter.
    let first = headers.as_slice();
    if first.starts_with(&[0xff, 0xfe]) || first.starts_with(&[0xfe, 0xff]) || first.contains(&0) {
        return Err(FormatError::Utf16);
    }
    let expected = || {
        wanted
            .iter()
            .filter(|c| c.required)
            .map(|c| c.names[0])
            .collect::<Vec<_>>()
            .join(", ")
    };
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        return Err(FormatError::Empty(expected()));
    }
    let names: Vec<String> = headers
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_lowercase()
        })
        .collect();
    let columns = wanted
        .iter()
        .map(|w| {
            let found = names
                .iter()
                .position(|n| w.names.iter().any(|alias| alias.eq_ignore_ascii_case(n)));
            match found {
                None if w.required => Err(FormatError::MissingColumn {
                    missing: w.names[0].to_owned(),
                    found: names.join(", "),
                }),
                found => Ok(found),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let line_skew = 2u64.saturating_sub(reader.position().line());
    let span = (0, reader.position().byte());
    Ok(Rows {
        reader,
        seen,
        span,
        columns,
        names: wanted.iter().map(|w| w.names[0]).collect(),
        parse: Box::new(parse),
        record: csv::ByteRecord::new(),
        line_skew,
    })
}

fn required_columns(names: &'static [&'static str]) -> Vec<Column> {
    names
        .iter()
        .map(|n| Column::required(std::slice::from_ref(n)))
        .collect()
}

/// A count that must be a whole number, 0 or more; an empty field is 0.
pub fn count(field: &str, column: &str) -> Result<i64, String> {
    if field.is_empty() {
        return Ok(0);
    }
    let n: i64 = field
        .parse()
        .map_err(|_| format!("{column} '{field}' is not a whole number"))?;
    if n < 0 {
        return Err(format!("{column} {n} is negative"));
    }
    Ok(n)
}

pub fn date(field: &str, column: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(field, "%Y-%m-%d")
        .map_err(|_| format!("{column} '{field}' is not a date in YYYY-MM-DD form"))
}

fn required<'a>(field: &'a str, column: &str) -> Result<&'a str, String> {
    if field.is_empty() {
        Err(format!("{column} is empty"))
    } else {
        Ok(field)
    }
}

pub fn units<R: Read>(input: R) -> Result<Rows<R, UnitRecord>, FormatError> {
    open(
        input,
        &required_columns(&["unit_code", "parent_code", "name", "kind", "restricted"]),
        |f| {
            Ok(UnitRecord {
                code: required(f[0], "unit_code")?.to_owned(),
                parent_code: (!f[1].is_empty()).then(|| f[1].to_owned()),
                name: required(f[2], "name")?.to_owned(),
                kind: required(f[3], "kind")?.to_owned(),
                restricted: match f[4].to_ascii_lowercase().as_str() {
                    "" | "false" | "no" | "0" => false,
                    "true" | "yes" | "1" => true,
                    other => return Err(format!("restricted '{other}' is not true or false")),
                },
            })
        },
    )
}

pub fn roster<R: Read>(input: R) -> Result<Rows<R, RosterRecord>, FormatError> {
    open(
        input,
        &required_columns(&[
            "staff_number",
            "sign_in_name",
            "unit_code",
            "birth_year",
            "role",
            "start_date",
            "leave_date",
        ]),
        |f| {
            let birth_year: i32 = f[3]
                .parse()
                .map_err(|_| format!("birth_year '{}' is not a year", f[3]))?;
            if !(1900..=2100).contains(&birth_year) {
                return Err(format!("birth_year {birth_year} is out of range"));
            }
            let start_date = date(f[5], "start_date")?;
            let leave_date = if f[6].is_empty() {
                None
            } else {
                Some(date(f[6], "leave_date")?)
            };
            if leave_date.is_some_and(|l| l < start_date) {
                return Err("leave_date is before start_date".to_owned());
            }
            Ok(RosterRecord {
                staff_number: required(f[0], "staff_number")?.to_owned(),
                sign_in_name: required(f[1], "sign_in_name")?.to_owned(),
                unit_code: required(f[2], "unit_code")?.to_owned(),
                birth_year,
                role: f[4].to_owned(),
                start_date,
                leave_date,
            })
        },
    )
}

pub fn activity<R: Read>(input: R) -> Result<Rows<R, GenericActivity>, FormatError> {
    open(
        input,
        &required_columns(&["tool", "user", "day", "actions"]),
        |f| {
            let actions = count(required(f[3].trim(), "actions")?, "actions")?;
            GenericActivity::new(f[0], f[1], f[2], actions)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_rows_match_headers_by_name_and_reject_bad_rows_with_their_line() {
        let file = "\u{feff}day,Actions,extra,tool,user\r\n\
                    2026-03-01,4,x,Teams,a@force.uk\r\n\
                    2026-02-30,1,x,Teams,b@force.uk\r\n\
                    2026-03-01,-2,x,Teams,c@force.uk\r\n\
                    \"2026-03-02\",\"3\",\"q,uoted\",Box,d@force.uk\r\n";
        let rows: Vec<_> = activity(file.as_bytes()).expect("header").collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].as_ref().expect("row").actions, 4);
        let bad_date = rows[1].as_ref().expect_err("bad date");
        assert_eq!(bad_date.line, 3);
        assert!(bad_date.reason.contains("2026-02-30"));
        assert!(
            rows[2]
                .as_ref()
                .expect_err("negative")
                .reason
                .contains("negative")
        );
        assert_eq!(rows[3].as_ref().expect("quoted").tool, "Box");
        // A rejected row keeps its line as the file had it.
        assert_eq!(bad_date.raw, "2026-02-30,1,x,Teams,b@force.uk");
    }

    #[test]
    fn a_rejected_row_keeps_its_delimiters_quotes_and_bytes() {
        // Small reads, so rows straddle the reader's buffers.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut file = b"tool,user,day,actions\r\n\
Box,ann@force.uk,2026-11-27,1\r\n\
\"Box\",\"Metropolitan Police Service, \"\"Test\"\"\",2026-11-32,1\r\n\
Box,"
            .to_vec();
        file.extend_from_slice(&[0xc3, 0x28]);
        file.extend_from_slice(b",2026-11-27,1\nBox,bob@force.uk,2026-11-27,2");
        let rows: Vec<_> = activity(Trickle(&file)).expect("header").collect();
        assert_eq!(rows.len(), 4);
        assert!(rows[0].is_ok() && rows[3].is_ok());
        let quoted = rows[1].as_ref().expect_err("bad day");
        assert_eq!(
            quoted.raw,
            "\"Box\",\"Metropolitan Police Service, \"\"Test\"\"\",2026-11-32,1"
        );
        let bytes = rows[2].as_ref().expect_err("bad bytes");
        assert_eq!(bytes.raw, "Box,\u{fffd}(,2026-11-27,1");
        assert_eq!(bytes.reason, "column 'user' is not valid UTF-8");
    }

    #[test]
    fn a_unit_with_an_unknown_parent_is_turned_away_and_the_rest_kept() {
        let unit = |code: &str, parent: Option<&str>| UnitRecord {
            code: code.into(),
            parent_code: parent.map(Into::into),
            name: code.into(),
            kind: "team".into(),
            restricted: false,
        };
        let rows = vec![
            (unit("T1", Some("C1")), 2),
            (unit("C1", Some("F")), 3),
            (unit("T2", Some("NOPE")), 4),
            (unit("T3", Some("T2")), 5),
        ];
        let stored = ["F".to_owned()].into_iter().collect();
        let (kept, refused) = units_with_parents(rows, &stored);
        let codes: Vec<&str> = kept.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes, ["T1", "C1"], "a parent later in the file counts");
        assert_eq!(refused.len(), 2);
        assert_eq!(refused[0].0, 4);
        assert!(refused[0].1.contains("names parent NOPE"));
        assert_eq!(refused[1].0, 5, "and so does a unit under a refused one");
    }

    #[test]
    fn a_utf16_file_is_refused_as_utf16() {
        let text = "tool,user,day,actions\r\nBox,a,2026-01-01,1\r\n";
        let mut file = vec![0xff, 0xfe];
        file.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(activity(file.as_slice()).err(), Some(FormatError::Utf16));
    }

    #[test]
    fn a_missing_column_is_named_with_the_columns_found() {
        let err = activity("tool,user,day\nTeams,a,2026-01-01\n".as_bytes())
            .err()
            .expect("missing column");
        assert_eq!(
            err,
            FormatError::MissingColumn {
                missing: "actions".into(),
                found: "tool, user, day".into()
            }
        );
    }

    #[test]
    fn an_empty_file_says_what_header_it_expected() {
        assert!(matches!(
            units("".as_bytes()).err(),
            Some(FormatError::Empty(_))
        ));
    }

    #[test]
    fn non_utf8_bytes_reject_the_row_only() {
        let mut file = b"tool,user,day,actions\nTeams,a,2026-01-01,1\nTeams,".to_vec();
        file.extend_from_slice(&[0xff, 0xfe]);
        file.extend_from_slice(b",2026-01-01,1\nBox,b,2026-01-02,2\n");
        let rows: Vec<_> = activity(file.as_slice()).expect("header").collect();
        assert!(rows[0].is_ok());
        assert_eq!(rows[1].as_ref().expect_err("bad bytes").line, 3);
        assert!(rows[2].is_ok());
    }

    #[test]
    fn roster_rows_check_years_and_dates() {
        let file = "staff_number,sign_in_name,unit_code,birth_year,role,start_date,leave_date\n\
                    1,a@f.uk,T1,1980,PC,2020-01-01,\n\
                    2,b@f.uk,T1,19x0,PC,2020-01-01,\n\
                    3,c@f.uk,T1,1980,PC,2020-01-01,2019-01-01\n";
        let rows: Vec<_> = roster(file.as_bytes()).expect("header").collect();
        assert_eq!(rows[0].as_ref().expect("ok").leave_date, None);
        assert!(
            rows[1]
                .as_ref()
                .expect_err("year")
                .reason
                .contains("birth_year")
        );
        assert!(
            rows[2]
                .as_ref()
                .expect_err("dates")
                .reason
                .contains("before")
        );
    }
}

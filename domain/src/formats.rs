//! Parsers for Uptake's own CSV formats: units.csv, roster.csv and the
//! generic activity.csv. Columns are matched by header name, unknown
//! columns are ignored, and each bad row is rejected with its line and
//! reason while the rest go through.

use std::io::Read;

use chrono::NaiveDate;

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A streaming CSV reader that finds its columns by name.
pub struct Rows<R: Read, T> {
    reader: csv::Reader<R>,
    columns: Vec<usize>,
    parse: fn(&[&str]) -> Result<T, String>,
    record: csv::ByteRecord,
    /// The csv reader counts a CRLF header's line end late; this corrects
    /// record line numbers for it.
    line_skew: u64,
}

impl<R: Read, T> Iterator for Rows<R, T> {
    type Item = Result<T, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let read = self.reader.read_byte_record(&mut self.record);
            let line = self.record.position().map_or(0, |p| p.line()) + self.line_skew;
            match read {
                Ok(false) => return None,
                Err(e) => {
                    return Some(Err(Reject {
                        line,
                        reason: format!("the row cannot be read: {e}"),
                        raw: String::new(),
                    }));
                }
                Ok(true) => {}
            }
            let raw = String::from_utf8_lossy(self.record.as_slice()).into_owned();
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            let mut fields = Vec::with_capacity(self.columns.len());
            for &c in &self.columns {
                match std::str::from_utf8(self.record.get(c).unwrap_or_default()) {
                    Ok(s) => fields.push(s.trim()),
                    Err(_) => {
                        return Some(Err(Reject {
                            line,
                            reason: format!("column {} is not valid UTF-8", c + 1),
                            raw,
                        }));
                    }
                }
            }
            return Some((self.parse)(&fields).map_err(|reason| Reject { line, reason, raw }));
        }
    }
}

fn open<R: Read, T>(
    input: R,
    wanted: &[&str],
    parse: fn(&[&str]) -> Result<T, String>,
) -> Result<Rows<R, T>, FormatError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader
        .byte_headers()
        .map_err(|e| FormatError::Header(e.to_string()))?
        .clone();
    if headers.is_empty() {
        return Err(FormatError::Empty(wanted.join(", ")));
    }
    let names: Vec<String> = headers
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_lowercase()
        })
        .collect();
    let columns = wanted
        .iter()
        .map(|w| {
            names
                .iter()
                .position(|n| n == w)
                .ok_or_else(|| FormatError::MissingColumn {
                    missing: (*w).to_owned(),
                    found: names.join(", "),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let line_skew = 2u64.saturating_sub(reader.position().line());
    Ok(Rows {
        reader,
        columns,
        parse,
        record: csv::ByteRecord::new(),
        line_skew,
    })
}

fn date(field: &str, column: &str) -> Result<NaiveDate, String> {
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
        &["unit_code", "parent_code", "name", "kind", "restricted"],
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
        &[
            "staff_number",
            "sign_in_name",
            "unit_code",
            "birth_year",
            "role",
            "start_date",
            "leave_date",
        ],
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
    open(input, &["tool", "user", "day", "actions"], |f| {
        let actions: i64 = f[3]
            .parse()
            .map_err(|_| format!("actions '{}' is not a whole number", f[3]))?;
        if actions < 0 {
            return Err(format!("actions {actions} is negative"));
        }
        Ok(GenericActivity {
            tool: required(f[0], "tool")?.to_owned(),
            user: required(f[1], "user")?.to_owned(),
            day: date(f[2], "day")?,
            actions,
        })
    })
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

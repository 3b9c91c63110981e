//! Box enterprise events: the counted event types, a page of the events API,
//! and streaming readers for event exports (JSON and CSV).
//!
//! Every event gets a de-duplication key: its `event_id`, or, for an export
//! without one, its login, type, time and item id.

use std::io::{BufRead, Read};

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::formats::{self, Column, FormatError, Reject, Rows};

/// The event types that count as use. LOGIN alone is not use.
pub const COUNTED: [&str; 9] = [
    "UPLOAD",
    "DOWNLOAD",
    "PREVIEW",
    "EDIT",
    "SHARE",
    "ITEM_OPEN",
    "COLLABORATION_INVITE",
    "COLLABORATION_ACCEPT",
    "COMMENT_CREATE",
];

/// One event, as far as Uptake needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxEvent {
    /// `event_id`, or `~login|type|created_at|item` when the export has none.
    pub key: String,
    pub event_type: String,
    pub login: String,
    pub created_at: DateTime<FixedOffset>,
}

impl BoxEvent {
    pub fn counted(&self) -> bool {
        COUNTED.contains(&self.event_type.as_str())
    }

    fn build(
        event_id: Option<&str>,
        event_type: &str,
        login: &str,
        created_at: &str,
        item: Option<&str>,
    ) -> Result<Self, String> {
        if event_type.is_empty() {
            return Err("event_type is missing".to_owned());
        }
        if login.is_empty() {
            return Err("created_by.login is missing".to_owned());
        }
        let at = DateTime::parse_from_rfc3339(created_at).map_err(|_| {
            format!(
                "created_at '{created_at}' is not a timestamp such as 2026-03-01T09:30:00-08:00"
            )
        })?;
        let key = match event_id.filter(|id| !id.is_empty()) {
            Some(id) => id.to_owned(),
            None => format!(
                "~{}|{}|{}|{}",
                login.to_lowercase(),
                event_type,
                at.to_rfc3339(),
                item.unwrap_or("")
            ),
        };
        Ok(Self {
            key,
            event_type: event_type.to_owned(),
            login: login.to_owned(),
            created_at: at,
        })
    }
}

#[derive(Deserialize)]
struct RawUser {
    login: Option<String>,
}

#[derive(Deserialize)]
struct RawItem {
    item_id: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawEvent {
    event_id: Option<String>,
    event_type: Option<String>,
    created_by: Option<RawUser>,
    created_at: Option<String>,
    source: Option<RawItem>,
}

fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl RawEvent {
    fn into_event(self) -> Result<BoxEvent, String> {
        let item = self
            .source
            .as_ref()
            .and_then(|s| s.item_id.as_ref().or(s.id.as_ref()))
            .and_then(id_text);
        BoxEvent::build(
            self.event_id.as_deref(),
            self.event_type.as_deref().unwrap_or(""),
            self.created_by
                .as_ref()
                .and_then(|u| u.login.as_deref())
                .unwrap_or(""),
            self.created_at.as_deref().unwrap_or(""),
            item.as_deref(),
        )
    }
}

/// One reply of `GET /2.0/events`.
#[derive(Debug)]
pub struct Page {
    pub next_stream_position: String,
    /// Entries in the order given; a malformed one is its reason.
    pub entries: Vec<Result<BoxEvent, String>>,
}

#[derive(Deserialize)]
struct RawPage {
    next_stream_position: Option<serde_json::Value>,
    entries: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error(
        "the events page is not complete JSON ({0}); it was not counted and will be fetched again"
    )]
    Json(String),
    #[error("the events page has no {0}")]
    Missing(&'static str),
}

/// Reads one page of the events API. A truncated or malformed page is an
/// error as a whole, so that nothing of it is counted and the cursor stays.
pub fn page(body: &[u8]) -> Result<Page, PageError> {
    let raw: RawPage = serde_json::from_slice(body).map_err(|e| PageError::Json(e.to_string()))?;
    let next = raw
        .next_stream_position
        .as_ref()
        .and_then(id_text)
        .ok_or(PageError::Missing("next_stream_position"))?;
    let entries = raw
        .entries
        .ok_or(PageError::Missing("entries"))?
        .into_iter()
        .map(|v| {
            serde_json::from_value::<RawEvent>(v)
                .map_err(|e| format!("the entry cannot be read: {e}"))
                .and_then(RawEvent::into_event)
        })
        .collect();
    Ok(Page {
        next_stream_position: next,
        entries,
    })
}

/// Streams the events of a JSON export: newline-delimited entries, an array
/// of entries, or saved API pages (`{"entries": [...]}`), one after another.
/// Each entry is read on its own, so a file of any size streams, and a bad
/// entry is rejected with its line while the rest go through.
pub fn json_events<R: BufRead>(input: R) -> JsonEvents<R> {
    JsonEvents {
        input,
        line: 1,
        stack: Vec::new(),
        in_string: false,
        escaped: false,
        entry: Vec::new(),
        entry_line: 0,
        entry_depth: None,
        buffer: Vec::new(),
        at: 0,
        done: false,
    }
}

/// The JSON export reader; see [`json_events`].
pub struct JsonEvents<R> {
    input: R,
    line: u64,
    /// The open containers outside the current entry: `{` or `[`.
    stack: Vec<u8>,
    in_string: bool,
    escaped: bool,
    entry: Vec<u8>,
    entry_line: u64,
    /// The stack depth at which the current entry opened.
    entry_depth: Option<usize>,
    buffer: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: BufRead> JsonEvents<R> {
    /// An object is an entry when it stands at the top level (one per line)
    /// or directly inside an array: the top-level array, or `entries`.
    fn opens_entry(&self) -> bool {
        matches!(self.stack.as_slice(), [] | [b'['] | [b'{', b'['])
    }

    fn finish_entry(&mut self) -> Result<BoxEvent, Reject> {
        let bytes = std::mem::take(&mut self.entry);
        let line = self.entry_line;
        let raw = || String::from_utf8_lossy(&bytes).chars().take(500).collect();
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Reject {
            line,
            reason: format!("the entry is not valid JSON: {e}"),
            raw: raw(),
        })?;
        // A saved API page at the top level is a container, not an entry.
        serde_json::from_value::<RawEvent>(value)
            .map_err(|e| e.to_string())
            .and_then(RawEvent::into_event)
            .map_err(|reason| Reject {
                line,
                reason,
                raw: raw(),
            })
    }

    fn fill(&mut self) -> std::io::Result<bool> {
        self.buffer.clear();
        self.at = 0;
        let chunk = self.input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(false);
        }
        self.buffer.extend_from_slice(chunk);
        let n = chunk.len();
        self.input.consume(n);
        Ok(true)
    }
}

impl<R: BufRead> Iterator for JsonEvents<R> {
    type Item = Result<BoxEvent, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            if self.at >= self.buffer.len() {
                match self.fill() {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        if self.entry_depth.is_some() || !self.stack.is_empty() {
                            return Some(Err(Reject {
                                line: self.line,
                                reason: "the file ends part-way through (is it truncated?)"
                                    .to_owned(),
                                raw: String::from_utf8_lossy(&self.entry)
                                    .chars()
                                    .take(500)
                                    .collect(),
                            }));
                        }
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(Reject {
                            line: self.line,
                            reason: format!("the file cannot be read: {e}"),
                            raw: String::new(),
                        }));
                    }
                }
            }
            let b = self.buffer[self.at];
            self.at += 1;
            if b == b'\n' {
                self.line += 1;
            }
            if self.entry_depth.is_some() {
                self.entry.push(b);
            }
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' if self.entry_depth.is_none() && self.opens_entry() => {
                    // A saved page at the top level holds its entries.
                    if self.stack.is_empty() && self.peek_is_page() {
                        self.stack.push(b'{');
                        continue;
                    }
                    self.entry_depth = Some(self.stack.len());
                    self.entry_line = self.line;
                    self.entry.push(b);
                    self.stack.push(b'{');
                }
                b'{' | b'[' => self.stack.push(b),
                b'}' | b']' => {
                    self.stack.pop();
                    if self.entry_depth == Some(self.stack.len()) {
                        self.entry_depth = None;
                        return Some(self.finish_entry());
                    }
                }
                _ => {}
            }
        }
    }
}

impl<R: BufRead> JsonEvents<R> {
    /// Whether the top-level object opening here is a saved page: its first
    /// keys (within what is buffered) include `entries` or
    /// `next_stream_position`, and never `event_type`.
    fn peek_is_page(&self) -> bool {
        let ahead = &self.buffer[self.at..];
        let window = &ahead[..ahead.len().min(4096)];
        let text = String::from_utf8_lossy(window);
        let entries = text.find("\"entries\"");
        let event = text.find("\"event_type\"");
        let position = text
            .find("\"chunk_size\"")
            .or(text.find("\"next_stream_position\""));
        match (entries.or(position), event) {
            (Some(_), None) => true,
            (Some(p), Some(e)) => p < e,
            _ => false,
        }
    }
}

const EVENT_ID: &[&str] = &["event_id", "Event ID"];
const EVENT_TYPE: &[&str] = &["event_type", "Event Type", "Action"];
const LOGIN: &[&str] = &[
    "created_by_login",
    "created_by.login",
    "login",
    "User Login",
    "Login",
];
const CREATED_AT: &[&str] = &["created_at", "Created At", "Date"];
const ITEM_ID: &[&str] = &["source_item_id", "source.item_id", "item_id", "Item ID"];

/// Streams a CSV event export. `event_id` and the item id are optional.
pub fn csv_events<R: Read>(input: R) -> Result<Rows<R, BoxEvent>, FormatError> {
    formats::open(
        input,
        &[
            Column::optional(EVENT_ID),
            Column::required(EVENT_TYPE),
            Column::required(LOGIN),
            Column::required(CREATED_AT),
            Column::optional(ITEM_ID),
        ],
        |f| {
            BoxEvent::build(
                Some(f[0]),
                &f[1].to_ascii_uppercase(),
                f[2],
                f[3],
                Some(f[4]),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const PAGE: &str = r#"{"chunk_size":3,"next_stream_position":"1152922976252290886","entries":[
        {"type":"event","event_id":"f82c3ba03e41f7e8a7608363cc6a0390183bb3d6","event_type":"UPLOAD","created_by":{"type":"user","id":"11446498","name":"Ann Smith","login":"ann.smith@force.police.uk"},"created_at":"2026-03-01T23:30:00-08:00","source":{"item_type":"file","item_id":"1234","item_name":"cctv.mp4"}},
        {"type":"event","event_id":"a1","event_type":"LOGIN","created_by":{"type":"user","id":"2","name":"Bob","login":"bob@force.police.uk"},"created_at":"2026-03-01T09:00:00Z"},
        {"type":"event","event_id":"a2","event_type":"PREVIEW","created_by":{"type":"user","id":"2","name":"Bob"},"created_at":"2026-03-01T09:00:00Z"}
    ]}"#;

    #[test]
    fn a_page_gives_its_cursor_and_events() {
        let page = page(PAGE.as_bytes()).expect("page");
        assert_eq!(page.next_stream_position, "1152922976252290886");
        let first = page.entries[0].as_ref().expect("upload");
        assert!(first.counted());
        assert_eq!(first.login, "ann.smith@force.police.uk");
        // 23:30 in Pacific time is 07:30 the next day in London (GMT).
        let utc = first.created_at.naive_utc().date();
        assert_eq!(utc, "2026-03-02".parse::<NaiveDate>().expect("date"));
        assert!(!page.entries[1].as_ref().expect("login").counted());
        assert!(
            page.entries[2]
                .as_ref()
                .expect_err("no login")
                .contains("login")
        );
    }

    #[test]
    fn a_truncated_page_is_refused_whole() {
        let cut = &PAGE.as_bytes()[..PAGE.len() / 2];
        assert!(matches!(page(cut), Err(PageError::Json(_))));
        assert_eq!(
            page(br#"{"entries":[]}"#).err(),
            Some(PageError::Missing("next_stream_position"))
        );
    }

    #[test]
    fn json_exports_stream_lines_arrays_and_saved_pages() {
        let lines = "{\"event_id\":\"1\",\"event_type\":\"EDIT\",\"created_by\":{\"login\":\"a@f.uk\"},\"created_at\":\"2026-03-01T10:00:00Z\"}\n\
                     {\"event_id\":\"2\",\"event_type\":\"SHARE\",\"created_by\":{\"login\":\"b@f.uk\"},\"created_at\":\"2026-03-01T10:00:00Z\"}\n";
        let array = format!(
            "[\n{},\n{}]",
            lines.lines().next().expect("line"),
            lines.lines().nth(1).expect("line")
        );
        for (name, file) in [
            ("lines", lines.to_owned()),
            ("array", array),
            ("page", PAGE.to_owned()),
            ("two pages", format!("{PAGE}\n{PAGE}")),
        ] {
            let events: Vec<_> = json_events(file.as_bytes()).collect();
            let expected = match name {
                "page" => 3,
                "two pages" => 6,
                _ => 2,
            };
            assert_eq!(events.len(), expected, "{name}");
            assert!(events[0].is_ok(), "{name}: {:?}", events[0]);
        }
        let pages: Vec<_> = json_events(PAGE.as_bytes()).collect();
        assert_eq!(pages[2].as_ref().expect_err("no login").line, 4);
    }

    #[test]
    fn a_truncated_json_file_keeps_its_whole_entries() {
        let cut = &PAGE[..PAGE.rfind("\"created_at\"").expect("field")];
        let events: Vec<_> = json_events(cut.as_bytes()).collect();
        assert_eq!(events.len(), 3);
        assert!(events[0].is_ok() && events[1].is_ok());
        let last = events[2].as_ref().expect_err("truncated");
        assert!(last.reason.contains("truncated"), "{}", last.reason);
    }

    #[test]
    fn strings_with_braces_do_not_confuse_the_reader() {
        let file = r#"[{"event_id":"x","event_type":"UPLOAD","created_by":{"login":"a@f.uk","name":"A } [ \" {"},"created_at":"2026-03-01T10:00:00Z"}]"#;
        let events: Vec<_> = json_events(file.as_bytes()).collect();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].as_ref().expect("event").key, "x");
    }

    #[test]
    fn csv_exports_without_event_ids_get_a_content_key() {
        let file = "Date,User Login,Action,Item ID,Item Name\r\n\
                    2026-03-01T10:00:00+00:00,Ann@F.uk,upload,55,\"a, b.mp4\"\r\n\
                    2026-03-01T10:00:00Z,ann@f.uk,UPLOAD,55,x\r\n\
                    yesterday,ann@f.uk,UPLOAD,55,x\r\n";
        let events: Vec<_> = csv_events(file.as_bytes()).expect("header").collect();
        let a = events[0].as_ref().expect("first");
        let b = events[1].as_ref().expect("second");
        assert_eq!(a.key, b.key, "the same event written two ways");
        assert!(a.counted());
        let bad = events[2].as_ref().expect_err("bad time");
        assert_eq!(bad.line, 4);
        assert!(bad.reason.contains("yesterday"));
    }
}

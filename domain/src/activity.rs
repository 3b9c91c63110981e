//! Activity records as they arrive, and their resolution to staff.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{catalog::ToolId, people::StaffId};

/// How an ingest path writes its key (source, tool, staff, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteMode {
    /// Graph pulls and pushes: the new count replaces the stored one.
    Replace,
    /// Box events, already de-duplicated: the new count is added.
    Add,
}

/// One day of one user's counted actions in one tool, as a source gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityRecord<'a> {
    pub tool: ToolId,
    pub user: &'a str,
    pub day: NaiveDate,
    pub actions: i64,
}

/// A record matched to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActivityRow {
    pub tool: ToolId,
    pub staff: StaffId,
    pub day: NaiveDate,
    pub actions: i64,
}

/// A record whose sign-in name matches nobody on the roster (kept, so that a
/// later roster import can attach it), or an external user's (counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedRow {
    pub tool: ToolId,
    pub user: String,
    pub day: NaiveDate,
    pub actions: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Staff(StaffId),
    /// A configured external domain (for example the prosecution service)
    /// or a service account.
    External,
    /// A system-generated pseudonym: never attributed to anyone.
    Concealed,
    Unmatched,
}

/// Parses the domain aliases setting: comma-separated `old=new` pairs of
/// domains (`oldforce.pnn.police.uk=force.police.uk`), lower-cased. One
/// rule for the command that sets it and the resolver that reads it; a bad
/// pair is named, never dropped.
pub fn domain_aliases(text: &str) -> Result<Vec<(String, String)>, String> {
    let domain = |d: &str, pair: &str| -> Result<String, String> {
        let d = d.trim().to_lowercase();
        let ok = d.contains('.')
            && !d.starts_with('.')
            && !d.ends_with('.')
            && d.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if ok {
            Ok(d)
        } else {
            Err(format!(
                "domain alias '{pair}': '{}' is not a domain (like force.police.uk)",
                d
            ))
        }
    };
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (from, to) = pair.split_once('=').ok_or_else(|| {
                format!("domain alias '{pair}' is not an old=new pair of domains")
            })?;
            let (from, to) = (domain(from, pair)?, domain(to, pair)?);
            if from == to {
                return Err(format!("domain alias '{pair}' names the same domain twice"));
            }
            Ok((from, to))
        })
        .collect()
}

/// Matches telemetry sign-in names to staff, case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct IdentityResolver {
    by_name: HashMap<String, StaffId>,
    domain_aliases: HashMap<String, String>,
    external_domains: HashSet<String>,
    service_accounts: HashSet<String>,
}

impl IdentityResolver {
    pub fn new(names: impl IntoIterator<Item = (String, StaffId)>) -> Self {
        Self {
            by_name: names
                .into_iter()
                .map(|(n, id)| (n.to_lowercase(), id))
                .collect(),
            ..Self::default()
        }
    }

    /// Names under `from` are matched as if they were under `to`.
    pub fn with_domain_alias(mut self, from: &str, to: &str) -> Self {
        self.domain_aliases
            .insert(from.to_lowercase(), to.to_lowercase());
        self
    }

    pub fn with_external_domain(mut self, domain: &str) -> Self {
        self.external_domains.insert(domain.to_lowercase());
        self
    }

    pub fn with_service_account(mut self, name: &str) -> Self {
        self.service_accounts.insert(name.to_lowercase());
        self
    }

    pub fn resolve(&self, user: &str) -> Identity {
        let lowered;
        let name = if user.bytes().any(|b| b.is_ascii_uppercase()) || !user.is_ascii() {
            lowered = user.to_lowercase();
            lowered.as_str()
        } else {
            user
        };
        if let Some(id) = self.by_name.get(name) {
            return Identity::Staff(*id);
        }
        if is_concealed(name) {
            return Identity::Concealed;
        }
        if self.service_accounts.contains(name) {
            return Identity::External;
        }
        let Some((local, domain)) = name.rsplit_once('@') else {
            return Identity::Unmatched;
        };
        if self.external_domains.contains(domain) {
            return Identity::External;
        }
        match self.domain_aliases.get(domain) {
            Some(to) => self
                .by_name
                .get(&format!("{local}@{to}"))
                .map_or(Identity::Unmatched, |id| Identity::Staff(*id)),
            None => Identity::Unmatched,
        }
    }
}

/// Graph's concealed names are 32 hex digits.
pub fn is_concealed(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The days activity may fall on: from the earliest day (an admin's
/// `ingest.earliest_day`, or the roster's first start date) through
/// tomorrow, which a zone ahead of the server's may already have reached.
/// A day outside is refused with its reason, so that one stray line never
/// makes a source's history reach back decades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayWindow {
    pub earliest: Option<NaiveDate>,
    pub today: NaiveDate,
}

impl DayWindow {
    pub fn check(&self, day: NaiveDate) -> Result<(), String> {
        if let Some(earliest) = self.earliest.filter(|e| day < *e) {
            return Err(format!(
                "day {day} is before {earliest}, the earliest day activity is taken for (the roster's first start date, unless an admin sets ingest.earliest_day)"
            ));
        }
        if self.today.succ_opt().is_some_and(|tomorrow| day > tomorrow) {
            return Err(format!("day {day} is in the future"));
        }
        Ok(())
    }
}

/// The longest gap between two days with activity that still counts as one
/// run of data: a small pilot can be quiet for weeks and its days are still
/// covered history; a lone event a year or more earlier is not.
pub const MAX_GAP_DAYS: i64 = 90;

/// The first day of the run of data that ends on the latest day: walking
/// back from it, days with activity at most [`MAX_GAP_DAYS`] apart. `days`
/// is in order. Days before it are strays, not covered history.
pub fn run_start(days: &[NaiveDate]) -> Option<NaiveDate> {
    let mut start = *days.last()?;
    for &day in days.iter().rev().skip(1) {
        if (start - day).num_days() > MAX_GAP_DAYS {
            break;
        }
        start = start.min(day);
    }
    Some(start)
}

/// What a run of batches wrote, each person-day and each name counted once
/// however many batches (pages of events, chunks of a file) it came in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    person_days: std::collections::HashSet<(ToolId, StaffId, NaiveDate)>,
    unmatched: std::collections::HashSet<String>,
    external: std::collections::HashSet<String>,
}

impl Tally {
    /// The person-days and names one batch writes.
    pub fn of(batch: &ResolvedBatch) -> Self {
        let mut tally = Self::default();
        tally
            .person_days
            .extend(batch.rows.iter().map(|r| (r.tool, r.staff, r.day)));
        tally
            .unmatched
            .extend(batch.unmatched.iter().map(|r| r.user.clone()));
        tally
            .external
            .extend(batch.external.iter().map(|r| r.user.clone()));
        tally
    }

    pub fn merge(&mut self, other: Tally) {
        self.person_days.extend(other.person_days);
        self.unmatched.extend(other.unmatched);
        self.external.extend(other.external);
    }

    /// Distinct staff person-days (per tool) written.
    pub fn person_days(&self) -> u64 {
        self.person_days.len() as u64
    }

    /// Distinct names that match nobody on the roster.
    pub fn unmatched(&self) -> u64 {
        self.unmatched.len() as u64
    }

    /// Distinct external users.
    pub fn external(&self) -> u64 {
        self.external.len() as u64
    }
}

/// A batch split by identity, with repeated keys merged by the write mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedBatch {
    pub rows: Vec<ActivityRow>,
    pub unmatched: Vec<UnmatchedRow>,
    pub external: Vec<UnmatchedRow>,
    pub concealed: u64,
}

/// One person's first and last active day in one tool, within a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UseSpan {
    pub staff: StaffId,
    pub tool: ToolId,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// An unresolved name's first and last day and action count, within a batch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NameSpan {
    pub user: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub actions: i64,
}

impl ResolvedBatch {
    /// First and last active day per person and tool.
    pub fn use_spans(&self) -> Vec<UseSpan> {
        let mut map: HashMap<(StaffId, ToolId), (NaiveDate, NaiveDate)> = HashMap::new();
        for r in &self.rows {
            let span = map.entry((r.staff, r.tool)).or_insert((r.day, r.day));
            span.0 = span.0.min(r.day);
            span.1 = span.1.max(r.day);
        }
        let mut spans: Vec<UseSpan> = map
            .into_iter()
            .map(|((staff, tool), (first, last))| UseSpan {
                staff,
                tool,
                first,
                last,
            })
            .collect();
        spans.sort_unstable();
        spans
    }

    /// The first and last day the batch touches.
    pub fn days(&self) -> Option<(NaiveDate, NaiveDate)> {
        let days = self
            .rows
            .iter()
            .map(|r| r.day)
            .chain(self.unmatched.iter().map(|r| r.day));
        days.fold(None, |acc, d| match acc {
            None => Some((d, d)),
            Some((a, b)) => Some((a.min(d), b.max(d))),
        })
    }
}

pub fn resolve_batch(
    resolver: &IdentityResolver,
    records: &[ActivityRecord<'_>],
    mode: WriteMode,
) -> ResolvedBatch {
    let mut batch = ResolvedBatch::default();
    let mut rows: HashMap<(ToolId, StaffId, NaiveDate), i64> =
        HashMap::with_capacity(records.len());
    let mut unmatched: HashMap<(ToolId, String, NaiveDate), i64> = HashMap::new();
    let mut external: HashMap<(ToolId, String, NaiveDate), i64> = HashMap::new();
    let merge = |slot: &mut i64, actions: i64| match mode {
        WriteMode::Replace => *slot = actions,
        WriteMode::Add => *slot += actions,
    };
    for r in records {
        match resolver.resolve(r.user) {
            Identity::Staff(staff) => {
                merge(rows.entry((r.tool, staff, r.day)).or_default(), r.actions)
            }
            Identity::Unmatched => merge(
                unmatched
                    .entry((r.tool, r.user.to_lowercase(), r.day))
                    .or_default(),
                r.actions,
            ),
            Identity::External => merge(
                external
                    .entry((r.tool, r.user.to_lowercase(), r.day))
                    .or_default(),
                r.actions,
            ),
            Identity::Concealed => batch.concealed += 1,
        }
    }
    batch.rows = rows
        .into_iter()
        .map(|((tool, staff, day), actions)| ActivityRow {
            tool,
            staff,
            day,
            actions,
        })
        .collect();
    batch
        .rows
        .sort_unstable_by_key(|r| (r.day, r.tool, r.staff));
    batch.unmatched = sorted_unmatched(unmatched);
    batch.external = sorted_unmatched(external);
    batch
}

/// First and last day and action count per name.
pub fn name_spans(rows: &[UnmatchedRow]) -> Vec<NameSpan> {
    let mut map: HashMap<&str, (NaiveDate, NaiveDate, i64)> = HashMap::new();
    for r in rows {
        let span = map.entry(&r.user).or_insert((r.day, r.day, 0));
        span.0 = span.0.min(r.day);
        span.1 = span.1.max(r.day);
        span.2 += r.actions;
    }
    let mut spans: Vec<NameSpan> = map
        .into_iter()
        .map(|(user, (first, last, actions))| NameSpan {
            user: user.to_owned(),
            first,
            last,
            actions,
        })
        .collect();
    spans.sort_unstable();
    spans
}

fn sorted_unmatched(rows: HashMap<(ToolId, String, NaiveDate), i64>) -> Vec<UnmatchedRow> {
    let mut rows: Vec<UnmatchedRow> = rows
        .into_iter()
        .map(|((tool, user, day), actions)| UnmatchedRow {
            tool,
            user,
            day,
            actions,
        })
        .collect();
    rows.sort_by(|a, b| (a.day, a.tool, &a.user).cmp(&(b.day, b.tool, &b.user)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_data_ends_at_a_gap_of_more_than_a_quarter() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        let days = [
            d("2015-12-02"),
            d("2026-01-01"),
            d("2026-03-14"),
            d("2026-03-28"),
        ];
        assert_eq!(run_start(&days), Some(d("2026-01-01")));
        assert_eq!(run_start(&days[..1]), Some(d("2015-12-02")));
        assert_eq!(
            run_start(&[d("2025-12-01"), d("2026-03-16")]),
            Some(d("2026-03-16"))
        );
        assert_eq!(run_start(&[]), None);
    }

    fn resolver() -> IdentityResolver {
        IdentityResolver::new([("Ann.Smith@force.police.uk".to_owned(), StaffId(7))])
            .with_domain_alias("oldforce.pnn.police.uk", "force.police.uk")
            .with_external_domain("cps.gov.uk")
            .with_service_account("svc-backup@force.police.uk")
    }

    #[test]
    fn domain_aliases_are_pairs_of_domains_and_a_bad_one_is_named() {
        assert_eq!(
            domain_aliases(" Old.Police.UK = force.police.uk , a.uk=b.uk,"),
            Ok(vec![
                ("old.police.uk".to_owned(), "force.police.uk".to_owned()),
                ("a.uk".to_owned(), "b.uk".to_owned()),
            ])
        );
        assert_eq!(domain_aliases(""), Ok(vec![]));
        let missing = domain_aliases("a.uk=b.uk,force.police.uk").expect_err("not a pair");
        assert!(
            missing.contains("'force.police.uk' is not an old=new pair"),
            "{missing}"
        );
        let bad = domain_aliases("a.uk=someone@b.uk").expect_err("not a domain");
        assert!(bad.contains("'someone@b.uk' is not a domain"), "{bad}");
        assert!(domain_aliases("a.uk=A.uk").is_err());
    }

    #[test]
    fn names_match_case_insensitively_and_through_aliases() {
        let r = resolver();
        assert_eq!(
            r.resolve("ann.smith@FORCE.police.uk"),
            Identity::Staff(StaffId(7))
        );
        assert_eq!(
            r.resolve("Ann.Smith@oldforce.pnn.police.uk"),
            Identity::Staff(StaffId(7))
        );
        assert_eq!(r.resolve("lawyer@cps.gov.uk"), Identity::External);
        assert_eq!(r.resolve("SVC-backup@force.police.uk"), Identity::External);
        assert_eq!(
            r.resolve("0123456789ABCDEF0123456789abcdef"),
            Identity::Concealed
        );
        assert_eq!(r.resolve("bob@force.police.uk"), Identity::Unmatched);
    }

    #[test]
    fn repeated_keys_merge_by_write_mode() {
        let day: NaiveDate = "2026-05-01".parse().expect("date");
        let rec = |user, actions| ActivityRecord {
            tool: ToolId(1),
            user,
            day,
            actions,
        };
        let records = [
            rec("ann.smith@force.police.uk", 3),
            rec("ANN.SMITH@force.police.uk", 4),
            rec("ghost@force.police.uk", 2),
            rec("Ghost@force.police.uk", 5),
            rec("x@cps.gov.uk", 1),
        ];
        let replace = resolve_batch(&resolver(), &records, WriteMode::Replace);
        assert_eq!(replace.rows[0].actions, 4);
        assert_eq!(replace.unmatched.len(), 1);
        assert_eq!(replace.unmatched[0].actions, 5);
        assert_eq!(replace.external.len(), 1);
        assert_eq!(replace.days(), Some((day, day)));
        let add = resolve_batch(&resolver(), &records, WriteMode::Add);
        assert_eq!(add.rows[0].actions, 7);
        assert_eq!(add.unmatched[0].actions, 7);
        let spans = add.use_spans();
        assert_eq!((spans.len(), spans[0].first, spans[0].last), (1, day, day));
        let names = name_spans(&add.unmatched);
        assert_eq!(
            (names[0].user.as_str(), names[0].actions),
            ("ghost@force.police.uk", 7)
        );
    }
}

//! What the demo force yields: the unit list, monthly rosters, each day's
//! activity and the licence report.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use domain::day::last_of_month;
use domain::formats::{RosterRecord, UnitRecord};
use domain::graph::{LicenceRow, Report, ToolStatus};

use domain::rng::Rng;

use super::{DAILY_USE, Force, LICENCE_FORK, Person, WaveSpec, first_of_next_month};

impl Force {
    pub fn unit_rows(&self) -> Vec<UnitRecord> {
        self.units.clone()
    }

    /// Monthly roster imports: the first day of each month from the start.
    pub fn roster_months(&self) -> Vec<NaiveDate> {
        let mut months = vec![self.start];
        let mut m = first_of_next_month(self.start);
        while m <= self.end {
            months.push(m);
            m = first_of_next_month(m);
        }
        months
    }

    /// The roster as HR would export it on `month`: everyone started by the
    /// month's end, in their team of that day, with leave dates known by then.
    pub fn roster_at(&self, month: NaiveDate) -> Vec<RosterRecord> {
        let horizon = last_of_month(month);
        self.people
            .iter()
            .filter(|p| p.start <= horizon)
            .map(|p| RosterRecord {
                staff_number: p.number.clone(),
                sign_in_name: p.sign_in.clone(),
                unit_code: self.teams[self.team_on(p, month)].code.clone(),
                birth_year: p.born,
                role: p.role.to_owned(),
                start_date: p.start,
                leave_date: p.leave.filter(|l| *l <= horizon),
            })
            .collect()
    }

    fn team_on(&self, p: &Person, day: NaiveDate) -> usize {
        match p.moved {
            Some((when, to)) if day >= when => to,
            _ => p.team,
        }
    }

    /// Calls `emit(tool index, sign-in, actions)` for every use on `day`.
    pub fn day_activity<'a>(&'a self, day: NaiveDate, mut emit: impl FnMut(usize, &'a str, i64)) {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let day_index = (day - self.start).num_days() as u64;
        let scale = if weekend { 0.12 } else { 1.0 };
        for p in &self.people {
            if p.start > day || p.leave.is_some_and(|l| l < day) {
                continue;
            }
            let mut r = Rng::new(self.seed ^ p.rng_salt).fork(day_index);
            for (tool, daily_use) in DAILY_USE.iter().enumerate() {
                let product = usize::from(tool > 0);
                let Some(adopted) = p.adopts[product] else {
                    continue;
                };
                if day < adopted || p.lapses[product].is_some_and(|l| day >= l) || !p.takes[tool] {
                    continue;
                }
                // New adopters ramp up over their first fortnight.
                let ramp = ((day - adopted).num_days() as f64 / 14.0).clamp(0.3, 1.0);
                if r.chance(daily_use * scale * ramp * p.intensity) {
                    emit(tool, &p.sign_in, 1 + r.below(12) as i64);
                }
            }
        }
        let mut r = Rng::new(self.seed).fork(0xD00D ^ day_index);
        for ghost in &self.ghosts {
            for (tool, daily_use) in DAILY_USE.iter().enumerate().skip(1) {
                if r.chance(daily_use * scale * 0.8) {
                    emit(tool, ghost, 1 + r.below(5) as i64);
                }
            }
        }
        for external in &self.externals {
            if day >= self.start + Days::new(60) && r.chance(0.2 * scale) {
                emit(0, external, 1 + r.below(6) as i64);
            }
        }
    }

    /// The active-user report Graph would give for `day`: who holds a
    /// licence for each Microsoft 365 tool, and the last day Teams and
    /// Exchange saw them. A third of those who never take to Microsoft 365
    /// hold no licence, and half of the rest signed in lately without
    /// using it.
    /// The names nobody on the roster has hold licences too.
    pub fn licence_report(&self, day: NaiveDate) -> Vec<LicenceRow> {
        let row =
            |user: &str, licensed: bool, assigned: NaiveDate, seen: Option<NaiveDate>| LicenceRow {
                user: user.to_owned(),
                deleted: false,
                refreshed: Some(day),
                tools: Report::ALL.map(|report| ToolStatus {
                    report,
                    licensed,
                    assigned: licensed.then_some(assigned),
                    last_activity: seen
                        .filter(|_| matches!(report, Report::Teams | Report::Exchange)),
                }),
            };
        let mut rows: Vec<LicenceRow> = self
            .people
            .iter()
            .filter(|p| p.start <= day && p.leave.is_none_or(|l| l >= day))
            .map(|p| {
                let mut r = Rng::new(self.seed ^ p.rng_salt).fork(LICENCE_FORK);
                let never = p.adopts[1].is_none();
                let licensed = !(never && r.chance(0.35));
                let seen =
                    (licensed && never && r.chance(0.5)).then(|| day - Days::new(r.below(27)));
                row(&p.sign_in, licensed, p.start.max(self.start), seen)
            })
            .collect();
        rows.extend(self.ghosts.iter().map(|g| row(g, true, self.start, None)));
        rows
    }

    pub fn waves(&self) -> &[WaveSpec] {
        &self.waves
    }
}

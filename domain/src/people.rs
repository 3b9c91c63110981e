//! Staff, their unit history and age bands.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{DayNum, day::date_of, org::UnitId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StaffId(pub i32);

/// Age bands. Age at a day is year(day) − birth year: the age reached in that
/// calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBand {
    Under25,
    From25To34,
    From35To44,
    From45To54,
    From55,
}

impl AgeBand {
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under25,
        AgeBand::From25To34,
        AgeBand::From35To44,
        AgeBand::From45To54,
        AgeBand::From55,
    ];

    pub fn of_age(age: i32) -> Self {
        match age {
            ..25 => AgeBand::Under25,
            25..35 => AgeBand::From25To34,
            35..45 => AgeBand::From35To44,
            45..55 => AgeBand::From45To54,
            _ => AgeBand::From55,
        }
    }

    pub fn at(birth_year: i32, day: NaiveDate) -> Self {
        Self::of_age(day.year() - birth_year)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The band as it is written in URLs.
    pub fn key(self) -> &'static str {
        match self {
            AgeBand::Under25 => "under-25",
            AgeBand::From25To34 => "25-34",
            AgeBand::From35To44 => "35-44",
            AgeBand::From45To54 => "45-54",
            AgeBand::From55 => "55-plus",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under25 => "under 25",
            AgeBand::From25To34 => "25–34",
            AgeBand::From35To44 => "35–44",
            AgeBand::From45To54 => "45–54",
            AgeBand::From55 => "55 and over",
        }
    }
}

/// A period in a unit. `to` is exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub unit: UnitId,
    pub from: DayNum,
    pub to: Option<DayNum>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: StaffId,
    pub birth_year: i32,
    pub start: DayNum,
    /// The last day in post; the person is not eligible from the day after.
    pub leave: Option<DayNum>,
    pub memberships: Vec<Membership>,
}

impl Person {
    pub fn in_post(&self, day: DayNum) -> bool {
        self.start <= day && self.leave.is_none_or(|leave| day <= leave)
    }

    pub fn unit_at(&self, day: DayNum) -> Option<UnitId> {
        self.memberships
            .iter()
            .find(|m| m.from <= day && m.to.is_none_or(|to| day < to))
            .map(|m| m.unit)
    }

    pub fn band_at(&self, day: DayNum) -> AgeBand {
        AgeBand::at(self.birth_year, date_of(day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_use_the_age_reached_in_the_calendar_year() {
        let jan = "2026-01-01".parse().expect("date");
        // Born 2002: reaches 24 in 2026 → under 25; 2001 reaches 25 → 25–34.
        assert_eq!(AgeBand::at(2002, jan), AgeBand::Under25);
        assert_eq!(AgeBand::at(2001, jan), AgeBand::From25To34);
        assert_eq!(AgeBand::at(1971, jan), AgeBand::From55);
        assert_eq!(AgeBand::at(1972, jan), AgeBand::From45To54);
    }

    #[test]
    fn a_leaver_is_in_post_on_the_leave_date_and_not_after() {
        let p = Person {
            id: StaffId(1),
            birth_year: 1990,
            start: 10,
            leave: Some(20),
            memberships: vec![],
        };
        assert!(!p.in_post(9));
        assert!(p.in_post(10));
        assert!(p.in_post(20));
        assert!(!p.in_post(21));
    }
}

/// One row of a person-level list: someone in post in a unit who has not
/// yet used a product. Only a viewer with the person-lists permission gets
/// these, and every view is audited.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonRow {
    pub staff_number: String,
    pub sign_in_name: String,
    pub unit_code: String,
    pub unit_name: String,
    /// The product's tools the person holds a licence for, in the latest
    /// licence report (empty when none; see `PersonList::licence_day`).
    pub licences: Vec<String>,
    /// The last day any of the product's tools saw the person, counted
    /// use or not.
    pub last_seen: Option<chrono::NaiveDate>,
}

/// A person-level list with what it is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonList {
    pub unit_code: String,
    pub unit_name: String,
    pub product: String,
    pub as_of: chrono::NaiveDate,
    /// The day of the licence report the licences come from; None when no
    /// report covers the product's tools (Box has none).
    pub licence_day: Option<chrono::NaiveDate>,
    /// Whether any of the product's tools reports when it last saw people
    /// (Graph's do; Box's counted events do not).
    pub last_seen_known: bool,
    pub people: Vec<PersonRow>,
}

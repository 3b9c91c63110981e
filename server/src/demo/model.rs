//! The demo force's people, tree and waves; what it yields day by day
//! (rosters, activity, licence reports) is in `daily`.

mod daily;

use chrono::{Datelike, Days, NaiveDate};
use domain::day::last_of_month;
use domain::formats::UnitRecord;

use domain::rng::Rng;

use super::DemoOptions;

pub const DOMAIN: &str = "demo.police.uk";
pub const LEGACY_DOMAIN: &str = "legacy.demo.police.uk";
pub const EXTERNAL_DOMAIN: &str = "cps.gov.uk";
/// The young wave whose target the demo sets from its forecast, due on its
/// median day, so that it shows at risk.
pub const AT_RISK_WAVE: &str = "Box evidence — wave 2";
/// The young wave whose target the demo sets from its forecast, due two
/// weeks after its band's late end, so that it shows on track.
pub const ON_TRACK_WAVE: &str = "Box evidence — wave 3";
/// The borough command unit where nobody starts in the last 75 days.
pub const STALLED_UNIT: &str = "C02-B1";

/// Chance an adopter uses each tool on a working day (Box, Teams, OneDrive,
/// SharePoint, Exchange), and whether they take to the tool at all.
const DAILY_USE: [f64; 5] = [0.50, 0.84, 0.50, 0.44, 0.90];
const TAKES_TOOL: [f64; 5] = [1.0, 0.97, 0.75, 0.70, 0.99];
/// The random stream each person's licence is drawn from.
const LICENCE_FORK: u64 = 0x11CE;
/// Graph publishes its reports a few days late.
const GRAPH_LAG_DAYS: u64 = 3;

const SURNAMES: [&str; 16] = [
    "smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel",
    "wright", "khan", "walker", "evans", "roberts", "thompson", "hughes",
];
const AREAS: [&str; 10] = [
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Riverside",
    "Harbour",
    "Hillside",
    "Valley",
    "Airport",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgePattern {
    OlderLead,
    YoungerLead,
    Even,
}

struct Command {
    code: String,
    pattern: AgePattern,
}

struct Team {
    code: String,
    command: usize,
    stalled: bool,
}

struct Person {
    number: String,
    sign_in: String,
    born: i32,
    role: &'static str,
    start: NaiveDate,
    leave: Option<NaiveDate>,
    team: usize,
    /// A move to another team on a first of the month.
    moved: Option<(NaiveDate, usize)>,
    /// Adoption day per product (0 = Box, 1 = Microsoft 365).
    adopts: [Option<NaiveDate>; 2],
    lapses: [Option<NaiveDate>; 2],
    /// How heavily they use the tools they adopt: a factor on `DAILY_USE`.
    intensity: f64,
    takes: [bool; 5],
    rng_salt: u64,
}

pub struct WaveSpec {
    pub name: String,
    pub box_product: bool,
    pub command_codes: Vec<String>,
    pub go_live: NaiveDate,
    pub target: f64,
    pub target_date: NaiveDate,
}

pub struct Force {
    pub start: NaiveDate,
    end: NaiveDate,
    seed: u64,
    units: Vec<UnitRecord>,
    commands: Vec<Command>,
    /// The response teams, then the specialist units.
    teams: Vec<Team>,
    /// How many of `teams` are response teams; the rest are specialist
    /// units, each with the headcount it draws in `specialist_sizes`.
    response_teams: usize,
    specialist_sizes: Vec<usize>,
    people: Vec<Person>,
    waves: Vec<WaveSpec>,
    ghosts: Vec<String>,
    externals: Vec<String>,
}

/// How much more likely each year of age makes adoption in a command.
fn age_slope(pattern: AgePattern) -> f64 {
    match pattern {
        AgePattern::OlderLead => 0.010,
        AgePattern::YoungerLead => -0.011,
        AgePattern::Even => 0.0,
    }
}

fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    last_of_month(day) + Days::new(1)
}

fn unit(
    code: String,
    parent: Option<&str>,
    name: String,
    kind: &str,
    restricted: bool,
) -> UnitRecord {
    UnitRecord {
        code,
        parent_code: parent.map(str::to_owned),
        name,
        kind: kind.to_owned(),
        restricted,
    }
}

impl Force {
    pub fn new(options: &DemoOptions) -> Self {
        let root = Rng::new(options.seed);
        let start = options.end - Days::new(364);
        let mut force = Self {
            start,
            end: options.end,
            seed: options.seed,
            units: vec![unit("F".into(), None, "Demo Police".into(), "force", false)],
            commands: Vec::new(),
            teams: Vec::new(),
            response_teams: 0,
            specialist_sizes: Vec::new(),
            people: Vec::new(),
            waves: Vec::new(),
            ghosts: Vec::new(),
            externals: Vec::new(),
        };
        force.build_tree(&mut root.fork(1), options.staff, options.specialist_units);
        force.build_waves();
        force.build_people(&mut root.fork(2), options.staff);
        force.build_noise(&mut root.fork(3), options.staff);
        force
    }

    pub fn teams(&self) -> usize {
        self.teams.len()
    }

    pub fn commands(&self) -> usize {
        self.commands.len()
    }

    pub fn m365_complete_through(&self) -> NaiveDate {
        self.end - Days::new(GRAPH_LAG_DAYS)
    }

    fn build_tree(&mut self, rng: &mut Rng, staff: usize, with_specialists: bool) {
        let n_commands = (staff / 1_650).clamp(3, 30);
        let teams_wanted = (staff / 80).max(6);
        let teams_per_command = teams_wanted.div_ceil(n_commands);
        let mut specialists = Vec::new();
        for c in 0..n_commands {
            let code = format!("C{:02}", c + 1);
            let pattern = match c % 5 {
                1 | 3 => AgePattern::OlderLead,
                0 | 4 => AgePattern::YoungerLead,
                _ => AgePattern::Even,
            };
            let area = AREAS[c % AREAS.len()];
            let name = if c < AREAS.len() {
                format!("{area} Command")
            } else {
                format!("{area} Command {}", c / AREAS.len() + 1)
            };
            self.units
                .push(unit(code.clone(), Some("F"), name, "command", false));
            let mut left = teams_per_command;
            let mut b = 0;
            while left > 0 {
                b += 1;
                let bcu = format!("{code}-B{b}");
                self.units.push(unit(
                    bcu.clone(),
                    Some(&code),
                    format!("{area} BCU {b}"),
                    "bcu",
                    false,
                ));
                let stalled_bcu = bcu == STALLED_UNIT;
                // Each BCU has a small specialist unit (4 to 15 staff, a
                // dog section or a hate crime unit), whose figures are too
                // small to publish, as in a real force. Its size comes
                // from its own stream, so the rest of the tree is as it
                // was without it.
                if with_specialists {
                    let size = 4 + rng.fork(0x5bec_0000 + (c * 100 + b) as u64).below(12) as usize;
                    let specialist = format!("{bcu}-S1");
                    self.units.push(unit(
                        specialist.clone(),
                        Some(&bcu),
                        format!("{area} {b} Specialist Unit"),
                        "team",
                        false,
                    ));
                    specialists.push((
                        Team {
                            code: specialist,
                            command: c,
                            stalled: stalled_bcu,
                        },
                        size,
                    ));
                }
                for d in 1..=(2 + rng.below(2)) {
                    if left == 0 {
                        break;
                    }
                    let dept = format!("{bcu}-D{d}");
                    let covert = c == 2 && b == 1 && d == 1;
                    let dept_name = if covert {
                        "Covert Operations".to_owned()
                    } else {
                        format!("{area} {b} Department {d}")
                    };
                    self.units.push(unit(
                        dept.clone(),
                        Some(&bcu),
                        dept_name,
                        "department",
                        covert,
                    ));
                    for t in 1..=(1 + rng.below(3)).min(left as u64) {
                        let team = format!("{dept}-T{t}");
                        self.units.push(unit(
                            team.clone(),
                            Some(&dept),
                            format!("{area} {b}.{d} Team {t}"),
                            "team",
                            false,
                        ));
                        self.teams.push(Team {
                            code: team,
                            command: c,
                            stalled: stalled_bcu,
                        });
                        left -= 1;
                    }
                }
            }
            self.commands.push(Command { code, pattern });
        }
        self.response_teams = self.teams.len();
        for (team, size) in specialists {
            self.teams.push(team);
            self.specialist_sizes.push(size);
        }
    }

    fn build_waves(&mut self) {
        let n = self.commands.len();
        let codes = |range: std::ops::Range<usize>| -> Vec<String> {
            range.map(|c| self.commands[c].code.clone()).collect()
        };
        let day = |offset: u64| self.start + Days::new(offset);
        let third = n / 3;
        self.waves = vec![
            WaveSpec {
                name: "Microsoft 365 — wave 1".into(),
                box_product: false,
                command_codes: codes(0..third),
                go_live: day(20),
                target: 0.75,
                target_date: day(240),
            },
            // Still to reach a target above where its curve levels off:
            // behind.
            WaveSpec {
                name: "Microsoft 365 — wave 2".into(),
                box_product: false,
                command_codes: codes(third..2 * third),
                go_live: day(110),
                target: 0.95,
                target_date: day(400),
            },
            // Short of a high target when its date passed: missed.
            WaveSpec {
                name: "Microsoft 365 — wave 3".into(),
                box_product: false,
                command_codes: codes(2 * third..n),
                go_live: day(210),
                target: 0.9,
                target_date: day(330),
            },
            WaveSpec {
                name: "Box evidence — wave 1".into(),
                box_product: true,
                command_codes: codes(0..2 * third),
                go_live: day(60),
                target: 0.6,
                target_date: day(300),
            },
            // Two young waves with the same go-live, their target dates
            // set from their forecasts once the data is in: at the median
            // (at risk), and two weeks after the band's late end (on
            // track).
            WaveSpec {
                name: AT_RISK_WAVE.into(),
                box_product: true,
                command_codes: codes(2 * third..(2 * third + n) / 2),
                go_live: day(315),
                target: 0.5,
                target_date: day(380),
            },
            WaveSpec {
                name: ON_TRACK_WAVE.into(),
                box_product: true,
                command_codes: codes((2 * third + n) / 2..n),
                go_live: day(315),
                target: 0.5,
                target_date: day(380),
            },
        ];
    }

    /// The go-live of a product for a command, from the waves.
    fn go_live(&self, command: usize, product: usize) -> Option<NaiveDate> {
        let code = &self.commands[command].code;
        self.waves
            .iter()
            .filter(|w| w.box_product == (product == 0) && w.command_codes.contains(code))
            .map(|w| w.go_live)
            .min()
    }

    fn build_people(&mut self, rng: &mut Rng, staff: usize) {
        let roles = [
            "PC",
            "PC",
            "PC",
            "Sergeant",
            "Inspector",
            "Staff",
            "Staff",
            "PCSO",
            "Detective",
        ];
        // A person joins a specialist unit with the chance that fills it
        // to its size on average; otherwise a response team, drawn as
        // before there were specialist units.
        let specialist_share: f64 =
            self.specialist_sizes.iter().sum::<usize>() as f64 / staff.max(1) as f64;
        for i in 0..staff {
            let mut r = rng.fork(i as u64);
            let mut team = r.below(self.response_teams as u64) as usize;
            let mut s = rng.fork(0x5bec_0000_0000 + i as u64);
            if s.chance(specialist_share) {
                let mut pick = s.unit() * self.specialist_sizes.iter().sum::<usize>() as f64;
                for (j, &size) in self.specialist_sizes.iter().enumerate() {
                    if pick < size as f64 {
                        team = self.response_teams + j;
                        break;
                    }
                    pick -= size as f64;
                }
            }
            let command = self.teams[team].command;
            let age = 19 + (r.unit() * 20.0 + r.unit() * 28.0) as i32;
            let born = self.end.year() - age;
            let start = if r.chance(0.06) {
                self.start + Days::new(r.below(330))
            } else {
                self.start - Days::new(r.below(365 * 20) + 1)
            };
            let leave = r
                .chance(0.07)
                .then(|| self.start + Days::new(r.below(364)))
                .filter(|l| *l >= start);
            let moved = r.chance(0.05).then(|| {
                let when = first_of_next_month(self.start + Days::new(30 + r.below(300)));
                (when, r.below(self.response_teams as u64) as usize)
            });
            let pattern = self.commands[command].pattern;
            let mut adopts = [None, None];
            let mut lapses = [None, None];
            for product in 0..2 {
                let Some(go_live) = self.go_live(command, product) else {
                    continue;
                };
                let base = if product == 0 { 0.82 } else { 0.86 };
                let slope = age_slope(pattern);
                let propensity =
                    (base + slope * f64::from(age - 40) + (r.unit() - 0.5) * 0.1).clamp(0.05, 0.98);
                if !r.chance(propensity) {
                    continue;
                }
                let pilot = r.chance(0.02);
                // The leading ages also start sooner.
                let mean_delay = if product == 0 { 45.0 } else { 30.0 }
                    * (1.0 - 2.0 * slope * f64::from(age - 40)).clamp(0.4, 1.8);
                let mut day = if pilot {
                    go_live - Days::new(1 + r.below(14))
                } else {
                    // Gamma(2) delays: a slow start, then word of mouth, so uptake
                    // follows an S-curve.
                    go_live
                        + Days::new(
                            (r.exponential(mean_delay / 2.0) + r.exponential(mean_delay / 2.0))
                                as u64,
                        )
                };
                day = day.max(start);
                if self.teams[team].stalled && day > self.end - Days::new(75) {
                    continue;
                }
                adopts[product] = Some(day);
                // Some stop: half of them after trying it for a few days,
                // the rest within months; the trailing ages more often.
                let lapse = if product == 0 { 0.16 } else { 0.10 };
                if r.chance(lapse * (1.0 - 3.0 * slope * f64::from(age - 40)).clamp(0.3, 2.0)) {
                    let after = if r.chance(0.5) {
                        1 + r.below(6)
                    } else {
                        14 + r.below(120)
                    };
                    lapses[product] = Some(day + Days::new(after));
                }
            }
            let intensity =
                (1.0 + 1.5 * age_slope(pattern) * f64::from(age - 40) + (r.unit() - 0.5) * 0.4)
                    .clamp(0.3, 1.6);
            let takes = std::array::from_fn(|t| r.chance(TAKES_TOOL[t]));
            let surname = SURNAMES[r.below(SURNAMES.len() as u64) as usize];
            let initial = (b'a' + r.below(26) as u8) as char;
            self.people.push(Person {
                number: format!("{:06}", 100_000 + i),
                sign_in: format!("{initial}.{surname}.{}@{DOMAIN}", 100_000 + i),
                born,
                role: roles[r.below(roles.len() as u64) as usize],
                start,
                leave,
                team,
                moved,
                adopts,
                lapses,
                intensity,
                takes,
                rng_salt: r.next_u64(),
            });
        }
    }

    /// About 1% of telemetry names match nobody; a few hundred prosecutors
    /// use Box from outside.
    fn build_noise(&mut self, rng: &mut Rng, staff: usize) {
        for i in 0..(staff / 250).max(2) {
            self.ghosts
                .push(format!("former.officer.{}@{LEGACY_DOMAIN}", 900_000 + i));
        }
        for i in 0..(staff / 100).max(2) {
            let surname = SURNAMES[rng.below(SURNAMES.len() as u64) as usize];
            self.externals
                .push(format!("{surname}.{i}@{EXTERNAL_DOMAIN}"));
        }
    }
}

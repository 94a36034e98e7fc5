//! The weekly schedule: start the queue at a time, pause it at a time, and
//! an alternative speed limit between two times, each on chosen days (as
//! Transmission's "alternative speed limits"). Pure: it is asked what is in
//! force at a given time of the week, and when the next change comes; the
//! time comes from a [`Clock`], so tests need not wait. Also the
//! [`SpeedChoice`] in force, which the schedule and the tray's menu set.

use serde::{Deserialize, Serialize};

/// Minutes in a day and in a week.
pub const DAY: u32 = 24 * 60;
pub const WEEK: u32 = 7 * DAY;

/// A moment of the week to the minute: Monday 00:00 is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WeekTime(u32);

impl WeekTime {
    /// `day`: 0 is Monday … 6 Sunday; `minute` of the day (both wrap).
    pub fn new(day: u32, minute: u32) -> WeekTime {
        WeekTime(((day % 7) * DAY + minute % DAY) % WEEK)
    }

    pub fn day(self) -> u32 {
        self.0 / DAY
    }

    pub fn minute(self) -> u32 {
        self.0 % DAY
    }

    /// This moment plus `minutes` (wrapping over the week's end).
    pub fn plus(self, minutes: u32) -> WeekTime {
        WeekTime((self.0 + minutes) % WEEK)
    }

    /// Minutes from `self` forward to `later` (0 when equal).
    pub fn until(self, later: WeekTime) -> u32 {
        (later.0 + WEEK - self.0) % WEEK
    }
}

/// Where the time of the week comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> WeekTime;
}

/// The computer's clock in its time zone.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> WeekTime {
        let now = jiff::ZonedDateTime::now();
        let day = now.weekday().to_monday_zero_offset() as u32;
        WeekTime::new(day, now.hour() as u32 * 60 + now.minute() as u32)
    }
}

/// Days of the week a rule runs on: bit 0 is Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Days(pub u8);

impl Days {
    pub const ALL: Days = Days(0x7f);
    pub const WORKDAYS: Days = Days(0x1f);

    pub fn has(self, day: u32) -> bool {
        day < 7 && self.0 & (1 << day) != 0
    }

    pub fn toggle(&mut self, day: u32) {
        self.0 ^= 1 << (day % 7);
    }
}

/// What a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleKind {
    /// Starts the queue (and resumes what is paused).
    Start,
    /// Pauses the queue and everything in it.
    Pause,
    /// The alternative speed limit from `at` until `until`.
    AltLimit,
}

/// One weekly rule. `at` and `until` are minutes of the day; an
/// alternative limit whose `until` is not after `at` runs past midnight
/// (into the next day), and one with `until == at` lasts a whole day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub kind: RuleKind,
    pub days: Days,
    pub at: u32,
    #[serde(default)]
    pub until: u32,
}

impl Rule {
    /// How long an alternative limit lasts, in minutes (1..=a day).
    fn span(&self) -> u32 {
        match (self.until % DAY + DAY - self.at % DAY) % DAY {
            0 => DAY,
            n => n,
        }
    }

    /// The starts of this rule in the week.
    fn starts(&self) -> impl Iterator<Item = WeekTime> + '_ {
        (0..7)
            .filter(|d| self.days.has(*d))
            .map(|d| WeekTime::new(d, self.at))
    }

    /// Its edges in the week, each with the change it makes.
    fn edges(&self) -> Vec<(WeekTime, Change)> {
        let mut out = Vec::new();
        for start in self.starts() {
            match self.kind {
                RuleKind::Start => out.push((start, Change::Start)),
                RuleKind::Pause => out.push((start, Change::Pause)),
                RuleKind::AltLimit => {
                    out.push((start, Change::AltOn));
                    out.push((start.plus(self.span()), Change::AltOff));
                }
            }
        }
        out
    }
}

/// What an edge of a rule changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Start,
    Pause,
    AltOn,
    AltOff,
}

/// Whether the schedule wants the queue running or paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueWanted {
    Running,
    Paused,
}

/// Which speed limit is in force.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpeedChoice {
    /// The `Speed limit` setting.
    #[default]
    Setting,
    /// The alternative limit (the schedule's, or chosen by hand).
    Alternative,
    /// No limit.
    Unlimited,
}

impl SpeedChoice {
    pub const ALL: [SpeedChoice; 3] = [
        SpeedChoice::Unlimited,
        SpeedChoice::Alternative,
        SpeedChoice::Setting,
    ];
}

/// What is in force at a moment, and what comes next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The queue as the latest start or pause before now left it (`None`
    /// with no such rule); with the moment of that edge.
    pub queue: Option<(QueueWanted, WeekTime)>,
    /// An alternative limit runs now: the moment it ends.
    pub alt_until: Option<WeekTime>,
    /// The next edge of any rule, and its change.
    pub next: Option<(WeekTime, Change)>,
}

/// The schedule: its rules, in the order the user lists them (of two
/// edges at one minute, the later rule has the last word).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schedule {
    pub rules: Vec<Rule>,
}

impl Schedule {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What is in force at `now`.
    pub fn plan(&self, now: WeekTime) -> Plan {
        // (minutes since the edge, the edge): the latest start or pause.
        let mut queue: Option<(u32, QueueWanted, WeekTime)> = None;
        let mut alt_until: Option<(u32, WeekTime)> = None;
        let mut next: Option<(u32, WeekTime, Change)> = None;
        for rule in &self.rules {
            for (at, change) in rule.edges() {
                let ago = at.until(now);
                let wanted = match change {
                    Change::Start => Some(QueueWanted::Running),
                    Change::Pause => Some(QueueWanted::Paused),
                    _ => None,
                };
                if let Some(wanted) = wanted
                    && queue.is_none_or(|(best, ..)| ago <= best)
                {
                    queue = Some((ago, wanted, at));
                }
                if change == Change::AltOn && ago < rule.span() {
                    let end = at.plus(rule.span());
                    let left = now.until(end);
                    if alt_until.is_none_or(|(best, _)| left > best) {
                        alt_until = Some((left, end));
                    }
                }
                // Strictly after now: an edge at this very minute is in force.
                let ahead = match now.until(at) {
                    0 => WEEK,
                    n => n,
                };
                if next.is_none_or(|(best, ..)| ahead < best) {
                    next = Some((ahead, at, change));
                }
            }
        }
        Plan {
            queue: queue.map(|(_, w, at)| (w, at)),
            alt_until: alt_until.map(|(_, end)| end),
            next: next.map(|(_, at, change)| (at, change)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MON: u32 = 0;
    const TUE: u32 = 1;
    const FRI: u32 = 4;
    const SAT: u32 = 5;
    const SUN: u32 = 6;

    fn hm(h: u32, m: u32) -> u32 {
        h * 60 + m
    }

    fn at(day: u32, h: u32, m: u32) -> WeekTime {
        WeekTime::new(day, hm(h, m))
    }

    fn rule(kind: RuleKind, days: Days, at: u32, until: u32) -> Rule {
        Rule {
            kind,
            days,
            at,
            until,
        }
    }

    /// Workdays: pause at 09:00, start at 18:00; every night the
    /// alternative limit from 22:00 to 06:00.
    fn office() -> Schedule {
        Schedule {
            rules: vec![
                rule(RuleKind::Pause, Days::WORKDAYS, hm(9, 0), 0),
                rule(RuleKind::Start, Days::WORKDAYS, hm(18, 0), 0),
                rule(RuleKind::AltLimit, Days::ALL, hm(22, 0), hm(6, 0)),
            ],
        }
    }

    #[test]
    fn start_and_pause_edges_hold_until_the_next() {
        let s = office();
        let paused = |t| s.plan(t).queue.map(|(w, _)| w);
        assert_eq!(paused(at(MON, 8, 59)), Some(QueueWanted::Running)); // Friday 18:00's
        assert_eq!(paused(at(MON, 9, 0)), Some(QueueWanted::Paused));
        assert_eq!(paused(at(MON, 17, 59)), Some(QueueWanted::Paused));
        assert_eq!(paused(at(MON, 18, 0)), Some(QueueWanted::Running));
        // The weekend has no rule: Friday evening's start holds.
        assert_eq!(paused(at(SUN, 12, 0)), Some(QueueWanted::Running));
        assert_eq!(s.plan(at(SUN, 12, 0)).queue.unwrap().1, at(FRI, 18, 0));
        assert_eq!(s.plan(at(MON, 9, 30)).next, Some((at(MON, 18, 0), Change::Start)));
    }

    #[test]
    fn an_alternative_limit_runs_across_midnight_and_the_week_end() {
        let s = office();
        let alt = |t| s.plan(t).alt_until;
        assert_eq!(alt(at(MON, 21, 59)), None);
        assert_eq!(alt(at(MON, 22, 0)), Some(at(TUE, 6, 0)));
        assert_eq!(alt(at(TUE, 0, 0)), Some(at(TUE, 6, 0)));
        assert_eq!(alt(at(TUE, 5, 59)), Some(at(TUE, 6, 0)));
        assert_eq!(alt(at(TUE, 6, 0)), None);
        // Sunday night's runs into Monday morning (the week wraps).
        assert_eq!(alt(at(MON, 3, 0)), Some(at(MON, 6, 0)));
        assert_eq!(s.plan(at(MON, 21, 0)).next, Some((at(MON, 22, 0), Change::AltOn)));
        assert_eq!(s.plan(at(TUE, 1, 0)).next, Some((at(TUE, 6, 0), Change::AltOff)));
    }

    #[test]
    fn chosen_days_only_and_a_whole_day() {
        let s = Schedule {
            rules: vec![rule(RuleKind::AltLimit, Days(1 << SAT), hm(0, 0), hm(0, 0))],
        };
        assert_eq!(s.plan(at(FRI, 23, 59)).alt_until, None);
        assert_eq!(s.plan(at(SAT, 0, 0)).alt_until, Some(at(SUN, 0, 0)));
        assert_eq!(s.plan(at(SAT, 23, 59)).alt_until, Some(at(SUN, 0, 0)));
        assert_eq!(s.plan(at(SUN, 0, 0)).alt_until, None);
        assert_eq!(s.plan(at(SUN, 0, 0)).queue, None);
        // The next change a week on wraps to Saturday.
        assert_eq!(s.plan(at(SUN, 0, 0)).next, Some((at(SAT, 0, 0), Change::AltOn)));
        assert_eq!(
            Schedule::default().plan(at(MON, 0, 0)),
            Plan {
                queue: None,
                alt_until: None,
                next: None
            }
        );
    }

    #[test]
    fn of_two_edges_at_one_minute_the_later_rule_wins() {
        let s = Schedule {
            rules: vec![
                rule(RuleKind::Start, Days::ALL, hm(12, 0), 0),
                rule(RuleKind::Pause, Days(1 << MON), hm(12, 0), 0),
            ],
        };
        assert_eq!(s.plan(at(MON, 12, 0)).queue.unwrap().0, QueueWanted::Paused);
        assert_eq!(s.plan(at(TUE, 12, 0)).queue.unwrap().0, QueueWanted::Running);
    }
}

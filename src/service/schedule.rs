//! The weekly schedule and the speed limit in force, applied to the
//! downloads, for every front end alike (the window, `fanout serve`): the
//! schedule acts on its edges only, so what the user does between two
//! edges stands (as in Transmission). The plan itself is pure
//! ([`crate::settings::schedule`]).

use super::Downloads;
use crate::settings::Settings;
use crate::settings::schedule::{Plan, QueueWanted, RuleKind, Schedule, SpeedChoice, WeekTime};

/// What the schedule last did, so it acts on edges only.
#[derive(Clone, Debug, Default)]
pub struct ScheduleState {
    /// The rules it last applied (an edit applies what is in force).
    rules: Option<Schedule>,
    queue: Option<QueueWanted>,
    alt: Option<bool>,
    /// What is in force now (for the status bar); `None` without rules.
    pub plan: Option<Plan>,
}

impl Downloads {
    /// The speed limit in force, in bytes per second.
    pub fn rate_limit(&self, settings: &Settings) -> Option<u64> {
        match self.speed {
            SpeedChoice::Setting => settings.rate_limit(),
            SpeedChoice::Alternative => Some(settings.alt_speed_limit_kib.max(1) * 1024),
            SpeedChoice::Unlimited => None,
        }
    }

    /// Chooses the speed limit in force (the tray, the schedule), or
    /// applies a changed setting.
    pub fn set_speed(&mut self, choice: SpeedChoice, settings: &Settings) {
        self.speed = choice;
        if let Some(engine) = &self.engine {
            engine.set_rate_limit(self.rate_limit(settings));
        }
    }

    /// Pauses the queue and every download in it, or resumes them all.
    pub fn pause_all(&mut self, paused: bool) {
        let rows: Vec<usize> = (0..self.model.rows.len())
            .filter(|&i| {
                let state = &self.model.rows[i].state;
                if paused {
                    state.can_pause()
                } else {
                    state.can_resume()
                }
            })
            .collect();
        self.set_queue_paused(paused);
        for i in rows {
            if paused {
                self.pause(i);
            } else {
                self.resume(i);
            }
        }
    }

    /// Applies the schedule's edges that passed since the last look; true
    /// while it has rules (look again within a minute).
    pub fn run_schedule(&mut self, settings: &Settings, now: WeekTime) -> bool {
        let schedule = &settings.schedule;
        if schedule.is_empty() && self.schedule.rules.is_none() {
            self.schedule.plan = None;
            return false;
        }
        let plan = schedule.plan(now);
        let edited = self.schedule.rules.as_ref() != Some(schedule);
        let has_alt = schedule.rules.iter().any(|r| r.kind == RuleKind::AltLimit);
        // Kept to tell the next edit; cloned only when it changed.
        if edited {
            self.schedule.rules = (!schedule.is_empty()).then(|| schedule.clone());
        }
        let queue = plan.queue.map(|(wanted, _)| wanted);
        match queue {
            // At an edge, everything; when the rules were edited or the
            // service started, a queue the schedule wants running is let
            // go but downloads paused by hand stay paused.
            Some(wanted) if queue != self.schedule.queue && !edited => {
                self.pause_all(wanted == QueueWanted::Paused);
            }
            Some(QueueWanted::Paused) if edited => self.pause_all(true),
            Some(QueueWanted::Running) if edited => self.set_queue_paused(false),
            _ => {}
        }
        let alt = has_alt.then_some(plan.alt_until.is_some());
        if edited || alt != self.schedule.alt {
            match (alt, self.schedule.alt) {
                (Some(true), _) => self.set_speed(SpeedChoice::Alternative, settings),
                // Its end, or its rule gone while it ran.
                (Some(false), _) | (None, Some(true)) => self.set_speed(SpeedChoice::Setting, settings),
                (None, _) => {}
            }
        }
        self.schedule.queue = queue;
        self.schedule.alt = alt;
        let any = !schedule.is_empty();
        self.schedule.plan = any.then_some(plan);
        any
    }
}

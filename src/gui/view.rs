//! What a frame draws of the downloads, read under the frame's one lock.
//!
//! `ui` locks the service once (and a shown server's view once beside it),
//! builds a [`View`] of borrowed data and hands it to the panels, which
//! draw from it and collect [`super::Action`]s; the lock is released
//! before the actions are applied and before the frame is painted. The
//! service's thread hands the lock over fairly (see `service::hub`), so a
//! layout waits at most for one of its slices, and an RPC call for one
//! layout.

use crate::i18n::tr;
use crate::rpc::Server;
use crate::service::Downloads;
use crate::service::hub::Service;
use crate::service::kind::Kind;
use crate::service::model::Counts;
use crate::service::remote::View as RemoteView;
use crate::settings::schedule::{Change, QueueWanted};

/// The downloads as a frame sees them.
pub(super) struct View<'a> {
    /// The downloads shown: a server's while one is shown, else this
    /// computer's.
    pub shown: &'a Downloads,
    /// This computer's downloads, whichever are shown (the queue's pause,
    /// the speed in force, the schedule, downloads other programs sent).
    pub local: &'a Downloads,
    /// The RPC server other programs hand downloads to, when it serves.
    pub rpc: Option<&'a Server>,
    /// The server shown, if one is: its rows, its line, what it refused.
    pub remote: Option<&'a RemoteView>,
    /// The rows to show and their order where they are not the list's own
    /// (a server's, without those it no longer lists).
    pub listed: Option<&'a [usize]>,
    /// The listed rows per state: the toolbar, the sidebar and the status
    /// bar all need them.
    pub counts: Counts,
    /// The listed rows of each kind, in [`Kind::ALL`]'s order (the
    /// sidebar's categories).
    pub kinds: [usize; Kind::ALL.len()],
}

impl<'a> View<'a> {
    /// Reads the frame's view from the locked service and, while a server
    /// is shown, its locked view.
    pub fn new(service: &'a Service, remote: Option<&'a RemoteView>) -> View<'a> {
        let local = &service.downloads;
        let shown = remote.map_or(local, |r| &r.downloads);
        let listed = remote.map(|r| r.listed.as_slice());
        let counts = match listed {
            Some(rows) => shown.model.counts_of(rows.iter().copied()),
            None => shown.model.counts(),
        };
        View {
            shown,
            local,
            rpc: service.server.as_ref(),
            remote,
            listed,
            counts,
            kinds: super::filter::kind_counts(&shown.model, listed),
        }
    }

    /// Whether a server's downloads are shown.
    pub fn on_server(&self) -> bool {
        self.remote.is_some()
    }

    /// The rows the list shows through `filter`, in its order.
    pub fn rows_shown(&self, filter: &super::filter::ListFilter) -> Vec<usize> {
        super::filter::shown(&self.shown.model, filter, self.listed)
    }

    /// The port the RPC server listens on, when it does.
    pub fn rpc_port(&self) -> Option<u16> {
        self.rpc.map(Server::port)
    }

    /// Calls the RPC server refused, in the window's words.
    pub fn rpc_refused(&self) -> Option<String> {
        refused_text(self.rpc?)
    }

    /// `Schedule: paused since Mon 09:00 · alternative limit until Tue
    /// 06:00 · next: start Mon 18:00` (none without rules).
    pub fn schedule_status(&self) -> Option<String> {
        use super::unattended::when;
        let plan = self.local.schedule.plan.as_ref()?;
        let mut parts = Vec::new();
        match plan.queue {
            Some((QueueWanted::Paused, at)) => parts.push(tr!(SchedPausedSince, at = when(at))),
            Some((QueueWanted::Running, at)) => parts.push(tr!(SchedRunningSince, at = when(at))),
            None => {}
        }
        if let Some(end) = plan.alt_until {
            parts.push(tr!(SchedAltUntil, at = when(end)));
        }
        if let Some((at, change)) = plan.next {
            let what = match change {
                Change::Start => tr!(SchedNextStart),
                Change::Pause => tr!(SchedNextPause),
                Change::AltOn => tr!(SchedNextAltOn),
                Change::AltOff => tr!(SchedNextAltOff),
            };
            parts.push(tr!(SchedNext, what = what, at = when(at)));
        }
        Some(tr!(ScheduleStatus, parts = parts.join(" · ")))
    }
}

/// Calls `server` refused (a mistyped secret in an extension), in the
/// window's words: `3 calls refused: wrong secret, from
/// chrome-extension://…`.
pub(super) fn refused_text(server: &Server) -> Option<String> {
    use crate::rpc::RefusalReason;
    let r = server.refusals()?;
    let reason = match r.last_reason {
        RefusalReason::WrongSecret => tr!(RefusedWrongSecret),
        RefusalReason::NoSecret => tr!(RefusedNoSecret),
        RefusalReason::ForeignHost => tr!(RefusedForeignHost),
    };
    Some(match &r.last_origin {
        Some(origin) => tr!(RpcRefusedFrom, n = r.count, reason = reason, origin = origin),
        None => tr!(RpcRefused, n = r.count, reason = reason),
    })
}

//! The engine's I/O runtime: one tokio event loop on a thread of its own
//! (`fanout-io`), like asyncio's and aria2's, that drives every socket and
//! timer of every local engine.
//!
//! The async engine spawns its transfers onto it. A worker thread of the
//! sequential or threads engine runs its one transfer with
//! [`EventLoop::block_on`]: the thread polls the transfer (and writes its file)
//! and sleeps while it waits, while the loop's thread drives the I/O and
//! wakes it. That is what `reqwest::blocking` does with a hidden runtime
//! thread per client; here the runtime is shared, so the transfer code is
//! written once. (`Handle::block_on` on a current-thread runtime drives no
//! I/O or timers by itself; it works here because the loop's own thread
//! sits in `Runtime::block_on` for as long as any [`EventLoop`] handle lives.)

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::config::{EngineConfig, EngineError};
use super::cookies::Cookies;
use super::net::Clients;

/// A handle to the runtime; the loop ends when the last clone is dropped
/// (the engine, its backends and every running transfer hold one), so a
/// transfer is never left without its I/O driver.
#[derive(Clone)]
pub(crate) struct EventLoop(Arc<Inner>);

struct Inner {
    handle: Handle,
    /// Dropping it (with the last handle) ends the loop's thread.
    _stop: oneshot::Sender<()>,
}

thread_local! {
    static ON_LOOP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is the I/O loop's own.
pub(crate) fn on_loop() -> bool {
    ON_LOOP.with(std::cell::Cell::get)
}

impl EventLoop {
    /// Starts the loop's thread.
    pub(crate) fn start() -> std::io::Result<EventLoop> {
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready, handle) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("fanout-io".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                ON_LOOP.with(|on| on.set(true));
                let _ = ready.send(Ok(rt.handle().clone()));
                let _ = rt.block_on(stopped);
                // The last task's events may wait for their flush task
                // (see `context::Outbox`): one more turn runs it.
                rt.block_on(tokio::task::yield_now());
                ON_LOOP.with(|on| on.set(false));
                // Every handle is gone: nothing can be waiting for a transfer.
                rt.shutdown_background();
            })?;
        let handle = handle
            .recv()
            .map_err(|_| std::io::Error::other("the I/O runtime's thread died"))??;
        Ok(EventLoop(Arc::new(Inner { handle, _stop: stop })))
    }

    /// The HTTP clients for transfers on this loop: they must be built
    /// inside the runtime that will drive their connections.
    pub(crate) fn clients(
        &self,
        config: &EngineConfig,
        cookies: &Arc<Cookies>,
    ) -> Result<Clients, EngineError> {
        let _inside = self.0.handle.enter();
        Clients::new(config, cookies)
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.0.handle
    }

    /// Waits until the loop has run every task that is ready now. A worker
    /// thread calls it after a transfer, before it lets the next one start:
    /// the connection the transfer read to its end goes back to the pool
    /// in a task of the loop's, and the next request would otherwise race
    /// it and open a connection of its own. (On the loop itself the order
    /// of its run queue does this.)
    pub(crate) fn catch_up(&self) {
        let (done, caught_up) = oneshot::channel();
        self.0.handle.spawn(async move {
            let _ = done.send(());
        });
        let _ = self.block_on(caught_up);
    }

    /// Runs `fut` to its end on this thread, with the loop driving its I/O.
    /// Must not be called from the loop's own thread.
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.0.handle.block_on(fut)
    }
}

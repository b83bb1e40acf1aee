//! Waiting for SIGINT or SIGTERM (and SIGUSR1, a request to log the counters). Register early ([`Signals::register`]) so a signal that
//! arrives while the program is still starting is not lost (nor fatal): it is answered with a
//! clean shutdown as soon as start-up is done.

/// Registered handlers for SIGINT and SIGTERM.
pub struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    usr1: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers now (needs a Tokio runtime).
    pub fn register() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
                usr1: signal(SignalKind::user_defined1())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Resolves with the signal's name when SIGINT (Ctrl-C) or SIGTERM arrives (or arrived
    /// since registration).
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// What [`Signals::next`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalEvent {
    /// SIGINT or SIGTERM (named).
    Shutdown(&'static str),
    /// SIGUSR1: log the counters and go on (Unix only).
    Stats,
}

impl Signals {
    /// Resolves with the next shutdown signal or request to log the counters.
    pub async fn next(&mut self) -> SignalEvent {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => SignalEvent::Shutdown("SIGTERM"),
                _ = self.int.recv() => SignalEvent::Shutdown("SIGINT"),
                _ = self.usr1.recv() => SignalEvent::Stats,
            }
        }
        #[cfg(not(unix))]
        {
            SignalEvent::Shutdown(self.recv().await)
        }
    }
}

/// Registers and waits in one step (for callers that are already running).
pub async fn shutdown_signal() -> std::io::Result<&'static str> {
    let mut signals = Signals::register()?;
    Ok(signals.recv().await)
}

//! The `fanout` binary: the window by default, `fanout get` headless.

use std::process::ExitCode;

use clap::Parser;
use fanout::cli::{Cli, Command, run_get};

/// fanout's own warnings only: libraries (the TLS verifier, wgpu, zbus)
/// speak when `RUST_LOG` asks them to, not into a script's stderr.
const DEFAULT_LOG: &str = "off,fanout=warn";

fn main() -> ExitCode {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(std::io::stderr)
        // Colour codes are for a terminal, not a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Get(args)) => ExitCode::from(run_get(&args)),
        None => match fanout::gui::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("fanout: cannot open the window: {e}");
                eprintln!("(without a display, use `fanout get URL...`; see `fanout --help`)");
                ExitCode::FAILURE
            }
        },
    }
}

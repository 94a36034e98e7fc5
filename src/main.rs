//! The `fanout` binary: the window by default (issue #3), `fanout get` headless.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use fanout::cli::{Cli, Command, run_get};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Get(args)) => ExitCode::from(run_get(&args)),
        None => {
            // The window is the next milestone (issue #3); until it lands,
            // `fanout` alone says what there is.
            let _ = Cli::command().print_help();
            ExitCode::SUCCESS
        }
    }
}

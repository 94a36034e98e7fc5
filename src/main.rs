//! The `fanout` binary: the window by default (one per user: a later
//! `fanout URL…` hands its URLs to the running one), `fanout get` headless,
//! `fanout serve` the downloads service with no window; `fanout man` and
//! `fanout completions SHELL` print the manual page and completions.

use std::process::ExitCode;

use clap::Parser;
use fanout::cli::{Cli, Command, OpenArgs, run_get, run_serve};
use fanout::gui::AppOptions;
use fanout::platform::instance::{Claim, Holder, Instance, Places, hand_over};
use fanout::settings::Folders;

/// fanout's own warnings only: libraries (the TLS verifier, wgpu, zbus)
/// speak when `RUST_LOG` asks them to, not into a script's stderr.
const DEFAULT_LOG: &str = "off,fanout=warn";

/// A service's journal wants a line for each event.
const SERVE_LOG: &str = "off,fanout=info";

fn main() -> ExitCode {
    use std::io::IsTerminal;
    let cli = Cli::parse();
    let default_log = match cli.command {
        Some(Command::Serve(_)) => SERVE_LOG,
        _ => DEFAULT_LOG,
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_log)),
        )
        .with_writer(std::io::stderr)
        // Colour codes are for a terminal, not a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command {
        Some(Command::Get(args)) => ExitCode::from(run_get(&args)),
        Some(Command::Serve(args)) => run_serve(&args, &Folders::from_system()),
        Some(Command::Completions(args)) => printed(
            "fanout completions",
            fanout::cli::manual::completions(args.shell, &mut std::io::stdout()),
        ),
        Some(Command::Man) => printed("fanout man", fanout::cli::manual::man(&mut std::io::stdout())),
        Some(Command::DesktopEntry) => {
            use std::io::Write;
            let entry = fanout::platform::desktop::system_entry();
            printed(
                "fanout desktop-entry",
                std::io::stdout().write_all(entry.as_bytes()),
            )
        }
        None => open(&cli.open),
    }
}

/// The exit status of a command that prints a document; a reader that
/// stopped early (`| head`) is no error worth a message.
fn printed(what: &str, result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{what}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The window: the running one (raised, given the URLs), or a new one.
fn open(args: &OpenArgs) -> ExitCode {
    let mut options = AppOptions::from_system();
    options.start_hidden = args.hidden;
    options.frame_log = std::env::var_os("FANOUT_FRAME_LOG").map(std::path::PathBuf::from);
    if args.install_desktop_entry {
        let data = dirs::data_dir().unwrap_or_else(|| options.data_dir.clone());
        let exe = std::env::current_exe().and_then(|e| e.canonicalize());
        return match exe.and_then(|exe| fanout::platform::desktop::install(&data, &exe)) {
            Ok(done) => {
                println!("wrote {} and {}", done.entry.display(), done.icon.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("fanout: cannot write the desktop entry: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let handoff = match args.handoff() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("fanout: {e}");
            return ExitCode::from(fanout::cli::EXIT_USAGE);
        }
    };
    let places = Places::new(&options.data_dir);
    let instance = match Instance::claim(&places) {
        Ok(Claim::Running) => {
            let holder = Holder::read(&places);
            if let Holder::Serve { .. } = holder
                && handoff.lines.is_empty()
            {
                // The service owns the queue: a second owner would run
                // every download twice.
                let why = format!(
                    "{holder} keeps the downloads of {}; no window opens beside it. \
                     Add URLs with `fanout URL…`, or stop the service first.",
                    options.data_dir.display()
                );
                eprintln!("fanout: {why}");
                // Started from a menu, there is no terminal to read it in.
                if let Err(e) = fanout::platform::desktop::notify_now("fanout", &why) {
                    tracing::info!(error = %e, "no desktop notification");
                }
                return ExitCode::FAILURE;
            }
            let to = match holder {
                Holder::Window => "its window".to_string(),
                Holder::Serve { .. } => holder.to_string(),
            };
            return match hand_over(&places, &handoff) {
                Ok(()) => {
                    if !handoff.lines.is_empty() {
                        println!("fanout is running: {} URLs handed to {to}", handoff.lines.len());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("fanout: {holder} is running but did not take the URLs: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Ok(Claim::First(instance)) => {
            if !handoff.is_empty() {
                instance.push(handoff);
            }
            Some(instance)
        }
        Err(e) => {
            tracing::warn!(%e, "cannot check for a running window; opening one");
            None
        }
    };
    match fanout::gui::run(options, instance) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fanout: cannot open the window: {e}");
            eprintln!("(without a display, use `fanout get URL...`; see `fanout --help`)");
            ExitCode::FAILURE
        }
    }
}

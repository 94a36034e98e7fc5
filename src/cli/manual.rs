//! `fanout completions SHELL` and `fanout man`: the shell completions and
//! the manual page, made from the very clap definitions that parse the
//! command line (clap_complete, clap_mangen), so they can never drift from
//! it. The Debian package ships what these print (`packaging/deb.sh`).

use std::io::{self, Write};

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// `fanout completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The whole command line as clap knows it, built (every subcommand knows
/// its full name, `fanout get`), without the `help` subcommand: a page and
/// a completion list that offer `help` next to `--help` say it twice.
fn command() -> clap::Command {
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Writes the completion script for `shell`. It is made in memory first:
/// clap_complete panics when its writer fails (`| head` closing the pipe).
pub fn completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "fanout", &mut script);
    out.write_all(&script)
}

/// roff's preamble, which clap_mangen writes before every piece it renders;
/// the page carries it once, at the top.
const PREAMBLE: [&str; 2] = [r".ie \n(.g .ds Aq \(aq", r".el .ds Aq '"];

/// Writes the manual page: one page, `fanout(1)`, that documents every
/// subcommand's options in a section of its own, so `man fanout` answers
/// what `fanout get --help` does (clap_mangen alone would point at a page
/// per subcommand).
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let cmd = command();
    let page = Man::new(cmd.clone()).manual("User Commands");
    let mut text = String::new();
    let mut piece = |render: &dyn Fn(&mut dyn Write) -> io::Result<()>, demote: bool| -> io::Result<()> {
        let mut buf = Vec::new();
        render(&mut buf)?;
        for line in String::from_utf8_lossy(&buf).lines() {
            if PREAMBLE.contains(&line) {
                continue;
            }
            match line.strip_prefix(".SH ").filter(|_| demote) {
                Some(heading) => text.push_str(&format!(".SS {heading}\n")),
                None => text.push_str(&format!("{line}\n")),
            }
        }
        Ok(())
    };
    piece(&|w| page.render_title(w), false)?;
    piece(&|w| page.render_name_section(w), false)?;
    piece(&|w| page.render_synopsis_section(w), false)?;
    piece(&|w| description(&cmd).to_writer(w), false)?;
    piece(&|w| page.render_options_section(w), false)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_page = Man::new(sub.clone());
        let name = sub.get_bin_name().unwrap_or(sub.get_name()).to_uppercase();
        piece(&|w| heading(&name).to_writer(w), false)?;
        // The synopsis and description sit right under the command's
        // heading; its options (and their headings) one level down.
        piece(&|w| body_of(&sub_page, Man::render_synopsis_section, w), false)?;
        piece(&|w| body_of(&sub_page, Man::render_description_section, w), false)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            piece(&|w| sub_page.render_options_section(w), true)?;
        }
        if let Some(after) = sub.get_after_help() {
            piece(&|w| examples(&after.to_string()).to_writer(w), false)?;
        }
    }
    piece(&|w| exit_status().to_writer(w), false)?;
    piece(&|w| page.render_version_section(w), false)?;
    out.write_all(format!("{}\n{}\n", PREAMBLE[0], PREAMBLE[1]).as_bytes())?;
    out.write_all(text.as_bytes())
}

/// A section heading of its own.
fn heading(name: &str) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", [name]);
    roff
}

/// A section rendered by clap_mangen without its `.SH` line.
fn body_of(
    page: &Man,
    render: fn(&Man, &mut dyn Write) -> io::Result<()>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut buf = Vec::new();
    render(page, &mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with(".SH ")).collect();
    w.write_all(format!("{}\n.PP\n", body.join("\n")).as_bytes())
}

/// The description: the front ends, each documented in a section below
/// (the one-line about is the NAME section's already).
fn description(cmd: &clap::Command) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([roman(
        "Without a command, fanout opens its window and queues the URLs given (a running window \
         takes them instead). The commands are:",
    )]);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        roff.control("TP", []);
        roff.text([bold(sub.get_bin_name().unwrap_or(sub.get_name()).to_string())]);
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        roff.text([roman(about)]);
    }
    roff
}

/// A subcommand's examples (its `after_help`), line for line as written.
fn examples(after_help: &str) -> Roff {
    let mut roff = Roff::new();
    roff.control("SS", ["EXAMPLES"]);
    roff.control("nf", []);
    for line in after_help.lines().filter(|l| l.trim_end() != "Examples:") {
        roff.text([roman(line.trim_start().to_string())]);
    }
    roff.control("fi", []);
    roff
}

/// `fanout get`'s exit status, which scripts rely on.
fn exit_status() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    roff.text([roman("fanout get exits with:")]);
    for (code, meaning) in [
        (EXIT_OK, "every download succeeded;"),
        (
            EXIT_FAILED,
            "at least one download failed (the others still ran);",
        ),
        (EXIT_USAGE, "a usage error: bad flags, or nothing to download."),
    ] {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(meaning)]);
    }
    roff
}

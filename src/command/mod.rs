//! The commands: each file turns one subcommand's arguments and the
//! [`Settings`] into calls of the core, then formats and prints what comes
//! back (data to stdout, messages to stderr). No workflow lives here that the
//! core could own: which renders run is [`Settings`]' choice, running them
//! is [`crate::pipeline`]'s.

mod chart;
mod check;
mod diff;
mod explain;
mod graph;
mod hydrate;
mod import;
mod init;
mod man;
mod plan;
mod render;
mod snapshot;

use std::io::Write;

use anyhow::Context as _;

use crate::cli::{Cli, Command};
use crate::diagnostic;
use crate::exit::ExitStatus;
use crate::load::Context;
use crate::pipeline::Failed;
use crate::settings::Settings;
use crate::term;

/// Runs one command.
pub fn run(cli: Cli) -> ExitStatus {
    let settings = Settings::new(&cli);
    // every load of this run reads files only where `--allow-read` says
    crate::load::input::allow_read(cli.allow_read.clone());
    let result = match &cli.command {
        Command::Render(args) => render::run(&settings, args),
        Command::Snapshot(args) => snapshot::run(&settings, args),
        Command::Diff(args) => diff::run(&settings, args),
        Command::Check(args) => check::run(&settings, args),
        Command::Plan(args) => plan::run(&settings, args),
        Command::Graph(args) => graph::run(&settings, args),
        Command::Explain(args) => explain::run(&settings, args),
        Command::Init(args) => init::run(args),
        Command::Import(args) => import::run(&settings, args),
        Command::Schema(args) => {
            let schema = if args.profile { crate::schema::profile() } else { crate::schema::topology() };
            print(&(serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"))
        }
        Command::Completions(args) => {
            // a script that asks `archctl` itself at each completion
            // (`COMPLETE=SHELL archctl -- …`), so that profiles, phases and
            // contexts are offered as they are at that moment
            let mut buf = Vec::new();
            let shells = clap_complete::env::Shells::builtins();
            match shells.completer(&args.shell.to_string()) {
                Some(shell) => shell
                    .write_registration("COMPLETE", "archctl", "archctl", "archctl", &mut buf)
                    .map_err(anyhow::Error::from)
                    .and_then(|()| print(&String::from_utf8_lossy(&buf))),
                None => Err(anyhow::anyhow!("no completion for the shell `{}`", args.shell)),
            }
        }
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(status) => status,
        Err(e) if is_broken_pipe(&e) => ExitStatus::Success,
        Err(e) => {
            term::error(settings.colors.stderr, &e);
            ExitStatus::Error
        }
    }
}

/// Writes data to stdout.
fn print(text: &str) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    Ok(ExitStatus::Success)
}

/// A reader that closed the pipe (`archctl render | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// The value of a pipeline step, or None after reporting why it failed.
fn reported<T>(outcome: Result<T, Failed>, color: bool) -> Option<T> {
    outcome.map_err(|failed| report(&failed, color)).ok()
}

/// Prints diagnostics to stderr with a count, `cargo` style.
fn report(failed: &Failed, color: bool) {
    let text = diagnostic::render(&failed.diagnostics, &failed.context.sources, Some(failed.context.spans()), color);
    let errors = failed.diagnostics.iter().filter(|d| d.severity == diagnostic::Severity::Error).count();
    term::message(&format!(
        "{}error: could not render: {errors} error{} found",
        text,
        if errors == 1 { "" } else { "s" }
    ));
}

/// Prints the warnings of a render that succeeded.
fn warn(warnings: &[diagnostic::Diagnostic], context: &Context, color: bool) {
    if !warnings.is_empty() {
        term::message(&diagnostic::render(warnings, &context.sources, Some(context.spans()), color));
    }
}

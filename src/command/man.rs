//! `archctl man`: man pages in roff, from the clap definition of the
//! command line: `archctl(1)`, and `archctl-SUBCOMMAND(1)` for every
//! subcommand that `--help` shows.

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::cli::{Cli, ManArgs};
use crate::exit::ExitStatus;
use crate::term;

/// Runs `archctl man [SUBCOMMAND] [--out DIR]`.
pub(super) fn run(args: &ManArgs) -> anyhow::Result<ExitStatus> {
    let top = command();
    match (&args.subcommand, &args.out) {
        (_, Some(dir)) => write_all(&top, dir),
        (Some(name), None) => super::print(&page(subcommand(&top, name)?)?),
        (None, None) => super::print(&page(&top)?),
    }
}

/// archctl's command line, built, so that each subcommand carries its page
/// name (`archctl-render`), its usage (`archctl render`) and the global
/// options. clap's own `help` subcommand is left out: it has no page.
fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The subcommands that get a page: those `--help` lists.
fn visible(top: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    top.get_subcommands().filter(|s| !s.is_hide_set())
}

/// The visible subcommand `name`.
fn subcommand<'a>(top: &'a clap::Command, name: &str) -> anyhow::Result<&'a clap::Command> {
    if let Some(sub) = visible(top).find(|s| s.get_name() == name) {
        return Ok(sub);
    }
    let known: Vec<&str> = visible(top).map(|s| s.get_name()).collect();
    bail!("`{name}` is not a subcommand of archctl; the man pages are those of: {}", known.join(", "))
}

fn man(cmd: &clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd.clone()).source(format!("archctl {}", env!("CARGO_PKG_VERSION")))
}

/// The roff text of one page. A subcommand's `Examples:` (its
/// `after_long_help`) become an EXAMPLES section, one command a line,
/// rather than clap_mangen's EXTRA, which would fill them into a paragraph.
fn page(cmd: &clap::Command) -> anyhow::Result<String> {
    let after = cmd.get_after_long_help().map(|a| a.to_string());
    let examples = after.as_deref().and_then(|a| a.strip_prefix(EXAMPLES));
    let mut buf = Vec::new();
    match examples {
        Some(_) => man(&cmd.clone().after_long_help(None::<&str>)).render(&mut buf),
        None => man(cmd).render(&mut buf),
    }
    .context("cannot render the man page")?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if let Some(examples) = examples {
        text.push_str(&examples_section(examples));
    }
    Ok(text)
}

/// How the long help of every subcommand ends (see `crate::cli`).
const EXAMPLES: &str = "Examples:\n";

/// `.SH EXAMPLES`, the lines kept as they are (`.nf`) and indented.
fn examples_section(examples: &str) -> String {
    use clap_mangen::roff::{Roff, roman};
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]).control("RS", ["4"]).control("nf", []);
    for line in examples.lines() {
        roff.text([roman(line.trim_start())]);
    }
    roff.control("fi", []).control("RE", []);
    // the page's preamble defines `Aq`, the apostrophe (as `render` writes them)
    roff.to_roff().replace('\'', r"\*(Aq")
}

/// `--out DIR`: every page, as `archctl.1` and `archctl-SUBCOMMAND.1`.
/// All pages are rendered and every target checked before the first
/// write; only those files are replaced, and nothing is removed.
fn write_all(top: &clap::Command, dir: &Path) -> anyhow::Result<ExitStatus> {
    let mut pages = Vec::new();
    for cmd in std::iter::once(top).chain(visible(top)) {
        pages.push((dir.join(man(cmd).get_filename()), page(cmd)?));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    for (path, _) in &pages {
        if let Ok(meta) = std::fs::symlink_metadata(path)
            && let Some(what) = crate::emit::files::irregular(&meta.file_type())
        {
            bail!("refusing to write `{}`: it is {what}, not a man page archctl wrote", path.display());
        }
    }
    for (path, text) in &pages {
        crate::emit::files::replace_file(path, text)?;
        term::message(&format!("wrote {}", path.display()));
    }
    Ok(ExitStatus::Success)
}

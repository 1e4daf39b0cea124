//! `archctl render`: one target as a YAML stream, a JSON `List`, or a
//! folder of files (`--format helm` is [`super::chart`]).

use anyhow::Context as _;

use super::{reported, warn};
use crate::cli::{OutputFormat, RenderArgs};
use crate::emit::{self, Format};
use crate::exit::ExitStatus;
use crate::pipeline;
use crate::settings::Settings;
use crate::term;

pub(super) fn run(settings: &Settings, args: &RenderArgs) -> anyhow::Result<ExitStatus> {
    if let Some(dir) = &args.out {
        refuse_a_format_as_folder(dir)?;
    }
    if args.all_profiles {
        return super::hydrate::run(settings, args);
    }
    if args.format == OutputFormat::Helm {
        return super::chart::run(settings, args);
    }
    let color = settings.colors.stderr;
    let target = settings.one(&args.profile, &args.phase);
    let Some(checked) = reported(pipeline::check(settings.topology(), &target), color) else {
        return Ok(ExitStatus::Error);
    };
    warn(&checked.warnings, &checked.context, color);
    let format = match args.format {
        OutputFormat::Json => Format::Json,
        _ => Format::Yaml,
    };
    let stdout = || std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match &args.out {
        // built and written part by part, never all objects at once
        None if format == Format::Yaml => {
            emit::yaml::write_built(&checked.resolved, stdout()).context("cannot write to stdout")?;
        }
        None => {
            let objects = crate::objects::build(&checked.resolved);
            emit::write(&objects, format, stdout()).context("cannot write to stdout")?;
        }
        Some(dir) => {
            let files = object_files(&checked.resolved, format)?;
            emit::files::write_dir(dir, &files, args.force, &settings.protected())?;
            term::message(&format!("wrote {} objects to {}", files.len(), dir.display()));
        }
    }
    Ok(ExitStatus::Success)
}

/// The files `--out` writes for a render: one per object, named by
/// [`emit::files::file_name`].
pub(super) fn object_files(
    resolved: &crate::resolve::Resolved,
    format: Format,
) -> anyhow::Result<Vec<(String, String)>> {
    let objects = crate::objects::build(resolved);
    let ext = match format {
        Format::Yaml => "yaml",
        Format::Json => "json",
    };
    let mut files = Vec::with_capacity(objects.len());
    for o in &objects {
        let content = match format {
            Format::Yaml => emit::yaml::document(o)?,
            Format::Json => serde_json::to_string_pretty(o)? + "\n",
        };
        files.push((emit::files::file_name(o, ext), content));
    }
    Ok(files)
}

/// `-o json` meant as the format (as `kubectl -o json` or `diff -o json`)
/// would write a folder `json/`: refused while no such folder exists, with
/// the spelling of each meaning.
pub(super) fn refuse_a_format_as_folder(dir: &std::path::Path) -> anyhow::Result<()> {
    let name = dir.to_string_lossy();
    if ["yaml", "json", "helm"].contains(&name.as_ref()) && !dir.exists() {
        anyhow::bail!(
            "`--out {name}` names a folder to write, and there is no folder `{name}`: for the format write `--format {name}`; for a new folder `{name}`, `--out ./{name}`"
        );
    }
    Ok(())
}

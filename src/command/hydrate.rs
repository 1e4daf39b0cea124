//! `archctl render --all-profiles --out DIR`: every profile rendered, each
//! written into its own owned folder `DIR/PROFILE`, the hydrated layout of
//! a rendered-manifests repository (GitOps).
//!
//! All or nothing: every profile renders before any folder is written, and
//! every folder is checked for foreign files before the first one is
//! replaced. `DIR/.archctl-profiles` lists the profile folders archctl
//! wrote, so that the folder of a removed profile can be told from a
//! folder someone else put in DIR.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::bail;

use super::{report, warn};
use crate::cli::{OutputFormat, RenderArgs};
use crate::emit::{Format, files};
use crate::exit::ExitStatus;
use crate::pipeline;
use crate::settings::Settings;
use crate::term;

/// Lists the profile folders archctl wrote into a hydrated folder.
const PROFILES_MARKER: &str = ".archctl-profiles";

pub(super) fn run(settings: &Settings, args: &RenderArgs) -> anyhow::Result<ExitStatus> {
    let Some(dir) = &args.out else {
        bail!("`--all-profiles` writes one folder per profile: add `--out DIR`");
    };
    let format = match args.format {
        OutputFormat::Yaml => Format::Yaml,
        OutputFormat::Json => Format::Json,
        OutputFormat::Helm => bail!(
            "`--all-profiles` and `--format helm` do not go together: a chart already holds every profile; write it with `--format helm --out DIR`"
        ),
    };
    let head = format!("refusing to write into `{}`", dir.display());
    files::check_plain(dir, &head, "--out", "deploy/")?;
    let color = settings.colors.stderr;

    // every profile first: nothing is written while one of them fails
    let mut renders = Vec::new();
    let mut failed = false;
    for target in settings.to_hydrate(&args.phase) {
        let name = target.profile.clone().unwrap_or_else(|| "default".into());
        if !plain_name(&name) {
            bail!(
                "refusing to write the profile `{name}` into `{}`: a profile folder needs a plain name",
                dir.display()
            );
        }
        match pipeline::check(settings.topology(), &target) {
            Ok(checked) => {
                warn(&checked.warnings, &checked.context, color);
                renders.push((name, super::render::object_files(&checked.resolved, format)?));
            }
            Err(f) => {
                term::message(&format!("profile `{name}`:"));
                report(&f, color);
                failed = true;
            }
        }
    }
    if failed {
        term::message(&format!("error: nothing was written to `{}`: a profile did not render", dir.display()));
        return Ok(ExitStatus::Error);
    }

    let protected = settings.protected();
    if dir.is_relative() {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        files::check_inside(parent, Path::new(""), &head, "the working folder")?;
    }
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
    // one hydration of DIR at a time; each profile folder also takes its
    // own lock as `render --out` does
    let _lock = files::lock_folder(dir)?;
    if dir.is_relative() {
        files::check_inside(dir, Path::new(""), &head, "the working folder")?;
    }
    if let Some(p) = files::holds(dir, &protected) {
        bail!("{head}: it holds `{}`; choose a folder of its own, such as `deploy/`", p.display());
    }
    let listed = owned_profiles(dir)?;
    // every folder is checked before the first is replaced
    for (name, _) in &renders {
        files::refuse_foreign(&dir.join(name), args.force)?;
    }
    let mut written = BTreeSet::new();
    let result = (|| -> anyhow::Result<()> {
        for (name, objects) in &renders {
            files::write_dir(&dir.join(name), objects, args.force, &protected)?;
            written.insert(name.clone());
            term::message(&format!("wrote {} objects to {}", objects.len(), dir.join(name).display()));
        }
        Ok(())
    })();
    // the marker lists what archctl owns even after a failed write: the
    // folders written now, and the earlier ones still there
    let mut owned: BTreeSet<String> = written.clone();
    let mut kept = Vec::new();
    for stale in listed.iter().filter(|n| !renders.iter().any(|(r, _)| r == *n)) {
        let path = dir.join(stale);
        if result.is_err() {
            owned.insert(stale.clone());
            continue;
        }
        if std::fs::symlink_metadata(&path).is_err() {
            continue;
        }
        if files::remove_owned(&path)? {
            term::message(&format!("removed {}: the profile `{stale}` no longer exists", path.display()));
        } else {
            kept.push(path);
            owned.insert(stale.clone());
        }
    }
    if result.is_err() {
        owned.extend(renders.iter().map(|(n, _)| n.clone()).filter(|n| dir.join(n).join(files::MARKER).exists()));
    }
    let text: String = owned.iter().map(|n| format!("{n}\n")).collect();
    files::replace_file(&dir.join(PROFILES_MARKER), &text)?;
    result?;
    for path in kept {
        term::message(&format!(
            "warning: kept {}: its profile no longer exists, but it holds files archctl did not write; remove it yourself",
            path.display()
        ));
    }
    Ok(ExitStatus::Success)
}

/// The profile folders `DIR/.archctl-profiles` lists; names that are not
/// plain folder names (a marker can come from a pull request) are ignored.
fn owned_profiles(dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    let names = files::read_marker(dir, PROFILES_MARKER)?.unwrap_or_default();
    Ok(names.into_iter().filter(|n| plain_name(n)).collect())
}

/// A name that is one folder inside DIR: not hidden, no separators.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

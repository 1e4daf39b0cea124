//! `archctl snapshot`: every profile's render compared with (or written
//! to) its golden file.

use std::io::Write;

use super::report;
use crate::cli::SnapshotArgs;
use crate::emit;
use crate::exit::ExitStatus;
use crate::pipeline;
use crate::settings::Settings;
use crate::snapshot::{self, Outcome};
use crate::term;

pub(super) fn run(settings: &Settings, args: &SnapshotArgs) -> anyhow::Result<ExitStatus> {
    let color = settings.colors.stderr;
    let base = settings.base_dir();
    // the folder must not hold the project; `snapshots/` itself may
    let protect: Vec<_> = settings.protected().into_iter().filter(|p| *p != base.join("snapshots")).collect();
    let dir = snapshot::folder(&base, &args.dir, &protect)?;
    let targets = settings.to_snapshot();
    let names: Vec<String> = targets.iter().map(|t| snapshot::file_name(t.profile.as_deref())).collect();
    // claimed before rendering: a folder archctl may not update is refused
    // before anything is written
    let mut owned = if args.update { Some(snapshot::Owned::claim(&dir, &names)?) } else { None };
    let mut entries = Vec::new();
    let mut failed_any = false;
    for (target, name) in targets.iter().zip(&names) {
        let path = dir.join(name);
        match pipeline::render(settings.topology(), target) {
            Ok(r) => {
                let text = emit::yaml::stream(&r.objects)?;
                if let Some(owned) = &mut owned {
                    if owned.write(name, &text)? {
                        term::message(&format!("updated {}", path.display()));
                    } else {
                        term::message(&format!("unchanged {}", path.display()));
                    }
                } else {
                    entries.push(snapshot::compare(target.profile.as_deref().unwrap_or("default"), &path, &text)?);
                }
            }
            Err(f) => {
                report(&f, color);
                failed_any = true;
            }
        }
    }
    if let Some(mut owned) = owned {
        for path in owned.remove_stale()? {
            term::message(&format!("removed stale {}", path.display()));
        }
        owned.finish()?;
        return Ok(if failed_any { ExitStatus::Error } else { ExitStatus::Success });
    }
    entries.extend(snapshot::stale(&dir, &names)?);
    let out_color = settings.colors.stdout;
    let mut out = std::io::stdout().lock();
    let mut differ = 0;
    for e in &entries {
        match &e.outcome {
            Outcome::Same => {}
            Outcome::Changed { diff } => {
                differ += 1;
                for line in diff.lines() {
                    writeln!(out, "{}", term::diff_line(line, out_color))?;
                }
            }
            Outcome::Missing => {
                differ += 1;
                term::message(&format!("snapshot {} is missing (profile `{}`)", e.path.display(), e.name));
            }
            Outcome::Stale => {
                differ += 1;
                term::message(&format!("snapshot {} belongs to no profile", e.path.display()));
            }
            Outcome::Foreign => {
                differ += 1;
                term::message(&format!(
                    "snapshot {} belongs to no profile; archctl did not write it (`{}` does not list it), so `--update` will not remove it: move it elsewhere",
                    e.path.display(),
                    dir.join(snapshot::MARKER).display()
                ));
            }
        }
    }
    out.flush()?;
    if failed_any {
        return Ok(ExitStatus::Error);
    }
    if differ > 0 {
        term::message(&format!(
            "{differ} of {} snapshot{} differ; run `archctl snapshot --update` to accept the renders",
            entries.len(),
            if entries.len() == 1 { "" } else { "s" }
        ));
        Ok(ExitStatus::Differences)
    } else {
        term::message(&format!("{} snapshot{} up to date", entries.len(), if entries.len() == 1 { "" } else { "s" }));
        Ok(ExitStatus::Success)
    }
}

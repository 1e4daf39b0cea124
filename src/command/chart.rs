//! `archctl render --format helm`: every profile rendered, one chart
//! written.

use super::{report, warn};
use crate::cli::RenderArgs;
use crate::emit;
use crate::exit::ExitStatus;
use crate::pipeline;
use crate::settings::Settings;
use crate::term;

pub(super) fn run(settings: &Settings, args: &RenderArgs) -> anyhow::Result<ExitStatus> {
    let Some(dir) = &args.out else {
        anyhow::bail!("`--format helm` writes a chart folder: add `--out DIR`");
    };
    let color = settings.colors.stderr;
    let (targets, primary) = settings.to_chart(&args.profile, &args.phase);
    let mut renders = Vec::with_capacity(targets.len());
    // a chart of a large topology takes a while: each render, then the chart
    let bar = term::Progress::new("building the chart");
    let steps = targets.len() + 1;
    for (i, target) in targets.iter().enumerate() {
        bar.set(i, steps);
        match pipeline::render(settings.topology(), target) {
            Ok(r) => {
                bar.suspend(|| warn(&r.warnings, &r.context, color));
                renders.push((target.profile.clone(), r));
            }
            Err(failed) => {
                bar.finish();
                report(&failed, color);
                return Ok(ExitStatus::Error);
            }
        }
    }
    let variants: Vec<emit::helm::Variant<'_>> = renders
        .iter()
        .map(|(name, r)| emit::helm::Variant { profile: name.clone(), objects: &r.objects, resolved: &r.resolved })
        .collect();
    let skeleton = emit::helm::Skeleton::new(&settings.base_dir().join("templates"));
    bar.set(targets.len(), steps);
    let chart = emit::helm::chart(&variants, primary, &skeleton);
    bar.finish();
    let chart = chart?;
    for key in &chart.fallbacks {
        term::message(&format!("warning: `{key}` differs between profiles in ways the chart carries as a whole value"));
    }
    emit::helm::write(dir, &chart, args.force, &settings.protected())?;
    term::message(&format!("wrote a chart with {} files to {}", chart.files.len(), dir.display()));
    Ok(ExitStatus::Success)
}

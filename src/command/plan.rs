//! `archctl plan`: capacity per growth phase, one profile resolved at
//! every phase.

use super::{print, report, reported};
use crate::cli::{PlanArgs, PlanFormat};
use crate::exit::ExitStatus;
use crate::pipeline;
use crate::settings::Settings;

/// `plan`: the topology resolved for each growth phase in turn.
pub(super) fn run(settings: &Settings, args: &PlanArgs) -> anyhow::Result<ExitStatus> {
    let color = settings.colors.stderr;
    let first = settings.one(&args.profile, &None);
    let Some(prepared) = reported(pipeline::prepare(settings.topology(), &first), color) else {
        return Ok(ExitStatus::Error);
    };
    // the default phase (for its errors, and the plan when there are no
    // phases) and every phase: independent, so resolved side by side
    let phases: Vec<Option<&String>> =
        std::iter::once(None).chain(prepared.topology().phases.iter().map(Some)).collect();
    let outcomes = crate::parallel::map(&phases, |phase| {
        let at_phase = match phase {
            None => Ok(prepared.clone()),
            // one load serves every phase unless a template reads the phase
            Some(phase) => prepared
                .at_phase(phase)
                .map(Ok)
                .unwrap_or_else(|| pipeline::prepare(settings.topology(), &first.at_phase(phase))),
        };
        at_phase.and_then(|p| p.resolve()).map(|r| crate::plan::phase(&r.resolved, args.node_size))
    });
    let mut plans = Vec::new();
    for (phase, outcome) in phases.iter().zip(outcomes) {
        match outcome {
            // the default phase is planned only when there are no phases
            Ok(plan) if phase.is_some() || phases.len() == 1 => plans.push(plan),
            Ok(_) => {}
            Err(f) => {
                report(&f, color);
                return Ok(ExitStatus::Error);
            }
        }
    }
    let text = match args.format {
        PlanFormat::Json => serde_json::to_string_pretty(&plans)? + "\n",
        PlanFormat::Table => crate::plan::table(&plans, false),
        PlanFormat::Markdown => crate::plan::table(&plans, true),
    };
    print(&text)
}

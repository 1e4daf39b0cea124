//! `archctl plan`: capacity per growth phase, one profile resolved at
//! every phase.

use super::{print, reported};
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
        at_phase
            .and_then(|p| p.resolve())
            .map(|r| (crate::plan::phase(&r.resolved, args.node_size), r.warnings, r.context))
    });
    // a phase with errors is reported and left out; the others are still
    // planned. Warnings are printed once each, with the phases they are in.
    let mut plans = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    // each finding once, with the phases it is in
    struct Seen {
        key: (String, String, Option<crate::diagnostic::Position>),
        text: String,
        phases: Vec<String>,
    }
    let mut warned: Vec<Seen> = Vec::new();
    let mut errored: Vec<Seen> = Vec::new();
    let collect = |into: &mut Vec<Seen>,
                   diagnostics: &[crate::diagnostic::Diagnostic],
                   context: &crate::load::Context,
                   phase: &str| {
        for d in diagnostics {
            let position = crate::diagnostic::position(d, &context.sources, Some(context.spans()));
            let key = (d.code.to_string(), d.message.clone(), position);
            match into.iter_mut().find(|s| s.key == key) {
                Some(s) => s.phases.push(phase.to_string()),
                None => {
                    let text = crate::diagnostic::render(
                        std::slice::from_ref(d),
                        &context.sources,
                        Some(context.spans()),
                        color,
                    );
                    into.push(Seen { key, text, phases: vec![phase.to_string()] });
                }
            }
        }
    };
    let mut planned = 0;
    for (phase, outcome) in phases.iter().zip(outcomes) {
        // the default phase is planned only when there are no phases
        if phase.is_none() && phases.len() > 1 {
            continue;
        }
        planned += 1;
        let name = phase.map(String::as_str).unwrap_or("(default)");
        match outcome {
            Ok((plan, warnings, context)) => {
                collect(&mut warned, &warnings, &context, name);
                plans.push(plan);
            }
            Err(f) => {
                failed.push(name.to_string());
                collect(&mut errored, &f.diagnostics, &f.context, name);
            }
        }
    }
    for s in warned.iter().chain(&errored) {
        let mut text = s.text.trim_end().to_string();
        if phases.len() > 1 && s.phases.len() < planned {
            text.push_str(&format!(
                "\n  = in phase{}: {}",
                if s.phases.len() == 1 { "" } else { "s" },
                s.phases.join(", ")
            ));
        }
        crate::term::message(&(text + "\n"));
    }
    if !failed.is_empty() && plans.is_empty() {
        crate::term::message(&format!("error: no phase can be planned ({})", failed.join(", ")));
    } else if !failed.is_empty() {
        crate::term::message(&format!(
            "error: {} of {planned} phase{} cannot be planned ({}); the plan shows the others",
            failed.len(),
            if planned == 1 { "" } else { "s" },
            failed.join(", ")
        ));
    }
    let text = match args.format {
        PlanFormat::Json => serde_json::to_string_pretty(&plans)? + "\n",
        PlanFormat::Table => crate::plan::table(&plans, false),
        PlanFormat::Markdown => crate::plan::table(&plans, true),
    };
    if !plans.is_empty() {
        print(&text)?;
    }
    Ok(if !failed.is_empty() { ExitStatus::Error } else { ExitStatus::Success })
}

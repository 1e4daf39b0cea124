//! `archctl plan`: capacity per growth phase, each profile resolved at
//! every phase, and with `--prices`, what each phase costs.

use super::{print, reported};
use crate::cli::{PlanArgs, PlanFormat};
use crate::exit::ExitStatus;
use crate::pipeline::{self, Target};
use crate::plan::PhasePlan;
use crate::plan::prices::Prices;
use crate::settings::Settings;
use rayon::prelude::*;

/// `plan`: each profile asked for, resolved for each growth phase in turn;
/// with `--prices`, what those phases cost.
pub(super) fn run(settings: &Settings, args: &PlanArgs) -> anyhow::Result<ExitStatus> {
    let color = settings.colors.stderr;
    // a price file that cannot price anything is reported before any render
    let prices = match &args.prices {
        Some(path) => match Prices::read(path, color) {
            Ok(p) => Some(p),
            Err(text) => {
                crate::term::message(&text);
                return Ok(ExitStatus::Error);
            }
        },
        None => None,
    };
    let targets = settings.to_plan(&args.profile, args.all_profiles);
    let several = targets.len() > 1;
    let mut planned: Vec<(Option<String>, Vec<PhasePlan>)> = Vec::new();
    let mut failed = false;
    for target in &targets {
        let (plans, ok) = plan_profile(settings, target, args.node_size, several);
        failed |= !ok;
        planned.push((target.profile.clone(), plans));
    }
    let status = if failed { ExitStatus::Error } else { ExitStatus::Success };
    match prices {
        None => {
            print_capacity(&planned, args.format)?;
            Ok(status)
        }
        Some(prices) => Ok(match (status, cost(&planned, &prices, args)?) {
            (ExitStatus::Error, _) | (_, ExitStatus::Error) => ExitStatus::Error,
            (_, verdict) => verdict,
        }),
    }
}

/// The capacity tables (a heading per profile when there are several), or
/// every phase plan as one JSON array.
fn print_capacity(planned: &[(Option<String>, Vec<PhasePlan>)], format: PlanFormat) -> anyhow::Result<()> {
    let several = planned.len() > 1;
    let text = match format {
        PlanFormat::Json => {
            let all: Vec<&PhasePlan> = planned.iter().flat_map(|(_, p)| p).collect();
            if all.is_empty() {
                return Ok(());
            }
            serde_json::to_string_pretty(&all)? + "\n"
        }
        PlanFormat::Table | PlanFormat::Markdown => {
            let markdown = format == PlanFormat::Markdown;
            let mut out = String::new();
            for (profile, plans) in planned.iter().filter(|(_, p)| !p.is_empty()) {
                if several {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    let name = profile.as_deref().unwrap_or(crate::pipeline::TOPOLOGY_ALONE);
                    out.push_str(&if markdown {
                        format!("## profile {name}\n\n")
                    } else {
                        format!("profile {name}\n\n")
                    });
                }
                out.push_str(&crate::plan::table(plans, markdown));
            }
            out
        }
    };
    if !text.is_empty() {
        print(&text)?;
    }
    Ok(())
}

/// The cost report, its warnings, and the budget's verdict.
fn cost(planned: &[(Option<String>, Vec<PhasePlan>)], prices: &Prices, args: &PlanArgs) -> anyhow::Result<ExitStatus> {
    let known: Vec<&str> =
        planned.iter().flat_map(|(_, p)| p).flat_map(|p| &p.services).map(|s| s.name.as_str()).collect();
    for pool in &prices.pools {
        for s in &pool.services {
            if !known.is_empty() && !known.contains(&s.as_str()) {
                crate::term::message(&format!(
                    "warning: {}: pool `{}` lists `{s}`, which is not a service of the plan",
                    prices.file, pool.name
                ));
            }
        }
    }
    let report = crate::plan::cost::report(planned, prices, args.budget);
    // each gap once per profile, with the phases it is in
    let mut gaps: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for p in &report.profiles {
        let name = p.profile.as_deref().unwrap_or(crate::pipeline::TOPOLOGY_ALONE);
        for ph in &p.phases {
            for why in &ph.incomplete {
                match gaps.iter_mut().find(|(n, w, _)| *n == name && *w == why.as_str()) {
                    Some((_, _, phases)) => phases.push(&ph.phase),
                    None => gaps.push((name, why, vec![&ph.phase])),
                }
            }
        }
    }
    let incomplete = !gaps.is_empty();
    for (name, why, phases) in &gaps {
        crate::term::message(&format!(
            "warning: the cost of {name} is incomplete: {why}\n  = in phase{}: {}",
            if phases.len() == 1 { "" } else { "s" },
            phases.join(", ")
        ));
    }
    if report.profiles.iter().all(|p| p.phases.is_empty()) {
        return Ok(ExitStatus::Error);
    }
    let text = match args.format {
        PlanFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        PlanFormat::Table => crate::plan::cost::table(&report, false),
        PlanFormat::Markdown => crate::plan::cost::table(&report, true),
    };
    print(&text)?;
    let (Some(budget), Some(top)) = (&report.budget, &report.most_expensive) else {
        return Ok(ExitStatus::Success);
    };
    let money = |d| format!("{} {}", crate::plan::cost::amount(d), report.currency);
    let which = match &top.profile {
        Some(p) => format!("phase {} of profile {p}", top.phase),
        None => format!("phase {}", top.phase),
    };
    if budget.exceeded {
        crate::term::message(&format!(
            "error: over budget: {which} costs {} a month, more than the budget of {}{}",
            money(top.total),
            money(budget.amount),
            if incomplete { " (and its cost is incomplete: it is at least that)" } else { "" }
        ));
        return Ok(ExitStatus::Differences);
    }
    if incomplete {
        crate::term::message(&format!(
            "error: cannot hold the plan to the budget of {}: some costs are incomplete (see the warnings); \
             price every storage class and pool the plan uses",
            money(budget.amount)
        ));
        return Ok(ExitStatus::Error);
    }
    crate::term::message(&format!(
        "within budget: the most expensive phase, {which}, costs {} a month of {}",
        money(top.total),
        money(budget.amount)
    ));
    Ok(ExitStatus::Success)
}

/// One profile at every phase: the phases that resolve, and whether all
/// did. Errors and warnings go to stderr, each once with its phases.
fn plan_profile(
    settings: &Settings,
    first: &Target,
    node_size: Option<crate::plan::NodeSize>,
    several: bool,
) -> (Vec<PhasePlan>, bool) {
    let color = settings.colors.stderr;
    let Some(prepared) = reported(pipeline::prepare(settings.topology(), first), color) else {
        return (Vec::new(), false);
    };
    // the default phase (for its errors, and the plan when there are no
    // phases) and every phase: independent, so resolved side by side
    let phases: Vec<Option<&String>> =
        std::iter::once(None).chain(prepared.topology().phases.iter().map(Some)).collect();
    let outcomes = phases
        .par_iter()
        .map(|phase| {
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
                .map(|r| (crate::plan::phase(&r.resolved, node_size), r.warnings, r.context))
        })
        .collect::<Vec<_>>();
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
    let of = match (&first.profile, several) {
        (Some(p), true) => format!(" of profile {p}"),
        _ => String::new(),
    };
    if !failed.is_empty() && plans.is_empty() {
        crate::term::message(&format!("error: no phase{of} can be planned ({})", failed.join(", ")));
    } else if !failed.is_empty() {
        crate::term::message(&format!(
            "error: {} of {planned} phase{}{of} cannot be planned ({}); the plan shows the others",
            failed.len(),
            if planned == 1 { "" } else { "s" },
            failed.join(", ")
        ));
    }
    (plans, failed.is_empty())
}

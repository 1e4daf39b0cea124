//! `archctl check`: every profile through the whole pipeline at every growth
//! phase, findings collected and reported once each, with the renders (profiles
//! and phases) they apply to.

use super::print;
use crate::cli::{CheckArgs, CheckFormat};
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::exit::ExitStatus;
use crate::pipeline::{self, Target};
use crate::settings::Settings;
use crate::term;
use rayon::prelude::*;

/// `check`: every profile through the whole pipeline, findings collected
/// and reported once each. Exit 0 clean, 1 findings at `--deny` level,
/// 2 errors.
pub(super) fn run(settings: &Settings, args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let color = settings.colors.stderr;

    let targets = settings.to_check(&args.profile);
    struct Finding {
        diagnostic: Diagnostic,
        position: Option<diagnostic::Position>,
        text: String,
        /// The renders it appears in: (index of the target, phase).
        renders: Vec<(usize, Option<String>)>,
    }
    let mut findings: Vec<Finding> = Vec::new();
    // Each profile is loaded once, then resolved at every growth phase of
    // its topology (a size or a warning may belong to one phase only), the
    // phases side by side. The profiles go one after another: loading and
    // validating already use every core, and one topology in memory at a
    // time is a quarter of the memory (10,000 services: ~80 MB each).
    let mut runs: Vec<(usize, Option<String>)> = Vec::new();
    let mut outcomes = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let prepared = pipeline::prepare(settings.topology(), target);
        let phases: Vec<Option<String>> = match &prepared {
            Ok(p) if !p.topology().phases.is_empty() => p.topology().phases.iter().cloned().map(Some).collect(),
            _ => vec![None],
        };
        outcomes.extend(
            phases
                .par_iter()
                .map(|phase| {
                    let at_phase = match (&prepared, phase) {
                        (Err(f), _) => return (f.diagnostics.clone(), f.context.clone()),
                        (Ok(p), None) => Ok(p.clone()),
                        (Ok(p), Some(phase)) => p
                            .at_phase(phase)
                            .map(Ok)
                            .unwrap_or_else(|| pipeline::prepare(settings.topology(), &target.at_phase(phase))),
                    };
                    match at_phase.and_then(|p| p.resolve()) {
                        Ok(r) => (r.warnings, r.context),
                        Err(f) => (f.diagnostics, f.context),
                    }
                })
                .collect::<Vec<_>>(),
        );
        runs.extend(phases.into_iter().map(|phase| (i, phase)));
    }
    for (run, (diags, context)) in runs.iter().zip(outcomes) {
        for d in diags {
            let position = diagnostic::position(&d, &context.sources, Some(context.spans()));
            if let Some(f) = findings
                .iter_mut()
                .find(|f| f.diagnostic.code == d.code && f.diagnostic.message == d.message && f.position == position)
            {
                if !f.renders.contains(run) {
                    f.renders.push(run.clone());
                }
                continue;
            }
            let text = diagnostic::render(std::slice::from_ref(&d), &context.sources, Some(context.spans()), color);
            findings.push(Finding { diagnostic: d, position, text, renders: vec![run.clone()] });
        }
    }
    // the phases each target was checked at, and where a finding appears:
    // a profile's name alone when it appears at all of that profile's phases
    let phases_of =
        |i: usize| -> Vec<&str> { runs.iter().filter(|(t, _)| *t == i).filter_map(|(_, ph)| ph.as_deref()).collect() };
    let profiles_of = |f: &Finding| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, _) in &f.renders {
            let name = targets[*i].name().to_string();
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    };
    let places = |f: &Finding| -> Vec<String> {
        // the same phases of every render: name the phases only
        let at = |i: usize| -> Vec<&str> {
            f.renders.iter().filter(|(t, _)| *t == i).filter_map(|(_, ph)| ph.as_deref()).collect()
        };
        let first = at(0);
        if targets.len() > 1
            && !first.is_empty()
            && (0..targets.len()).all(|i| at(i) == first && phases_of(i) == phases_of(0))
        {
            return vec![format!("every render at {}", first.join(", "))];
        }
        let mut out = Vec::new();
        for (i, target) in targets.iter().enumerate() {
            let here = at(i);
            if f.renders.iter().any(|(t, _)| *t == i) {
                if here.len() == phases_of(i).len() {
                    out.push(target.name().to_string());
                } else {
                    out.push(format!("{} at {}", target.name(), here.join(", ")));
                }
            }
        }
        out
    };
    let errors = findings.iter().filter(|f| f.diagnostic.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    let names: Vec<&str> = targets.iter().map(Target::name).collect();
    match args.format {
        CheckFormat::Json => {
            let items: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "severity": if f.diagnostic.severity == Severity::Error { "error" } else { "warning" },
                        "code": f.diagnostic.code,
                        "message": crate::address::mask_credentials(&f.diagnostic.message),
                        "help": f.diagnostic.help.as_deref().map(crate::address::mask_credentials),
                        "file": f.position.as_ref().map(|p| p.file.clone()),
                        "line": f.position.as_ref().map(|p| p.line),
                        "column": f.position.as_ref().map(|p| p.column),
                        "profiles": profiles_of(f),
                        "renders": f.renders.iter().map(|(i, ph)| serde_json::json!({
                            "profile": targets[*i].name(),
                            "phase": ph,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let phases: serde_json::Map<String, serde_json::Value> =
                (0..targets.len()).map(|i| (targets[i].name().to_string(), serde_json::json!(phases_of(i)))).collect();
            let report = serde_json::json!({
                "checked": names, "phases": phases, "errors": errors, "warnings": warnings, "findings": items,
            });
            print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
        }
        CheckFormat::Sarif | CheckFormat::Github => {
            let report: Vec<diagnostic::report::Finding> = findings
                .iter()
                .map(|f| diagnostic::report::Finding {
                    severity: f.diagnostic.severity,
                    code: f.diagnostic.code,
                    message: &f.diagnostic.message,
                    help: f.diagnostic.help.as_deref(),
                    position: f.position.as_ref(),
                    profiles: profiles_of(f),
                    renders: f.renders.iter().map(|(i, ph)| (targets[*i].name().to_string(), ph.clone())).collect(),
                    places: (f.renders.len() < runs.len()).then(|| places(f).join("; ")),
                })
                .collect();
            if args.format == CheckFormat::Sarif {
                print(&(serde_json::to_string_pretty(&diagnostic::report::sarif(&report, &names))? + "\n"))?;
            } else {
                print(&diagnostic::report::github(&report))?;
            }
        }
        CheckFormat::Text => {
            for f in &findings {
                let mut text = f.text.trim_end().to_string();
                if f.renders.len() < runs.len() {
                    text.push_str(&format!("\n  = in: {}", places(f).join("; ")));
                }
                term::message(&(text + "\n"));
            }
            // every target of one project shares its phases, unless a
            // profile replaces the list
            let mut at = String::new();
            let first = phases_of(0);
            if !first.is_empty() && (0..targets.len()).all(|i| phases_of(i) == first) {
                at = format!(" at each phase ({})", first.join(", "));
            } else if runs.len() > targets.len() {
                at = " at each of their phases".to_string();
            }
            term::message(&format!(
                "checked {} ({}){at}: {errors} error{}, {warnings} warning{}",
                if runs.len() == 1 { "1 render".to_string() } else { format!("{} renders", runs.len()) },
                names.join(", "),
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            ));
        }
    }
    Ok(if errors > 0 {
        ExitStatus::Error
    } else if warnings > 0 && args.deny.is_some() {
        ExitStatus::Differences
    } else {
        ExitStatus::Success
    })
}

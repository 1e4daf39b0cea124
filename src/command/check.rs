//! `archctl check`: every profile through the whole pipeline, findings
//! collected and reported once each, with the renders they apply to.

use super::print;
use crate::cli::{CheckArgs, CheckFormat};
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::exit::ExitStatus;
use crate::pipeline::{self, Target};
use crate::settings::Settings;
use crate::term;

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
        profiles: Vec<String>,
    }
    let mut findings: Vec<Finding> = Vec::new();
    // the renders are independent: side by side, then reported in order
    let outcomes = crate::parallel::map(&targets, |target| match pipeline::check(settings.topology(), target) {
        Ok(r) => (r.warnings, r.context),
        Err(f) => (f.diagnostics, f.context),
    });
    for (target, (diags, context)) in targets.iter().zip(outcomes) {
        let name = target.name().to_string();
        for d in diags {
            let position = diagnostic::position(&d, &context.sources, Some(context.spans()));
            if let Some(f) = findings
                .iter_mut()
                .find(|f| f.diagnostic.code == d.code && f.diagnostic.message == d.message && f.position == position)
            {
                f.profiles.push(name.clone());
                continue;
            }
            let text = diagnostic::render(std::slice::from_ref(&d), &context.sources, Some(context.spans()), color);
            findings.push(Finding { diagnostic: d, position, text, profiles: vec![name.clone()] });
        }
    }
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
                        "profiles": f.profiles,
                    })
                })
                .collect();
            let report =
                serde_json::json!({"checked": names, "errors": errors, "warnings": warnings, "findings": items});
            print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
        }
        CheckFormat::Text => {
            for f in &findings {
                let mut text = f.text.trim_end().to_string();
                if f.profiles.len() < targets.len() {
                    text.push_str(&format!("\n  = in: {}", f.profiles.join(", ")));
                }
                term::message(&(text + "\n"));
            }
            term::message(&format!(
                "checked {} ({}): {errors} error{}, {warnings} warning{}",
                if targets.len() == 1 { "1 render".to_string() } else { format!("{} renders", targets.len()) },
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

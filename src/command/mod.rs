//! Command handlers: turn parsed arguments into pipeline calls and write the
//! results (data to stdout, messages to stderr).

mod man;

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use crate::ExitStatus;
use crate::cli::{
    CheckArgs, CheckFormat, Cli, ColorChoice, Command, DevCommand, DiffArgs, DiffOutput, GraphArgs, GraphFormat,
    OutputFormat, PlanArgs, PlanFormat, RenderArgs, SnapshotArgs,
};
use crate::diagnostic;
use crate::emit::{self, Format};
use crate::load::{self, LoadOptions};
use crate::pipeline::{self, Failed};
use crate::snapshot::{self, Outcome};
use crate::term;

/// Runs one command.
pub fn run(cli: Cli) -> ExitStatus {
    let color = term::stderr_color(cli.color);
    // every load of this run reads files only where `--allow-read` says
    crate::load::input::allow_read(cli.allow_read.clone());
    let result = match &cli.command {
        Command::Render(args) => render(&cli.topology, args, color),
        Command::Snapshot(args) => snapshot(&cli.topology, args, cli.color, color),
        Command::Diff(args) => diff(&cli.topology, args, cli.color, color),
        Command::Check(args) => check(&cli.topology, args, color),
        Command::Plan(args) => plan(&cli.topology, args, color),
        Command::Graph(args) => graph(&cli.topology, args, color),
        Command::Schema(args) => {
            let schema = if args.profile { crate::schema::profile() } else { crate::schema::topology() };
            print(&(serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"))
        }
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "archctl", &mut buf);
            print(&String::from_utf8_lossy(&buf))
        }
        Command::Dev(DevCommand::Generate(args)) => match &args.out {
            Some(dir) => crate::dev::write(dir, args.services).map(|()| {
                term::message(&format!("wrote a topology of {} services to {}", args.services, dir.display()));
                ExitStatus::Success
            }),
            None => print(&crate::dev::generate(args.services).swap_remove(0).1),
        },
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(status) => status,
        Err(e) if is_broken_pipe(&e) => ExitStatus::Success,
        Err(e) => {
            term::error(color, &e);
            ExitStatus::Error
        }
    }
}

/// Writes data to stdout.
fn print(text: &str) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    Ok(ExitStatus::Success)
}

/// What an output folder must never contain: the project's own files.
fn protected(topology: &Path) -> Vec<std::path::PathBuf> {
    let base = load::base_dir(topology);
    vec![topology.to_path_buf(), load::profiles_dir(topology), base.join("snapshots"), base.join("templates")]
}

/// A reader that closed the pipe (`archctl render | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Prints diagnostics to stderr with a count, `cargo` style.
/// The value of a pipeline step, or None after reporting why it failed.
fn reported<T>(outcome: Result<T, Failed>, color: bool) -> Option<T> {
    outcome.map_err(|failed| report(&failed, color)).ok()
}

fn report(failed: &Failed, color: bool) {
    let text = diagnostic::render(&failed.diagnostics, &failed.context.sources, Some(failed.context.spans()), color);
    let errors = failed.diagnostics.iter().filter(|d| d.severity == diagnostic::Severity::Error).count();
    term::message(&format!(
        "{}error: could not render: {errors} error{} found",
        text,
        if errors == 1 { "" } else { "s" }
    ));
}

fn warn(warnings: &[diagnostic::Diagnostic], context: &load::Context, color: bool) {
    if !warnings.is_empty() {
        term::message(&diagnostic::render(warnings, &context.sources, Some(context.spans()), color));
    }
}

fn render(topology: &Path, args: &RenderArgs, color: bool) -> anyhow::Result<ExitStatus> {
    let opts =
        LoadOptions { topology: topology.to_path_buf(), profile: args.profile.clone(), phase: args.phase.clone() };
    if args.format == OutputFormat::Helm {
        return helm_chart(topology, args, color);
    }
    let Some(checked) = reported(pipeline::check(&opts), color) else {
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
            let objects = crate::objects::build(&checked.resolved);
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
            emit::files::write_dir(dir, &files, args.force, &protected(topology))?;
            term::message(&format!("wrote {} objects to {}", files.len(), dir.display()));
        }
    }
    Ok(ExitStatus::Success)
}

/// `check`: every profile through the whole pipeline, findings collected
/// and reported once each. Exit 0 clean, 1 findings at `--deny` level,
/// 2 errors.
fn check(topology: &Path, args: &CheckArgs, color: bool) -> anyhow::Result<ExitStatus> {
    use crate::diagnostic::{Diagnostic, Severity};

    let targets: Vec<Option<String>> = match &args.profile {
        Some(p) => vec![Some(p.clone())],
        None => std::iter::once(None).chain(load::profile_names(topology).into_iter().map(Some)).collect(),
    };
    struct Finding {
        diagnostic: Diagnostic,
        position: Option<diagnostic::Position>,
        text: String,
        profiles: Vec<String>,
    }
    let mut findings: Vec<Finding> = Vec::new();
    // the renders are independent: side by side, then reported in order
    let outcomes = crate::parallel::map(&targets, |target| {
        let opts = LoadOptions { topology: topology.to_path_buf(), profile: target.clone(), phase: None };
        match pipeline::check(&opts) {
            Ok(r) => (r.warnings, r.context),
            Err(f) => (f.diagnostics, f.context),
        }
    });
    for (target, (diags, context)) in targets.iter().zip(outcomes) {
        let name = target.clone().unwrap_or_else(|| "(topology)".into());
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
    let names: Vec<String> = targets.iter().map(|t| t.clone().unwrap_or_else(|| "(topology)".into())).collect();
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

/// `plan`: the topology resolved for each growth phase in turn.
fn plan(topology: &Path, args: &PlanArgs, color: bool) -> anyhow::Result<ExitStatus> {
    let first = LoadOptions { topology: topology.to_path_buf(), profile: args.profile.clone(), phase: None };
    let Some(prepared) = reported(pipeline::prepare(&first), color) else {
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
            Some(phase) => prepared.at_phase(phase).map(Ok).unwrap_or_else(|| {
                pipeline::prepare(&LoadOptions {
                    topology: topology.to_path_buf(),
                    profile: args.profile.clone(),
                    phase: Some((*phase).clone()),
                })
            }),
        };
        at_phase.and_then(|p| p.resolve(phase.is_some())).map(|r| crate::plan::phase(&r.resolved, args.node_size))
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

/// `graph`: Mermaid or DOT of one render.
fn graph(topology: &Path, args: &GraphArgs, color: bool) -> anyhow::Result<ExitStatus> {
    let opts = LoadOptions { topology: topology.to_path_buf(), profile: args.profile.clone(), phase: None };
    let Some(r) = reported(pipeline::check(&opts), color) else {
        return Ok(ExitStatus::Error);
    };
    let g = crate::graph::Graph::of(&r.resolved);
    print(&match args.format {
        GraphFormat::Mermaid => g.mermaid(),
        GraphFormat::Dot => g.dot(),
    })
}

/// `diff`: renders, then compares with the cluster or `--against` files.
/// Exit codes follow `kubectl diff`: 0 same, 1 differences, 2 errors.
fn diff(topology: &Path, args: &DiffArgs, choice: ColorChoice, color: bool) -> anyhow::Result<ExitStatus> {
    use crate::diff::{self, compare::Action};

    let opts =
        LoadOptions { topology: topology.to_path_buf(), profile: args.profile.clone(), phase: args.phase.clone() };
    let Some(rendered) = reported(pipeline::render(&opts), color) else {
        return Ok(ExitStatus::Error);
    };
    warn(&rendered.warnings, &rendered.context, color);
    if let Some(ns) = &args.namespace
        && !rendered.objects.iter().any(|o| o.namespace() == Some(ns.as_str()))
    {
        let mut known: Vec<&str> = rendered.objects.iter().filter_map(|o| o.namespace()).collect();
        known.sort_unstable();
        known.dedup();
        anyhow::bail!("the render puts nothing in namespace `{ns}`; its namespaces are: {}", known.join(", "));
    }
    let objects: Vec<_> = match &args.namespace {
        Some(ns) => rendered.objects.iter().filter(|o| o.namespace() == Some(ns.as_str())).cloned().collect(),
        None => rendered.objects.clone(),
    };
    let dopts = diff::Options {
        project: rendered.resolved.topology.project.name.clone(),
        concurrency: args.concurrency.into(),
        namespace: args.namespace.clone(),
    };
    let interactive = console::Term::stderr().is_term();
    let progress = move |n: usize, total: usize| {
        if interactive {
            term::message_inline(&format!("\r\x1b[2Kdiffing {n}/{total}"));
        }
    };
    let notify: diff::kube::Notify = std::sync::Arc::new(move |n: &diff::kube::Notice| {
        let text = match n {
            diff::kube::Notice::Warning(w) => format!("Warning: {w}"),
            diff::kube::Notice::Retry(r) => format!("retrying {r}"),
        };
        if interactive {
            term::message_inline("\r\x1b[2K");
        }
        term::message(&text);
    });
    let deadline = std::time::Duration::from_secs(args.timeout);
    // an async runtime only for the one command that talks to a cluster
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let outcome = runtime.block_on(async {
        match &args.against {
            Some(path) => {
                let files = diff::against::Manifests::read(path)?;
                Ok::<_, anyhow::Error>(diff::run(&files, &objects, &dopts, &progress).await)
            }
            None => {
                let connect = diff::kube::ConnectOptions {
                    kubeconfig: args.kubeconfig.clone(),
                    context: args.context.clone(),
                    timeout: std::time::Duration::from_secs(args.request_timeout),
                    notify,
                };
                let work = async {
                    let cluster = diff::kube::KubeCluster::connect(&connect).await?;
                    let server = cluster.server.clone();
                    Ok::<_, anyhow::Error>(
                        diff::run(&cluster, &objects, &dopts, &progress)
                            .await
                            .map_err(|e| diff::cluster::ClusterError::Unreachable(format!("{server}: {e}"))),
                    )
                };
                match tokio::time::timeout(deadline, work).await {
                    Ok(r) => r,
                    Err(_) => anyhow::bail!(
                        "the diff did not finish within {} s (--timeout); is the API server overloaded?",
                        deadline.as_secs()
                    ),
                }
            }
        }
    });
    if interactive {
        term::message_inline("\r\x1b[2K");
    }
    let report = match outcome? {
        Ok(r) => r,
        Err(e) => anyhow::bail!("cannot diff against the cluster: {e}"),
    };
    for w in &report.warnings {
        term::message(&format!("warning: {w}"));
    }
    let results = report.objects;
    for d in &results {
        for w in &d.warnings {
            term::message(&format!("warning: {}: {w}", d.object));
        }
    }
    let text = match (args.output, args.summary) {
        (DiffOutput::Json, _) => diff::present::json(&results),
        (DiffOutput::Text, true) => diff::present::summary(&results),
        (DiffOutput::Text, false) => {
            let paint_color = term::stdout_color(choice);
            diff::present::full(&results, &|line| term::diff_line(line, paint_color))
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    if !args.summary && args.output == DiffOutput::Text {
        term::message(&diff::present::totals(&results));
    }
    let errors = results.iter().any(|d| d.action == Action::Error);
    let differs = results.iter().any(|d| d.action.differs());
    Ok(if errors {
        ExitStatus::Error
    } else if differs && !args.exit_zero {
        ExitStatus::Differences
    } else {
        ExitStatus::Success
    })
}

/// `render --format helm`: renders every profile and writes one chart.
fn helm_chart(topology: &Path, args: &RenderArgs, color: bool) -> anyhow::Result<ExitStatus> {
    let Some(dir) = &args.out else {
        anyhow::bail!("`--format helm` writes a chart folder: add `--out DIR`");
    };
    let profiles = load::profile_names(topology);
    // the selected profile's values become values.yaml; without one, the
    // topology's own values do
    let mut names: Vec<Option<String>> = profiles.iter().cloned().map(Some).collect();
    let primary = match &args.profile {
        Some(p) if profiles.contains(p) => profiles.iter().position(|x| x == p).unwrap_or(0),
        Some(_) => {
            names.insert(0, args.profile.clone());
            0
        }
        None => {
            names.insert(0, None);
            0
        }
    };
    let mut renders = Vec::with_capacity(names.len());
    for name in &names {
        let opts = LoadOptions { topology: topology.to_path_buf(), profile: name.clone(), phase: args.phase.clone() };
        match pipeline::render(&opts) {
            Ok(r) => {
                warn(&r.warnings, &r.context, color);
                renders.push((name.clone(), r));
            }
            Err(failed) => {
                report(&failed, color);
                return Ok(ExitStatus::Error);
            }
        }
    }
    let variants: Vec<emit::helm::Variant<'_>> = renders
        .iter()
        .map(|(name, r)| emit::helm::Variant { profile: name.clone(), objects: &r.objects, resolved: &r.resolved })
        .collect();
    let skeleton = emit::helm::Skeleton::new(&load::base_dir(topology).join("templates"));
    let chart = emit::helm::chart(&variants, primary, &skeleton)?;
    for key in &chart.fallbacks {
        term::message(&format!("warning: `{key}` differs between profiles in ways the chart carries as a whole value"));
    }
    emit::helm::write(dir, &chart, args.force, &protected(topology))?;
    term::message(&format!("wrote a chart with {} files to {}", chart.files.len(), dir.display()));
    Ok(ExitStatus::Success)
}

fn snapshot(topology: &Path, args: &SnapshotArgs, choice: ColorChoice, color: bool) -> anyhow::Result<ExitStatus> {
    let base = load::base_dir(topology);
    // the folder must not hold the project; `snapshots/` itself may
    let protect = [topology.to_path_buf(), load::profiles_dir(topology), base.join("templates")];
    let dir = snapshot::folder(&base, &args.dir, &protect)?;
    let profiles = load::profile_names(topology);
    let targets: Vec<Option<String>> =
        if profiles.is_empty() { vec![None] } else { profiles.into_iter().map(Some).collect() };
    let names: Vec<String> = targets.iter().map(|p| snapshot::file_name(p.as_deref())).collect();
    // claimed before rendering: a folder archctl may not update is refused
    // before anything is written
    let mut owned = if args.update { Some(snapshot::Owned::claim(&dir, &names)?) } else { None };
    let mut entries = Vec::new();
    let mut failed_any = false;
    for (profile, name) in targets.iter().zip(&names) {
        let opts = LoadOptions { topology: topology.to_path_buf(), profile: profile.clone(), phase: None };
        let path = dir.join(name);
        match pipeline::render(&opts) {
            Ok(r) => {
                let text = emit::yaml::stream(&r.objects)?;
                if let Some(owned) = &mut owned {
                    if owned.write(name, &text)? {
                        term::message(&format!("updated {}", path.display()));
                    } else {
                        term::message(&format!("unchanged {}", path.display()));
                    }
                } else {
                    entries.push(snapshot::compare(profile.as_deref().unwrap_or("default"), &path, &text)?);
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
    let out_color = term::stdout_color(choice);
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

//! `archctl diff`: one render compared with the cluster or with
//! `--against` files.

use std::io::Write;

use anyhow::Context as _;

use super::{reported, warn};
use crate::cli::{DiffArgs, DiffOutput};
use crate::diff::{self, compare::Action};
use crate::exit::ExitStatus;
use crate::pipeline;
use crate::settings::Settings;
use crate::term;

/// `diff`: renders, then compares with the cluster or `--against` files.
/// Exit codes follow `kubectl diff`: 0 same, 1 differences, 2 errors.
pub(super) fn run(settings: &Settings, args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let color = settings.colors.stderr;
    let format = match args.output {
        Some(format) => {
            term::message("warning: `diff -o/--output` is deprecated: use `--format` (`-o` means `--out` elsewhere)");
            format
        }
        None => args.format,
    };
    if args.explain && format == DiffOutput::Json {
        anyhow::bail!("`--explain` annotates the text diff: drop `--format json` (or `--explain`)");
    }
    let target = settings.one(&args.profile, &args.phase);
    let Some(rendered) = reported(pipeline::render(settings.topology(), &target), color) else {
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
    let bar = std::sync::Arc::new(term::Progress::new("diffing"));
    let progress = {
        let bar = bar.clone();
        move |n: usize, total: usize| bar.set(n, total)
    };
    let notify: diff::kube::Notify = {
        let bar = bar.clone();
        std::sync::Arc::new(move |n: &diff::kube::Notice| {
            let text = match n {
                diff::kube::Notice::Warning(w) => format!("Warning: {w}"),
                diff::kube::Notice::Retry(r) => format!("retrying {r}"),
            };
            bar.message(&text);
        })
    };
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
    bar.finish();
    let report = match outcome? {
        Ok(r) => r,
        Err(e) => anyhow::bail!("cannot diff against the cluster: {e}"),
    };
    for w in &report.warnings {
        term::message(&format!("warning: {w}"));
    }
    let mut results = report.objects;
    if args.explain {
        let explainer = crate::explain::Explainer::new(&rendered.resolved, &rendered.context);
        for d in results.iter_mut().filter(|d| !d.diff.is_empty()) {
            let object = rendered.objects.iter().find(|o| o.describe() == d.object);
            d.diff = explainer.annotate_diff(object, &d.diff, &d.after);
        }
    }
    for d in &results {
        for w in &d.warnings {
            term::message(&format!("warning: {}: {w}", d.object));
        }
    }
    let text = match (format, args.summary) {
        (DiffOutput::Json, _) => diff::present::json(&results),
        (DiffOutput::Text, true) => diff::present::summary(&results),
        (DiffOutput::Text, false) => {
            diff::present::full(&results, &|line| term::diff_line(line, settings.colors.stdout))
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    if !args.summary && format == DiffOutput::Text {
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

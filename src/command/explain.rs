//! `archctl explain`: one render, one object, where its fields come from.

use super::{print, reported};
use crate::cli::{ExplainArgs, ExplainFormat};
use crate::exit::ExitStatus;
use crate::explain::{self, Explainer};
use crate::k8s::field::FieldPath;
use crate::pipeline;
use crate::settings::Settings;

pub(super) fn run(settings: &Settings, args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let target = settings.one(&args.profile, &args.phase);
    let Some(rendered) = reported(pipeline::render(settings.topology(), &target), settings.colors.stderr) else {
        return Ok(ExitStatus::Error);
    };
    let field = match args.field.as_deref().map(FieldPath::parse).transpose() {
        Ok(f) => f,
        Err(e) => return Ok(failed(&e)),
    };
    let object = match explain::find(&rendered.objects, &args.object, args.namespace.as_deref()) {
        Ok(o) => o,
        Err(e) => return Ok(failed(&e)),
    };
    let explainer = Explainer::new(&rendered.resolved, &rendered.context);
    let explained = match explainer.object(object, field.as_ref()) {
        Ok(e) => e,
        Err(e) => return Ok(failed(&e)),
    };
    print(&match args.format {
        ExplainFormat::Json => serde_json::to_string_pretty(&explained)? + "\n",
        ExplainFormat::Text => explain::text(&explained, field.is_some()),
    })
}

fn failed(message: &str) -> ExitStatus {
    crate::term::message(&format!("error: {message}"));
    ExitStatus::Error
}

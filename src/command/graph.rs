//! `archctl graph`: one render as a Mermaid or DOT picture.

use super::{print, reported};
use crate::cli::{GraphArgs, GraphFormat};
use crate::exit::ExitStatus;
use crate::pipeline;
use crate::settings::Settings;

pub(super) fn run(settings: &Settings, args: &GraphArgs) -> anyhow::Result<ExitStatus> {
    let target = settings.one(&args.profile, &None);
    let Some(r) = reported(pipeline::check(settings.topology(), &target), settings.colors.stderr) else {
        return Ok(ExitStatus::Error);
    };
    let g = crate::graph::Graph::of(&r.resolved);
    print(&match args.format {
        GraphFormat::Mermaid => g.mermaid(),
        GraphFormat::Dot => g.dot(),
    })
}

//! Command-line arguments (clap derive types only; no logic).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Typed infrastructure-as-code for Kubernetes: render a TOML topology as
/// validated manifests.
#[derive(Debug, Parser)]
#[command(name = "archctl", version, about, long_about = None)]
pub struct Cli {
    /// The topology file.
    #[arg(short = 'f', long = "topology", global = true, value_name = "FILE", default_value = "archctl.toml")]
    pub topology: PathBuf,

    /// When to colour messages on stderr and diffs on stdout.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Also read files the topology names under DIR (repeatable). By
    /// default every file must be inside the topology's folder, symbolic
    /// links followed.
    #[arg(long = "allow-read", global = true, value_name = "DIR", value_parser = crate::load::input::allowed_dir)]
    pub allow_read: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the topology as Kubernetes manifests.
    Render(RenderArgs),
    /// Compare renders of every profile with the golden files in `snapshots/`.
    Snapshot(SnapshotArgs),
    /// Show what applying the render would change in a cluster (read-only).
    Diff(DiffArgs),
    /// Validate the topology and every profile, and lint for practice.
    Check(CheckArgs),
    /// Capacity per growth phase: replicas, CPU, memory, GPUs, storage, nodes.
    Plan(PlanArgs),
    /// The topology as a picture: Mermaid or Graphviz DOT.
    Graph(GraphArgs),
    /// Print the JSON Schema of topology (or profile) files, for editors.
    Schema(SchemaArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only this profile (default: the topology alone and every profile).
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Fail (exit 1) on findings of this level: `warnings`.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub deny: Option<DenyLevel>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The profile to plan with.
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Also count the nodes each phase needs: `8cpu,32Gi` or `8cpu,64Gi,1gpu`.
    #[arg(long, value_name = "SIZE")]
    pub node_size: Option<crate::plan::NodeSize>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Table,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The profile to draw.
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DenyLevel {
    Warnings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of profile files (every key optional) instead.
    #[arg(long)]
    pub profile: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The profile to render.
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The growth phase to render, instead of the one the profile picks.
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,

    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config,
    /// then the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Diff only the objects of this namespace.
    #[arg(short, long, value_name = "NAME")]
    pub namespace: Option<String>,

    /// Compare with manifests on disk (a folder, a multi-document file, or
    /// `-` for standard input) instead of a cluster.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["kubeconfig", "context"])]
    pub against: Option<PathBuf>,

    /// One line per object and totals instead of full diffs.
    #[arg(long)]
    pub summary: bool,

    /// Exit 0 even when there are differences (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = DiffOutput::Text)]
    pub output: DiffOutput,

    /// Requests to the API server in flight at once. The default, 16, is
    /// about a third of what API Priority and Fairness gives all human
    /// users together on a default API server (the `global-default`
    /// level: ~49 of 600 seats); a CI service account (`workload-low`,
    /// ~245 seats) can take more.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Seconds before one request to the API server gives up, the whole
    /// answer included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub request_timeout: u64,

    /// Seconds the whole diff may take against a cluster.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffOutput {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The profile to apply (`profiles/<NAME>.toml` beside the topology).
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The growth phase to render, instead of the one the profile picks.
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,

    /// Write one file per object into this folder instead of stdout.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace an output folder even if it holds files archctl did not write.
    #[arg(long, requires = "out")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Fail (exit 1) and print a diff if a render differs from its snapshot
    /// (the default).
    #[arg(long, conflicts_with = "update")]
    pub check: bool,

    /// Rewrite the snapshots from the current renders.
    #[arg(long)]
    pub update: bool,

    /// The snapshot folder, relative to the topology file.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub dir: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A multi-document YAML stream (or one file per object with --out).
    Yaml,
    /// A `v1 List` (or one JSON file per object with --out).
    Json,
    /// A Helm chart with values for every profile (needs --out).
    Helm,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

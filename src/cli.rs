//! Command-line arguments (clap derive types only; no logic).

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCandidates;

use crate::completion;

/// Typed infrastructure-as-code for Kubernetes: render a TOML topology as
/// validated manifests.
#[derive(Debug, Parser)]
#[command(name = "archctl", version = env!("ARCHCTL_VERSION"), about, long_about = None)]
pub struct Cli {
    /// The topology file.
    #[arg(short = 'f', long = "topology", global = true, value_name = "FILE", default_value = "archctl.toml")]
    pub topology: PathBuf,

    /// When to colour messages on stderr and diffs on stdout.
    ///
    /// `auto` colours a stream only when it is a terminal and `NO_COLOR` is
    /// unset or empty.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Also read files the topology names under DIR (repeatable).
    ///
    /// By default the profiles and every file the topology names (config
    /// map files) must be inside the topology's folder, symbolic links
    /// followed.
    #[arg(long = "allow-read", global = true, value_name = "DIR", value_parser = crate::load::input::allowed_dir)]
    pub allow_read: Vec<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the topology as Kubernetes manifests.
    ///
    /// Reads the topology file (`-f`), with `--profile` the profile
    /// `profiles/NAME.toml` beside it, and the files the topology names
    /// (config map `files`), which must be inside the topology's folder
    /// unless `--allow-read` names another. Merges the profile, validates,
    /// resolves the growth phase (`--phase`, else the one the profile or the
    /// topology picks) and prints every object in apply order on stdout: a
    /// multi-document YAML stream, or a `v1 List` with `--format json`.
    /// Errors and warnings go to stderr; warnings never fail a render.
    ///
    /// With `--out DIR` it writes one file per object into DIR instead, and
    /// nothing to stdout. archctl owns that folder: `DIR/.archctl-output`
    /// lists the files it wrote; a folder holding other files is refused
    /// unless `--force`; a folder that is or holds the project's own files
    /// (the topology, `profiles/`, `snapshots/`, `templates/`) is always
    /// refused; the new output replaces the old one only once it is
    /// complete. `--all-profiles --out DIR` writes such a folder for every
    /// profile, `DIR/PROFILE`, for GitOps (or nothing, when a profile
    /// fails). `--format helm --out DIR` renders every profile and writes
    /// one Helm chart with values for each; files in a `templates/` folder
    /// beside the topology replace the chart's built-in skeleton files.
    ///
    /// Exit status: 0 when the manifests were printed or written; 2 on any
    /// error (a topology problem, an unreadable file, a refused or
    /// unwritable output folder, `--format helm` or `--all-profiles`
    /// without `--out`, a usage error). render never exits 1.
    #[command(after_long_help = RENDER_EXAMPLES)]
    Render(RenderArgs),
    /// Compare renders of every profile with the golden files in `snapshots/`.
    ///
    /// Renders each profile of `profiles/` (in name order, each at its own
    /// growth phase; a topology without profiles has one render, `default`)
    /// and compares it with its golden file `DIR/PROFILE.yaml`, which holds
    /// byte for byte what `archctl render --profile PROFILE` prints. DIR is
    /// `--dir`, relative to the topology's folder.
    ///
    /// `--check` (the default) writes no file: it prints a unified diff of
    /// every changed snapshot on stdout, and names missing snapshots and
    /// those of profiles that no longer exist on stderr. `--update` rewrites
    /// the snapshots that changed (a temporary file, then a rename) and
    /// removes the stale ones. archctl owns only the snapshots it lists in
    /// `DIR/.archctl-snapshots`: `--update` refuses to run while DIR holds a
    /// `*.yaml` file it did not write, and leaves other files alone.
    ///
    /// Exit status: 0 when every snapshot is up to date (with `--update`:
    /// was written); 1 when `--check` finds a snapshot that differs, is
    /// missing or belongs to no profile; 2 when a profile fails to render
    /// (the other profiles are still compared or updated), a snapshot
    /// cannot be read or written, or on a usage error.
    #[command(after_long_help = SNAPSHOT_EXAMPLES)]
    Snapshot(SnapshotArgs),
    /// Show what applying the render would change in a cluster (read-only).
    ///
    /// Renders like `render` (`--profile`, `--phase`) and compares each
    /// object with what `kubectl apply --server-side
    /// --field-manager=archctl` would make of it. It reads the cluster and
    /// sends server-side apply dry runs (`dryRun=All`) only: it never
    /// changes anything. Objects archctl applied for this project that the
    /// render no longer has are shown as prune candidates. The cluster is
    /// the kubeconfig's (`--kubeconfig`, else `$KUBECONFIG`, else
    /// `~/.kube/config`, else the in-cluster service account), at its
    /// current context or `--context`. With `--against PATH` it compares
    /// with manifests on disk instead and contacts no cluster.
    ///
    /// Prints a unified diff of every object that would change on stdout
    /// (`--summary`: one line per object and the totals; `--format json`: one
    /// JSON report); warnings, progress and the totals of the full diff go
    /// to stderr. Secret values are never shown.
    ///
    /// Exit status, as for `kubectl diff`: 0 when nothing would change (or
    /// with `--exit-zero`); 1 when an object would be created, changed,
    /// replaced or pruned; 2 on any error (a topology problem, a cluster
    /// that cannot be reached or does not finish within `--timeout`, an
    /// object that could not be compared, while the others are still
    /// diffed, a `--namespace` the render does not use, a usage error).
    #[command(after_long_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// Validate the topology and every profile, and lint for practice.
    ///
    /// Runs the whole pipeline for the topology alone and with each profile
    /// of `profiles/` (or only `--profile`), each at every growth phase of
    /// the topology, so that it also finds what breaks a single profile or
    /// phase. Reports every error (`E…`) and every
    /// practice warning (`W…`: what Kubernetes accepts and a reviewer would
    /// question) except those the topology's `[checks] allow` lists. A
    /// finding shared by several renders is reported once, naming its
    /// renders (profiles and phases) when not all have it. Reads what `render` reads; writes no
    /// file.
    ///
    /// The findings and their count go to stderr; with `--format json`, one
    /// JSON report goes to stdout instead (`checked`, `errors`, `warnings`,
    /// `findings`); with `--format sarif`, a SARIF 2.1.0 log for code
    /// scanning; with `--format github`, one GitHub Actions workflow command
    /// (`::warning file=…,line=…,col=…::`) per finding.
    ///
    /// Exit status: 0 when there is no error (and, with `--deny warnings`,
    /// no warning); 1 when `--deny warnings` is given and there are warnings
    /// but no errors; 2 when there is an error, or on a usage error.
    #[command(after_long_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Capacity per growth phase: replicas, CPU, memory, GPUs, storage, nodes.
    ///
    /// Resolves the topology (with `--profile`, that profile) at every
    /// growth phase in turn, whichever phase the profile picks, and prints
    /// on stdout, per phase and per service, the pods (a range where an
    /// autoscaler decides), their CPU, memory and GPU requests and limits,
    /// and the storage they claim; a topology without phases has one plan.
    /// With `--node-size`, also how many nodes of that size each phase
    /// needs at its fewest and its most pods. Storage is shown in the units
    /// the topology wrote (decimal stays decimal). Warnings go to stderr,
    /// once each, with the phases they belong to.
    ///
    /// With `--prices FILE`, what each phase costs a month instead: the
    /// services placed in the file's node pools (by name, node selector,
    /// GPUs, or the default pool), the nodes each pool needs at the fewest
    /// and the most pods, storage per GB-month, and the change from the
    /// previous phase; `--budget` holds the most expensive phase to an
    /// amount. Repeat `--profile`, or give `--all-profiles`, to plan several
    /// profiles. Reads what `render` reads and the price file; writes no
    /// file.
    ///
    /// Exit status: 0 when every phase was planned (and is within
    /// `--budget`); 1 when the most expensive phase costs more than
    /// `--budget`; 2 when a phase does not resolve (its errors go to stderr
    /// and the other phases are still planned on stdout), the price file is
    /// not usable, a cost held to `--budget` is incomplete, or on a usage
    /// error.
    #[command(after_long_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// The topology as a picture: Mermaid or Graphviz DOT.
    ///
    /// Renders the topology (with `--profile`, that profile at its growth
    /// phase) and prints on stdout a Mermaid `flowchart`, or Graphviz DOT
    /// with `--format dot`: namespaces as groups, services as nodes, and
    /// edges from ingresses to services, from services to the services
    /// their environment and autoscalers point at, and from volumes and
    /// claims to storage classes. Reads what `render` reads; writes no
    /// file.
    ///
    /// Exit status: 0 when the graph was printed; 2 when the topology does
    /// not render (its errors go to stderr), or on a usage error. graph
    /// never exits 1.
    #[command(after_long_help = GRAPH_EXAMPLES)]
    Graph(GraphArgs),
    /// Where a field of a rendered object comes from.
    ///
    /// Renders like `render` (`--profile`, `--phase`), finds the object
    /// KIND/NAME (`deployment/api`; kinds as `kubectl` spells them, short
    /// names included; `--namespace` when the name is in several) and prints
    /// for FIELD (`spec.template.spec.containers[0].image`,
    /// `metadata.labels["app.kubernetes.io/name"]`; a field with fields
    /// below it explains each of them) the file, line and column of the key
    /// that set it, each earlier layer it overrode (topology, profile,
    /// worker pool), the template variables it read with where they were
    /// set, or the built-in default that filled it (a resource profile, the
    /// hardened security defaults, the recommended labels). Without FIELD,
    /// every field of the object, grouped by where it comes from. Fields no
    /// topology key sets are said to be set by archctl. `--format json`
    /// prints the same as one JSON document. Reads what `render` reads;
    /// writes no file.
    ///
    /// Exit status: 0 when the object was explained; 2 when the topology
    /// does not render, the object or field is not in the render, the name
    /// is ambiguous without `--namespace`, or on a usage error.
    #[command(after_long_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Print the JSON Schema of topology (or profile) files, for editors.
    ///
    /// Prints on stdout the JSON Schema (draft-07) of topology files,
    /// generated from the types the loader reads, with their descriptions;
    /// with `--profile`, that of profile files, in which no key is
    /// required. Editors that use taplo then complete keys and flag unknown
    /// keys and wrong types. The schema checks shape only: references,
    /// ranges and phases are `archctl check`'s job. Reads no file.
    ///
    /// Exit status: 0; 2 only when stdout cannot be written, or on a usage
    /// error.
    #[command(after_long_help = SCHEMA_EXAMPLES)]
    Schema(SchemaArgs),
    /// Start a new project: a topology, three profiles and their schemas.
    ///
    /// Writes into DIR (default: the current folder) `archctl.toml` with the
    /// project, one namespace and one service (image, port, probes, a
    /// built-in resource profile, a disruption budget, two growth phases),
    /// `profiles/dev.toml`, `staging.toml` and `production.toml`, the JSON
    /// Schemas their `#:schema` directives name (`archctl.schema.json`,
    /// `profile.schema.json`), and a `.gitignore` for `out/`. The project
    /// renders in every profile and passes `archctl check --deny warnings`.
    /// Never replaces a file: when one of them exists nothing is written.
    /// Ignores `-f`.
    ///
    /// Exit status: 0 when the project was written; 2 when a file exists, a
    /// name is not a valid Kubernetes name, or a file cannot be written.
    #[command(after_long_help = INIT_EXAMPLES)]
    Init(InitArgs),
    /// Turn Kubernetes manifests into a topology that renders them.
    ///
    /// Reads the objects of PATH (a YAML or JSON file, several documents or
    /// a `v1 List`, or a folder of them, recursively; `-` reads standard
    /// input), such as plain manifests or `helm template` output, or with
    /// `--from-cluster -n NAMESPACE` the live objects of a namespace, and writes
    /// `DIR/archctl.toml` (DIR: `--out`, default the current folder).
    /// Deployments, StatefulSets, Jobs and CronJobs become services with
    /// their containers, probes, resources, environment and volumes, the
    /// Service of a workload's name that selects its pods goes with it, and
    /// ConfigMaps and PersistentVolumeClaims become config maps and claims.
    /// Names, labels and selectors are kept exactly, in `legacy` tables
    /// (warning W013). A Secret becomes a reference with its key names: its
    /// values are never read into the topology, printed or written.
    ///
    /// What the topology cannot express is listed on stderr and in the
    /// topology's header, object by object and field by field, and objects
    /// of other kinds are listed whole. Then import renders the written
    /// topology and compares it with the input as `archctl diff --against
    /// PATH` does (with `--from-cluster`, as `archctl diff` against the
    /// cluster does), and prints the result: every object it expressed
    /// wholly must come out unchanged. Never replaces a file.
    ///
    /// Exit status: 0 when the topology was written and every wholly
    /// expressed object renders unchanged; 1 when one renders otherwise (the
    /// topology is written all the same); 2 when `DIR/archctl.toml` exists,
    /// PATH cannot be read or holds no object, or the topology does not
    /// render.
    #[command(after_long_help = IMPORT_EXAMPLES)]
    Import(ImportArgs),
    /// Print a shell completion script.
    ///
    /// Prints on stdout a completion script for bash, elvish, fish,
    /// powershell or zsh. The script asks `archctl` itself at each
    /// completion (`COMPLETE=SHELL archctl -- …`), which offers every
    /// subcommand and option, and the values of the moment: the profiles
    /// and growth phases of `archctl.toml` in the current folder, and the
    /// kubeconfig's contexts. Save the script where the shell looks for
    /// completions, or source it at shell start (then it always matches
    /// the installed archctl).
    ///
    /// Exit status: 0; 2 only when stdout cannot be written, or on a usage
    /// error (such as an unknown shell).
    #[command(after_long_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or a subcommand's.
    ///
    /// Prints the man page `archctl(1)` in roff on stdout; with SUBCOMMAND,
    /// that subcommand's page `archctl-SUBCOMMAND(1)`, with its options,
    /// exit status and examples. With `--out DIR` it writes instead
    /// `archctl.1` and `archctl-SUBCOMMAND.1` for every subcommand into DIR
    /// (created if missing), replacing those files and no others, and names
    /// each file it wrote on stderr. Reads no topology.
    ///
    /// Exit status: 0 when the pages were printed or written; 2 for an
    /// unknown SUBCOMMAND (the message names the known ones), a file that
    /// cannot be written, or a usage error.
    #[command(after_long_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const RENDER_EXAMPLES: &str = "Examples:
  archctl render --profile production | kubectl apply --server-side --field-manager=archctl -f -
  archctl render --profile dev --out out/dev && kubectl apply -f out/dev
  archctl render --all-profiles --out deploy && git add deploy";

const SNAPSHOT_EXAMPLES: &str = "Examples:
  archctl snapshot
  archctl snapshot --update
  archctl -f examples/percolate-reading/archctl.toml snapshot --check";

const DIFF_EXAMPLES: &str = "Examples:
  archctl diff --profile production
  archctl diff --profile production --context staging-admin --summary --exit-zero
  archctl render --profile production --out live && archctl diff --profile staging --against live";

const CHECK_EXAMPLES: &str = "Examples:
  archctl check
  archctl check --profile production --deny warnings
  archctl check --format sarif > archctl.sarif";

const PLAN_EXAMPLES: &str = "Examples:
  archctl plan --profile production --node-size 8cpu,32Gi
  archctl plan --all-profiles --prices examples/prices/aws-us-east-1.toml
  archctl plan -p production --prices prices.toml --budget 5000 --format json";

const GRAPH_EXAMPLES: &str = "Examples:
  archctl graph --profile production > topology.mmd
  archctl graph --format dot | dot -Tsvg > topology.svg";

const EXPLAIN_EXAMPLES: &str = "Examples:
  archctl explain deployment/api spec.template.spec.containers[0].image --profile production
  archctl explain deploy/api 'metadata.labels[\"app.kubernetes.io/version\"]'
  archctl explain svc/api --format json";

const INIT_EXAMPLES: &str = "Examples:
  archctl init shop && archctl -f shop/archctl.toml check
  archctl init --name shop --namespace shop-prod --image ghcr.io/acme/shop:1.0.0 .";

const IMPORT_EXAMPLES: &str = "Examples:
  archctl import k8s/ --out shop --name shop
  archctl import --out shop - < <(helm template shop ./chart)
  archctl import --from-cluster -n shop --context prod-viewer --out shop";

const SCHEMA_EXAMPLES: &str = "Examples:
  archctl schema > archctl.schema.json
  archctl schema --profile > archctl.profile.schema.json";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  archctl completions bash > ~/.local/share/bash-completion/completions/archctl
  archctl completions zsh > ~/.zfunc/_archctl
  archctl completions fish > ~/.config/fish/completions/archctl.fish";

const MAN_EXAMPLES: &str = "Examples:
  archctl man | man -l -
  archctl man diff > archctl-diff.1
  archctl man --out ~/.local/share/man/man1";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only this profile (default: the topology alone and every profile).
    #[arg(short, long, value_name = "NAME", add = ArgValueCandidates::new(completion::profiles))]
    pub profile: Option<String>,

    /// Fail (exit 1) on findings of this level: `warnings`.
    ///
    /// With `warnings`, a check that finds warnings and no errors exits 1
    /// instead of 0. Errors exit 2 either way; warnings that `[checks]
    /// allow` lists are not findings.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub deny: Option<DenyLevel>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The profile to plan with; repeat it to plan several in one run.
    #[arg(short, long, value_name = "NAME", add = ArgValueCandidates::new(completion::profiles))]
    pub profile: Vec<String>,

    /// Plan every profile of `profiles/`.
    #[arg(long, conflicts_with = "profile")]
    pub all_profiles: bool,

    /// Also count the nodes each phase needs: `8cpu,32Gi` or `8cpu,64Gi,1gpu`.
    #[arg(long, value_name = "SIZE", conflicts_with = "prices")]
    pub node_size: Option<crate::plan::NodeSize>,

    /// What each phase costs a month, with the prices of FILE (TOML: its
    /// currency, date and source; node pools priced per node or per
    /// resource-hour; storage per GB-month; see docs/plan.md and
    /// examples/prices/).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,

    /// Exit 1 when the most expensive phase, at the most pods, costs more
    /// than AMOUNT a month (in the price file's currency).
    #[arg(long, value_name = "AMOUNT", requires = "prices", value_parser = budget)]
    pub budget: Option<rust_decimal::Decimal>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

/// `--budget 5000` or `--budget 4999.99`: a monthly amount of 0 or more.
fn budget(s: &str) -> Result<rust_decimal::Decimal, String> {
    use std::str::FromStr;
    match rust_decimal::Decimal::from_str(s.trim().replace(['_', ','], "").as_str()) {
        Ok(d) if d >= rust_decimal::Decimal::ZERO => Ok(d),
        Ok(_) => Err("a budget is 0 or more".into()),
        Err(_) => Err(format!("`{s}` is not an amount such as `5000` or `4999.99`")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Table,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The object: KIND/NAME, e.g. `deployment/api` or `svc/api`.
    #[arg(value_name = "KIND/NAME")]
    pub object: String,

    /// The field, e.g. `spec.template.spec.containers[0].image`.
    #[arg(value_name = "FIELD")]
    pub field: Option<String>,

    /// The profile to render.
    #[arg(short, long, value_name = "NAME", add = ArgValueCandidates::new(completion::profiles))]
    pub profile: Option<String>,

    /// The growth phase to render at, instead of the one the files pick.
    #[arg(long, value_name = "PHASE", add = ArgValueCandidates::new(completion::phases))]
    pub phase: Option<String>,

    /// The object's namespace, when its name is in several.
    #[arg(short, long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The profile to draw.
    #[arg(short, long, value_name = "NAME", add = ArgValueCandidates::new(completion::profiles))]
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
    /// Messages with the source lines they point at, on stderr.
    Text,
    /// One JSON report on stdout.
    Json,
    /// A SARIF 2.1.0 log on stdout, for code scanning (GitHub, GitLab, IDEs).
    Sarif,
    /// GitHub Actions workflow commands on stdout (`::warning file=…::`),
    /// which annotate the pull request.
    Github,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder of the new project (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// The project's name (default: the folder's name, as a DNS label).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// The namespace of the first service (default: the project's name).
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,

    /// The first service's image (default: nginxinc/nginx-unprivileged:1.27-alpine).
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Manifest files or folders; `-` for standard input.
    #[arg(value_name = "PATH", required_unless_present = "from_cluster", conflicts_with = "from_cluster")]
    pub paths: Vec<PathBuf>,

    /// Read the live objects of a namespace instead (read-only: GET and LIST only).
    ///
    /// Lists the Deployments, StatefulSets, Jobs, CronJobs, Services,
    /// ConfigMaps, Secrets, PersistentVolumeClaims, HPAs, disruption
    /// budgets, ServiceAccounts, NetworkPolicies, Ingresses and, where
    /// their CRDs are installed, VPAs, KEDA ScaledObjects, ServiceMonitors,
    /// ExternalSecrets, Gateways, HTTPRoutes, GRPCRoutes and ReferenceGrants
    /// of `-n NAMESPACE` (with `-l`, those it selects),
    /// leaving out what a controller made (a CronJob's Jobs), the
    /// `kube-root-ca.crt` ConfigMap and `default` ServiceAccount every
    /// namespace gets, the fields the API server filled in with their
    /// defaults, and an autoscaled workload's replicas (the autoscaler's);
    /// the proof is then `archctl diff` against the cluster.
    #[arg(long, requires = "namespace")]
    pub from_cluster: bool,

    /// The namespace of objects that name none (as `kubectl apply -n`);
    /// with `--from-cluster`, the namespace to read.
    ///
    /// Charts rarely write `metadata.namespace`: `helm template -n NS`
    /// output imports with `-n NS`, and the proof compares the render with
    /// the objects as they would be created there.
    #[arg(short, long, value_name = "NAME")]
    pub namespace: Option<String>,

    /// With `--from-cluster`: a label selector (`app=shop,tier=web`).
    #[arg(short = 'l', long, value_name = "SELECTOR", requires = "from_cluster")]
    pub selector: Option<String>,

    /// With `--from-cluster`: the kubeconfig file (default as `diff`'s).
    #[arg(long, value_name = "FILE", requires = "from_cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// With `--from-cluster`: the kubeconfig context to use.
    #[arg(long, value_name = "NAME", requires = "from_cluster")]
    pub context: Option<String>,

    /// The folder to write `archctl.toml` and `profiles/imported.toml` into (created if missing).
    #[arg(short = 'o', long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// The project's name (default: the namespace most objects are in).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of profile files (every key optional) instead.
    #[arg(long)]
    pub profile: bool,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Print this subcommand's page, `archctl-SUBCOMMAND(1)`, instead of
    /// `archctl(1)`.
    #[arg(value_name = "SUBCOMMAND", conflicts_with = "out")]
    pub subcommand: Option<String>,

    /// Write `archctl.1` and `archctl-SUBCOMMAND.1` for every subcommand
    /// into this folder instead of stdout.
    ///
    /// The folder is created if missing. Only those files are replaced;
    /// nothing is deleted. A symbolic link, folder or other non-regular
    /// file under one of those names is refused, and then nothing is
    /// written. Each file written is named on stderr.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
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
    #[arg(short, long, value_name = "NAME", add = ArgValueCandidates::new(completion::profiles))]
    pub profile: Option<String>,

    /// The growth phase to render, instead of the one the profile picks.
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(completion::phases))]
    pub phase: Option<String>,

    /// The kubeconfig file.
    ///
    /// Default: the files `$KUBECONFIG` lists, merged, else
    /// `~/.kube/config`, else the in-cluster service account.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(completion::contexts))]
    pub context: Option<String>,

    /// Diff only the objects of this namespace.
    ///
    /// Only the rendered objects of this namespace are compared (so no
    /// Namespace or StorageClass), and prune candidates are looked for
    /// there only. A namespace the render does not use is an error.
    #[arg(short, long, value_name = "NAME")]
    pub namespace: Option<String>,

    /// Compare with manifests on disk (a folder, a multi-document file, or
    /// `-` for standard input) instead of a cluster.
    ///
    /// A folder is read for its `.yaml`, `.yml` and `.json` files; `kind:
    /// List` documents are read too. Files cannot answer a dry run, so
    /// each object is compared on the fields the render sets, and the
    /// prune candidates are the files' objects that carry archctl's labels.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["kubeconfig", "context", "concurrency", "request_timeout", "timeout"])]
    pub against: Option<PathBuf>,

    /// One line per object and totals instead of full diffs.
    #[arg(long)]
    pub summary: bool,

    /// Under each added or changed line, where its value comes from: the
    /// file, line, column and key (and what it overrode), the built-in
    /// default, or the API server's default (see `archctl explain`).
    #[arg(long, conflicts_with = "summary")]
    pub explain: bool,

    /// Exit 0 even when there are differences (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// The report's format: text, or one JSON report.
    #[arg(long, value_enum, default_value_t = DiffOutput::Text)]
    pub format: DiffOutput,

    /// The old spelling of `--format` (deprecated: `-o` is `--out`, a
    /// folder, in every other command).
    #[arg(short = 'o', long = "output", value_enum, hide = true, conflicts_with = "format")]
    pub output: Option<DiffOutput>,

    /// Requests to the API server in flight at once (1-64).
    ///
    /// The default, 16, is about a third of what API Priority and Fairness
    /// gives all human users together on a default API server (the
    /// `global-default` level: ~49 of 600 seats); a CI service account
    /// (`workload-low`, ~245 seats) can take more.
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
    #[arg(short, long, value_name = "NAME", add = ArgValueCandidates::new(completion::profiles))]
    pub profile: Option<String>,

    /// The growth phase to render, instead of the one the profile picks.
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(completion::phases))]
    pub phase: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub format: OutputFormat,

    /// Write one file per object into this folder instead of stdout.
    ///
    /// Files are named `NN-kind.namespace.name.yaml` (`NN-kind.name.yaml`
    /// for cluster-scoped objects; `.json` with `--format json`), where NN
    /// is the kind's place in Helm's install order, so that `kubectl apply
    /// -f DIR` applies them in order. With `--format helm`, the chart's
    /// folder.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace an output folder even if it holds files archctl did not write.
    ///
    /// The files the folder's `.archctl-output` marker does not list are
    /// deleted with it. A folder that is or holds the project's own files
    /// is refused even so.
    #[arg(long, requires = "out")]
    pub force: bool,

    /// Render every profile, each into its own folder `DIR/PROFILE` (needs
    /// `--out DIR`).
    ///
    /// The hydrated layout of a rendered-manifests repository, as Argo CD's
    /// source hydrator and Flux read it: `DIR/PROFILE` holds exactly what
    /// `render --profile PROFILE --out DIR/PROFILE` writes, marker and
    /// ownership rules included (a topology without profiles writes
    /// `DIR/default`). Every profile is rendered first: when one fails,
    /// its errors go to stderr, nothing is written and the exit status is
    /// 2, so that the folder never holds renders of two different
    /// topologies. A folder with files archctl did not write is refused
    /// (then nothing is written) unless `--force`. `DIR/.archctl-profiles`
    /// lists the profile folders archctl wrote; the folder of a profile
    /// that no longer exists is removed when its own marker lists every
    /// file in it, and kept (with a warning) otherwise. Other files in DIR
    /// are left alone. Not with `--profile`, nor `--format helm` (a chart
    /// already holds every profile).
    #[arg(long, conflicts_with = "profile")]
    pub all_profiles: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Fail (exit 1) and print a diff if a render differs from its snapshot
    /// (the default).
    #[arg(long, conflicts_with = "update")]
    pub check: bool,

    /// Rewrite the snapshots from the current renders.
    ///
    /// Writes the snapshots that changed, removes those archctl wrote for
    /// profiles that no longer exist, and refuses to run while the folder
    /// holds a `*.yaml` file archctl did not write.
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

impl Cli {
    /// Parses the process's arguments like `Cli::parse`, with `--color`
    /// applied to clap's own help and usage errors too: clap decides their
    /// colour before it has parsed `--color`, so the flag is looked up
    /// first. Exits (2, or 0 for `--help`/`--version`) as clap does.
    pub fn from_env() -> Cli {
        // a shell asking for completions (`COMPLETE=bash archctl -- …`):
        // answered here, and the process exits
        clap_complete::CompleteEnv::with_factory(Cli::command).complete();
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let color = match color_flag(&args) {
            Some("always") => clap::ColorChoice::Always,
            Some("never") => clap::ColorChoice::Never,
            _ => clap::ColorChoice::Auto,
        };
        let mut matches = Cli::command().color(color).get_matches_from(args);
        Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut Cli::command().color(color)).exit())
    }
}

/// The value of the last `--color WHEN` or `--color=WHEN` before `--`.
fn color_flag(args: &[std::ffi::OsString]) -> Option<&str> {
    let mut found = None;
    let mut words = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(word) = words.next() {
        match word {
            "--" => break,
            "--color" => found = words.next(),
            _ => {
                if let Some(v) = word.strip_prefix("--color=") {
                    found = Some(v);
                }
            }
        }
    }
    found
}

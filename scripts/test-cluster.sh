#!/usr/bin/env bash
# scripts/test-cluster.sh — a real Kubernetes control plane for the test
# suite: etcd, kube-apiserver and kube-controller-manager on loopback, built
# from source (no kubelet, no scheduler: pods stay Pending).
#
# Usage:
#   scripts/test-cluster.sh build       build the binaries into .tools/bin (once)
#   scripts/test-cluster.sh up DIR      start a control plane in DIR (new or empty);
#                                       prints DIR/kubeconfig as the LAST stdout line
#   scripts/test-cluster.sh down DIR    stop it and remove DIR (safe to repeat)
#
#   e.g.  export KUBECONFIG=$(scripts/test-cluster.sh up "$(mktemp -d)")
#         kubectl get ns; kubectl --context viewer get pods -A
#         scripts/test-cluster.sh down "$(dirname "$KUBECONFIG")"
#
# build: compiles k8s.io/kubernetes/cmd/kube-apiserver, .../kube-controller-manager
# and go.etcd.io/etcd/server/v3 from the tools module scripts/kube-tools (which
# pins the versions: `replace` per staging module) with the `go` found in PATH,
# CGO_ENABLED=0 -trimpath, into .tools/bin (each to a temporary name, then
# renamed). The stamp .tools/stamps/control-plane holds "kubernetes vX etcd vY"
# (from `go list -m`); the build is skipped when the stamp matches and the three
# binaries report those versions with --version. A flock on
# .tools/.control-plane.lock makes concurrent callers (parallel tests) build
# only once. No Go in PATH is an error (exit 1).
#
# up DIR: runs `build` (a no-op when built), then starts, each detached in its
# own session/process group, logging to DIR/<name>.log, PIDs in DIR/pids:
#   etcd                     --unsafe-no-fsync, data in DIR/etcd
#   kube-apiserver           https://127.0.0.1:PORT, serving cert DIR/pki/serving.crt
#                            (SANs localhost, kube.test, 127.0.0.1, kubernetes.default…)
#                            signed by a per-cluster CA DIR/pki/ca.crt; token auth
#                            (DIR/tokens.csv), RBAC; audit log DIR/audit.log
#                            (JSON lines, level Metadata, stages ResponseStarted and
#                            ResponseComplete, mode blocking: a request's
#                            ResponseComplete event is on disk before its response
#                            has been fully sent); --endpoint-reconciler-type=none
#                            (127.0.0.1 is no valid Endpoints address: the Service
#                            default/kubernetes exists, without endpoints);
#                            ServiceAccount admission off (pods need no token)
#   kube-controller-manager  all default controllers (CronJob, Job, ReplicaSet, GC,
#                            namespace, serviceaccount …), no serving port;
#                            ARCHCTL_TEST_CLUSTER_CONTROLLERS sets --controllers
#                            instead (the diff benchmark runs only
#                            `serviceaccount,namespace,clusterrole-aggregation`, so that a fleet's
#                            ReplicaSets and pending pods do not share its 2 cores)
# Ports are random free loopback ports (20000–32000, outside the ephemeral range),
# re-picked and the process restarted when a bind fails (parallel clusters).
# `up` waits for /readyz, creates the ClusterRoleBinding viewer -> view, waits
# until RBAC grants it and until the controller manager has created the
# `default` ServiceAccount; the whole start has a deadline of
# ARCHCTL_TEST_CLUSTER_TIMEOUT seconds (default 60), after which it prints the
# logs' tails, stops what it started and exits 1 (DIR is kept for inspection;
# `down DIR` removes it).
# It writes:
#   DIR/kubeconfig     contexts admin (current; token in group system:masters) and
#                      viewer (user "viewer", bound to the ClusterRole view)
#   DIR/cluster.json   {"server","ca","kubeconfig","admin_token","viewer_token",
#                       "audit_log","dir","ports":{"etcd","etcd_peer","apiserver"}}
#   DIR/env            the same as shell assignments (source it)
# If ARCHCTL_TEST_CLUSTER_OWNER_PID is set, a watchdog runs `down DIR` once that
# process has exited (a test run killed before it could clean up).
#
# down DIR: TERM to the process groups of DIR/pids (each checked to still be one
# of DIR's processes), KILL after 5 s, then removes DIR. A missing DIR is a
# no-op; a DIR without the marker file written by `up` is refused.
#
# Measured (2 cores): first build ~7 min (see scripts/test.sh), `up` to ready
# ~4.5-5 s (7.5 s for two at once), RSS ~430 MB (kube-apiserver ~280, kube-controller-manager
# ~110, etcd ~45); `down` ~1 s.

set -euo pipefail
set +m # background jobs must stay out of their own process group (see start_proc)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SELF="$REPO/scripts/test-cluster.sh"
TOOLS="$REPO/.tools"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"
KUBE_TOOLS="$REPO/scripts/kube-tools"
MARKER=".archctl-test-cluster"
UA="archctl-test-cluster"

log() { printf 'test-cluster: %s\n' "$*" >&2; }
die() { printf 'test-cluster.sh: error: %s\n' "$*" >&2; exit 1; }
usage() {
    printf 'usage: %s build | up DIR | down DIR   (see the comment at the top of the script)\n' "$SELF" >&2
    exit 2
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- build ------------------------------------------------------------------
K8S_VERSION=""
ETCD_VERSION=""

load_versions() {
    command -v go >/dev/null \
        || die "Go is required to build the control plane: no \`go\` in PATH (install Go >= 1.25 from https://go.dev/dl or the distribution)"
    local v
    v="$(cd "$KUBE_TOOLS" && go list -m -f '{{.Version}}' k8s.io/kubernetes go.etcd.io/etcd/server/v3)" \
        || die "go list -m failed in $KUBE_TOOLS"
    K8S_VERSION="$(sed -n 1p <<<"$v")"
    ETCD_VERSION="$(sed -n 2p <<<"$v")"
    [[ "$K8S_VERSION" == v1.* && "$ETCD_VERSION" == v3.* ]] \
        || die "unexpected versions from go list -m: '$K8S_VERSION' '$ETCD_VERSION'"
}

stamp_value() { printf 'kubernetes %s etcd %s' "$K8S_VERSION" "$ETCD_VERSION"; }

# True if the three binaries exist and report the pinned versions.
binaries_run() {
    local b out
    for b in kube-apiserver kube-controller-manager etcd; do
        [[ -x "$BIN/$b" ]] || return 1
    done
    out="$("$BIN/kube-apiserver" --version 2>/dev/null)" || return 1
    [[ "$out" == "Kubernetes $K8S_VERSION" ]] || return 1
    out="$("$BIN/kube-controller-manager" --version 2>/dev/null)" || return 1
    [[ "$out" == "Kubernetes $K8S_VERSION" ]] || return 1
    out="$("$BIN/etcd" --version 2>/dev/null)" || return 1
    [[ "$out" == *"etcd Version: ${ETCD_VERSION#v}"* ]]
}

built() {
    [[ -f "$STAMPS/control-plane" && "$(<"$STAMPS/control-plane")" == "$(stamp_value)" ]] && binaries_run
}

# go_build OUT PACKAGE [LDFLAGS]: builds to a temporary name, then renames.
go_build() {
    local out="$1" pkg="$2" ldflags="${3:-}" tmp="$BIN/.$1.tmp.$$" t0
    t0="$(now)"
    log "go build $pkg"
    (cd "$KUBE_TOOLS" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg") \
        || { rm -f "$tmp"; die "go build $pkg failed"; }
    mv -f "$tmp" "$BIN/$out"
    log "built .tools/bin/$out in $(elapsed "$t0") s"
}

cmd_build() {
    load_versions
    if built; then
        log "control plane $(stamp_value) already built in .tools/bin"
        return 0
    fi
    mkdir -p "$BIN" "$STAMPS"
    exec 8>"$TOOLS/.control-plane.lock"
    if ! flock -n 8; then
        log "waiting for another build of the control plane (lock .tools/.control-plane.lock)"
        flock 8
    fi
    if built; then # another caller built it while we waited
        exec 8>&-
        log "control plane $(stamp_value) already built in .tools/bin"
        return 0
    fi
    local t0 v major minor ldflags
    t0="$(now)"
    log "building the control plane ($(stamp_value), $(go version | cut -d' ' -f3)); a first build with empty Go caches takes ~7 min on 2 cores"
    rm -f "$STAMPS/control-plane"
    v="${K8S_VERSION#v}"
    major="${v%%.*}"
    minor="${v#*.}"
    minor="${minor%%.*}"
    # As Kubernetes' own build (hack/lib/version.sh) does, for both version
    # packages: component-base's is what --version and /version report,
    # client-go's goes into the User-Agent of the binaries' own requests
    # ("kube-controller-manager/v1.35.4 ..." in the audit log instead of v0.0.0).
    # The commit is unknown when building from module source: left empty.
    ldflags=""
    local pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
        ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit="
    done
    go_build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"
    go_build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ldflags"
    go_build etcd go.etcd.io/etcd/server/v3
    binaries_run || die "the built binaries do not report $(stamp_value) with --version"
    printf '%s\n' "$(stamp_value)" >"$STAMPS/control-plane"
    exec 8>&-
    log "control plane built in $(elapsed "$t0") s"
}

# --- up ---------------------------------------------------------------------
DIR=""
DEADLINE=0
UP_DONE=0

# js STRING: STRING as a JSON string literal (paths: no control characters).
js() {
    local s="${1//\\/\\\\}"
    printf '"%s"' "${s//\"/\\\"}"
}

rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# pick_ports N: N distinct loopback ports that are free right now, outside the
# kernel's ephemeral range (so outgoing connections do not take them).
pick_ports() {
    python3 - "$1" <<'EOF'
import random, socket, sys
n, ports, held = int(sys.argv[1]), [], []
while len(ports) < n:
    p = random.randint(20000, 32000)
    if p in ports:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    held.append(s)
    ports.append(p)
print(*ports)
EOF
}

# pick_ports_into N VAR...: like pick_ports, into variables (fails loudly).
pick_ports_into() {
    local n="$1" out
    shift
    out="$(pick_ports "$n")" || die "picking free ports with python3 failed"
    read -r "$@" <<<"$out"
}

# start_proc NAME CMD...: starts CMD detached (own session and process group,
# stdio away from the caller's pipes), records "NAME PID" in DIR/pids.
# Without job control a background job is no group leader, so setsid execs in
# place and $! is the program's own PID (= its PGID).
start_proc() {
    local name="$1"
    shift
    setsid "$@" </dev/null >>"$DIR/$name.log" 2>&1 &
    printf '%s %s\n' "$name" "$!" >>"$DIR/pids"
    LAST_PID=$!
}

# alive PID: PID exists and is not a zombie.
alive() {
    local st
    st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
    [[ -n "$st" && "$st" != Z* ]]
}

# is_ours PID: PID is alive and its command line mentions DIR.
is_ours() {
    alive "$1" || return 1
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
    [[ "$cmdline" == *"$2"* ]]
}

bind_failed() { grep -qiE 'address already in use|bind: ' "$DIR/$1.log" 2>/dev/null; }

past_deadline() { (($(date +%s) >= DEADLINE)); }

tails() {
    local f
    for f in "$DIR"/etcd.log "$DIR"/kube-apiserver.log "$DIR"/kube-controller-manager.log; do
        [[ -f "$f" ]] || continue
        printf '\n----- last 25 lines of %s -----\n' "$f" >&2
        tail -n 25 "$f" >&2
    done
}

# stop_pids NAME PID...: TERM the process groups, KILL after 5 s, wait until gone.
stop_pids() {
    local what="$1" pid i left
    shift
    (($#)) || return 0
    for pid in "$@"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for ((i = 0; i < 70; i++)); do
        left=()
        for pid in "$@"; do
            alive "$pid" && left+=("$pid")
        done
        ((${#left[@]})) || return 0
        if ((i == 50)); then
            log "$what: ${left[*]} still running 5 s after TERM: KILL"
            for pid in "${left[@]}"; do
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            done
        fi
        sleep 0.1
    done
    log "$what: ${left[*]} still there after KILL"
}

# stop_dir DIR: stops the processes in DIR/pids that still are DIR's (alive and
# DIR in their command line): first the watchdog, the controller manager and
# the API server, then etcd (kube-apiserver hangs in its shutdown without etcd).
stop_dir() {
    local dir="$1" name pid first=() last=()
    [[ -f "$dir/pids" ]] || return 0
    while read -r name pid; do
        [[ "$pid" =~ ^[0-9]+$ && "$pid" != "$$" ]] || continue
        is_ours "$pid" "$dir" || continue
        if [[ "$name" == etcd ]]; then last+=("$pid"); else first+=("$pid"); fi
    done <"$dir/pids"
    stop_pids "kube-apiserver/kube-controller-manager" ${first[@]+"${first[@]}"}
    stop_pids etcd ${last[@]+"${last[@]}"}
}

on_up_exit() {
    local rc=$?
    ((UP_DONE)) && return
    [[ -n "$DIR" && -f "$DIR/$MARKER" ]] || exit "$rc"
    log "start failed (exit $rc); logs in $DIR"
    tails
    stop_dir "$DIR"
    exit "$(( rc == 0 ? 1 : rc ))"
}

make_pki() {
    local pki="$DIR/pki"
    mkdir -p "$pki"
    cat >"$pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = archctl-test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[serving_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, DNS:kube.test, IP:127.0.0.1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP:10.0.0.1
EOF
    (
        cd "$pki"
        local ec=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
        openssl genpkey "${ec[@]}" -out ca.key
        openssl req -new -x509 -config openssl.cnf -extensions ca_ext -key ca.key \
            -subj "/CN=archctl-test-ca-$(rand_hex 4)" -days 3650 -out ca.crt
        openssl genpkey "${ec[@]}" -out serving.key
        openssl req -new -config openssl.cnf -key serving.key -subj "/CN=kube-apiserver" -out serving.csr
        openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(rand_hex 8)" \
            -days 3650 -extfile openssl.cnf -extensions serving_ext -out serving.crt
        # Service account token signing key (ES256).
        openssl genpkey "${ec[@]}" -out sa.key
        openssl pkey -in sa.key -pubout -out sa.pub
    ) >/dev/null 2>"$DIR/openssl.log" || { cat "$DIR/openssl.log" >&2; die "openssl failed"; }
}

# curl_api TOKEN PATH [curl args...]: prints the HTTP status, body to DIR/.curl.out.
curl_api() {
    local token="$1" path="$2"
    shift 2
    curl -sS -o "$DIR/.curl.out" -w '%{http_code}' --max-time 5 -A "$UA" \
        --cacert "$DIR/pki/ca.crt" -H "Authorization: Bearer $token" \
        "$@" "https://127.0.0.1:$API_PORT$path" 2>/dev/null || true
}

start_etcd() {
    local attempt
    for attempt in 1 2 3 4 5; do
        pick_ports_into 2 ETCD_PORT ETCD_PEER_PORT
        rm -rf "$DIR/etcd"
        start_proc etcd "$BIN/etcd" --name archctl-test --data-dir "$DIR/etcd" --unsafe-no-fsync \
            --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
            --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
            --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
            --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
            --initial-cluster "archctl-test=http://127.0.0.1:$ETCD_PEER_PORT" \
            --log-level warn
        local pid=$LAST_PID out
        while :; do
            out="$(curl -sS --max-time 1 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null)" || true
            [[ "$out" == *'"health":"true"'* ]] && return 0
            if ! alive "$pid"; then
                bind_failed etcd || die "etcd exited"
                log "etcd: a port was taken (attempt $attempt), picking others"
                mv "$DIR/etcd.log" "$DIR/etcd.log.$attempt"
                continue 2
            fi
            past_deadline && die "etcd not healthy before the deadline"
            sleep 0.1
        done
    done
    die "etcd: no free ports after 5 attempts"
}

start_apiserver() {
    local attempt
    for attempt in 1 2 3 4 5; do
        pick_ports_into 1 API_PORT
        start_proc kube-apiserver "$BIN/kube-apiserver" \
            --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
            --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
            --tls-cert-file="$DIR/pki/serving.crt" --tls-private-key-file="$DIR/pki/serving.key" \
            --service-cluster-ip-range=10.0.0.0/16 \
            --service-account-issuer=https://kubernetes.default.svc \
            --service-account-key-file="$DIR/pki/sa.pub" \
            --service-account-signing-key-file="$DIR/pki/sa.key" \
            --token-auth-file="$DIR/tokens.csv" \
            --authorization-mode=Node,RBAC \
            --allow-privileged=true --disable-admission-plugins=ServiceAccount \
            --audit-policy-file="$DIR/audit-policy.yaml" --audit-log-path="$DIR/audit.log" \
            --audit-log-format=json --audit-log-mode=blocking \
            --endpoint-reconciler-type=none
        local pid=$LAST_PID code
        while :; do
            code="$(curl_api "$ADMIN_TOKEN" /readyz)"
            [[ "$code" == 200 ]] && return 0
            if ! alive "$pid"; then
                bind_failed kube-apiserver || die "kube-apiserver exited"
                log "kube-apiserver: port $API_PORT was taken (attempt $attempt), picking another"
                mv "$DIR/kube-apiserver.log" "$DIR/kube-apiserver.log.$attempt"
                continue 2
            fi
            past_deadline && die "kube-apiserver not ready before the deadline (last /readyz: $code)"
            sleep 0.2
        done
    done
    die "kube-apiserver: no free port after 5 attempts"
}

# wait_for WHAT TOKEN PATH [PID]: polls GET PATH until 200 (fails early if PID exits).
wait_for() {
    local what="$1" token="$2" path="$3" pid="${4:-}" code
    while :; do
        code="$(curl_api "$token" "$path")"
        [[ "$code" == 200 ]] && return 0
        [[ -z "$pid" ]] || alive "$pid" || die "$what: the process exited"
        past_deadline && die "$what: GET $path still $code at the deadline"
        sleep 0.2
    done
}

write_kubeconfig() { # FILE; users/contexts from the arguments: NAME TOKEN ...
    local file="$1"
    shift
    {
        printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: archctl-test\n  cluster:\n'
        printf '    server: %s\n    certificate-authority: %s\n' "$SERVER" "$DIR/pki/ca.crt"
        printf 'users:\n'
        local args=("$@") i
        for ((i = 0; i < ${#args[@]}; i += 2)); do
            printf -- '- name: %s\n  user:\n    token: %s\n' "${args[i]}" "${args[i + 1]}"
        done
        printf 'contexts:\n'
        for ((i = 0; i < ${#args[@]}; i += 2)); do
            printf -- '- name: %s\n  context:\n    cluster: archctl-test\n    user: %s\n' "${args[i]}" "${args[i]}"
        done
        printf 'current-context: %s\n' "$1"
    } >"$file.tmp"
    chmod 600 "$file.tmp"
    mv "$file.tmp" "$file"
}

cmd_up() {
    [[ $# -eq 1 && -n "$1" ]] || usage
    command -v curl >/dev/null || die "curl is required"
    command -v openssl >/dev/null || die "openssl is required"
    command -v python3 >/dev/null || die "python3 is required (to pick free ports)"
    cmd_build

    mkdir -p -- "$1"
    DIR="$(cd -- "$1" && pwd -P)"
    [[ -z "$(ls -A -- "$DIR")" ]] || die "$DIR is not empty: up needs a new or empty directory"
    local t0 timeout="${ARCHCTL_TEST_CLUSTER_TIMEOUT:-60}"
    t0="$(now)"
    DEADLINE=$(($(date +%s) + timeout))
    printf 'archctl test cluster, created by %s\n' "$SELF" >"$DIR/$MARKER"
    : >"$DIR/pids"
    trap on_up_exit EXIT
    trap 'exit 130' INT TERM HUP # run on_up_exit on a signal too

    if [[ -n "${ARCHCTL_TEST_CLUSTER_OWNER_PID:-}" ]]; then
        [[ "$ARCHCTL_TEST_CLUSTER_OWNER_PID" =~ ^[0-9]+$ ]] \
            || die "ARCHCTL_TEST_CLUSTER_OWNER_PID must be a PID, not '$ARCHCTL_TEST_CLUSTER_OWNER_PID'"
        # shellcheck disable=SC2016
        start_proc watchdog bash -c \
            'while kill -0 "$1" 2>/dev/null && [[ -f "$2/pids" ]]; do sleep 1; done; exec "$0" down "$2"' \
            "$SELF" "$ARCHCTL_TEST_CLUSTER_OWNER_PID" "$DIR"
    fi

    make_pki
    ADMIN_TOKEN="$(rand_hex 24)"
    VIEWER_TOKEN="$(rand_hex 24)"
    local kcm_token
    kcm_token="$(rand_hex 24)"
    (
        umask 077
        printf '%s,admin,archctl-test-admin,"system:masters"\n' "$ADMIN_TOKEN" >"$DIR/tokens.csv"
        printf '%s,viewer,archctl-test-viewer\n' "$VIEWER_TOKEN" >>"$DIR/tokens.csv"
        printf '%s,system:kube-controller-manager,archctl-test-kcm,"system:masters"\n' "$kcm_token" >>"$DIR/tokens.csv"
    )
    cat >"$DIR/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
EOF

    start_etcd
    log "etcd ready on 127.0.0.1:$ETCD_PORT ($(elapsed "$t0") s)"
    start_apiserver
    SERVER="https://127.0.0.1:$API_PORT"
    log "kube-apiserver ready on $SERVER ($(elapsed "$t0") s)"

    write_kubeconfig "$DIR/kubeconfig" admin "$ADMIN_TOKEN" viewer "$VIEWER_TOKEN"
    write_kubeconfig "$DIR/kcm.kubeconfig" kcm "$kcm_token"
    start_proc kube-controller-manager "$BIN/kube-controller-manager" \
        --kubeconfig="$DIR/kcm.kubeconfig" \
        --leader-elect=false --controllers="${ARCHCTL_TEST_CLUSTER_CONTROLLERS:-*}" \
        --service-account-private-key-file="$DIR/pki/sa.key" \
        --use-service-account-credentials=false \
        --root-ca-file="$DIR/pki/ca.crt" \
        --bind-address=127.0.0.1 --secure-port=0
    local kcm_pid=$LAST_PID

    local crb code
    crb='{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",'
    crb+='"metadata":{"name":"archctl-test-viewer"},'
    crb+='"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},'
    crb+='"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"viewer"}]}'
    code="$(curl_api "$ADMIN_TOKEN" /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
        -X POST -H 'Content-Type: application/json' --data "$crb")"
    [[ "$code" == 201 ]] || die "creating ClusterRoleBinding archctl-test-viewer: HTTP $code $(cat "$DIR/.curl.out")"
    wait_for "RBAC for viewer" "$VIEWER_TOKEN" "/api/v1/pods?limit=1"
    wait_for "kube-controller-manager (ServiceAccount default/default)" "$ADMIN_TOKEN" \
        /api/v1/namespaces/default/serviceaccounts/default "$kcm_pid"
    rm -f "$DIR/.curl.out"

    {
        printf '{\n  "server": %s,\n' "$(js "$SERVER")"
        printf '  "ca": %s,\n' "$(js "$DIR/pki/ca.crt")"
        printf '  "kubeconfig": %s,\n' "$(js "$DIR/kubeconfig")"
        printf '  "admin_token": "%s",\n  "viewer_token": "%s",\n' "$ADMIN_TOKEN" "$VIEWER_TOKEN"
        printf '  "audit_log": %s,\n' "$(js "$DIR/audit.log")"
        printf '  "dir": %s,\n' "$(js "$DIR")"
        printf '  "ports": {"etcd": %s, "etcd_peer": %s, "apiserver": %s}\n}\n' \
            "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT"
    } >"$DIR/cluster.json"
    {
        printf 'ARCHCTL_TEST_CLUSTER_DIR=%q\n' "$DIR"
        printf 'ARCHCTL_TEST_CLUSTER_SERVER=%q\n' "$SERVER"
        printf 'ARCHCTL_TEST_CLUSTER_CA=%q\n' "$DIR/pki/ca.crt"
        printf 'ARCHCTL_TEST_CLUSTER_KUBECONFIG=%q\n' "$DIR/kubeconfig"
        printf 'ARCHCTL_TEST_CLUSTER_ADMIN_TOKEN=%q\n' "$ADMIN_TOKEN"
        printf 'ARCHCTL_TEST_CLUSTER_VIEWER_TOKEN=%q\n' "$VIEWER_TOKEN"
        printf 'ARCHCTL_TEST_CLUSTER_AUDIT_LOG=%q\n' "$DIR/audit.log"
        printf 'ARCHCTL_TEST_CLUSTER_ETCD_PORT=%q\nARCHCTL_TEST_CLUSTER_ETCD_PEER_PORT=%q\nARCHCTL_TEST_CLUSTER_API_PORT=%q\n' \
            "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT"
    } >"$DIR/env"

    UP_DONE=1
    log "control plane ready in $(elapsed "$t0") s: $SERVER (dir $DIR)"
    printf '%s\n' "$DIR/kubeconfig"
}

# --- down -------------------------------------------------------------------
cmd_down() {
    [[ $# -eq 1 && -n "$1" ]] || usage
    if [[ ! -e "$1" ]]; then
        log "$1: already gone"
        return 0
    fi
    local dir
    dir="$(cd -- "$1" && pwd -P)"
    [[ -f "$dir/$MARKER" ]] \
        || die "$dir has no $MARKER: not a directory made by 'test-cluster.sh up', refusing to touch it"
    [[ "$dir" != / && "$dir" != "$HOME" && "$dir" != "$REPO" ]] || die "refusing to remove $dir"
    stop_dir "$dir"
    rm -rf -- "$dir" 2>/dev/null || { sleep 0.5; rm -rf -- "$dir"; }
    log "stopped and removed $dir"
}

case "${1:-}" in
build) shift; [[ $# -eq 0 ]] || usage; cmd_build ;;
up) shift; cmd_up "$@" ;;
down) shift; cmd_down "$@" ;;
*) usage ;;
esac

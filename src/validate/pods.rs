//! Rule: the pod template passes the API server's pod validation — mount
//! paths unique per container, `sub_path` inside the volume, user and group
//! ids in range, liveness and startup probes that succeed once, tolerations
//! the scheduler accepts.

use super::{Role, containers};
use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::k8s::names;
use crate::topology::{Container, Toleration, Topology};

/// The largest user or group id Kubernetes accepts.
const MAX_ID: i64 = i32::MAX as i64;

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();
    for (name, svc) in &topo.services {
        let path = root.key("services").key(name.clone());

        // the main container mounts `volumes.<name>.mount`
        let mut mounts: HashMap<&str, &str> = HashMap::new();
        for (vname, v) in &svc.volumes {
            let vpath = path.key("volumes").key(vname.clone());
            if let Some(m) = &v.mount
                && let Some(other) = mounts.insert(m.as_str(), vname.as_str())
            {
                out.push(
                    Diagnostic::error("E021", format!("volumes `{other}` and `{vname}` are both mounted at `{m}`"))
                        .at(&vpath.key("mount"))
                        .with_help("a container mounts one volume per path: give one of them another `mount`"),
                );
            }
            if let Some(sp) = &v.sub_path {
                sub_path(sp, &vpath.key("sub_path"), out);
            }
        }
        for (cpath, c, _) in containers(svc, &path).filter(|(_, _, role)| *role != Role::Main) {
            volume_mounts(c, &cpath, out);
        }
        for (cpath, c, _) in containers(svc, &path) {
            for (kind, p) in [("liveness", &c.probes.liveness), ("startup", &c.probes.startup)] {
                if let Some(t) = p.as_ref().and_then(|p| p.success_threshold)
                    && t > 1
                {
                    out.push(
                        Diagnostic::error("E022", format!("the {kind} probe's `success_threshold` is {t}, and must be 1"))
                            .at(&cpath.key("probes").key(kind).key("success_threshold"))
                            .with_help(format!(
                                "Kubernetes counts one success for {kind} probes: remove `success_threshold` (a readiness probe may ask for more)"
                            )),
                    );
                }
            }
        }

        let sec = &svc.security;
        let spath = path.key("security");
        for (key, v) in
            [("run_as_user", sec.run_as_user), ("run_as_group", sec.run_as_group), ("fs_group", sec.fs_group)]
        {
            if let Some(v) = v
                && !(0..=MAX_ID).contains(&v)
            {
                out.push(
                    Diagnostic::error("E022", format!("`{key}` is {v}, outside 0..{MAX_ID}"))
                        .at(&spath.key(key))
                        .with_help("Linux user and group ids are numbers from 0 to 2147483647, e.g. 10001"),
                );
            }
        }
        if sec.run_as_user == Some(0) && sec.non_root != Some(false) {
            out.push(
                Diagnostic::error("E030", "`run_as_user = 0` runs as root, and the pod must run as non-root")
                    .at(&spath.key("run_as_user"))
                    .with_help("archctl sets `runAsNonRoot: true` unless `non_root = false`, and the kubelet then refuses to start the containers: pick a non-zero user, or set `non_root = false`"),
            );
        }
        for (i, t) in svc.placement.tolerations.iter().enumerate() {
            toleration(t, &path.key("placement").key("tolerations").index(i), out);
        }
    }
    for (i, t) in topo.gpu.tolerations.iter().enumerate() {
        toleration(t, &root.key("gpu").key("tolerations").index(i), out);
    }
}

/// A sidecar's or init container's `volume_mounts`: absolute and unique.
fn volume_mounts(c: &Container, cpath: &TomlPath, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (vname, m) in &c.volume_mounts {
        let mpath = cpath.key("volume_mounts").key(vname.clone());
        if !m.starts_with('/') {
            out.push(
                Diagnostic::error("E033", format!("mount path `{m}` of volume `{vname}` is not absolute"))
                    .at(&mpath)
                    .with_help(format!("write it from the root, e.g. `/{}`", m.trim_start_matches("./"))),
            );
        }
        if let Some(other) = seen.insert(m.as_str(), vname.as_str()) {
            out.push(
                Diagnostic::error("E021", format!("volumes `{other}` and `{vname}` are both mounted at `{m}`"))
                    .at(&mpath)
                    .with_help("a container mounts one volume per path: give one of them another path"),
            );
        }
    }
}

/// `subPath`: a relative path that stays inside the volume.
fn sub_path(sp: &str, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    if sp.starts_with('/') {
        out.push(
            Diagnostic::error("E033", format!("`sub_path` `{sp}` is absolute")).at(path).with_help(format!(
                "a sub path is relative to the volume's root: write `{}`",
                sp.trim_start_matches('/')
            )),
        );
    } else if sp.split('/').any(|part| part == "..") {
        out.push(
            Diagnostic::error("E033", format!("`sub_path` `{sp}` climbs out of the volume with `..`"))
                .at(path)
                .with_help("Kubernetes refuses `..` in a sub path: name a directory inside the volume"),
        );
    }
}

/// A toleration as `ValidateTolerations` checks it.
fn toleration(t: &Toleration, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    let key = t.key.as_deref().unwrap_or("");
    let exists = t.operator.as_deref() == Some("Exists");
    if !key.is_empty()
        && let Err(why) = names::qualified_name(key)
    {
        out.push(
            Diagnostic::error("E020", format!("`{key}` is not a valid toleration key: it {why}"))
                .at(&path.key("key"))
                .with_help("a toleration key is a taint key, `[prefix/]name`, e.g. `nvidia.com/gpu`"),
        );
    }
    if key.is_empty() && !exists {
        out.push(
            Diagnostic::error("E032", "a toleration without a `key` must have `operator = \"Exists\"`")
                .at_key(path)
                .with_help("an empty key with `Exists` tolerates every taint; to tolerate one taint, give its `key`"),
        );
    }
    if t.seconds.is_some() && t.effect.as_deref() != Some("NoExecute") {
        out.push(
            Diagnostic::error("E030", "`seconds` needs `effect = \"NoExecute\"`")
                .at_key(&path.key("seconds"))
                .with_help("`tolerationSeconds` says how long a pod stays after a NoExecute taint: set `effect = \"NoExecute\"` or remove `seconds`"),
        );
    }
    if !exists
        && let Some(v) = &t.value
        && let Err(why) = names::label_value(v)
    {
        out.push(
            Diagnostic::error("E020", format!("`{v}` is not a valid toleration value: it {why}"))
                .at(&path.key("value"))
                .with_help("a taint value is at most 63 letters, digits, `-`, `_` and `.`"),
        );
    }
}

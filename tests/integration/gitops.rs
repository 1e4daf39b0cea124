//! GitOps: `render --all-profiles --out DIR` (the hydrated layout, one owned
//! folder per profile) and the Argo CD plugin of `integrations/argocd/`, run
//! as the repo server runs it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{Project, repo};

const PROFILES: [&str; 3] = ["dev", "production", "staging"];

/// Every file under `dir` (relative name → content), folders walked.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = stack.pop() {
        for e in std::fs::read_dir(&folder).unwrap() {
            let e = e.unwrap();
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                stack.push((e.path(), format!("{name}/")));
            } else {
                files.insert(name, std::fs::read(e.path()).unwrap());
            }
        }
    }
    files
}

/// The profile folders of a hydrated folder (its sub-folders).
fn folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn all_profiles_writes_each_profile_as_render_out_does() {
    let p = Project::archivist();
    for format in ["yaml", "json"] {
        let deploy = format!("deploy-{format}");
        let run = p.run(&["render", "--all-profiles", "--format", format, "--out", &deploy]).success();
        assert!(run.stdout.is_empty(), "nothing on stdout with --out: {}", run.stdout);
        assert_eq!(folders(&p.path().join(&deploy)), PROFILES);
        for profile in PROFILES {
            let single = format!("single-{format}/{profile}");
            p.run(&["render", "--profile", profile, "--format", format, "--out", &single]).success();
            let hydrated = tree(&p.path().join(&deploy).join(profile));
            assert!(hydrated.contains_key(".archctl-output"), "{profile} has its own marker");
            assert!(hydrated.keys().any(|k| k.ends_with(&format!(".{format}"))), "{profile}: {:?}", hydrated.keys());
            assert_eq!(hydrated, tree(&p.path().join(&single)), "{deploy}/{profile} differs from render --out");
        }
    }
    // profiles differ, so a mix-up of folders would show
    let dev = tree(&p.path().join("deploy-yaml/dev"));
    assert_ne!(dev, tree(&p.path().join("deploy-yaml/production")));

    // idempotent: a second run writes the same bytes
    let before = tree(&p.path().join("deploy-yaml"));
    p.run(&["render", "--all-profiles", "--out", "deploy-yaml"]).success();
    assert_eq!(tree(&p.path().join("deploy-yaml")), before);

    // a foreign file in one profile's folder: refused, kept, and no profile
    // folder is rewritten
    let foreign = p.path().join("deploy-yaml/production/notes.txt");
    std::fs::write(&foreign, "mine").unwrap();
    let stale_dev = p.path().join("deploy-yaml/dev/01-namespace.archivist.yaml");
    std::fs::write(&stale_dev, "old").unwrap();
    let refused = p.run(&["render", "--all-profiles", "--out", "deploy-yaml"]).user_error();
    assert!(refused.stderr.contains("did not write") && refused.stderr.contains("notes.txt"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(&stale_dev).unwrap(), "old", "nothing is written when a folder is refused");
    // --force takes the folder over
    p.run(&["render", "--all-profiles", "--out", "deploy-yaml", "--force"]).success();
    assert!(!foreign.exists());
    assert_eq!(tree(&p.path().join("deploy-yaml")), before);
}

#[test]
fn a_failing_profile_writes_nothing_and_removed_profiles_lose_their_folder() {
    let p = Project::archivist();
    p.run(&["render", "--all-profiles", "--out", "deploy"]).success();
    let before = tree(&p.path().join("deploy"));

    // staging breaks: its errors are reported, nothing is written
    let staging = p.read("profiles/staging.toml");
    std::fs::write(p.path().join("profiles/staging.toml"), format!("{staging}\nno_such_key = 1\n")).unwrap();
    std::fs::write(p.path().join("profiles/qa.toml"), &staging).unwrap();
    let run = p.run(&["render", "--all-profiles", "--out", "deploy"]).user_error();
    assert!(run.stderr.contains("staging") && run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert!(!p.path().join("deploy/qa").exists(), "no profile is written while one fails");
    assert_eq!(tree(&p.path().join("deploy")), before);

    // staging removed, qa added: staging's folder (all archctl's) goes
    std::fs::remove_file(p.path().join("profiles/staging.toml")).unwrap();
    let run = p.run(&["render", "--all-profiles", "--out", "deploy"]).success();
    assert!(run.stderr.contains("removed"), "{}", run.stderr);
    assert_eq!(folders(&p.path().join("deploy")), ["dev", "production", "qa"]);

    // a removed profile's folder holding a file archctl did not write stays
    std::fs::write(p.path().join("deploy/qa/keep.txt"), "mine").unwrap();
    std::fs::remove_file(p.path().join("profiles/qa.toml")).unwrap();
    let run = p.run(&["render", "--all-profiles", "--out", "deploy"]).success();
    assert!(run.stderr.contains("kept"), "{}", run.stderr);
    assert_eq!(p.read("deploy/qa/keep.txt"), "mine");
    // a folder archctl never listed is not its to remove, marker or not
    p.run(&["render", "--profile", "dev", "--out", "deploy/custom"]).success();
    p.run(&["render", "--all-profiles", "--out", "deploy"]).success();
    assert!(p.path().join("deploy/custom/.archctl-output").exists());
    // nor does a planted name in the list reach outside the folder
    std::fs::create_dir_all(p.path().join("outside")).unwrap();
    std::fs::write(p.path().join("outside/.archctl-output"), "").unwrap();
    std::fs::write(p.path().join("deploy/.archctl-profiles"), "../outside\n").unwrap();
    p.run(&["render", "--all-profiles", "--out", "deploy"]).success();
    assert!(p.path().join("outside").exists());
}

#[test]
fn all_profiles_usage_errors() {
    let p = Project::archivist();
    p.run(&["render", "--all-profiles"]).user_error().stderr_has("add `--out");
    p.run(&["render", "--all-profiles", "--profile", "dev", "--out", "deploy"])
        .user_error()
        .stderr_has("cannot be used with");
    p.run(&["render", "--all-profiles", "--format", "helm", "--out", "deploy"])
        .user_error()
        .stderr_has("a chart already holds every profile");
    assert!(!p.path().join("deploy").exists());
    // never over the project's own files
    p.run(&["render", "--all-profiles", "--out", ".", "--force"]).user_error();
    let help = p.run(&["render", "--help"]).success();
    assert!(help.stdout.contains("--all-profiles") && help.stdout.contains("nothing is written"), "{}", help.stdout);
}

/// `integrations/argocd/plugin.yaml`, parsed.
fn plugin() -> Value {
    let text = std::fs::read_to_string(repo().join("integrations/argocd/plugin.yaml")).unwrap();
    let mut docs = archctl::api::parse_stream(&text).unwrap();
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

/// Runs the plugin's generate command as Argo CD's repo server does: in the
/// app's source folder, with PATH (archctl's folder first) and the
/// variables `env` only.
fn generate(dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let plugin = plugin();
    let generate = &plugin["spec"]["generate"];
    let mut argv: Vec<String> =
        generate["command"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
    argv.extend(generate["args"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()));
    let bin = Path::new(env!("CARGO_BIN_EXE_archctl")).parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("ARGOCD_APP_NAME", "archivist-production")
        .env("ARGOCD_APP_NAMESPACE", "argocd")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn the_argocd_plugin_renders_as_archctl_render_does() {
    let plugin = plugin();
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert!(plugin["spec"]["version"].is_string());
    // discovery: Argo CD globs fileName in the source folder
    let pattern = plugin["spec"]["discover"]["fileName"].as_str().unwrap();
    assert_eq!(pattern.trim_start_matches("./"), "archctl.toml");

    let p = Project::archivist();
    let expected = p.run(&["render", "--profile", "production"]).success().stdout;
    let alone = p.run(&["render"]).success().stdout;
    assert_ne!(expected, alone);
    let before = tree(p.path());
    for (env, want) in [
        (vec![("ARGOCD_ENV_PROFILE", "production")], &expected),
        (vec![("PARAM_PROFILE", "production")], &expected),
        // the parameter wins over the env entry
        (vec![("PARAM_PROFILE", "production"), ("ARGOCD_ENV_PROFILE", "dev")], &expected),
        (vec![], &alone),
    ] {
        let out = generate(p.path(), &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{env:?}: {stderr}");
        assert!(String::from_utf8_lossy(&out.stdout) == **want, "{env:?}: stdout is not the render");
    }
    assert_eq!(tree(p.path()), before, "the plugin writes no file in the source folder");

    // a value that would be a flag, or a path, fails the generation
    for bad in ["--out=/tmp/x", "../production", "a b"] {
        let out = generate(p.path(), &[("PARAM_PROFILE", bad)]);
        assert!(!out.status.success(), "{bad:?} was accepted");
        assert!(out.stdout.is_empty(), "{bad:?}: manifests on stdout");
    }
    // a profile that does not render fails it too, with nothing on stdout
    let out = generate(p.path(), &[("ARGOCD_ENV_PROFILE", "nope")]);
    assert!(!out.status.success() && out.stdout.is_empty());
}

#[test]
fn the_argocd_sidecar_runs_the_cmp_server_as_user_999() {
    let text = std::fs::read_to_string(repo().join("integrations/argocd/sidecar.yaml")).unwrap();
    let docs = archctl::api::parse_stream(&text).unwrap();
    let spec = &docs[0]["spec"]["template"]["spec"];
    let container = &spec["containers"][0];
    assert_eq!(container["command"][0], "/var/run/argocd/argocd-cmp-server");
    assert_eq!(container["securityContext"]["runAsUser"], 999);
    let mounts: BTreeMap<&str, &Value> =
        container["volumeMounts"].as_array().unwrap().iter().map(|m| (m["mountPath"].as_str().unwrap(), m)).collect();
    assert_eq!(mounts["/var/run/argocd"]["name"], "var-files");
    assert_eq!(mounts["/home/argocd/cmp-server/plugins"]["name"], "plugins");
    let config = mounts["/home/argocd/cmp-server/config/plugin.yaml"];
    assert_eq!(config["subPath"], "plugin.yaml");
    let tmp = mounts["/tmp"]["name"].as_str().unwrap();
    let volumes = spec["volumes"].as_array().unwrap();
    let volume = |name: &str| volumes.iter().find(|v| v["name"] == name).unwrap_or_else(|| panic!("no volume {name}"));
    assert!(volume(tmp)["emptyDir"].is_object());
    assert!(volume(config["name"].as_str().unwrap())["configMap"]["name"].is_string());
}

//! The long help of every subcommand (`--help`, and the man pages made
//! of it): what it does, its exit status and examples; `-h` stays short.

use clap::CommandFactory;

use crate::support::Project;

/// The subcommands `--help` lists (clap's `help` aside).
pub(crate) fn visible() -> Vec<clap::Command> {
    archctl::api::Cli::command().get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect()
}

#[test]
fn every_subcommand_has_a_long_help_with_exit_status_and_examples_and_a_short_one() {
    let p = Project::new();
    for sub in visible() {
        let name = sub.get_name();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let long = sub.get_long_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(long.len() > about.len() + 100, "{name}: no long help beyond its summary");
        assert!(long.contains("Exit status"), "{name}: the long help does not say its exit status");
        let after = sub.get_after_long_help().map(|a| a.to_string()).unwrap_or_default();
        let examples: Vec<&str> = after.strip_prefix("Examples:\n").unwrap_or_default().lines().collect();
        assert!((2..=3).contains(&examples.len()), "{name}: {examples:?}");
        for e in &examples {
            assert!(e.starts_with("  archctl ") && e.contains(name), "{name}: {e:?}");
        }

        let short = p.run(&[name, "-h"]).success().stdout;
        assert!(short.starts_with(&about) && !short.contains("Exit status") && !short.contains("Examples:"), "{short}");
        let full = p.run(&[name, "--help"]).success().stdout;
        assert!(full.contains("Exit status") && full.contains("Examples:\n  archctl "), "{full}");
    }
}

/// `--version` names the commit the binary was built from (build.rs), so a
/// bug report says exactly which code ran.
#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let run = crate::support::Project::new().run(&["--version"]).success();
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(crate::support::repo())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(commit) => {
            assert_eq!(run.stdout, format!("archctl {} ({commit})\n", env!("CARGO_PKG_VERSION")))
        }
        // a source archive: the crate's version alone
        None => assert_eq!(run.stdout, format!("archctl {}\n", env!("CARGO_PKG_VERSION"))),
    }
}

/// `--color` reaches clap's own usage errors and help: `always` colours
/// them even into a pipe, `never` never does.
#[test]
fn color_reaches_usage_errors_and_help() {
    let p = crate::support::Project::new();
    let always = p.run(&["--color", "always", "render", "--bogus"]);
    assert_eq!(always.code, 2);
    assert!(always.stderr.contains("\u{1b}["), "{:?}", always.stderr);
    for args in [vec!["--color", "never", "render", "--bogus"], vec!["render", "--bogus", "--color=never"]] {
        let never = p.run(&args);
        assert_eq!(never.code, 2);
        assert!(!never.stderr.contains('\u{1b}'), "{args:?}: {:?}", never.stderr);
    }
    let help = p.run(&["--color=always", "render", "--help"]).success();
    assert!(help.stdout.contains("\u{1b}["), "{:?}", help.stdout);
}

/// What a shell completes (`COMPLETE=fish archctl -- archctl …`, the call
/// the script of `archctl completions` makes): subcommands without the
/// removed developer command, the project's profiles and phases, and the
/// kubeconfig's contexts.
#[test]
fn completions_offer_profiles_phases_and_contexts() {
    let p = crate::support::Project::with(
        "phases = [\"pilot\", \"growth\"]\n[project]\nname = \"p\"\n",
    )
    .file("profiles/dev.toml", "")
    .file("profiles/production.toml", "")
    .file(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n- name: staging-admin\n  context: {cluster: s, user: u}\n- name: prod-viewer\n  context: {cluster: p, user: u}\n",
    );
    let complete = |words: &[&str]| -> Vec<String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_archctl"))
            .arg("--")
            .arg("archctl")
            .args(words)
            .env("COMPLETE", "fish")
            .env("KUBECONFIG", p.path().join("kubeconfig"))
            .current_dir(p.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('\t').next().unwrap().to_string()).collect()
    };
    let commands = complete(&[""]);
    assert!(commands.contains(&"render".to_string()) && commands.contains(&"init".to_string()), "{commands:?}");
    assert!(!commands.contains(&"dev".to_string()), "{commands:?}");
    assert_eq!(complete(&["render", "--profile", ""]), ["dev", "production"]);
    assert_eq!(complete(&["diff", "--phase", ""]), ["pilot", "growth"]);
    assert_eq!(complete(&["diff", "--context", ""]), ["staging-admin", "prod-viewer"]);
}

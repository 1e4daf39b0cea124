//! `archctl man`: one page for archctl and one per visible subcommand.

use std::collections::BTreeSet;

use clap::CommandFactory;

use crate::help::visible;
use crate::support::Project;

/// An option's long name as clap_mangen writes it (`\fB\-\-against\fR`).
fn roff_long(long: &str) -> String {
    format!("\\fB\\-\\-{}\\fR", long.replace('-', "\\-"))
}

/// The long options of a subcommand, the global ones included.
fn longs(sub: &clap::Command) -> Vec<String> {
    let top = archctl::api::Cli::command();
    let globals = top.get_arguments().filter(|a| a.is_global_set());
    sub.get_arguments()
        .chain(globals)
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .map(String::from)
        .collect()
}

#[test]
fn every_visible_subcommand_has_a_page_with_its_name_and_options() {
    let p = Project::new();
    let subs = visible();
    assert!(subs.len() >= 9, "{:?}", subs.iter().map(|s| s.get_name()).collect::<Vec<_>>());
    for sub in &subs {
        let name = sub.get_name();
        let run = p.run(&["man", name]).success();
        assert!(run.stderr.is_empty(), "{name}: {}", run.stderr);
        let page = run.stdout;
        assert!(page.contains(&format!(".TH archctl-{name} 1 ")), "{name}: no title:\n{page}");
        let escaped = name.replace('-', "\\-");
        assert!(page.contains(&format!(".SH NAME\narchctl\\-{escaped} \\- ")), "{name}: no NAME section:\n{page}");
        assert!(page.contains(".SH SYNOPSIS\n\\fBarchctl "), "{name}: no synopsis:\n{page}");
        assert!(page.contains(".SH OPTIONS\n"), "{name}: no OPTIONS section:\n{page}");
        assert!(page.contains(".SH EXAMPLES\n"), "{name}: no EXAMPLES section:\n{page}");
        assert!(page.contains("Exit status"), "{name}: the page does not say its exit status:\n{page}");
        for long in longs(sub) {
            assert!(page.contains(&roff_long(&long)), "{name}: the page lacks --{long}:\n{page}");
        }
    }
    // the option the issue names
    assert!(p.run(&["man", "diff"]).success().stdout.contains(&roff_long("against")));
}

#[test]
fn the_top_level_page_lists_the_pages_that_exist() {
    let page = Project::new().run(&["man"]).success().stdout;
    assert!(page.contains(".TH archctl 1 "), "{page}");
    assert!(page.contains(".SH NAME\narchctl \\- "), "{page}");
    for sub in visible() {
        assert!(page.contains(&format!("archctl\\-{}(1)", sub.get_name().replace('-', "\\-"))), "{page}");
    }
    // clap's `help` and the hidden `dev` have no page, so none is named
    assert!(!page.contains("archctl\\-help(1)") && !page.contains("archctl\\-dev"), "{page}");
}

#[test]
fn man_out_writes_one_page_per_visible_subcommand() {
    let p = Project::new().file("man/other.1", "not archctl's\n").file("man/archctl-render.1", "an old page\n");
    let run = p.run(&["man", "--out", "man/man1"]).success();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let mut expected: BTreeSet<String> = visible().iter().map(|s| format!("archctl-{}.1", s.get_name())).collect();
    expected.insert("archctl.1".into());
    let written: BTreeSet<String> = std::fs::read_dir(p.path().join("man/man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, expected);
    for name in &expected {
        assert!(run.stderr.contains(&format!("wrote man/man1/{name}\n")), "{name}:\n{}", run.stderr);
        let sub = name.strip_prefix("archctl-").and_then(|n| n.strip_suffix(".1"));
        let stdout = p.run(&[&["man"][..], sub.as_slice()].concat()).success().stdout;
        assert_eq!(p.read(&format!("man/man1/{name}")), stdout, "{name} is not what `archctl man` prints");
    }

    // into an existing folder: archctl's pages replaced, nothing else touched
    let run = p.run(&["man", "--out", "man"]).success();
    assert!(run.stdout.is_empty());
    assert_eq!(p.read("man/other.1"), "not archctl's\n");
    assert!(p.read("man/archctl-render.1").contains(".TH archctl-render 1 "));
    assert!(p.path().join("man/man1/archctl.1").is_file(), "nothing is deleted");
}

#[cfg(unix)]
#[test]
fn man_out_refuses_a_page_that_is_a_symlink_and_writes_nothing() {
    let p = Project::new().file("target.txt", "kept\n");
    std::fs::create_dir(p.path().join("man")).unwrap();
    std::os::unix::fs::symlink(p.path().join("target.txt"), p.path().join("man/archctl-plan.1")).unwrap();
    let run = p.run(&["man", "--out", "man"]).user_error().stderr_has("man/archctl-plan.1").stderr_has("symbolic link");
    assert!(!run.stderr.contains("wrote man/"), "{}", run.stderr);
    assert_eq!(p.read("target.txt"), "kept\n");
    assert!(!p.path().join("man/archctl.1").exists());
}

#[test]
fn an_unknown_or_hidden_subcommand_has_no_page() {
    let p = Project::new();
    let known = visible().iter().map(|s| s.get_name().to_string()).collect::<Vec<_>>().join(", ");
    for name in ["nope", "dev", "help"] {
        p.run(&["man", name]).user_error().stderr_has(&format!("`{name}`")).stderr_has(&known);
    }
    // a page and --out together are a usage error
    p.run(&["man", "diff", "--out", "man"]).user_error();
    assert!(!p.path().join("man").exists());
}

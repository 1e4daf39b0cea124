//! A reader that closes the pipe early (`archctl render | head -1`) is not
//! an error, in every output format: exit 0, nothing on stderr.

use std::io::Read as _;
use std::process::{Command, Stdio};

use crate::support::Project;

#[test]
fn a_closed_pipe_ends_quietly_in_every_format() {
    // big enough to fill the pipe (~1.5 MB of YAML)
    let p = Project::fleet(300);
    for format in ["yaml", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_archctl"))
            .args(["render", "--profile", "production", "--format", format])
            .current_dir(p.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // the reader goes away: stdout is closed here
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Work that takes more than a second shows its progress (indicatif) when
/// stderr is a terminal — here a pseudo-terminal from util-linux `script` —
/// and nothing at all when stderr is a pipe.
#[test]
fn progress_shows_on_a_terminal_and_never_in_a_pipe() {
    // a chart of 600 services takes a few seconds in a debug build
    let p = Project::fleet(600);
    let archctl = env!("CARGO_BIN_EXE_archctl");
    let piped = p.run(&["render", "--format", "helm", "--out", "chart"]).success();
    assert!(piped.stderr.starts_with("wrote a chart with "), "{:?}", piped.stderr);
    assert_eq!(piped.stderr.lines().count(), 1, "{:?}", piped.stderr);
    assert!(!piped.stderr.contains('\u{1b}'), "no escape codes in a pipe: {:?}", piped.stderr);

    let script = crate::support::tool("script");
    let out = Command::new(script)
        .args(["-qec", &format!("{archctl} render --format helm --out chart2"), "/dev/null"])
        .current_dir(p.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{tty}");
    assert!(tty.contains("building the chart"), "no progress on a terminal: {tty:?}");
    // the bar is cleared before the closing line
    assert!(
        tty.trim_end()
            .ends_with(&format!("wrote a chart with {} files to chart2", piped.stderr.split(' ').nth(4).unwrap())),
        "{tty:?}"
    );
}

/// Colour as no-color.org and `--color` say: on a terminal a warning is
/// coloured unless `NO_COLOR` is set to something (an empty `NO_COLOR`
/// does not count); `--color always` colours a pipe; `--color never` a
/// terminal neither.
#[test]
fn colour_follows_no_color_and_the_color_flag() {
    // a warning (W003: no resources) on every render
    let p = Project::with(
        "[project]\nname = \"c\"\n[services.web]\nkind = \"deployment\"\ncontainer = { image = \"web:1.0\" }\n",
    );
    let archctl = env!("CARGO_BIN_EXE_archctl");
    let on_a_terminal = |env: Option<&str>, flag: &str| {
        let mut cmd = Command::new(crate::support::tool("script"));
        cmd.args(["-qec", &format!("{archctl} {flag} check"), "/dev/null"])
            .current_dir(p.path())
            .stdin(Stdio::null())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("TERM", "xterm-256color");
        if let Some(v) = env {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.contains("W003"), "{text:?}");
        text.contains("\u{1b}[")
    };
    assert!(on_a_terminal(None, ""), "a terminal is coloured");
    assert!(on_a_terminal(Some(""), ""), "an empty NO_COLOR does not count");
    assert!(!on_a_terminal(Some("1"), ""), "NO_COLOR=1 turns colour off");
    assert!(!on_a_terminal(None, "--color never"), "--color never on a terminal");
    assert!(on_a_terminal(Some("1"), "--color always"), "--color always wins over NO_COLOR");
    // into a pipe: plain, unless asked
    let piped = p.run(&["check"]);
    assert!(piped.stderr.contains("W003") && !piped.stderr.contains('\u{1b}'), "{:?}", piped.stderr);
    let forced = p.run(&["--color", "always", "check"]);
    assert!(forced.stderr.contains("\u{1b}["), "--color always colours a pipe: {:?}", forced.stderr);
    // the diff on stdout too
    p.run(&["render", "--out", "out"]).success();
    std::fs::write(p.path().join("archctl.toml"), p.read("archctl.toml").replace("web:1.0", "web:1.1")).unwrap();
    let diff = p.run(&["--color", "always", "diff", "--against", "out"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(diff.stdout.contains("\u{1b}[31m-") && diff.stdout.contains("\u{1b}[32m+"), "{:?}", diff.stdout);
    let plain = p.run(&["diff", "--against", "out"]);
    assert!(!plain.stdout.contains('\u{1b}'), "{:?}", plain.stdout);
}

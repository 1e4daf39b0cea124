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

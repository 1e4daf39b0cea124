//! `archctl init [DIR]`: writes a new project (see [`crate::scaffold`]),
//! never over a file that exists.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::cli::InitArgs;
use crate::exit::ExitStatus;
use crate::scaffold::{DEFAULT_IMAGE, Scaffold};
use crate::term;

pub(super) fn run(args: &InitArgs) -> anyhow::Result<ExitStatus> {
    let dir = &args.dir;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => default_name(dir)?,
    };
    let scaffold = Scaffold {
        namespace: args.namespace.clone().unwrap_or_else(|| name.clone()),
        name,
        image: args.image.clone().unwrap_or_else(|| DEFAULT_IMAGE.to_string()),
    };
    scaffold.check().map_err(anyhow::Error::msg)?;
    let files = scaffold.files();
    // every file is checked before the first is written: a refusal leaves
    // the folder as it was
    for (rel, _) in &files {
        let path = dir.join(rel);
        if std::fs::symlink_metadata(&path).is_ok() {
            anyhow::bail!(
                "`{}` exists; `archctl init` never replaces a file: move it or choose another folder",
                path.display()
            );
        }
    }
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        // `create_new`: a file that appeared since the check is not replaced
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create `{}`", path.display()))?;
        file.write_all(text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    term::message(&format!(
        "wrote a project `{}` to {}: {}\nnext: `archctl{} check`, then `archctl{} render --profile dev`",
        scaffold.name,
        dir.display(),
        files.iter().map(|(rel, _)| *rel).collect::<Vec<_>>().join(", "),
        flag(dir),
        flag(dir),
    ));
    Ok(ExitStatus::Success)
}

/// `-f DIR/archctl.toml` when the project is not the current folder.
fn flag(dir: &Path) -> String {
    if dir == Path::new(".") { String::new() } else { format!(" -f {}", dir.join("archctl.toml").display()) }
}

/// The folder's name, lowercased, with what a DNS label cannot hold made `-`.
fn default_name(dir: &Path) -> anyhow::Result<String> {
    let abs = std::path::absolute(dir).with_context(|| format!("cannot resolve `{}`", dir.display()))?;
    let base = abs.file_name().and_then(|n| n.to_str()).unwrap_or("app");
    let mut name: String =
        base.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    name = name.trim_matches('-').chars().take(63).collect::<String>().trim_end_matches('-').to_string();
    Ok(if name.is_empty() { "app".to_string() } else { name })
}

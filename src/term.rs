//! The only module that decides colour and writes messages to the terminal.

use std::io::Write;

use crate::cli::ColorChoice;

/// Whether to colour stderr: `--color`, then `NO_COLOR`, then whether stderr
/// is a terminal.
pub(crate) fn stderr_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && console::Term::stderr().features().colors_supported()
        }
    }
}

/// Whether to colour stdout (diffs), by the same rules.
pub(crate) fn stdout_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && console::Term::stdout().features().colors_supported()
        }
    }
}

/// Writes a message to stderr; a closed stderr is ignored.
pub(crate) fn message(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = err.write_all(b"\n");
    }
}

/// Writes text to stderr as is (progress lines).
pub(crate) fn message_inline(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// `error: …` for plumbing failures.
pub(crate) fn error(color: bool, err: &anyhow::Error) {
    let head = if color { console::style("error").red().bold().to_string() } else { "error".to_string() };
    let mut text = format!("{head}: {err}");
    for cause in err.chain().skip(1) {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    message(&text);
}

/// Colours a unified diff line by its first character.
pub(crate) fn diff_line(line: &str, color: bool) -> String {
    if !color {
        return line.to_string();
    }
    match line.as_bytes().first() {
        Some(b'+') if !line.starts_with("+++") => console::style(line).green().to_string(),
        Some(b'-') if !line.starts_with("---") => console::style(line).red().to_string(),
        Some(b'@') => console::style(line).cyan().to_string(),
        _ => line.to_string(),
    }
}

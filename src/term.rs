//! The only module that decides colour and writes messages to the terminal.

use std::io::{IsTerminal as _, Write};

use crate::cli::ColorChoice;

/// Whether to colour stderr: `--color`, then `NO_COLOR`, then whether stderr
/// is a terminal.
pub(crate) fn stderr_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto(std::io::stderr().is_terminal()),
    }
}

/// Whether to colour stdout (diffs), by the same rules.
pub(crate) fn stdout_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto(std::io::stdout().is_terminal()),
    }
}

/// `--color auto`: a terminal is coloured unless `NO_COLOR` holds a value
/// (no-color.org: an empty `NO_COLOR` does not count) or `TERM` is `dumb`.
/// Decided here rather than by `console`, which counts an empty `NO_COLOR`.
fn auto(terminal: bool) -> bool {
    terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Writes a message to stderr; a closed stderr is ignored.
pub(crate) fn message(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = err.write_all(b"\n");
    }
}

/// Progress of work that may take a while (a diff against a cluster, a
/// chart for a large topology), drawn on stderr by indicatif: only when
/// stderr is a terminal, and only once the work has taken a second, so
/// that quick runs and pipes see nothing.
pub(crate) struct Progress {
    bar: indicatif::ProgressBar,
    /// Set when the work is over; the timer that shows the bar checks it
    /// under the same lock, so a finished bar is never drawn again.
    finished: std::sync::Arc<std::sync::Mutex<bool>>,
}

/// How long work runs before its progress is drawn.
const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

impl Progress {
    /// Progress of `what` (`diffing`, `building the chart`), hidden until
    /// the work has taken [`PROGRESS_AFTER`].
    pub(crate) fn new(what: &str) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) =
            indicatif::ProgressStyle::with_template(&format!("{what} {{pos}}/{{len}} {{wide_bar}} {{elapsed}}"))
        {
            bar.set_style(style);
        }
        let finished = std::sync::Arc::new(std::sync::Mutex::new(false));
        if console::Term::stderr().is_term() {
            let (bar, finished) = (bar.clone(), finished.clone());
            std::thread::spawn(move || {
                std::thread::sleep(PROGRESS_AFTER);
                if let Ok(done) = finished.lock()
                    && !*done
                {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(std::time::Duration::from_millis(200));
                }
            });
        }
        Progress { bar, finished }
    }

    /// `done` of `total` finished.
    pub(crate) fn set(&self, done: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
    }

    /// Prints a message above the bar.
    pub(crate) fn message(&self, text: &str) {
        self.bar.suspend(|| message(text));
    }

    /// Runs `f` (which writes to stderr) with the bar out of the way.
    pub(crate) fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        self.bar.suspend(f)
    }

    /// Removes the bar for good.
    pub(crate) fn finish(&self) {
        let mut done = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        *done = true;
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `error: …` for plumbing failures.
pub(crate) fn error(color: bool, err: &anyhow::Error) {
    let head =
        if color { console::style("error").red().bold().force_styling(true).to_string() } else { "error".to_string() };
    let mut text = format!("{head}: {err}");
    for cause in err.chain().skip(1) {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    message(&text);
}

/// Colours a unified diff line by its first character. `color` is the
/// decision already made ([`stdout_color`]): styles are forced, since
/// `console` would otherwise decide again by its own rules.
pub(crate) fn diff_line(line: &str, color: bool) -> String {
    if !color {
        return line.to_string();
    }
    match line.as_bytes().first() {
        Some(b'+') if !line.starts_with("+++") => console::style(line).green().force_styling(true).to_string(),
        Some(b'-') if !line.starts_with("---") => console::style(line).red().force_styling(true).to_string(),
        Some(b'@') => console::style(line).cyan().force_styling(true).to_string(),
        _ => line.to_string(),
    }
}

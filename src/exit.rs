//! How a run ends: the process exit status.

/// How a run ended, as `kubectl diff` counts: 0 same, 1 differences, 2 errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Differences,
    Error,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Differences => 1,
            ExitStatus::Error => 2,
        })
    }
}

//! Errors of the engine.

use std::path::PathBuf;

/// Everything that can make [`Kconfig::load`](crate::Kconfig::load) or a
/// `.config` operation fail. Parse and preprocessor errors always name the
/// Kconfig file and line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Syntax error in a Kconfig file: `file:line: expected X, found Y`.
    #[error("{file}:{line}: {msg}")]
    Parse {
        /// Kconfig file as named by `source` (relative to srctree).
        file: String,
        /// 1-based line.
        line: u32,
        /// What was expected and what was found.
        msg: String,
    },
    /// Error raised by the Kconfig preprocessor (`$(error-if,...)`,
    /// unterminated references, recursive variables, ...).
    #[error("{file}:{line}: {msg}")]
    Preprocess {
        /// Kconfig file.
        file: String,
        /// 1-based line.
        line: u32,
        /// Message.
        msg: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Something else that makes the tree unusable (missing Makefile, ...).
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

//! Errors and warnings. Every message names `file:line` where it can.

use crate::input::escape;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No parser recognises the text.
    #[error("{source_name}:{line}: unknown listing format (expected lspci, lsusb, lsmod, modalias or uevent output), first line: {text:?}")]
    UnknownFormat {
        source_name: String,
        line: usize,
        text: String,
    },
    /// The format was recognised but too many lines are not of that format.
    #[error("{source_name}:{line}: {count} of {total} lines are not valid {format} output, first: {text:?}")]
    Garbage {
        source_name: String,
        format: String,
        line: usize,
        count: usize,
        total: usize,
        text: String,
    },
    /// Not something a listing can be read from (a device node, a directory).
    #[error("{path}: is {what}, not a listing (give a file, a pipe, or - for stdin)")]
    NotAListing { path: PathBuf, what: &'static str },
    /// Over the size limit: not a listing.
    #[error("{path}: larger than {} MiB: not a listing", limit >> 20)]
    TooLarge { path: PathBuf, limit: u64 },
    /// A flattened device tree (`.dtb`) that cannot be read.
    #[error("{source_name}: not a valid device tree blob: {error}")]
    DeviceTree {
        source_name: String,
        error: crate::devicetree::DtError,
    },
    /// The live sysfs tree could not be read.
    #[error("{path}: cannot read sysfs: {message}")]
    Sysfs { path: PathBuf, message: String },
}

/// A few unreadable lines inside an otherwise valid listing (skipped), or an
/// empty listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    pub source: String,
    /// First offending line (1-based); 0 when the warning is about the whole file.
    pub line: usize,
    /// How many lines were skipped.
    pub count: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (src, msg) = (escape(&self.source), escape(&self.message));
        if self.line > 0 {
            write!(f, "{src}:{}: {msg}", self.line)
        } else {
            write!(f, "{src}: {msg}")
        }
    }
}

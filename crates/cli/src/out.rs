//! How kfit talks: messages on stderr (control bytes escaped, each OS error
//! once), JSON documents with a schema version, progress bars, and a closed
//! stdout that ends kfit quietly.

use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress bars.
pub(crate) fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

/// Rust ignores SIGPIPE, so writing to a closed pipe (`kfit ... | head -1`)
/// returns EPIPE and `println!` panics. Restoring the default action makes
/// kfit end as other Unix tools do: silently, killed by SIGPIPE (status 141
/// in the shell). Files are never written through a pipe, so no write of
/// kfit's own can be cut by it; children get the default action anyway.
pub(crate) fn restore_sigpipe() {
    // SAFETY: signal(2) with SIG_DFL has no preconditions; called once at
    // start-up before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// `s` with control characters (but newline and tab) shown as `\x1b`-style
/// escapes: messages quote listings and configs, which must not drive the
/// terminal.
pub fn escape(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            let n = c as u32;
            if n <= 0xff {
                o.push_str(&format!("\\x{n:02x}"));
            } else {
                o.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

/// `kfit: warning: ...` on stderr.
pub(crate) fn warn(msg: &str) {
    let _ = writeln!(std::io::stderr(), "kfit: warning: {}", escape(msg));
}

/// The error's message: its chain joined by `: `, leaving out a cause whose
/// text the message already ends with (libraries print their OS error in
/// their own message *and* give it as the source).
pub fn error_text(err: &anyhow::Error) -> String {
    let mut msg = String::new();
    for (i, c) in err.chain().enumerate() {
        let t = c.to_string();
        if i > 0 {
            if msg.ends_with(&t) {
                continue;
            }
            msg.push_str(": ");
        }
        msg.push_str(&t);
    }
    msg
}

/// Prints the error and gives exit status 2.
pub(crate) fn fail(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "kfit: error: {}", escape(&error_text(err)));
    ExitCode::from(2)
}

/// Runs `f` on a locked stdout and flushes it.
pub(crate) fn with_stdout(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    f(&mut o)?;
    o.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Version of every JSON document's layout, `kfit.<command>/<SCHEMA>`;
/// docs/json.md describes each. Raised when a field changes meaning or is
/// removed (added fields do not raise it).
pub const SCHEMA: u32 = 2;

#[derive(Serialize)]
struct Doc<'a, T: Serialize> {
    schema: String,
    #[serde(flatten)]
    body: &'a T,
}

/// Writes `body` (a struct: its fields are inlined) as one pretty JSON
/// document with `"schema": "kfit.<kind>/<SCHEMA>"` first.
pub(crate) fn json<T: Serialize>(o: &mut dyn Write, kind: &str, body: &T) -> anyhow::Result<()> {
    let doc = Doc {
        schema: format!("kfit.{kind}/{SCHEMA}"),
        body,
    };
    serde_json::to_writer_pretty(&mut *o, &doc)?;
    writeln!(o)?;
    Ok(())
}

/// The progress callback for a long step (a cold index): a bar on stderr
/// when it is a terminal and `--quiet` was not given, else nothing.
pub(crate) fn index_progress() -> Option<Box<dyn Fn(kfit_kbuild::Progress) + Sync>> {
    use std::io::IsTerminal;
    if QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
        return None;
    }
    Some(Box::new(kfit_kbuild::stderr_progress()))
}

/// A spinner with a message for a step of unknown length (download,
/// unpack), under the same conditions as [`index_progress`]; finished and
/// cleared when dropped.
pub(crate) struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub(crate) fn new(msg: impl Into<Cow<'static, str>>) -> Spinner {
        use std::io::IsTerminal;
        if QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let b = indicatif::ProgressBar::new_spinner();
        // No colors anywhere: NO_COLOR is respected by having none.
        if let Ok(st) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            b.set_style(st);
        }
        b.set_message(msg);
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        Spinner(Some(b))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_escaped() {
        assert_eq!(escape("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(escape("a\x1b[31mb\rc\u{9b}"), "a\\x1b[31mb\\x0dc\\x9b");
    }

    #[test]
    fn an_os_error_is_printed_once() {
        let io = std::io::Error::from_raw_os_error(21);
        let e = anyhow::Error::new(Wrapped(io)).context("reading x");
        let t = error_text(&e);
        assert_eq!(t.matches("os error 21").count(), 1, "{t}");
    }

    #[derive(Debug)]
    struct Wrapped(std::io::Error);
    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "/etc: {}", self.0)
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
}

//! Issue 19: progress bars on long steps (here the cold index of the 6.12
//! tree) appear only on a terminal, and `--quiet` turns them off. The
//! terminal is a pseudo-terminal made by `script` (util-linux); each run
//! has a private, empty cache so that the index is built cold.

use kfit_testkit::cache;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tree() -> Option<PathBuf> {
    let text = std::fs::read_to_string(cache().join("env/6.12")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("TREE="))
        .map(PathBuf::from)
}

fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// `kfit index --tree T [extra]` with a fresh cache; on a pseudo-terminal
/// when `tty`. Returns what was written to the terminal (stdout and stderr).
fn cold_index(t: &Path, tty: bool, extra: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let kfit = format!(
        "{} index --tree {} {extra}",
        sh_quote(Path::new(env!("CARGO_BIN_EXE_kfit"))),
        sh_quote(t)
    );
    let mut c = if tty {
        let mut c = Command::new("script");
        c.args(["-qefc", &kfit, "/dev/null"]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &format!("{kfit} 2>&1")]);
        c
    };
    let o = c
        .env("KFIT_CACHE", tmp.path())
        .env("TERM", "xterm")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{kfit}: {text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    text
}

#[test]
fn cold_index_progress_only_on_a_terminal() {
    let Some(t) = tree() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have Linux 6.12 cached");
        eprintln!("skipped: Linux 6.12 not cached");
        return;
    };
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have script (util-linux)"
        );
        eprintln!("skipped: no `script` to make a terminal");
        return;
    }
    // A bar: "<phase> [=====>   ] done/total (elapsed)".
    let bar = |s: &str| s.contains("] ") && s.contains("/") && s.contains("s)") && s.contains("[=");
    let on_tty = cold_index(&t, true, "");
    assert!(bar(&on_tty), "no progress bar on a terminal:\n{on_tty}");
    // Anything drawn: a bar, an escape sequence, or a carriage return that
    // is not the terminal's end of line.
    let drawn = |s: &str| bar(s) || s.contains('\x1b') || s.replace("\r\n", "\n").contains('\r');
    let quiet = cold_index(&t, true, "--quiet");
    assert!(!drawn(&quiet), "--quiet drew:\n{quiet:?}");
    let piped = cold_index(&t, false, "");
    assert!(!drawn(&piped), "a pipe got:\n{piped:?}");
}

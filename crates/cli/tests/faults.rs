//! Fault injection at the command line (issue 18): each case runs the real
//! binary on a bad argument, input, cache or output and asserts the exit
//! code, the message and the checksums of the files involved before and
//! after (nothing kfit was not asked to write changes). Cases that need a
//! kernel use the cached Debian 6.12 tree (scripts/fetch-kernels.sh).
//!
//! The safe write path's faults (symlinks, device nodes, full disks, kills)
//! are tested with crates/util; the index's unreadable files with kbuild.

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsString;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn cache() -> PathBuf {
    std::env::var_os("KFIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kfit"))
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

/// The cached 6.12 tree and its x86_64_defconfig (fetched when missing).
fn tree() -> (PathBuf, PathBuf) {
    let f = cache().join("env/6.12");
    if !f.exists() {
        let st = Command::new("bash")
            .arg(repo("scripts/fetch-kernels.sh"))
            .arg("6.12")
            .status()
            .unwrap();
        assert!(st.success(), "scripts/fetch-kernels.sh failed");
    }
    let text = std::fs::read_to_string(&f).unwrap();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(PathBuf::from)
            .unwrap()
    };
    let build = get("BUILD");
    (get("TREE"), build.join("x86_64_defconfig.config"))
}

/// A scratch directory for one case.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kfit-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Checksums of `files` (`None`: absent).
fn sums(files: &[&Path]) -> Vec<Option<u64>> {
    files
        .iter()
        .map(|f| {
            std::fs::read(f).ok().map(|b| {
                let mut h = DefaultHasher::new();
                h.write(&b);
                h.finish()
            })
        })
        .collect()
}

fn kfit(args: &[OsString], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kfit"));
    c.args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn args(a: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    a.iter().map(|s| s.as_ref().to_owned()).collect()
}

/// Runs a case: exit `code`, stderr containing `msg`, and `files`
/// unchanged.
fn case(a: &[OsString], code: i32, msg: &str, files: &[&Path]) -> Output {
    let before = sums(files);
    let o = kfit(a, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{a:?}: {err}");
    assert!(err.contains(msg), "{a:?}: expected {msg:?} in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(sums(files), before, "{a:?} changed a file");
    o
}

/// Output file that exists before the run: an error must leave it as it was.
fn old_output(dir: &Path) -> PathBuf {
    let out = dir.join("out.config");
    std::fs::write(&out, "# the previous config\n").unwrap();
    out
}

#[test]
fn empty_machine_values_are_errors_not_this_host() {
    let (t, base) = tree();
    let d = scratch("machine");
    let out = old_output(&d);
    let seed = repo("examples/seed/lspci-k.txt");
    for m in ["", ",", "a.txt,", ",b.txt"] {
        case(
            &args(&[
                &"fit",
                &seed,
                &"--machine",
                &m,
                &"--tree",
                &t,
                &"--base",
                &base,
                &"-o",
                &out,
            ]),
            2,
            "names an empty file (an unset variable?)",
            &[&out, &base],
        );
    }
    // Empty paths anywhere.
    case(
        &args(&[&"fit", &"", &"--tree", &t, &"--base", &base, &"-o", &out]),
        2,
        "empty path",
        &[&out],
    );
    case(
        &args(&[&"fit", &seed, &"--tree", &t, &"--base", &"", &"-o", &out]),
        2,
        "empty path",
        &[&out],
    );
    case(&args(&[&"hw", &seed, &"--bus", &""]), 2, "empty value", &[]);
    case(
        &args(&[&"hw", &seed, &"--bus", &"pcx"]),
        2,
        "--bus pcx: no device on that bus (buses here: pci)",
        &[],
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn options_that_do_not_apply() {
    let (t, base) = tree();
    let d = scratch("options");
    let out = old_output(&d);
    let seed = repo("examples/seed/lspci-k.txt");
    // --dry-run without --ix was ignored and -o written: now refused.
    case(
        &args(&[
            &"fit",
            &seed,
            &"--dry-run",
            &"--tree",
            &t,
            &"--base",
            &base,
            &"-o",
            &out,
        ]),
        2,
        "--ix",
        &[&out],
    );
    // Ignored options say so.
    let o = case(
        &args(&[&"hw", &seed, &"--json", &"--all"]),
        0,
        "warning: --all is ignored with --json",
        &[],
    );
    assert!(o.stdout.starts_with(b"{"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_inputs_are_errors_naming_them() {
    let (t, base) = tree();
    let d = scratch("inputs");
    let out = old_output(&d);
    let seed = repo("examples/seed/lspci-k.txt");
    // An empty listing.
    let empty = d.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    case(
        &args(&[&"fit", &empty, &"--tree", &t, &"--base", &base, &"-o", &out]),
        2,
        "empty.txt: no devices in this listing",
        &[&out, &empty],
    );
    // A base config for another architecture, named by the symbol that shows it.
    let arm = d.join("arm64.config");
    std::fs::write(&arm, "CONFIG_ARM64=y\nCONFIG_64BIT=y\nCONFIG_ARCH_BCM2835=y\n").unwrap();
    case(
        &args(&[&"fit", &seed, &"--tree", &t, &"--base", &arm, &"-o", &out]),
        2,
        "arm64.config:1: CONFIG_ARM64=y: this config is for arch/arm64, not arch/x86",
        &[&out, &arm],
    );
    // A directory as the base: the OS error once, the request first.
    let o = case(
        &args(&[&"fit", &seed, &"--tree", &t, &"--base", &d, &"-o", &out]),
        2,
        "kfit: error: fitting",
        &[&out],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("os error 21").count(), 1, "{err}");
    // Unknown symbols.
    case(
        &args(&[
            &"explain",
            &"NO_SUCH_SYMBOL",
            &seed,
            &"--tree",
            &t,
            &"--base",
            &base,
        ]),
        2,
        "CONFIG_NO_SUCH_SYMBOL is not defined",
        &[],
    );
    case(
        &args(&[&"kconfig", &"show", &"NO_SUCH_SYMBOL", &"--tree", &t]),
        2,
        "CONFIG_NO_SUCH_SYMBOL is not defined",
        &[],
    );
    // Control bytes of a listing are escaped in messages.
    let esc = d.join("esc.txt");
    std::fs::write(&esc, "\x1b[31mred\x07 not a listing\n").unwrap();
    let o = case(&args(&[&"hw", &esc]), 2, "unknown listing format", &[&esc]);
    assert!(
        !o.stderr.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// `kfit ... | head -1`: the reader is gone before kfit writes. kfit ends
/// quietly, killed by SIGPIPE as other tools are (141 in the shell), with
/// nothing on stderr, and writes no file it was not done with.
#[test]
fn closed_stdout_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let (t, base) = tree();
    let d = scratch("stdout");
    let out = d.join("fitted.config");
    let seed = repo("examples/seed/lspci-k.txt");
    let runs: Vec<Vec<OsString>> = vec![
        args(&[&"kconfig", &"show", &"X86", &"--tree", &t]),
        args(&[&"completions", &"bash"]),
        args(&[&"fit", &seed, &"--tree", &t, &"--base", &base, &"-o", &out]),
        args(&[&"menuconfig", &"--config", &base, &"--tree", &t]),
    ];
    for a in runs {
        let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
            .args(&a)
            .stdin(Stdio::null())
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.is_empty(), "{a:?}: {err}");
        assert_eq!(o.status.signal(), Some(libc_sigpipe()), "{a:?}: {:?}", o.status);
    }
    // The fit wrote its config before printing: complete, not cut.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("CONFIG_BLK_DEV_NVME=y"));
    let _ = std::fs::remove_dir_all(&d);
}

fn libc_sigpipe() -> i32 {
    libc::SIGPIPE
}

/// The write end of a pipe whose read end is already closed.
fn closed_pipe() -> Stdio {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills two new descriptors; each is owned exactly once
    // below (the read end closed, the write end handed to the child).
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        Stdio::from(std::os::fd::OwnedFd::from_raw_fd(fds[1]))
    }
}

/// A corrupted probe cache (the compiler's version text, the probe
/// results) is detected and probed again: the written config is the one an
/// uncached run writes (it had `CONFIG_CC_VERSION_TEXT="garbage` with the
/// quote on the next line).
#[test]
fn corrupted_probe_cache_is_probed_again() {
    let (t, base) = tree();
    let d = scratch("probes");
    let kcache = d.join("cache");
    let run = |out: &Path| {
        let o = kfit(
            &args(&[
                &"kconfig",
                &"olddefconfig",
                &"--tree",
                &t,
                &"--config",
                &base,
                &"-o",
                &out,
            ]),
            &[("KFIT_CACHE", &kcache)],
        );
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out).unwrap()
    };
    let first = run(&d.join("first.config"));
    assert!(first.contains("CONFIG_CC_VERSION_TEXT=\""));
    let probes = kcache.join("probes");
    let mut n = 0;
    for e in std::fs::read_dir(&probes).unwrap().flatten() {
        let p = e.path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("ccver-") {
            std::fs::write(&p, "garbage\n\"").unwrap();
            n += 1;
        } else if name.ends_with(".probes") {
            let mut b = std::fs::read(&p).unwrap();
            let at = b.len() / 2;
            b[at] ^= 0x20;
            std::fs::write(&p, b).unwrap();
            n += 1;
        }
    }
    assert!(n >= 2, "no probe cache files in {}", probes.display());
    // The parsed model is cached too (its key holds the version text): drop
    // it so that the probes are what is read.
    let _ = std::fs::remove_dir_all(kcache.join("kconfig"));
    let second = run(&d.join("second.config"));
    assert!(!second.contains("garbage"));
    assert_eq!(first, second);
    let _ = std::fs::remove_dir_all(&d);
}

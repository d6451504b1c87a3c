//! Fault injection at the command line (issue 18): each case runs the real
//! binary on a bad argument, input, cache or output and asserts the exit
//! code, the message and the checksums of the files involved before and
//! after (nothing kfit was not asked to write changes). Cases that need a
//! kernel use the cached Debian 6.12 tree (scripts/fetch-kernels.sh).
//!
//! The ix write's faults (a symlinked package config, kills at every write
//! step) are in ix_user.rs; the write path's own in crates/util's unit
//! tests.

use kfit_testkit::{fixtures, repo};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The cached 6.12 tree and its x86_64_defconfig (fetched when missing).
fn tree() -> (PathBuf, PathBuf) {
    kfit_testkit::tree_612_and_defconfig()
}

/// A scratch directory for one case, removed when the case ends.
fn scratch(name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("kfit-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// See [`scratch`].
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Checksums of `files` (`None`: absent).
fn sums(files: &[&Path]) -> Vec<Option<u64>> {
    files
        .iter()
        .map(|f| std::fs::read(f).ok().map(|b| kfit_util::stable_hash(&b)))
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

/// The cached defconfig with `extra` lines appended, written as `dir/name`.
fn base_with(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let cfg = dir.join(name);
    let mut text = std::fs::read_to_string(tree().1).unwrap();
    text.push_str(extra);
    std::fs::write(&cfg, text).unwrap();
    cfg
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `fit SEED -o out.config` in a scratch directory whose `out.config` and
/// `out.config.old` start as a previous config and backup, for the tests
/// that interrupt the write at each of its steps.
struct WriteSteps {
    d: Scratch,
    out: PathBuf,
    old: PathBuf,
    args: Vec<OsString>,
}

impl WriteSteps {
    const PREV_OUT: &[u8] = b"# the previous config\n";
    const PREV_OLD: &[u8] = b"# the previous backup\n";

    fn new(name: &str) -> WriteSteps {
        let (t, base) = tree();
        let d = scratch(name);
        let out = d.join("out.config");
        let old = d.join("out.config.old");
        let seed = repo("examples/seed/lspci-k.txt");
        let args = args(&[&"fit", &seed, &"--tree", &t, &"--base", &base, &"-o", &out]);
        WriteSteps { d, out, old, args }
    }

    /// The previous config and backup in place.
    fn prepare(&self) {
        std::fs::write(&self.out, Self::PREV_OUT).unwrap();
        std::fs::write(&self.old, Self::PREV_OLD).unwrap();
    }

    fn run(&self, env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kfit"));
        c.args(&self.args).stdin(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// An uninterrupted run (`KFIT_DEBUG_KILL_AT=0` counts the steps):
    /// its stderr, the number of write steps, and the config it writes.
    fn uninterrupted(&self) -> (String, usize, Vec<u8>) {
        self.prepare();
        let o = self.run(&[("KFIT_DEBUG_KILL_AT", "0")]);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
        let steps = err.matches("kfit-debug: write step").count();
        (err, steps, std::fs::read(&self.out).unwrap())
    }
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
}

/// Control bytes in a config's lines are escaped in its warnings (they
/// went raw to the terminal), with `kconfig olddefconfig` and as `fit`'s
/// base.
#[test]
fn config_warnings_escape_control_bytes() {
    let (t, _) = tree();
    let d = scratch("configesc");
    let cfg = base_with(&d, "esc.config", "CONFIG_X\x1b[31mRED=y\nthis \x1b[2J line\x07\n");
    let seed = repo("examples/seed/lspci-k.txt");
    for a in [
        args(&[
            &"kconfig",
            &"olddefconfig",
            &"--tree",
            &t,
            &"--config",
            &cfg,
            &"-o",
            &d.join("a.config"),
        ]),
        args(&[
            &"fit",
            &seed,
            &"--tree",
            &t,
            &"--base",
            &cfg,
            &"-o",
            &d.join("b.config"),
        ]),
    ] {
        let o = kfit(&a, &[]);
        // olddefconfig warns on stderr, fit in its report
        let all = [&o.stdout[..], &o.stderr[..]].concat();
        let said = String::from_utf8_lossy(&all);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{a:?}: {said}");
        assert!(said.contains("esc.config:"), "{said}");
        assert!(said.contains("this \\x1b[2J line\\x07"), "{said}");
        assert!(!all.contains(&0x1b) && !all.contains(&0x07), "{said}");
    }
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
}

/// Runs kfit with a timeout (a read that never ends is a failure, not a
/// hung test).
fn kfit_timed(args: &[OsString], stdin: Stdio, stdout: Stdio, secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .args(args)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if t.elapsed().as_secs() >= secs {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "{args:?} still running after {secs} s: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Unbounded inputs and outputs that are not files: `/dev/zero` as a
/// listing (by name, and behind a pipe), `-o /dev/full`, `-o /dev/stdout`
/// into a pipe. Each ends at once with a message naming the path; memory
/// stays bounded (the listing limit is 64 MiB).
#[test]
fn devices_as_listings_and_outputs() {
    let (t, base) = tree();
    case(
        &args(&[&"hw", &"/dev/zero"]),
        2,
        "/dev/zero: is a character device, not a listing",
        &[],
    );
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let o = kfit_timed(&args(&[&"hw", &"-"]), Stdio::from(zero), Stdio::piped(), 60);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("64 MiB") || err.contains("too large"), "{err}");
    for dev in ["/dev/full", "/dev/null"] {
        let o = kfit_timed(
            &args(&[
                &"kconfig",
                &"olddefconfig",
                &"--tree",
                &t,
                &"--config",
                &base,
                &"-o",
                &dev,
            ]),
            Stdio::null(),
            Stdio::piped(),
            120,
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{dev}: {err}");
        assert!(err.contains(dev) && err.contains("character device"), "{err}");
        assert!(Path::new(dev).metadata().is_ok_and(|m| !m.is_file()));
    }
    // -o /dev/stdout with stdout a pipe: refused (a FIFO), never blocks.
    let o = kfit_timed(
        &args(&[
            &"kconfig",
            &"olddefconfig",
            &"--tree",
            &t,
            &"--config",
            &base,
            &"-o",
            &"/dev/stdout",
        ]),
        Stdio::null(),
        Stdio::piped(),
        120,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/dev/stdout") && (err.contains("FIFO") || err.contains("symlink")),
        "{err}"
    );
}

/// Malformed listing lines are reported with file:line, never dropped
/// silently; control bytes in them are escaped.
#[test]
fn malformed_listing_lines_are_reported() {
    let d = scratch("malformed");
    let seed = std::fs::read_to_string(repo("examples/seed/lspci-k.txt")).unwrap();
    let mut lines: Vec<String> = seed.lines().map(str::to_string).collect();
    // a device line cut mid-way, a bad ID, a NUL byte
    lines.insert(3, "03:00.0 VGA compatible controller [03".into());
    lines.insert(
        5,
        "05:00.0 Network controller [0280]: Foo [zzzz:1234]\x1b[31m".into(),
    );
    lines.insert(7, "\0\0".into());
    let f = d.join("bad-lines.txt");
    std::fs::write(&f, lines.join("\n")).unwrap();
    let o = case(&args(&[&"hw", &f]), 0, "bad-lines.txt:4: ", &[&f]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad-lines.txt:6"), "{err}");
    assert!(!o.stderr.contains(&0x1b), "{err}");
}

/// `fit -o` keeps the replaced file's mode and owner, and writes its
/// backup the same way (as root: a 0600 file of nobody stays 0600 nobody).
#[test]
fn output_keeps_mode_and_owner() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (t, base) = tree();
    let d = scratch("mode");
    let out = old_output(&d);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::os::unix::fs::chown(&out, Some(65534), Some(65534)).unwrap();
    }
    let seed = repo("examples/seed/lspci-k.txt");
    let o = kfit(
        &args(&[&"fit", &seed, &"--tree", &t, &"--base", &base, &"-o", &out]),
        &[],
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("CONFIG_BLK_DEV_NVME=y"));
    let md = std::fs::metadata(&out).unwrap();
    assert_eq!(md.mode() & 0o7777, 0o600);
    if root {
        assert_eq!((md.uid(), md.gid()), (65534, 65534));
    }
    let old = d.join("out.config.old");
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "# the previous config\n");
    let bmd = std::fs::metadata(&old).unwrap();
    assert_eq!(bmd.mode() & 0o077, 0, "the backup is readable by others");
    if root {
        assert_eq!((bmd.uid(), bmd.gid()), (65534, 65534));
    }
}

/// The backup cannot be written (a full filesystem: a small tmpfs, mounted
/// when the test can, else a file size limit): the write is refused before
/// the target is touched, the previous backup survives, no temp file is
/// left.
#[test]
fn full_filesystem_keeps_the_previous_backup() {
    let (t, base) = tree();
    let d = scratch("full");
    let mnt = d.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    // KFIT_TEST_NO_MOUNT=1 tries the fallback below as root too.
    let mounted = std::env::var_os("KFIT_TEST_NO_MOUNT").is_none()
        && Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m,mode=0755", "kfit-faults"])
            .arg(&mnt)
            .output()
            .is_ok_and(|o| o.status.success());
    if !mounted {
        // Without root or CAP_SYS_ADMIN: the same failure through a file
        // size limit (RLIMIT_FSIZE, SIGXFSZ ignored): writes past it fail
        // with EFBIG, as a full disk fails them with ENOSPC.
        eprintln!("cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): using RLIMIT_FSIZE instead");
    }
    let seed = repo("examples/seed/lspci-k.txt");
    // the size of the config the fit writes
    let probe = d.join("probe.config");
    let o = kfit(
        &args(&[&"fit", &seed, &"--tree", &t, &"--base", &base, &"-o", &probe]),
        &[],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)));
    let new_len = std::fs::metadata(&probe).unwrap().len();
    // the old file is larger: its backup cannot be written where the new
    // file still fits
    let out = mnt.join("out.config");
    let old = mnt.join("out.config.old");
    std::fs::write(
        &out,
        format!("# the previous config\n{}", "# pad\n".repeat(60_000)),
    )
    .unwrap();
    std::fs::write(&old, "# the previous backup\n").unwrap();
    let keep = (new_len / 4096 + 1) * 4096 + 64 * 1024;
    if mounted {
        let free = || {
            let c = std::ffi::CString::new(mnt.as_os_str().as_encoded_bytes()).unwrap();
            let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
            assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut st) }, 0);
            st.f_bavail as u64 * st.f_frsize as u64
        };
        assert!(free() > keep, "tmpfs too small");
        std::fs::write(mnt.join("fill"), vec![b'x'; (free() - keep) as usize]).unwrap();
    }
    let names = names_in(&mnt);
    let sums_before = sums(&[&out, &old]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_kfit"));
    c.args(args(&[
        &"fit", &seed, &"--tree", &t, &"--base", &base, &"-o", &out,
    ]))
    .stdin(Stdio::null());
    if !mounted {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec only async-signal-safe calls
        // (signal, setrlimit) on values owned by this closure.
        unsafe {
            c.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let lim = libc::rlimit {
                    rlim_cur: keep,
                    rlim_max: keep,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let o = c.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    let cause = if mounted {
        "No space left on device"
    } else {
        "File too large"
    };
    assert!(
        err.contains(&format!("out.config.old: {cause}")),
        "the backup is what failed: {err}"
    );
    assert_eq!(err.matches(cause).count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        sums(&[&out, &old]),
        sums_before,
        "the old file or the previous backup changed"
    );
    assert_eq!(names_in(&mnt), names, "temp files left");
    if mounted {
        let _ = Command::new("umount").arg(&mnt).status();
    }
}

/// A tree path with spaces and shell characters works (the probes do not
/// go through a shell with it): the config is the one the plain path gives.
#[test]
fn tree_path_with_spaces() {
    let (t, base) = tree();
    let d = scratch("spaces");
    let odd = d.join("my linux;x");
    std::os::unix::fs::symlink(&t, &odd).unwrap();
    let run = |tree: &Path, out: &Path| {
        let o = kfit(
            &args(&[
                &"kconfig",
                &"olddefconfig",
                &"--tree",
                &tree,
                &"--config",
                &base,
                &"-o",
                &out,
            ]),
            &[("KFIT_CACHE", &d.join("cache"))],
        );
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out).unwrap()
    };
    let a = run(&t, &d.join("plain.config"));
    let b = run(&odd, &d.join("odd.config"));
    assert!(!b.contains("Sorry"), "{b}");
    assert_eq!(a, b);
}

/// An index cache that cannot be written (the cache directory is a file)
/// does not abort `fit`: the index built in memory is used and the run
/// says it was not cached.
#[test]
fn a_cache_that_cannot_be_written_does_not_abort_fit() {
    let (t, base) = tree();
    let d = scratch("nocache");
    let bad = d.join("cache-is-a-file");
    std::fs::write(&bad, "").unwrap();
    let out = d.join("out.config");
    let seed = repo("examples/seed/lspci-k.txt");
    let o = kfit(
        &args(&[&"fit", &seed, &"--tree", &t, &"--base", &base, &"-o", &out]),
        &[("KFIT_CACHE", &bad)],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
    let said = format!("{}{err}", String::from_utf8_lossy(&o.stdout));
    assert!(said.contains("the index was built but not cached"), "{said}");
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("CONFIG_BLK_DEV_NVME=y"));
    assert_eq!(std::fs::read(&bad).unwrap(), b"");
}

/// `audit --json` carries the base config's warnings (they were dropped).
#[test]
fn audit_json_carries_config_warnings() {
    let (t, _) = tree();
    let d = scratch("auditjson");
    let cfg = base_with(
        &d,
        "warn.config",
        "CONFIG_NO_SUCH_SYMBOL_KFIT=y\nthis is not a config line\n",
    );
    let seed = repo("examples/seed/lspci-k.txt");
    let o = kfit(
        &args(&[&"audit", &"--config", &cfg, &seed, &"--tree", &t, &"--json"]),
        &[],
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let w = v["warnings"].to_string();
    assert!(w.contains("warn.config:"), "{w}");
    assert!(
        w.contains("NO_SUCH_SYMBOL_KFIT") || w.contains("not a config line"),
        "{w}"
    );
}

/// `kfit menuconfig` prints ix's review step as its guide has it today,
/// and `--run` runs `ix` with an argument vector (no shell), in a build
/// directory outside the tree: nothing is written into the kernel tree, an
/// injected command in a path is never run, a missing config or tree is an
/// error before anything happens.
#[test]
fn menuconfig_prints_and_runs_ix_without_a_shell() {
    let (t, base) = tree();
    let d = scratch("menuconfig");
    // a small tree stand-in: menuconfig --run only needs Makefile and Kconfig
    let tree = d.join("linux");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("Makefile"), "# stand-in\n").unwrap();
    std::fs::write(tree.join("Kconfig"), "config X\n\tbool \"x\"\n").unwrap();
    let bin = d.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let argv = d.join("argv");
    // stub ix: records its arguments, "edits" the O= config
    std::fs::write(
        bin.join("ix"),
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nfor a; do case $a in O=*) echo CONFIG_REVIEWED=y >> \"${{a#O=}}/.config\";; esac; done\n",
            argv.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("ix"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path: OsString = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()).into();
    let cachedir = d.join("cache");
    let run = |a: &[OsString]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kfit"));
        c.args(a)
            .env("PATH", &path)
            .env("KFIT_CACHE", &cachedir)
            .current_dir(&d)
            .stdin(Stdio::null());
        c.output().unwrap()
    };
    // printed: ix's command, in an O= directory under the cache
    let cfg = d.join("fitted.config");
    std::fs::copy(&base, &cfg).unwrap();
    let o = run(&args(&[&"menuconfig", &"--config", &cfg, &"--tree", &t]));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("ix run set/menuconfig -- make -C ")
            && text.contains("HOSTCC=cc CC=cc LD=ld.lld menuconfig")
            && text.contains(&format!("O={}", cachedir.display())),
        "{text}"
    );
    // missing config, missing tree, an injected command: errors, nothing run
    for (a, msg) in [
        (
            args(&[
                &"menuconfig",
                &"--config",
                &"x;touch PWNED;false",
                &"--tree",
                &tree,
                &"--run",
            ]),
            "no such config file",
        ),
        (
            args(&[
                &"menuconfig",
                &"--config",
                &cfg,
                &"--tree",
                &d.join("nope"),
                &"--run",
            ]),
            "not a kernel source tree",
        ),
    ] {
        let o = run(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(msg), "{err}");
        assert!(!argv.exists(), "ix ran");
    }
    // a config whose name holds shell syntax: passed as one argument
    let odd = d.join("a b;touch PWNED;'x");
    std::fs::copy(&base, &odd).unwrap();
    let o = run(&args(&[
        &"menuconfig",
        &"--config",
        &odd,
        &"--tree",
        &tree,
        &"--run",
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!d.join("PWNED").exists() && !tree.join("PWNED").exists());
    let got: Vec<String> = std::fs::read_to_string(&argv)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(got[..5], ["run", "set/menuconfig", "--", "make", "-C"]);
    assert_eq!(got[5], tree.display().to_string());
    assert!(
        got[6].starts_with(&format!("O={}", cachedir.display())),
        "{got:?}"
    );
    // the reviewed config came back; the tree holds only what it held
    assert!(std::fs::read_to_string(&odd)
        .unwrap()
        .ends_with("CONFIG_REVIEWED=y\n"));
    assert_eq!(names_in(&tree), ["Kconfig", "Makefile"]);
}

/// An ix package whose extends chain includes no `ver.sh` is an error
/// naming the package (it was accepted with exit 0).
#[test]
fn ix_package_without_ver_sh_is_an_error() {
    let d = scratch("nover");
    let root = d.join("ix");
    let st = Command::new("cp")
        .arg("-r")
        .arg(fixtures().join("ix-current"))
        .arg(&root)
        .status()
        .unwrap();
    assert!(st.success());
    let k = root.join("pkgs/bin/kernel/7/1");
    std::fs::remove_file(k.join("ver.sh")).unwrap();
    let ix_sh = std::fs::read_to_string(k.join("ix.sh")).unwrap();
    std::fs::write(k.join("ix.sh"), ix_sh.replace("{% include 'ver.sh' %}\n", "")).unwrap();
    let cfg = root.join("pkgs/bin/kernel/configs/cfg_6_16");
    let seed = repo("examples/seed/lspci-k.txt");
    let o = case(
        &args(&[&"fit", &seed, &"--ix", &root, &"--kernel", &"7.1"]),
        2,
        "ver.sh",
        &[&cfg, &k.join("ix.sh")],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("7/1"), "{err}");
}

/// An unreadable source file, as an unprivileged user (`setpriv` to
/// nobody, on a hard-link copy of the tree with `drivers/nvme/host/pci.c`
/// root-only): `fit` stops with exit 2 naming the file and writes no
/// config and no index cache; `--allow-partial` fits with exit 1 and says
/// the index is incomplete; once the file is readable the NVMe controller is
/// driven again (the incomplete index was never cached). Skipped with a
/// message when not root (it needs to become nobody).
#[test]
fn unreadable_source_as_an_unprivileged_user() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run kfit as nobody");
        return;
    }
    let (t, base) = tree();
    let d = scratch("unreadable");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = d.join("linux");
    let st = Command::new("cp").arg("-al").arg(&t).arg(&copy).status().unwrap();
    assert!(st.success(), "cp -al");
    // a new root-only file in place of the hard link
    let nvme = copy.join("drivers/nvme/host/pci.c");
    let text = std::fs::read(&nvme).unwrap();
    std::fs::remove_file(&nvme).unwrap();
    std::fs::write(&nvme, &text).unwrap();
    std::fs::set_permissions(&nvme, std::fs::Permissions::from_mode(0o600)).unwrap();
    // what nobody needs: the binary, the inputs, a cache and output dir
    let exe = d.join("kfit");
    std::fs::copy(env!("CARGO_BIN_EXE_kfit"), &exe).unwrap();
    let seed = d.join("lspci-k.txt");
    std::fs::copy(repo("examples/seed/lspci-k.txt"), &seed).unwrap();
    let b = d.join("base.config");
    std::fs::copy(&base, &b).unwrap();
    let own = d.join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::os::unix::fs::chown(&own, Some(65534), Some(65534)).unwrap();
    let cache = own.join("cache");
    let out = own.join("out.config");
    let as_nobody = |extra: &[&str]| {
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&exe)
            .arg("fit")
            .arg(&seed)
            .arg("--tree")
            .arg(&copy)
            .arg("--base")
            .arg(&b)
            .arg("-o")
            .arg(&out)
            .args(extra)
            .env("KFIT_CACHE", &cache)
            .env("HOME", &own)
            .current_dir(&own)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let index_files = || -> usize {
        std::fs::read_dir(cache.join("index"))
            .map(|r| r.count())
            .unwrap_or(0)
    };
    let (code, err) = as_nobody(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("drivers/nvme/host/pci.c"), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
    assert!(!out.exists(), "a config was written from an incomplete index");
    assert_eq!(index_files(), 0, "an incomplete index was cached");
    let (code, err) = as_nobody(&["--allow-partial"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("drivers/nvme/host/pci.c"), "{err}");
    assert_eq!(index_files(), 0, "an incomplete index was cached");
    // readable again: the next run reads it, and NVMe is driven
    std::fs::set_permissions(&nvme, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, err) = as_nobody(&[]);
    assert!(matches!(code, Some(0 | 1)), "{err}");
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("CONFIG_BLK_DEV_NVME=y"));
}

/// The final rename over `-o` fails for real (the old file is immutable,
/// `chattr +i`; where the scratch directory's filesystem lacks the flag, on
/// a tmpfs the test mounts): exit 2 with the OS error naming the output,
/// the output unchanged, the previous backup `OUT.old` put back (it was
/// destroyed before the rename), or no `OUT.old` when there was none; no
/// temp file left. Skipped with a message when the flag cannot be set (not
/// root).
#[test]
fn failed_final_rename_keeps_output_and_backup() {
    let (t, base) = tree();
    let d = scratch("rename");
    let mut dir = d.to_path_buf();
    let mut mounted = None;
    let probe = |dir: &Path| {
        let p = dir.join("probe");
        std::fs::write(&p, "").unwrap();
        let r = kfit_testkit::immutable(&p).map(drop);
        let _ = std::fs::remove_file(&p);
        r
    };
    if let Err(why) = probe(&dir) {
        let mnt = d.join("mnt");
        std::fs::create_dir_all(&mnt).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "kfit-faults"])
            .arg(&mnt)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok || probe(&mnt).is_err() {
            eprintln!("skipped: cannot make a file immutable here ({why}; needs root)");
            return;
        }
        dir = mnt.clone();
        mounted = Some(mnt);
    }
    let out = old_output(&dir);
    let old = dir.join("out.config.old");
    let seed = repo("examples/seed/lspci-k.txt");
    let a = args(&[&"fit", &seed, &"--tree", &t, &"--base", &base, &"-o", &out]);
    {
        let _frozen = kfit_testkit::immutable(&out).unwrap();
        // with a previous backup: it is put back
        std::fs::write(&old, "# the previous backup\n").unwrap();
        let names = names_in(&dir);
        let o = case(
            &a,
            2,
            &format!(
                "{}: Operation not permitted (os error 1); not replaced, and its backup {} is as it was",
                out.display(),
                old.display()
            ),
            &[&out, &old],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.matches("os error").count(), 1, "{err}");
        assert_eq!(names_in(&dir), names, "temp files left");
        // without one: none is left
        std::fs::remove_file(&old).unwrap();
        let names = names_in(&dir);
        case(&a, 2, "Operation not permitted", &[&out, &old]);
        assert!(!old.exists(), "a backup of an output that was not replaced");
        assert_eq!(names_in(&dir), names, "temp files left");
    }
    if let Some(m) = mounted {
        let _ = Command::new("umount").arg(&m).status();
    }
}

/// SIGTERM, SIGINT or SIGHUP at every step of a `fit -o` write (the
/// KFIT_DEBUG_KILL_AT hook with KFIT_DEBUG_SIGNAL): kfit ends by that signal
/// (the shell's 143, 130, 129), leaves no temp file, the output is the old
/// file or the new one, whole, and `OUT.old` the previous backup or the
/// replaced file (they were left behind after kills: `.kfit-tmp` files).
#[test]
fn signals_at_every_output_write_step_leave_no_temp_file() {
    use std::os::unix::process::ExitStatusExt;
    let w = WriteSteps::new("signals");
    // the new content, and the number of write steps
    let (err, steps, new) = w.uninterrupted();
    assert_eq!(steps, 5, "{err}");
    for (name, sig) in [
        ("TERM", libc::SIGTERM),
        ("INT", libc::SIGINT),
        ("HUP", libc::SIGHUP),
    ] {
        for n in 1..=steps {
            w.prepare();
            let o = w.run(&[
                ("KFIT_DEBUG_KILL_AT", &n.to_string()),
                ("KFIT_DEBUG_SIGNAL", name),
            ]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.signal(), Some(sig), "SIG{name} at step {n}: {err}");
            assert_eq!(
                names_in(&w.d),
                ["out.config", "out.config.old"],
                "SIG{name} at step {n}: {err}"
            );
            let (o_now, b_now) = (std::fs::read(&w.out).unwrap(), std::fs::read(&w.old).unwrap());
            assert!(
                o_now == WriteSteps::PREV_OUT || o_now == new,
                "SIG{name} at step {n}: out"
            );
            assert!(
                b_now == WriteSteps::PREV_OLD || b_now == WriteSteps::PREV_OUT,
                "SIG{name} at step {n}: backup"
            );
        }
    }
}

/// SIGKILL (which no handler sees) at every step of a `fit -o` write, then
/// the same command again: the rerun removes the temp files the killed run
/// left (no live process holds their lock) and writes the output and its
/// backup as an uninterrupted run does.
#[test]
fn sigkill_at_every_output_write_step_then_rerun_cleans() {
    use std::os::unix::process::ExitStatusExt;
    let w = WriteSteps::new("sigkill");
    let (_, steps, new) = w.uninterrupted();
    let mut left_some = 0;
    for n in 1..=steps {
        w.prepare();
        let o = w.run(&[("KFIT_DEBUG_KILL_AT", &n.to_string())]);
        assert_eq!(o.status.signal(), Some(libc::SIGKILL), "step {n}");
        if names_in(&w.d).len() > 2 {
            left_some += 1;
        }
        let o = w.run(&[]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "step {n}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(names_in(&w.d), ["out.config", "out.config.old"], "step {n}");
        assert_eq!(std::fs::read(&w.out).unwrap(), new, "step {n}");
        assert_eq!(std::fs::read(&w.old).unwrap(), WriteSteps::PREV_OUT, "step {n}");
    }
    assert!(
        left_some >= 3,
        "the kills left temp files at only {left_some} steps"
    );
}

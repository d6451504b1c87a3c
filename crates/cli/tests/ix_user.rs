//! Issue 12 ("ix as its users run it") and the write causes of issue 18,
//! end to end with the built binary.
//!
//! Set-up: a copy of `../shared/fixtures/ix-current` (today's ix
//! `pkgs/bin/kernel`) with a 6.12 package added, shaped like 7/1 (so its
//! config is the shared `cfg_6_16`), whose `ver.sh` names Debian's 6.12
//! source repacked as `linux-<version>.tar.xz` (scripts/ix-source-tarball.sh,
//! cached) at a `file://` URL with its sha256; and a stub `ix` at the root
//! of the copy, first on PATH. Skipped with a message when the 6.12 tree is
//! not cached (scripts/fetch-kernels.sh); in CI it always runs.

use kfit_testkit::{cache, fixtures, python_with_jinja2, repo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn seed() -> PathBuf {
    repo("crates/hw/tests/data/seed/seed-lspci-k.txt")
}

struct Setup {
    /// The 6.12 tree fetch-kernels.sh cached.
    tree: PathBuf,
    kver: String,
    url: String,
    sha: String,
}

/// The repacked 6.12 tarball (built once, cached), or None when the tree is
/// not cached (outside CI).
fn setup() -> Option<&'static Setup> {
    static S: OnceLock<Option<Setup>> = OnceLock::new();
    S.get_or_init(|| {
        let env = std::fs::read_to_string(cache().join("env/6.12")).ok();
        let Some(env) = env else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have the 6.12 tree cached"
            );
            eprintln!("skipped: Linux 6.12 not cached (scripts/fetch-kernels.sh 6.12)");
            return None;
        };
        let get = |k: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_string()
        };
        let out = Command::new(repo("scripts/ix-source-tarball.sh"))
            .arg("6.12")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8(out.stdout).unwrap();
        let (tb, sha) = line.trim().split_once(' ').unwrap();
        Some(Setup {
            tree: PathBuf::from(get("TREE")),
            kver: get("KVER"),
            url: format!("file://{tb}"),
            sha: sha.to_string(),
        })
    })
    .as_ref()
}

/// The ix copy with the 6.12 package and the stub `ix`; `sha` overrides the
/// tarball's sha256 in ver.sh.
fn ix_copy(s: &Setup, sha: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ix");
    kfit_testkit::copy_dir(&fixtures().join("ix-current"), &root);
    let k = root.join("pkgs/bin/kernel");
    std::fs::create_dir_all(k.join("6/12")).unwrap();
    std::fs::copy(k.join("7/1/ix.sh"), k.join("6/12/ix.sh")).unwrap();
    let url = s.url.replace(&s.kver, "{{self.kernel_version().strip()}}");
    std::fs::write(
        k.join("6/12/ver.sh"),
        format!(
            "{{% block kernel_version %}}\n{}\n{{% endblock %}}\n\n{{% block kernel_sha %}}\n{}\n{{% endblock %}}\n\n{{% block kernel_url %}}\n{url}\n{{% endblock %}}\n",
            s.kver,
            sha.unwrap_or(&s.sha)
        ),
    )
    .unwrap();
    let ix = root.join("ix");
    std::fs::write(&ix, "#!/bin/sh\n# stub ix for the kfit tests\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ix, std::fs::Permissions::from_mode(0o755)).unwrap();
    (tmp, root)
}

/// The cache the ix runs use (the fetched and unpacked source stays there).
fn ix_cache() -> PathBuf {
    cache().join("ixtest")
}

fn kfit(root: &Path, cache: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let path = format!("{}:{}", root.display(), std::env::var("PATH").unwrap_or_default());
    let mut c = Command::new(env!("CARGO_BIN_EXE_kfit"));
    c.env("PATH", path).env("KFIT_CACHE", cache).args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file under `dir`: relative path → bytes (directories as `dir/`).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let r = p.strip_prefix(base).unwrap().display().to_string();
            if e.file_type().unwrap().is_dir() {
                out.insert(format!("{r}/"), Vec::new());
                walk(base, &p, out);
            } else {
                out.insert(r, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

const SHARED: [&str; 3] = [
    "pkgs/bin/kernel/configs/cfg_6_14",
    "pkgs/bin/kernel/configs/cfg_6_16",
    "pkgs/bin/kernel/t/1/fw.sh",
];

const MACHINE: &str = "pkgs/bin/kernel/6/12/seed-lspci-k";

fn llvm() -> bool {
    let on = |t: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
    };
    on("clang") && on("ld.lld")
}

#[test]
fn fit_ix_kernel_6_12_from_ver_sh() {
    let Some(s) = setup() else { return };
    if !llvm() {
        assert!(std::env::var_os("CI").is_none(), "CI must have clang and lld");
        eprintln!("skipped: clang/ld.lld not installed");
        return;
    }
    let (_t, root) = ix_copy(s, None);
    let before = snapshot(&root);
    let seed = seed();
    let args = ["fit", seed.to_str().unwrap(), "--ix", "--kernel", "6.12"];
    let out = kfit(&root, &ix_cache(), &args, &[]);
    let t = text(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{t}");
    let after = snapshot(&root);
    // the shared files and every stock package are byte-identical
    for (k, v) in &before {
        assert_eq!(after.get(k), Some(v), "{k} changed\n{t}");
    }
    for f in SHARED {
        assert!(before.contains_key(f), "{f}");
    }
    // a machine package was created next to 6.12 and nothing else
    let new: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(
        new,
        vec![
            &format!("{MACHINE}/"),
            &format!("{MACHINE}/cfg"),
            &format!("{MACHINE}/fw.sh"),
            &format!("{MACHINE}/ix.sh"),
        ],
        "{t}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("next: ix mut system -bin/kernel/6/12 +bin/kernel/6/12/seed-lspci-k"),
        "{t}"
    );
    let cfg = String::from_utf8(after[&format!("{MACHINE}/cfg")].clone()).unwrap();
    // ix's toolchain: clang + ld.lld
    assert!(cfg.contains("\nCONFIG_CC_IS_CLANG=y\n"), "{t}");
    assert!(cfg.contains("\nCONFIG_LD_IS_LLD=y\n"), "{t}");
    assert!(cfg.contains(&format!("Linux/x86 {} Kernel Configuration", s.kver)));
    // no host path in the config: the template owns EXTRA_FIRMWARE(_DIR)
    assert!(!cfg.contains("/lib/firmware"), "{t}");

    // a second run changes nothing
    let out2 = kfit(&root, &ix_cache(), &args, &[]);
    let t2 = text(&out2);
    assert_eq!(out2.status.code(), out.status.code(), "{t2}");
    assert!(
        String::from_utf8_lossy(&out2.stdout).contains("nothing changed"),
        "{t2}"
    );
    assert_eq!(snapshot(&root), after, "{t2}");

    render_check(s, &root, &cfg, &stdout);
}

/// Render the machine package as ix does and run the kernel's own
/// olddefconfig (LLVM=1) on it: every `=y` of the written config stays `y`,
/// and CONFIG_EXTRA_FIRMWARE is the machine's firmware plus regulatory.*.
fn render_check(s: &Setup, root: &Path, cfg: &str, report: &str) {
    let Some(py) = python_with_jinja2() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have python3-jinja2");
        eprintln!("skipped the rendering check: no python3 with jinja2");
        return;
    };
    let out = Command::new(py)
        .arg(repo("scripts/ix-render.py"))
        .arg(root)
        .arg("bin/kernel/6/12/seed-lspci-k")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let rendered = String::from_utf8(out.stdout).unwrap();
    assert!(
        rendered.starts_with(cfg.trim_end()),
        "the rendered config starts with the package's"
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(".config"), &rendered).unwrap();
    let src = ix_cache().join(format!("src/linux-{0}.d/linux-{0}", s.kver));
    assert!(src.join("Kconfig").is_file(), "{}", src.display());
    let out = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(&src)
        .arg(format!("O={}", tmp.path().display()))
        .args(["LLVM=1", "olddefconfig"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let synced = std::fs::read_to_string(tmp.path().join(".config")).unwrap();
    let vals = |t: &str| -> BTreeMap<String, String> {
        t.lines()
            .filter_map(|l| l.strip_prefix("CONFIG_"))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (want, got) = (vals(cfg), vals(&synced));
    let lost: Vec<&String> = want
        .iter()
        .filter(|(k, v)| *v == "y" && got.get(*k).map(String::as_str) != Some("y"))
        .map(|(k, _)| k)
        .collect();
    assert!(lost.is_empty(), "olddefconfig turned off {lost:?}");
    let fw_sh = std::fs::read_to_string(root.join(MACHINE).join("fw.sh")).unwrap();
    let mut names: Vec<&str> = fw_sh.lines().collect();
    // the machine's firmware as the report lists it (minus what the block adds)
    let mut reported: Vec<&str> = report
        .lines()
        .skip_while(|l| *l != "firmware:")
        .filter(|l| l.starts_with("      ") && !l.trim().is_empty())
        .map(str::trim)
        .filter(|n| !n.starts_with("regulatory."))
        .collect();
    reported.sort();
    reported.dedup();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, reported, "fw.sh is the machine's firmware");
    assert!(!names.is_empty());
    names.extend(["regulatory.db", "regulatory.bin", "regulatory.db.p7s"]);
    assert_eq!(
        got.get("EXTRA_FIRMWARE").map(String::as_str),
        Some(format!("\"{}\"", names.join(" ")).as_str())
    );
    assert_eq!(
        got.get("EXTRA_FIRMWARE_DIR").map(String::as_str),
        Some("\"${LINUX_FIRMWARE}\"")
    );
}

#[test]
fn wrong_sha256_is_refused_nothing_written_nothing_cached() {
    let Some(s) = setup() else { return };
    let bad = "0".repeat(64);
    let (t, root) = ix_copy(s, Some(&bad));
    let before = snapshot(&root);
    let cache = t.path().join("cache");
    let seed = seed();
    let out = kfit(
        &root,
        &cache,
        &["fit", seed.to_str().unwrap(), "--ix", "--kernel", "6.12"],
        &[],
    );
    let m = text(&out);
    assert_eq!(out.status.code(), Some(2), "{m}");
    assert!(
        m.contains("sha256 mismatch") && m.contains(&bad) && m.contains(&s.sha),
        "{m}"
    );
    assert_eq!(snapshot(&root), before);
    if cache.exists() {
        let left = snapshot(&cache).into_keys().collect::<Vec<_>>();
        assert!(left.is_empty(), "left in the cache: {left:?}");
    }
}

#[test]
fn tree_of_another_version_is_refused() {
    let Some(s) = setup() else { return };
    let (_t, root) = ix_copy(s, None);
    let before = snapshot(&root);
    let stamp = |p: &Path| -> Vec<(String, u64, std::time::SystemTime)> {
        let mut v = Vec::new();
        let mut stack = vec![p.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let md = e.path().symlink_metadata().unwrap();
                if md.is_dir() {
                    stack.push(e.path());
                }
                v.push((e.path().display().to_string(), md.len(), md.modified().unwrap()));
            }
        }
        v.sort();
        v
    };
    let tree_before = stamp(&s.tree);
    let seed = seed();
    let out = kfit(
        &root,
        &ix_cache(),
        &[
            "fit",
            seed.to_str().unwrap(),
            "--ix",
            "--kernel",
            "7/1",
            "--tree",
            s.tree.to_str().unwrap(),
        ],
        &[],
    );
    let m = text(&out);
    assert_eq!(out.status.code(), Some(2), "{m}");
    assert!(m.contains("7.1.3") && m.contains(&s.kver), "{m}");
    assert_eq!(snapshot(&root), before);
    assert!(stamp(&s.tree) == tree_before, "the tree changed");
    // unknown version: the available ones are listed
    let out = kfit(
        &root,
        &ix_cache(),
        &["fit", seed.to_str().unwrap(), "--ix", "--kernel", "5.4"],
        &[],
    );
    let m = text(&out);
    assert_eq!(out.status.code(), Some(2), "{m}");
    assert!(m.contains("6.12, 6.14, 6.16, 6.17, 6.18, 7.0, 7.1"), "{m}");
}

/// Issue 18: SIGKILL at every step of a `fit --ix` write (the
/// KFIT_DEBUG_KILL_AT hook), then a rerun: the package is the one an
/// uninterrupted run writes, and no temp, staged or journal file is left.
/// In place, a kill before the commit point leaves the old set.
#[test]
fn sigkill_at_every_write_step_then_rerun_repairs() {
    let Some(s) = setup() else { return };
    if !llvm() {
        assert!(std::env::var_os("CI").is_none(), "CI must have clang and lld");
        eprintln!("skipped: clang/ld.lld not installed");
        return;
    }
    let seed = seed();
    for in_place in [false, true] {
        let mut args = vec!["fit", seed.to_str().unwrap(), "--ix", "--kernel", "6.12"];
        if in_place {
            args.push("--in-place");
        }
        let (_r, rroot) = ix_copy(s, None);
        let original = snapshot(&rroot);
        let out = kfit(&rroot, &ix_cache(), &args, &[]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
        let reference = snapshot(&rroot);
        let steps = {
            let (_c, croot) = ix_copy(s, None);
            let out = kfit(&croot, &ix_cache(), &args, &[("KFIT_DEBUG_KILL_AT", "0")]);
            String::from_utf8_lossy(&out.stderr)
                .matches("kfit-debug: write step")
                .count()
        };
        assert!(steps >= 7, "{steps} steps");
        for n in 1..=steps {
            let (_c, root) = ix_copy(s, None);
            let nn = n.to_string();
            let out = kfit(&root, &ix_cache(), &args, &[("KFIT_DEBUG_KILL_AT", &nn)]);
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(out.status.signal(), Some(9), "step {n}: {}", text(&out));
            let killed = snapshot(&root);
            let journal = killed.contains_key("pkgs/bin/kernel/.kfit-journal");
            if in_place && !journal {
                // before the commit point: the old set, whole
                for f in SHARED {
                    assert_eq!(killed.get(f), original.get(f), "step {n}: {f}");
                }
            }
            let out = kfit(&root, &ix_cache(), &args, &[]);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "step {n}: {}",
                text(&out)
            );
            let after = snapshot(&root);
            let stray: Vec<&String> = after.keys().filter(|k| k.contains(".kfit-")).collect();
            assert!(stray.is_empty(), "step {n}: {stray:?}");
            assert_eq!(
                after, reference,
                "step {n}: rerun differs from an uninterrupted run"
            );
        }
    }
}

/// Issue 18: symlinks out of the checkout and non-regular targets.
#[test]
fn writes_never_follow_symlinks_out_or_replace_devices() {
    let Some(s) = setup() else { return };
    if !llvm() {
        assert!(std::env::var_os("CI").is_none(), "CI must have clang and lld");
        eprintln!("skipped: clang/ld.lld not installed");
        return;
    }
    let seed = seed();
    // the package config is a symlink to a file outside the ix tree
    let (t, root) = ix_copy(s, None);
    let outside = t.path().join("outside.config");
    let cfg = root.join("pkgs/bin/kernel/configs/cfg_6_16");
    std::fs::copy(&cfg, &outside).unwrap();
    std::fs::remove_file(&cfg).unwrap();
    std::os::unix::fs::symlink(&outside, &cfg).unwrap();
    let before_out = std::fs::read(&outside).unwrap();
    let before = snapshot(&root);
    let out = kfit(
        &root,
        &ix_cache(),
        &[
            "fit",
            seed.to_str().unwrap(),
            "--ix",
            "--kernel",
            "6.12",
            "--in-place",
        ],
        &[],
    );
    let m = text(&out);
    assert_eq!(out.status.code(), Some(2), "{m}");
    assert!(m.contains("symlink") && m.contains("cfg_6_16"), "{m}");
    assert_eq!(std::fs::read(&outside).unwrap(), before_out);
    assert_eq!(snapshot(&root), before);
    let near: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kfit"))
        .collect();
    assert!(near.is_empty(), "{near:?}");

    // -o: OUT.old is a symlink out of the directory; -o is a device
    let d = tempfile::tempdir().unwrap();
    let victim = t.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let o = d.path().join("new.config");
    std::fs::write(&o, "old\n").unwrap();
    std::os::unix::fs::symlink(&victim, d.path().join("new.config.old")).unwrap();
    let base = root.join("pkgs/bin/kernel/configs/cfg_6_14");
    let tree = s.tree.to_str().unwrap();
    let fit = |out: &Path| {
        kfit(
            &root,
            &ix_cache(),
            &[
                "fit",
                seed.to_str().unwrap(),
                "--tree",
                tree,
                "--base",
                base.to_str().unwrap(),
                "--llvm",
                "-o",
                out.to_str().unwrap(),
            ],
            &[],
        )
    };
    let out = fit(&o);
    let m = text(&out);
    assert_eq!(out.status.code(), Some(2), "{m}");
    assert!(m.contains("symlink"), "{m}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert_eq!(std::fs::read_to_string(&o).unwrap(), "old\n");
    let out = fit(Path::new("/dev/null"));
    let m = text(&out);
    assert_eq!(out.status.code(), Some(2), "{m}");
    assert!(m.contains("/dev/null") && m.contains("character device"), "{m}");
    assert!(Path::new("/dev/null").metadata().is_ok_and(|md| !md.is_file()));
}

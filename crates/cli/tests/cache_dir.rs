//! `--cache-dir DIR` is the root of every cache of a run: with HOME,
//! KFIT_CACHE and XDG_CACHE_HOME pointing at empty directories (and the
//! working directory empty too), `kfit fit` with a tree and `kfit kconfig
//! olddefconfig` write nothing outside DIR (and their `-o`), and DIR gets
//! the same layout as the default root (`index/`, `kconfig/`, `probes/`).
//! A DIR laid out as `--cache-dir` named it before (index files directly in
//! it) stays the index directory.
use kfit_testkit::repo;
use std::path::Path;
use std::process::Command;

/// Every entry under `dir`, relative, sorted.
fn entries(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

struct Env {
    home: tempfile::TempDir,
    kfit_cache: tempfile::TempDir,
    xdg: tempfile::TempDir,
    cwd: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            home: tempfile::tempdir().unwrap(),
            kfit_cache: tempfile::tempdir().unwrap(),
            xdg: tempfile::tempdir().unwrap(),
            cwd: tempfile::tempdir().unwrap(),
        }
    }

    fn kfit(&self, cache: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
        let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
            .current_dir(self.cwd.path())
            .env("HOME", self.home.path())
            .env("KFIT_CACHE", self.kfit_cache.path())
            .env("XDG_CACHE_HOME", self.xdg.path())
            .args(args)
            .arg("--cache-dir")
            .arg(cache)
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "kfit {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    }

    fn assert_untouched(&self) {
        for (what, d) in [
            ("HOME", &self.home),
            ("KFIT_CACHE", &self.kfit_cache),
            ("XDG_CACHE_HOME", &self.xdg),
            ("the working directory", &self.cwd),
        ] {
            assert_eq!(entries(d.path()), Vec::<String>::new(), "{what} was written");
        }
    }
}

#[test]
fn cache_dir_is_the_root_of_every_cache() {
    let (tree, defconfig) = kfit_testkit::tree_612_and_defconfig();
    let env = Env::new();
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cache");
    let seed = repo("examples/seed/lspci-k.txt");
    env.kfit(
        &cache,
        &[
            "fit".as_ref(),
            seed.as_os_str(),
            "--tree".as_ref(),
            tree.as_os_str(),
            "--base".as_ref(),
            defconfig.as_os_str(),
            "--cc".as_ref(),
            "gcc".as_ref(),
        ],
    );
    env.assert_untouched();
    for sub in ["index", "kconfig", "probes"] {
        assert!(
            cache.join(sub).is_dir(),
            "no {sub}/ under --cache-dir: {:?}",
            entries(&cache)
        );
    }

    // kconfig olddefconfig: its caches under a fresh --cache-dir, the
    // output where -o says.
    let cache2 = d.path().join("cache2");
    let out = d.path().join("out.config");
    env.kfit(
        &cache2,
        &[
            "kconfig".as_ref(),
            "olddefconfig".as_ref(),
            "--tree".as_ref(),
            tree.as_os_str(),
            "--config".as_ref(),
            defconfig.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
    );
    env.assert_untouched();
    assert!(out.is_file());
    let mut top: Vec<String> = entries(&cache2)
        .into_iter()
        .filter(|e| !e.contains('/'))
        .collect();
    top.sort();
    assert_eq!(top, ["kconfig", "probes"]);

    // What --cache-dir named before: the index directory itself. Such a
    // directory (index files in it, no index/) is still the index's.
    let old = d.path().join("old");
    std::fs::create_dir(&old).unwrap();
    for e in std::fs::read_dir(cache.join("index")).unwrap().flatten() {
        std::fs::rename(e.path(), old.join(e.file_name())).unwrap();
    }
    let before = entries(&old);
    assert!(before.iter().any(|e| e.ends_with(".bin")), "{before:?}");
    env.kfit(&old, &["index".as_ref(), "--tree".as_ref(), tree.as_os_str()]);
    env.assert_untouched();
    assert_eq!(
        entries(&old),
        before,
        "the old-layout index was not used in place"
    );
}

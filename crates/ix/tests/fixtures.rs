//! kfit-ix on copies of the real ix fixtures (../shared/fixtures): package
//! discovery in both layouts, writing the seed's fit (config + firmware list),
//! byte-identity of every other file, backups, idempotence, failure
//! injection, sha256 refusal.

use kfit_ix::*;
use kfit_testkit::fixtures;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir`, relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
                // record directories too (so a stray created dir shows)
                out.insert(
                    format!("{}/", p.strip_prefix(base).unwrap().display()),
                    Vec::new(),
                );
            } else {
                out.insert(
                    p.strip_prefix(base).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

fn copy_fixture(name: &str) -> (tempfile::TempDir, IxTree) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ix");
    kfit_testkit::copy_dir(&fixtures().join(name), &root);
    let ix = IxTree::at(&root).unwrap();
    (tmp, ix)
}

/// The seed listing's firmware (amdgpu 1002:1638, iwlwifi 8086:2723,
/// cfg80211) from the real 6.12 tree when it is cached, else a stand-in
/// list of the same shape (the ix tests are about writing, not narrowing).
fn seed_firmware() -> Vec<String> {
    static ONCE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ONCE.get_or_init(seed_firmware_uncached).clone()
}

fn seed_firmware_uncached() -> Vec<String> {
    let cache = std::env::var_os("KFIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/kfit"));
    let env = std::fs::read_to_string(cache.join("env/6.12")).unwrap_or_default();
    let tree = env
        .lines()
        .find_map(|l| l.strip_prefix("TREE="))
        .map(PathBuf::from);
    let Some(tree) = tree.filter(|t| t.is_dir()) else {
        return vec![
            "amdgpu/green_sardine_me.bin".into(),
            "iwlwifi-cc-a0-77.ucode".into(),
            "regulatory.db".into(),
        ];
    };
    let seed = std::fs::read_to_string(fixtures().join("hw/seed-lspci-k.txt")).unwrap();
    use kfit_firmware::*;
    let mut sets = Vec::new();
    for line in seed.lines() {
        // "03:00.0 Class 0300: 1002:1638 amdgpu"
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 {
            continue;
        }
        let (v, d) = f[3].split_once(':').unwrap();
        let dev = DeviceIds::pci(
            u16::from_str_radix(v, 16).unwrap(),
            u16::from_str_radix(d, 16).unwrap(),
        );
        let dirs: &[&str] = match f[4] {
            "amdgpu" => &["drivers/gpu/drm/amd"],
            "iwlwifi" => &["drivers/net/wireless/intel/iwlwifi"],
            _ => continue,
        };
        let mf = scan_module_firmware(&tree, dirs);
        sets.push(firmware_for_device(&tree, f[4], &mf, &dev));
    }
    sets.push(firmware_for_module(&tree, "cfg80211", &[]));
    all_names(&sets)
}

/// The base config with the seed's drivers switched on.
fn fitted(base: &str, fw: &[String]) -> String {
    let mut out = String::new();
    for l in base.lines() {
        let l = match l {
            "# CONFIG_DRM_AMDGPU is not set" => "CONFIG_DRM_AMDGPU=y".to_string(),
            "# CONFIG_IWLWIFI is not set" => "CONFIG_IWLWIFI=y".to_string(),
            l if l.starts_with("CONFIG_EXTRA_FIRMWARE=") => {
                format!("CONFIG_EXTRA_FIRMWARE=\"{}\"", fw.join(" "))
            }
            l => l.to_string(),
        };
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str("CONFIG_KFIT_TEST_MARK=y\n");
    out
}

fn rel(ix: &IxTree, p: &Path) -> String {
    p.strip_prefix(&ix.root).unwrap().display().to_string()
}

/// Write the seed fit, check only `expect_changed` changed (and backups
/// appeared), then that a second run changes nothing.
fn fit_and_check(ix: &IxTree, pkg: &KernelPackage, opts: &WriteOptions, expect_changed: &[&str]) {
    let before = snapshot(&ix.root);
    let base = std::fs::read_to_string(pkg.base_config_path(opts.new_name.as_deref()).unwrap()).unwrap();
    let fw = seed_firmware();
    let cfg = fitted(&base, &fw);
    let r = write_package(pkg, &cfg, &fw, opts).unwrap();
    eprintln!("{}", r.diff.lines().take(40).collect::<Vec<_>>().join("\n"));
    let mut changed: Vec<String> = r.changed.iter().map(|p| rel(ix, p)).collect();
    changed.sort();
    let mut want: Vec<String> = expect_changed.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(changed, want);
    if r.created.is_empty() {
        assert!(r.diff.contains("+CONFIG_KFIT_TEST_MARK=y"), "diff: {}", r.diff);
    } else {
        // new files are named, not diffed; the delta counts against the base
        assert!(!r.diff.contains("/dev/null"), "diff: {}", r.diff);
        assert!(r.config_delta.added >= 1, "{:?}", r.config_delta);
    }

    let after = snapshot(&ix.root);
    // backups live outside the checkout
    for b in &r.backups {
        assert!(
            !b.starts_with(&ix.root),
            "backup inside the checkout: {}",
            b.display()
        );
    }
    for (k, v) in &after {
        if changed.contains(k) || k.ends_with('/') {
            continue;
        }
        assert_eq!(before.get(k), Some(v), "{k} changed or appeared");
    }
    for k in before.keys() {
        assert!(after.contains_key(k), "{k} vanished");
    }
    for c in &r.changed {
        let k = rel(ix, c);
        if let (Some(old), Some(bdir)) = (before.get(&k), &opts.backup_dir) {
            let b = bdir.join(&k);
            assert_eq!(
                std::fs::read(&b).ok().as_ref(),
                Some(old),
                "backup {}",
                b.display()
            );
        }
    }
    // the written config is exactly the fitted text
    assert_eq!(std::fs::read_to_string(&r.config_path).unwrap(), cfg);
    assert!(!after
        .keys()
        .any(|k| k.contains(".kfit-tmp") || k.contains(".kfit-staged") || k.contains(".kfit-journal")));

    // second run: nothing changes, not even backups
    let r2 = write_package(pkg, &cfg, &fw, opts).unwrap();
    assert!(r2.is_unchanged(), "second run changed {:?}", r2.changed);
    assert!(r2.diff.is_empty());
    assert_eq!(snapshot(&ix.root), after);
}

#[test]
fn current_layout_package_discovery() {
    let (_t, ix) = copy_fixture("ix-current");
    assert_eq!(
        ix.kernel_versions(),
        vec!["6.14", "6.16", "6.17", "6.18", "7.0", "7.1"]
    );
    let p = ix.kernel_package("7.1").unwrap();
    assert_eq!(p.layout, Layout::Current);
    assert_eq!(p.pkg_path, "bin/kernel/7/1");
    // 7.1 reuses the 6.16 config, as its ix.sh says
    assert_eq!(rel(&ix, &p.config), "pkgs/bin/kernel/configs/cfg_6_16");
    let v = p.ver.clone().unwrap();
    assert_eq!(v.version, "7.1.3");
    assert_eq!(
        v.url,
        "https://cdn.kernel.org/pub/linux/kernel/v7.x/linux-7.1.3.tar.xz"
    );
    assert_eq!(
        v.sha256,
        "be41c068e88f5242a19bccdbffbe077b18c47b45f627e2325504b4fab79dd1dc"
    );
    match &p.firmware {
        Some(FirmwareLocation::IncludeFile {
            path, template_names, ..
        }) => {
            assert_eq!(rel(&ix, path), "pkgs/bin/kernel/t/1/fw.sh");
            assert!(template_names.contains(&"regulatory.db".to_string()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        mut_command(&p, None),
        vec!["ix", "mut", "system", "bin/kernel/7/1"]
    );
    assert_eq!(
        mut_command(&p, Some("mybox")),
        vec!["ix", "mut", "system", "-bin/kernel/7/1", "+bin/kernel/7/1/mybox"]
    );
    // no `latest` file: the newest package
    assert_eq!(ix.newest_version().unwrap(), "7.1");
    assert_eq!(ix.kernel_package("latest").unwrap(), p);
    let same = ix.kernel_package("7/1").unwrap();
    assert_eq!(same, p);
    assert_eq!(ix.kernel_package("7.1.3").unwrap(), p);
    let p14 = ix.kernel_package("6.14").unwrap();
    assert_eq!(rel(&ix, &p14.config), "pkgs/bin/kernel/configs/cfg_6_14");

    match ix.kernel_package("5.4") {
        Err(e @ IxError::NoKernel { .. }) => {
            let m = e.to_string();
            assert!(m.contains("5.4") && m.contains("6.16"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(ix.kernel_package("six"), Err(IxError::BadVersion(_))));
}

#[test]
fn slots_2023_package_discovery() {
    let (_t, ix) = copy_fixture("ix-slots-2023");
    let p = ix.kernel_package("6.0").unwrap();
    assert_eq!(p.layout, Layout::Slots2023);
    // the hub depends on slot/0, which uses slot/1's cfg: slot/1 (as in the
    // seed guide: cp .config .../6/0/slot/1/cfg; ix mut system bin/kernel/6/0/slot/1)
    assert_eq!(p.pkg_path, "bin/kernel/6/0/slot/1");
    assert_eq!(rel(&ix, &p.config), "pkgs/bin/kernel/6/0/slot/1/cfg");
    assert_eq!(
        mut_command(&p, None),
        vec!["ix", "mut", "system", "bin/kernel/6/0/slot/1"]
    );
    let v = p.ver.clone().unwrap();
    assert_eq!(
        v.url,
        "https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.0.19.tar.xz"
    );
    assert_eq!(v.version, "6.0.19");
    assert_eq!(
        v.sha256,
        "abe37eb0e2e331bdc7c4110115664e180e7d43b7336de6b4cd2bd1b123d30207"
    );
    match &p.firmware {
        Some(FirmwareLocation::InlineBlock { template }) => {
            assert_eq!(rel(&ix, template), "pkgs/bin/kernel/t/1/ix.sh")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.variants, vec!["0", "1", "vbox"]);
    let vbox = ix.kernel_package_variant("6.0", Some("vbox")).unwrap();
    assert_eq!(rel(&ix, &vbox.config), "pkgs/bin/kernel/6/0/slot/vbox/cfg");
    // vbox overrides the firmware block itself
    assert!(matches!(
        &vbox.firmware,
        Some(FirmwareLocation::InlineBlock { template }) if template.ends_with("slot/vbox/ix.sh")
    ));
    let slot0 = ix.kernel_package_variant("6.0", Some("0")).unwrap();
    assert_eq!(rel(&ix, &slot0.config), "pkgs/bin/kernel/6/0/slot/1/cfg");
    assert_eq!(
        mut_command(&p, Some("mybox")),
        vec![
            "ix",
            "mut",
            "system",
            "-bin/kernel/6/0/slot/1",
            "+bin/kernel/6/0/slot/mybox"
        ]
    );
}

#[test]
fn current_layout_fit_in_place() {
    let (_t, ix) = copy_fixture("ix-current");
    let p = ix.kernel_package("6.16").unwrap();
    let bk = tempfile::tempdir().unwrap();
    let opts = WriteOptions {
        backup_dir: Some(bk.path().join("b")),
        ..WriteOptions::default()
    };
    fit_and_check(
        &ix,
        &p,
        &opts,
        &["pkgs/bin/kernel/configs/cfg_6_16", "pkgs/bin/kernel/t/1/fw.sh"],
    );
    // the shared files are reported
    let r = write_package(
        &p,
        "CONFIG_Y=y\n",
        &[],
        &WriteOptions {
            dry_run: true,
            ..WriteOptions::default()
        },
    )
    .unwrap();
    let notes = r.notes.join("\n");
    assert!(
        notes.contains("cfg_6_16 is also the config of bin/kernel/6/17"),
        "{notes}"
    );
    assert!(
        notes.contains("firmware list is also used by bin/kernel/6/14"),
        "{notes}"
    );
    // fw.sh holds the list minus what t/1's block adds itself
    let fw = std::fs::read_to_string(ix.pkgs().join("bin/kernel/t/1/fw.sh")).unwrap();
    assert!(fw.lines().any(|l| l.starts_with("amdgpu/green_sardine_")));
    assert!(!fw.lines().any(|l| l == "regulatory.db"));
    assert!(fw.lines().count() < 20, "{fw}");
}

#[test]
fn slots_2023_fit_in_place() {
    let (_t, ix) = copy_fixture("ix-slots-2023");
    let p = ix.kernel_package("6.0").unwrap();
    let t1 = ix.pkgs().join("bin/kernel/t/1/ix.sh");
    let old = std::fs::read_to_string(&t1).unwrap();
    let bk = tempfile::tempdir().unwrap();
    let opts = WriteOptions {
        backup_dir: Some(bk.path().join("b")),
        ..WriteOptions::default()
    };
    fit_and_check(
        &ix,
        &p,
        &opts,
        &["pkgs/bin/kernel/6/0/slot/1/cfg", "pkgs/bin/kernel/t/1/ix.sh"],
    );
    // only the firmware block's body changed in t/1/ix.sh
    let new = std::fs::read_to_string(&t1).unwrap();
    let open = "{% block firmware %}";
    let head = &old[..old.find(open).unwrap() + open.len()];
    assert!(new.starts_with(head));
    let tail_old = &old[old.find(open).unwrap()..];
    let tail_old = &tail_old[tail_old.find("{% endblock %}").unwrap()..];
    assert!(new.ends_with(tail_old));
    assert!(new.contains("\nregulatory.db\n"));
}

#[test]
fn new_config_name_keeps_the_original_current() {
    let (_t, ix) = copy_fixture("ix-current");
    let p = ix.kernel_package("6.16").unwrap();
    let bk = tempfile::tempdir().unwrap();
    let opts = WriteOptions {
        new_name: Some("mybox".into()),
        backup_dir: Some(bk.path().join("b")),
        dry_run: false,
    };
    fit_and_check(
        &ix,
        &p,
        &opts,
        &[
            "pkgs/bin/kernel/6/16/mybox/cfg",
            "pkgs/bin/kernel/6/16/mybox/fw.sh",
            "pkgs/bin/kernel/6/16/mybox/ix.sh",
        ],
    );
    // the new package resolves like any other
    let v = ix.kernel_package_variant("6.16", Some("mybox")).unwrap();
    assert_eq!(v.pkg_path, "bin/kernel/6/16/mybox");
    assert_eq!(rel(&ix, &v.config), "pkgs/bin/kernel/6/16/mybox/cfg");
    assert_eq!(v.ver, p.ver);
    match &v.firmware {
        Some(FirmwareLocation::IncludeFile {
            path, template_names, ..
        }) => {
            assert_eq!(rel(&ix, path), "pkgs/bin/kernel/6/16/mybox/fw.sh");
            // the machine package's block keeps what the stock block adds
            assert_eq!(
                template_names,
                &["regulatory.db", "regulatory.bin", "regulatory.db.p7s"]
            );
        }
        other => panic!("{other:?}"),
    }
    let fw = std::fs::read_to_string(ix.pkgs().join("bin/kernel/6/16/mybox/fw.sh")).unwrap();
    assert!(!fw.lines().any(|l| l == "regulatory.db"));
    assert_eq!(mut_command(&p, Some("mybox"))[4], "+bin/kernel/6/16/mybox");
    // a bad name is refused before anything is written
    let before = snapshot(&ix.root);
    for bad in ["t", "../x", "", "a b", "configs"] {
        let o = WriteOptions {
            new_name: Some(bad.into()),
            ..WriteOptions::default()
        };
        assert!(
            matches!(write_package(&p, "x\n", &[], &o), Err(IxError::BadName(_))),
            "{bad}"
        );
    }
    assert_eq!(snapshot(&ix.root), before);
    // a directory that is not a package is not adopted
    std::fs::create_dir(ix.pkgs().join("bin/kernel/6/16/stray")).unwrap();
    std::fs::write(ix.pkgs().join("bin/kernel/6/16/stray/notes.txt"), "mine").unwrap();
    let before = snapshot(&ix.root);
    let o = WriteOptions {
        new_name: Some("stray".into()),
        ..WriteOptions::default()
    };
    let e = write_package(&p, "x\n", &[], &o).unwrap_err();
    assert!(e.to_string().contains("stray"), "{e}");
    assert_eq!(snapshot(&ix.root), before);
}

#[test]
fn new_config_name_keeps_the_original_2023() {
    let (_t, ix) = copy_fixture("ix-slots-2023");
    let p = ix.kernel_package("6.0").unwrap();
    let bk = tempfile::tempdir().unwrap();
    let opts = WriteOptions {
        new_name: Some("mybox".into()),
        backup_dir: Some(bk.path().join("b")),
        dry_run: false,
    };
    fit_and_check(
        &ix,
        &p,
        &opts,
        &[
            "pkgs/bin/kernel/6/0/slot/mybox/cfg",
            "pkgs/bin/kernel/6/0/slot/mybox/fw.sh",
            "pkgs/bin/kernel/6/0/slot/mybox/ix.sh",
        ],
    );
    let ixsh = std::fs::read_to_string(ix.pkgs().join("bin/kernel/6/0/slot/mybox/ix.sh")).unwrap();
    assert!(ixsh.starts_with("{% extends '//bin/kernel/6/0/slot/1/ix.sh' %}"));
    assert!(ixsh.contains("{% block slot %}mybox{% endblock %}"));
    let v = ix.kernel_package_variant("6.0", Some("mybox")).unwrap();
    assert_eq!(rel(&ix, &v.config), "pkgs/bin/kernel/6/0/slot/mybox/cfg");
    assert_eq!(v.ver, p.ver);
    assert!(p.variant("mybox").unwrap().is_some());
}

#[test]
fn dry_run_writes_nothing() {
    let (_t, ix) = copy_fixture("ix-current");
    let p = ix.kernel_package("6.16").unwrap();
    let before = snapshot(&ix.root);
    let r = write_package(
        &p,
        "CONFIG_X=y\n",
        &["a.bin".into()],
        &WriteOptions {
            dry_run: true,
            backup_dir: Some(std::env::temp_dir().join("kfit-never-written")),
            ..WriteOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.changed.len(), 2);
    assert!(r.diff.contains("+CONFIG_X=y"));
    assert!(r.backups.is_empty());
    assert_eq!(snapshot(&ix.root), before);
    assert!(!std::env::temp_dir().join("kfit-never-written").exists());
}

fn have(cmd: &str) -> bool {
    std::process::Command::new(cmd).arg("--version").output().is_ok()
}

#[test]
fn wrong_sha256_is_refused_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("linux-6.16.11.tar.xz");
    std::fs::write(&src, b"not really a kernel").unwrap();
    let good = sha256_file(&src).unwrap();
    let cache = tmp.path().join("cache");
    let bad = "0".repeat(64);
    if have("curl") {
        let ver = VerSh {
            version: "6.16.11".into(),
            url: format!("file://{}", src.display()),
            sha256: bad.clone(),
        };
        let e = fetch_source(&ver, &cache).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("sha256 mismatch") && m.contains(&bad) && m.contains(&good),
            "{m}"
        );
        assert!(m.contains("nothing was written"), "{m}");
        let left: Vec<_> = std::fs::read_dir(&cache)
            .map(|r| r.flatten().collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{left:?}");
        // right sha: cached, and a second call uses the cache
        let ok = VerSh {
            sha256: good.clone(),
            ..ver
        };
        let p = fetch_source(&ok, &cache).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"not really a kernel");
        std::fs::remove_file(&src).unwrap();
        assert_eq!(fetch_source(&ok, &cache).unwrap(), p);
    }
    // a pre-placed cached file with the wrong content is refused too
    let cache2 = tmp.path().join("cache2");
    std::fs::create_dir_all(&cache2).unwrap();
    std::fs::write(cache2.join("linux-6.16.11.tar.xz"), b"tampered").unwrap();
    let ver = VerSh {
        version: "6.16.11".into(),
        url: "https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.16.11.tar.xz".into(),
        sha256: good,
    };
    let e = fetch_source(&ver, &cache2).unwrap_err();
    assert!(matches!(e, IxError::ShaMismatch { .. }), "{e}");
    assert_eq!(
        std::fs::read(cache2.join("linux-6.16.11.tar.xz")).unwrap(),
        b"tampered"
    );
}

#[test]
fn unpack_and_source_choices() {
    if !have("tar") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src/linux-9.9");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("Makefile"), "VERSION = 9\n").unwrap();
    std::fs::write(src.join("Kconfig"), "mainmenu \"x\"\n").unwrap();
    let tb = tmp.path().join("linux-9.9.tar");
    let st = std::process::Command::new("tar")
        .arg("-cf")
        .arg(&tb)
        .arg("-C")
        .arg(tmp.path().join("src"))
        .arg("linux-9.9")
        .status()
        .unwrap();
    assert!(st.success());
    let cache = tmp.path().join("cache");
    let tree = unpack_source(&tb, &cache).unwrap();
    assert!(tree.ends_with("linux-9.9"));
    assert!(tree.join("Makefile").is_file());
    // cached: a second unpack is a no-op returning the same tree
    assert_eq!(unpack_source(&tb, &cache).unwrap(), tree);

    let (_t, ix) = copy_fixture("ix-current");
    let p = ix.kernel_package("6.16").unwrap();
    assert_eq!(
        source_tree(&p, &SourceChoice::Tree(tree.clone()), Some(&cache)).unwrap(),
        tree
    );
    assert!(source_tree(&p, &SourceChoice::Tree(tmp.path().to_path_buf()), Some(&cache)).is_err());
    assert_eq!(
        source_tree(&p, &SourceChoice::Tarball(tb), Some(&cache)).unwrap(),
        tree
    );
}

#[test]
fn menuconfig_commands() {
    assert_eq!(
        command_line(&menuconfig_command(None, None)),
        "ix run set/menuconfig -- make HOSTCC=cc CC=cc LD=ld.lld menuconfig"
    );
    assert_eq!(
        command_line(&menuconfig_command(
            Some(Path::new("/src/linux")),
            Some(Path::new("/tmp/o"))
        )),
        "ix run set/menuconfig -- make -C /src/linux O=/tmp/o HOSTCC=cc CC=cc LD=ld.lld menuconfig"
    );
    assert_eq!(
        command_line(&["ix".into(), "a b".into(), "it's".into()]),
        "ix 'a b' 'it'\\''s'"
    );
    let s = menuconfig_script(
        Path::new("/ix/cfg x"),
        Path::new("/src/linux-6.0.19"),
        Path::new("/c/m"),
    );
    assert_eq!(
        s,
        "mkdir -p /c/m\ncp '/ix/cfg x' /c/m/.config\nix run set/menuconfig -- make -C /src/linux-6.0.19 O=/c/m HOSTCC=cc CC=cc LD=ld.lld menuconfig\ncp /c/m/.config '/ix/cfg x'\n"
    );
}

#[test]
fn names_versions_and_deltas() {
    assert_eq!(machine_name("/x/seed-lspci-k.txt"), "seed-lspci-k");
    assert_eq!(machine_name("My Laptop.txt"), "my_laptop");
    assert_eq!(machine_name("t"), "machine_t");
    assert_eq!(machine_name(""), "machine");
    assert!(same_version("6.12.118", "6.12.118"));
    assert!(same_version("6.1", "6.1.0"));
    assert!(!same_version("7.1.3", "6.12.118"));
    let d = config_delta(
        "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=1\n",
        "CONFIG_A=y\nCONFIG_B=y\nCONFIG_D=m\n",
    );
    assert_eq!((d.added, d.removed, d.changed), (1, 1, 1));
}

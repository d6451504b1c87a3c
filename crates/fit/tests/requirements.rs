//! What the system needs beyond its devices, on the real Debian 6.12 tree:
//! profiles, `--require`, `merge_config.sh` fragments, solved with the device
//! goals. Ground truth is the kernel's own `make olddefconfig` (and its
//! `merge_config.sh`), run in a scratch `O=` directory, never in the tree.
use kfit_fit::requirements::{self, ReqStatus, Requirement, Section, Wanted};
use kfit_fit::{FitOptions, MachineInput};
use kfit_testkit::{cache, fixtures, repo};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The 6.12 tree, where every test but the root disk one runs.
fn tree() -> PathBuf {
    tree_of("6.12")
}

/// The Debian tree of series `v` (`6.12`, `6.1`), fetched when missing.
fn tree_of(v: &str) -> PathBuf {
    PathBuf::from(kfit_testkit::kernel_env(v, "TREE"))
}

/// One scratch `O=` directory per tree for the whole test binary (its
/// `conf` is built once); every use holds the lock.
static SCRATCH: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);

fn make(dir: &Path, tree: &Path, args: &[&str]) {
    kfit_testkit::make(tree, dir, args)
}

fn with_scratch<T>(f: impl FnOnce(&Path, &Path) -> T) -> T {
    with_scratch_of("6.12", f)
}

fn with_scratch_of<T>(v: &str, f: impl FnOnce(&Path, &Path) -> T) -> T {
    let mut g = SCRATCH.lock().unwrap_or_else(|p| p.into_inner());
    let t = tree_of(v);
    let dir = g
        .get_or_insert_with(HashMap::new)
        .entry(v.to_string())
        .or_insert_with(|| {
            let d = std::env::temp_dir().join(format!("kfit-req-{}-{v}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            d
        })
        .clone();
    f(&dir, &t)
}

/// The kernel's own olddefconfig on `config` (6.12).
fn kernel_olddefconfig(config: &str) -> String {
    kernel_olddefconfig_of("6.12", config)
}

/// The olddefconfig of the tree of series `v` on `config`.
fn kernel_olddefconfig_of(v: &str, config: &str) -> String {
    with_scratch_of(v, |dir, t| {
        std::fs::write(dir.join(".config"), config).unwrap();
        make(dir, t, &["olddefconfig"]);
        std::fs::read_to_string(dir.join(".config")).unwrap()
    })
}

/// The kernel's own `tinyconfig`, then `64BIT` on and `MODULES` off
/// (appended, then the kernel's olddefconfig), cached (6.12).
fn tiny64() -> PathBuf {
    tiny64_of("6.12")
}

/// [`tiny64`] of the tree of series `v`.
fn tiny64_of(v: &str) -> PathBuf {
    let out = cache().join(format!("derived/{v}/tiny64.config"));
    if out.exists() {
        return out;
    }
    with_scratch_of(v, |dir, t| {
        make(dir, t, &["tinyconfig"]);
        let mut c = std::fs::read_to_string(dir.join(".config")).unwrap();
        c.push_str("CONFIG_64BIT=y\n# CONFIG_MODULES is not set\n");
        std::fs::write(dir.join(".config"), c).unwrap();
        make(dir, t, &["olddefconfig"]);
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let tmp = out.with_extension("tmp");
        std::fs::copy(dir.join(".config"), &tmp).unwrap();
        std::fs::rename(&tmp, &out).unwrap();
    });
    out
}

fn values(config: &str) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for l in config.lines() {
        if let Some((k, v)) = l.strip_prefix("CONFIG_").and_then(|r| r.split_once('=')) {
            m.insert(k.to_string(), v.trim_matches('"').to_string());
        }
    }
    m
}

fn opts(base: PathBuf, listings: Vec<PathBuf>) -> FitOptions {
    FitOptions {
        tree: tree(),
        base,
        machines: vec![MachineInput {
            name: "m".into(),
            listings,
        }],
        index_cache: kfit_kbuild::default_cache_dir(),
        sysfs_root: "/".into(),
        ..Default::default()
    }
}

/// `(symbol, wanted, value after olddefconfig)` of every requirement the
/// kernel's olddefconfig does not keep.
fn unmet(reqs: &[Requirement], after: &HashMap<String, String>) -> Vec<String> {
    let mut bad = Vec::new();
    for r in reqs {
        let have = after.get(&r.symbol).map(String::as_str).unwrap_or("n");
        let ok = match &r.want {
            Wanted::Yes => have == "y",
            Wanted::Module => have == "y" || have == "m",
            Wanted::Off => have == "n",
            Wanted::Value(v) => have == v,
        };
        if !ok {
            bad.push(format!("{}={} is {have}", r.symbol, r.want));
        }
    }
    bad
}

/// Done-when 1: the seed listing on the kernel's own tinyconfig (64-bit,
/// no modules) with `--profile ix`: after the kernel's own olddefconfig
/// every ix requirement has its value and every device goal is `y`; the
/// report lists each requirement once with its source.
#[test]
fn seed_on_tinyconfig_with_the_ix_profile() {
    let mut o = opts(tiny64(), vec![repo("examples/seed/lspci-k.txt")]);
    o.profiles = vec!["ix".into()];
    let fit = kfit_fit::fit(&o, None).unwrap();
    let ix = requirements::profile("ix").unwrap().requirements;
    // Each requirement once, with its source.
    assert_eq!(fit.requirements.len(), ix.len());
    for r in &ix {
        let n = fit.requirements.iter().filter(|x| x.symbol == r.symbol).count();
        assert_eq!(n, 1, "{}", r.symbol);
    }
    for r in &fit.requirements {
        assert!(r.sources.iter().all(|s| s.starts_with("profile ix: ")), "{r:?}");
        assert_ne!(r.status, ReqStatus::Blocked, "{r:?}");
    }
    assert_eq!(fit.summary.blocked, 0, "every device driven");
    assert_eq!(fit.summary.requirements_blocked, 0);
    let after = values(&kernel_olddefconfig(&fit.config));
    let bad = unmet(&ix, &after);
    assert!(bad.is_empty(), "ix requirements lost by olddefconfig: {bad:?}");
    let mut lost = Vec::new();
    for g in &fit.goals {
        if !g
            .any_of
            .iter()
            .any(|s| after.get(s).map(String::as_str) == Some("y"))
        {
            lost.push(g.any_of.join("|"));
        }
    }
    assert!(lost.is_empty(), "device goals not y after olddefconfig: {lost:?}");
}

/// A fragment symbol whose dependencies are off gets them turned on; its
/// `# CONFIG_X is not set` turns X off and reports what went with it.
/// Shown side by side with the kernel's `merge_config.sh` on the same base
/// and fragment: every value merge_config.sh manages to set is the same in
/// kfit's result; where it warns, kfit has the value.
#[test]
fn fragment_against_merge_config() {
    let base = tiny64();
    let frag = "# what a user adds\nCONFIG_ZRAM=y\nCONFIG_ZSWAP=y\nCONFIG_HZ_300=y\nCONFIG_NR_CPUS=4\nCONFIG_CMDLINE_BOOL=y\nCONFIG_CMDLINE=\"console=ttyS0 quiet\"\n# CONFIG_PRINTK is not set\nCONFIG_PROC_FS=y\n";
    let dir = std::env::temp_dir().join(format!("kfit-frag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let frag_path = dir.join("user.config");
    std::fs::write(&frag_path, frag).unwrap();
    let reqs = requirements::read_fragment(&frag_path).unwrap();
    let mut o = opts(base.clone(), vec![]);
    o.machines.clear();
    o.requirements = reqs.clone();
    let fit = kfit_fit::fit(&o, None).unwrap();
    for r in &fit.requirements {
        assert_ne!(r.status, ReqStatus::Blocked, "{r:?}");
    }
    let printk = fit.requirements.iter().find(|r| r.symbol == "PRINTK").unwrap();
    let kfit_after = values(&kernel_olddefconfig(&fit.config));
    assert!(
        unmet(&reqs, &kfit_after).is_empty(),
        "{:?}",
        unmet(&reqs, &kfit_after)
    );

    let (merged, log) = merge_config(&base, frag);
    let mc = values(&merged);
    println!(
        "{:<14} {:<24} {:<24} {:<24}",
        "symbol", "fragment", "merge_config.sh", "kfit + olddefconfig"
    );
    let mut agree = 0;
    let mut kfit_only = 0;
    for r in &reqs {
        let get = |m: &HashMap<String, String>| m.get(&r.symbol).cloned().unwrap_or_else(|| "n".into());
        let (m, k) = (get(&mc), get(&kfit_after));
        println!("{:<14} {:<24} {:<24} {:<24}", r.symbol, r.want.to_string(), m, k);
        let wanted = unmet(std::slice::from_ref(r), &mc).is_empty();
        if wanted {
            assert_eq!(m, k, "{}: merge_config.sh set it, kfit must agree", r.symbol);
            agree += 1;
        } else {
            assert!(
                log.contains(&format!("CONFIG_{}", r.symbol)),
                "merge_config.sh did not warn about {}: {log}",
                r.symbol
            );
            kfit_only += 1;
        }
    }
    println!("merge_config.sh: {agree} set as asked (kfit agrees), {kfit_only} not set (kfit sets them)");
    assert!(
        kfit_only >= 1,
        "ZRAM's dependencies are off in tinyconfig: merge_config.sh cannot set it"
    );
    assert!(agree >= 1);
    println!("PRINTK off took with it: {:?}", printk.forced_off);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fragment asking for a symbol another architecture owns: blocked with
/// the blocking expression (the CLI exits 1 on it, see the CLI test).
#[test]
fn fragment_with_another_archs_symbol_is_blocked() {
    let mut o = opts(tiny64(), vec![]);
    o.machines.clear();
    o.requirements =
        requirements::parse_fragment("CONFIG_HVC_RTAS=y\nCONFIG_PROC_FS=y\n", "ppc.config").unwrap();
    let fit = kfit_fit::fit(&o, None).unwrap();
    let r = &fit.requirements[0];
    assert_eq!(r.status, ReqStatus::Blocked, "{r:?}");
    let msg = r.blocked.join("\n");
    assert!(msg.contains("HVC_RTAS depends on PPC_RTAS [=n]"), "{msg}");
    assert_eq!(fit.summary.requirements_blocked, 1);
    assert_eq!(fit.requirements[1].status, ReqStatus::Set);
}

/// `kfit audit --profile ix --config cfg_6_16` on 6.12: what ix's own
/// config lacks, each with a reason (and what kfit fit would do).
#[test]
fn audit_of_ix_config_against_the_ix_profile() {
    let fixtures = fixtures();
    let cfg = fixtures.join("ix-current/pkgs/bin/kernel/configs/cfg_6_16");
    let rep = requirements::audit_config(&tree(), &cfg, &Default::default(), &["ix".into()], &[]).unwrap();
    let (reqs, misses) = (rep.requirements, rep.missing);
    assert_eq!(
        reqs.len(),
        requirements::profile("ix").unwrap().requirements.len()
    );
    for m in &misses {
        println!(
            "{} want {} have {}: {} | {}",
            m.symbol, m.want, m.have, m.reason, m.fix
        );
        assert!(!m.reason.is_empty() && !m.fix.is_empty(), "{m:?}");
        assert!(!m.sources.is_empty());
    }
    // Ground truth: the kernel's own olddefconfig on the same config says
    // which requirements it misses; the audit lists exactly those.
    let text = std::fs::read_to_string(&cfg).unwrap();
    let truth = unmet(&reqs, &values(&kernel_olddefconfig(&text)));
    let truth: Vec<&str> = truth.iter().map(|t| t.split('=').next().unwrap()).collect();
    let listed: Vec<&str> = misses.iter().map(|m| m.symbol.as_str()).collect();
    assert_eq!(listed, truth, "audit vs the kernel's olddefconfig");
    println!(
        "cfg_6_16 on 6.12 misses {} of {} ix requirements: {listed:?}",
        listed.len(),
        reqs.len()
    );
    // And the fix it names works: kfit fit with the ix profile on that
    // config, then the kernel's olddefconfig, meets every requirement.
    let mut o = opts(cfg.clone(), vec![]);
    o.machines.clear();
    o.profiles = vec!["ix".into()];
    let fit = kfit_fit::fit(&o, None).unwrap();
    assert_eq!(fit.summary.requirements_blocked, 0, "{:#?}", fit.requirements);
    let after = values(&kernel_olddefconfig(&fit.config));
    assert!(unmet(&reqs, &after).is_empty(), "{:?}", unmet(&reqs, &after));
}

/// What the machine runs on: the seed with a mounts and an lsblk listing
/// (tests/data/system of kfit-hw) on tinyconfig. Each filesystem, dm
/// target, md personality and partition table becomes a requirement on the
/// symbol of the file that registers its name, with the listing line as
/// evidence; all are kept by the kernel's olddefconfig.
#[test]
fn mounts_and_block_stack_become_requirements() {
    let data = repo("crates/hw/tests/data/system");
    let mut o = opts(
        tiny64(),
        vec![
            repo("examples/seed/lspci-k.txt"),
            data.join("proc-mounts.txt"),
            data.join("lsblk.txt"),
            data.join("lsblk-P.txt"),
            data.join("lsblk-zram.txt"),
        ],
    );
    o.profiles = vec!["ix".into()];
    let fit = kfit_fit::fit(&o, None).unwrap();
    let find = |s: &str| fit.requirements.iter().find(|r| r.symbol == s);
    for (sym, evidence, source) in [
        ("EXT4_FS", "proc-mounts.txt:6", "fs/ext4/super.c:"),
        ("BTRFS_FS", "proc-mounts.txt:14", "fs/btrfs/super.c:"),
        ("XFS_FS", "proc-mounts.txt:16", "fs/xfs/xfs_super.c:"),
        ("VFAT_FS", "proc-mounts.txt:13", "fs/fat/namei_vfat.c:"),
        ("EFIVAR_FS", "proc-mounts.txt:9", "fs/efivarfs/super.c:"),
        ("DM_CRYPT", "lsblk.txt:6", "drivers/md/dm-crypt.c:"),
        ("BLK_DEV_DM", "lsblk.txt:7", "drivers/md/dm-linear.c:"),
        ("MD_RAID1", "lsblk.txt:11", "drivers/md/raid1.c:"),
        (
            "EFI_PARTITION",
            "lsblk-P.txt:1",
            "block/partitions/efi.c parses it",
        ),
        (
            "MSDOS_PARTITION",
            "lsblk-P.txt:4",
            "block/partitions/msdos.c parses it",
        ),
        ("EFI_STUB", "proc-mounts.txt:9", "arch/x86/Kconfig:"),
        (
            "EFI",
            "proc-mounts.txt:9",
            "config EFI \"EFI runtime service support\"",
        ),
        ("BLK_DEV_MD", "lsblk.txt:11", "drivers/md/md.c:"),
        ("BLK_DEV_LOOP", "lsblk-zram.txt:2", "drivers/block/loop.c:"),
        ("ZRAM", "lsblk-zram.txt:6", "drivers/block/zram/zram_drv.c:"),
        (
            "FRAMEBUFFER_CONSOLE",
            "pci 0000:03:00.0 [1002:1638] class 0300, driver amdgpu",
            "drivers/video/console/Kconfig:",
        ),
        (
            "DRM_FBDEV_EMULATION",
            "pci 0000:03:00.0 [1002:1638] class 0300, driver amdgpu",
            "CONFIG_DRM_AMDGPU depends on DRM",
        ),
    ] {
        let r = find(sym).unwrap_or_else(|| panic!("no requirement {sym}: {:#?}", fit.requirements));
        assert_eq!(r.section, Section::System, "{r:?}");
        let all = r.sources.join(" | ");
        assert!(all.contains(evidence) && all.contains(source), "{sym}: {all}");
        assert_ne!(r.status, ReqStatus::Blocked, "{r:?}");
    }
    // A requirement both the system and the ix profile have is listed once,
    // with both sources.
    let debugfs = find("DEBUG_FS").unwrap();
    assert!(
        debugfs.sources.iter().any(|s| s.starts_with("profile ix")),
        "{debugfs:?}"
    );
    assert!(
        debugfs
            .sources
            .iter()
            .any(|s| s.starts_with("filesystem debugfs")),
        "{debugfs:?}"
    );
    assert_eq!(fit.summary.blocked, 0);
    assert_eq!(fit.summary.requirements_blocked, 0, "{:#?}", fit.requirements);
    let after = values(&kernel_olddefconfig(&fit.config));
    let lost: Vec<&str> = fit
        .requirements
        .iter()
        .filter(|r| after.get(&r.symbol).map(String::as_str) != Some(r.want.as_str()) && r.want != "n")
        .map(|r| r.symbol.as_str())
        .collect();
    assert!(lost.is_empty(), "lost by olddefconfig: {lost:?}");
}

/// Done-when 2 without QEMU: the q35 listings plus what Debian's 6.1
/// listed when booted from the root disk of `scripts/e2e/rootdisk/`
/// (`crates/hw/tests/data/q35-rootdisk`: `/proc/mounts`,
/// `/proc/filesystems`, lsblk), fitted on 6.1's tinyconfig (64-bit, no
/// modules), the base of `scripts/e2e-qemu.sh --root-disk --base
/// tinyconfig`. That kernel boots without an initramfs, so the root's
/// filesystem (ext4, from the mount of `/`), its disk's driver (virtio-blk,
/// from the virtio device) and the partition parser (msdos, from lsblk's
/// PTTYPE) must be built in: none is on in the base, each is `y` after the
/// kernel's own olddefconfig, each for the listing line that asks for it.
#[test]
fn q35_root_disk_on_tinyconfig_6_1() {
    let q35 = repo("crates/hw/tests/data/q35");
    let rd = repo("crates/hw/tests/data/q35-rootdisk");
    let mut listings: Vec<PathBuf> = kfit_testkit::Q35_LISTINGS.iter().map(|f| q35.join(f)).collect();
    listings.extend(
        ["mounts.txt", "filesystems.txt", "lsblk.txt"]
            .iter()
            .map(|f| rd.join(f)),
    );
    let base = tiny64_of("6.1");
    let mut o = opts(base.clone(), listings);
    o.tree = tree_of("6.1");
    let fit = kfit_fit::fit(&o, None).unwrap();
    assert_eq!(fit.summary.requirements_blocked, 0, "{:#?}", fit.requirements);
    let find = |s: &str| {
        fit.requirements
            .iter()
            .find(|r| r.symbol == s)
            .unwrap_or_else(|| panic!("no requirement {s}: {:#?}", fit.requirements))
    };
    for (sym, evidence, source) in [
        ("EXT4_FS", "/dev/vda1 on / (", "fs/ext4/super.c:"),
        (
            "MSDOS_PARTITION",
            "lsblk.txt:",
            "block/partitions/msdos.c parses it",
        ),
    ] {
        let r = find(sym);
        assert_eq!(r.section, Section::System, "{r:?}");
        let all = r.sources.join(" | ");
        assert!(all.contains(evidence) && all.contains(source), "{sym}: {all}");
    }
    // The disk's driver is a device's: the virtio-blk device (1af4:0002).
    let m = &fit.machines[0];
    let vblk = m
        .devices
        .iter()
        .find(|d| d.label.contains("[1af4:0002]"))
        .unwrap_or_else(|| panic!("no virtio-blk device"));
    assert!(
        vblk.modules.iter().any(|mr| mr
            .symbols
            .iter()
            .any(|s| s.any_of.iter().any(|x| x == "VIRTIO_BLK"))),
        "{vblk:?}"
    );
    let before = values(&std::fs::read_to_string(&base).unwrap());
    let after = values(&kernel_olddefconfig_of("6.1", &fit.config));
    // ... and what creates the q35's dmi-ipmi-si.0 platform device
    // (drivers/char/ipmi/ipmi_dmi.c, on DMI), which tinyconfig leaves out.
    for sym in ["EXT4_FS", "VIRTIO_BLK", "MSDOS_PARTITION", "IPMI_DMI_DECODE"] {
        assert_ne!(
            before.get(sym).map(String::as_str),
            Some("y"),
            "{sym} is on in the base"
        );
        assert_eq!(
            after.get(sym).map(String::as_str),
            Some("y"),
            "{sym} after olddefconfig"
        );
    }
}

/// What the machine runs on, read live (no listings): a made-up root laid
/// out as the kernel and udev lay it out, with a bochs display controller
/// bound to bochs-drm, the root filesystem on a GPT disk (udev's database
/// says gpt and ext4), swap on zram and `/sys/firmware/efi`. Every fact
/// becomes a requirement whose source names the file it was read from, and
/// the kernel's olddefconfig keeps them all on tinyconfig.
#[test]
fn live_machine_becomes_requirements() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    let w = |rel: &str, text: &str| {
        let p = r.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let gpu = "sys/devices/pci0000:00/0000:00:01.0";
    w(&format!("{gpu}/vendor"), "0x1234\n");
    w(&format!("{gpu}/device"), "0x1111\n");
    w(&format!("{gpu}/subsystem_vendor"), "0x1af4\n");
    w(&format!("{gpu}/subsystem_device"), "0x1100\n");
    w(&format!("{gpu}/class"), "0x030000\n");
    w(
        &format!("{gpu}/modalias"),
        "pci:v00001234d00001111sv00001AF4sd00001100bc03sc00i00\n",
    );
    w(&format!("{gpu}/uevent"), "DRIVER=bochs-drm\n");
    std::fs::create_dir_all(r.join("sys/bus/pci/drivers/bochs-drm")).unwrap();
    std::fs::create_dir_all(r.join("sys/module/bochs")).unwrap();
    symlink(
        "../../../../module/bochs",
        r.join("sys/bus/pci/drivers/bochs-drm/module"),
    )
    .unwrap();
    std::fs::create_dir_all(r.join("sys/bus/pci/devices")).unwrap();
    symlink(
        "../../../devices/pci0000:00/0000:00:01.0",
        r.join("sys/bus/pci/devices/0000:00:01.0"),
    )
    .unwrap();
    symlink("../../../bus/pci/drivers/bochs-drm", r.join(gpu).join("driver")).unwrap();
    w("proc/sys/kernel/osrelease", "6.12.0-test\n");
    w(
        "proc/mounts",
        "/dev/vda2 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n/dev/vda1 /boot/efi vfat rw 0 0\n",
    );
    w("proc/filesystems", "nodev\tproc\n\text4\n\tvfat\n");
    w("sys/block/vda/dev", "253:0\n");
    w("sys/block/vda/vda1/partition", "1\n");
    w("sys/block/vda/vda1/dev", "253:1\n");
    w("sys/block/vda/vda2/partition", "2\n");
    w("sys/block/vda/vda2/dev", "253:2\n");
    w("sys/block/zram0/dev", "252:0\n");
    w("run/udev/data/b253:0", "E:ID_PART_TABLE_TYPE=gpt\n");
    w("run/udev/data/b253:2", "E:ID_FS_TYPE=ext4\n");
    std::fs::create_dir_all(r.join("sys/firmware/efi")).unwrap();

    let mut o = opts(tiny64(), vec![]);
    o.sysfs_root = r.to_path_buf();
    let fit = kfit_fit::fit(&o, None).unwrap();
    let root = r.display().to_string();
    for (sym, evidence, source) in [
        ("EXT4_FS", "/proc/mounts:1", "fs/ext4/super.c:"),
        ("VFAT_FS", "/proc/mounts:3", "fs/fat/namei_vfat.c:"),
        (
            "EFI_PARTITION",
            "/run/udev/data/b253:0:1",
            "block/partitions/efi.c parses it",
        ),
        ("ZRAM", "/sys/block/zram0", "drivers/block/zram/zram_drv.c:"),
        ("EFI_STUB", "/sys/firmware/efi exists", "arch/x86/Kconfig:"),
        (
            "FRAMEBUFFER_CONSOLE",
            "pci 0000:00:01.0",
            "drivers/video/console/Kconfig:",
        ),
        (
            "DRM_FBDEV_EMULATION",
            "driver bochs-drm",
            "CONFIG_DRM_BOCHS depends on DRM",
        ),
    ] {
        let req = fit
            .requirements
            .iter()
            .find(|x| x.symbol == sym)
            .unwrap_or_else(|| panic!("no requirement {sym}: {:#?}", fit.requirements));
        assert_eq!(req.section, Section::System);
        let all = req.sources.join(" | ");
        // A file read under the root, or the device.
        let evidence = match evidence.starts_with('/') {
            true => format!("{root}{evidence}"),
            false => evidence.to_string(),
        };
        assert!(all.contains(&evidence), "{sym}: {all}");
        println!("{sym}: {all}");
        assert!(all.contains(source), "{sym}: {all}");
        assert_ne!(req.status, ReqStatus::Blocked, "{req:?}");
    }
    assert_eq!(fit.summary.blocked, 0, "the GPU is driven");
    assert_eq!(fit.summary.requirements_blocked, 0, "{:#?}", fit.requirements);
    let after = values(&kernel_olddefconfig(&fit.config));
    let lost: Vec<&str> = fit
        .requirements
        .iter()
        .filter(|x| after.get(&x.symbol).map(String::as_str) != Some(x.want.as_str()))
        .map(|x| x.symbol.as_str())
        .collect();
    assert!(lost.is_empty(), "lost by olddefconfig: {lost:?}");
}

/// A fragment's `# CONFIG_X is not set` is a goal: X goes off and the report
/// names what went off with it (symbols depending on X that were on).
/// Side by side with merge_config.sh on the same base (the cached
/// x86_64_defconfig, olddefconfig'd) and fragment: the same final values
/// for X and everything it took with it.
#[test]
fn fragment_turning_a_symbol_off() {
    let base = PathBuf::from(kfit_testkit::kernel_env("6.12", "BUILD")).join("x86_64_defconfig.config");
    let frag = "# CONFIG_NETWORK_FILESYSTEMS is not set\n";
    let mut o = opts(base.clone(), vec![]);
    o.machines.clear();
    o.requirements = requirements::parse_fragment(frag, "nonet.config").unwrap();
    let fit = kfit_fit::fit(&o, None).unwrap();
    let r = &fit.requirements[0];
    assert_eq!(
        (r.symbol.as_str(), r.status),
        ("NETWORK_FILESYSTEMS", ReqStatus::Set),
        "{r:?}"
    );
    for s in ["NFS_FS", "ROOT_NFS", "NFS_V4"] {
        assert!(r.forced_off.iter().any(|x| x == s), "{s}: {:?}", r.forced_off);
    }
    println!("NETWORK_FILESYSTEMS off took with it: {:?}", r.forced_off);
    let kfit_after = values(&kernel_olddefconfig(&fit.config));
    let (merged, _) = merge_config(&base, frag);
    let mc = values(&merged);
    for s in std::iter::once(&r.symbol).chain(&r.forced_off) {
        let get = |m: &HashMap<String, String>| m.get(s).cloned().unwrap_or_else(|| "n".into());
        assert_eq!(get(&kfit_after), "n", "{s}");
        assert_eq!(get(&mc), get(&kfit_after), "{s}: merge_config.sh vs kfit");
    }
}

/// The kernel's `scripts/kconfig/merge_config.sh BASE FRAGMENT` in the
/// scratch `O=` directory (its temp files go to the working directory,
/// never the tree): the resulting `.config` and what it printed.
fn merge_config(base: &Path, fragment: &str) -> (String, String) {
    with_scratch(|scratch, t| {
        // The scratch dir's Makefile forwards to the tree (made by make O=).
        make(scratch, t, &["olddefconfig"]);
        std::fs::copy(base, scratch.join("base.config")).unwrap();
        std::fs::write(scratch.join("user.config"), fragment).unwrap();
        let out = Command::new("sh")
            .arg(t.join("scripts/kconfig/merge_config.sh"))
            .args(["base.config", "user.config"])
            .current_dir(scratch)
            .env("ARCH", "x86")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (
            std::fs::read_to_string(scratch.join(".config")).unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    })
}

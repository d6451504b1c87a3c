//! `kfit kconfig diff` and `kfit migrate` end to end: the built binary.

use std::path::PathBuf;
use std::process::Command;

fn kfit(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kfit"));
    c.args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn scratch(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kfit-cli-migrate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn diff_without_a_tree_plain_and_colored() {
    let a = scratch("a.config", "CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\n");
    let b = scratch("b.config", "CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=y\nCONFIG_D=\"x\"\n");
    // Not a terminal: no color.
    let out = kfit(&["kconfig", "diff", &a, &b], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        s,
        "(top level)\n~ CONFIG_B m -> y\n~ CONFIG_C n -> y\n+ CONFIG_D=\"x\"\n1 added, 0 removed, 2 changed\n"
    );
    // Forced color, unless NO_COLOR says otherwise for auto.
    let out = kfit(&["kconfig", "diff", &a, &b, "--color", "always"], &[]);
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("\x1b[32m+ CONFIG_D"));
    let out = kfit(&["kconfig", "diff", &a, &b], &[("NO_COLOR", "1")]);
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\x1b'));
    let out = kfit(&["kconfig", "diff", &a, &b, "--json"], &[]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["counts"], serde_json::json!([1, 0, 2]));
}

fn env_tree(v: &str) -> Option<(String, String)> {
    let home = std::env::var_os("KFIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kfit"));
    let text = std::fs::read_to_string(home.join("env").join(v)).ok()?;
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(String::from)
    };
    Some((get("TREE")?, get("DEBIAN")?))
}

/// Debian's 6.1 config on 6.12: the text report names the renames with
/// their evidence, `-o` writes the config, JSON lists every symbol.
#[test]
fn migrate_debian_61_to_612() {
    let (Some((t61, d61)), Some((t612, _))) = (env_tree("6.1"), env_tree("6.12")) else {
        panic!("run scripts/fetch-kernels.sh first");
    };
    let cfg = format!("{d61}/config");
    let out_cfg = scratch("new.config", "");
    let args = [
        "migrate",
        "--config",
        &cfg,
        "--from-tree",
        &t61,
        "--to-tree",
        &t612,
        "--cc",
        "gcc",
        "-o",
        &out_cfg,
    ];
    let out = kfit(&args, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("CPU_SRSO=y -> MITIGATION_SRSO: carried y, now y"),
        "{s}"
    );
    assert!(
        s.contains("SamePrompt: prompt \"Mitigate speculative RAS overflow on AMD\""),
        "{s}"
    );
    assert!(
        s.contains("\n  CRYPTO_CFB=m\n      crypto/cfb [module cfb]"),
        "{s}"
    );
    let written = std::fs::read_to_string(&out_cfg).unwrap();
    assert!(written.contains("CONFIG_MITIGATION_SRSO=y\n"));
    let mut j = args.to_vec();
    j.truncate(9);
    j.push("--json");
    let out = kfit(&j, &[]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let syms = v["symbols"].as_array().unwrap();
    let srso = syms.iter().find(|s| s["name"] == "CPU_SRSO").unwrap();
    assert_eq!(srso["status"], "renamed");
    assert_eq!(srso["to"], "MITIGATION_SRSO");
    assert_eq!(srso["evidence"][0]["kind"], "same_prompt");
    // Grouped by the 6.12 menus.
    let out = kfit(
        &[
            "kconfig",
            "diff",
            &cfg,
            &out_cfg,
            "--tree",
            &t612,
            "--old-tree",
            &t61,
            "--cc",
            "gcc",
        ],
        &[],
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("\nMitigations for CPU vulnerabilities\n"),
        "{}",
        &s[..s.len().min(3000)]
    );
    assert!(s.contains("+ CONFIG_MITIGATION_SRSO=y"));
}

/// `make ARCH=arm64 [CROSS_COMPILE] olddefconfig` in a scratch O= of
/// `tree` on `config`: the config make leaves.
fn make_olddefconfig_arm64(tree: &str, config: &str, cross: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".config"), config).unwrap();
    let mut make = Command::new("make");
    make.args(["-s", "-C", tree, "ARCH=arm64"])
        .arg(format!("O={}", dir.path().display()))
        .env_remove("CROSS_COMPILE")
        .env_remove("LLVM");
    if let Some(c) = cross {
        make.arg(format!("CROSS_COMPILE={c}"));
    }
    let out = make.arg("olddefconfig").output().unwrap();
    assert!(
        out.status.success(),
        "make: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.path().join(".config")).unwrap()
}

/// The arm64 cross compiler's prefix when it is installed (the toolchain
/// make would be given); kfit and make are compared with the same one.
fn arm64_cross() -> Option<&'static str> {
    let on_path = |t: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(t).is_file()))
    };
    on_path("aarch64-linux-gnu-gcc").then_some("aarch64-linux-gnu-")
}

/// Issue 20: `kfit migrate --arch arm64`. Debian's arm64 6.12 config
/// carried to 6.1: refused for x86 (its CONFIG_ARM64 marker), carried for
/// arm64 with the renames found in arch/arm64's Makefiles, and the written
/// config is what `make ARCH=arm64 olddefconfig` of 6.1 leaves unchanged.
#[test]
fn migrate_debian_arm64_612_to_61() {
    let (Some((t61, _)), Some((t612, _)), Some((_, deb))) =
        (env_tree("6.1"), env_tree("6.12"), env_tree("6.12-arm64"))
    else {
        panic!("run scripts/fetch-kernels.sh 6.12 6.1 6.12-arm64 first");
    };
    let cfg = format!("{deb}/config");
    let dir = tempfile::tempdir().unwrap();
    let out_cfg = dir.path().join("new.config").display().to_string();
    let cross = arm64_cross();
    let mut env: Vec<(&str, &str)> = vec![("ARCH", "x86")];
    let base = [
        "migrate",
        "--config",
        &cfg,
        "--from-tree",
        &t612,
        "--to-tree",
        &t61,
    ];
    let out = kfit(&base, &env);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CONFIG_ARM64=y: this config is for arch/arm64, not arch/x86"),
        "{err}"
    );
    env.retain(|(k, _)| *k != "ARCH");
    if let Some(c) = cross {
        env.push(("CROSS_COMPILE", c));
    }
    let mut args = base.to_vec();
    args.extend(["--arch", "arm64", "-o", &out_cfg]);
    let out = kfit(&args, &env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    // arch/arm64/Makefile:113 (6.12) `else ifeq ($(CONFIG_AS_HAS_ARMV8_3), y)`
    // / arch/arm64/Makefile:84 (6.1) `ifeq ($(CONFIG_AS_HAS_PAC), y)`
    assert!(s.contains("AS_HAS_ARMV8_3="), "{s}");
    assert!(s.contains("-> AS_HAS_PAC: "), "{s}");
    assert!(
        s.contains("arch/arm64/Makefile:84 `ifeq ($(CONFIG_AS_HAS_PAC), y)` (6.1"),
        "{s}"
    );
    let written = std::fs::read_to_string(&out_cfg).unwrap();
    assert!(written.contains("\nCONFIG_ARM64=y\n"));
    assert!(!written.contains("CONFIG_X86=y"));
    assert_eq!(make_olddefconfig_arm64(&t61, &written, cross), written);
}

/// The other direction with a machine: arm64's 6.1 defconfig on 6.12,
/// with the QEMU virt arm64 reference machine (device tree, PCI,
/// modaliases), fitted on both trees for arm64: every device driven
/// before is driven after.
#[test]
fn migrate_arm64_defconfig_61_to_612_with_the_virt_machine() {
    let (Some((t61, _)), Some((t612, _))) = (env_tree("6.1"), env_tree("6.12")) else {
        panic!("run scripts/fetch-kernels.sh first");
    };
    let cfg = format!("{t61}/arch/arm64/configs/defconfig");
    let virt = kfit_testkit::repo("crates/hw/tests/data/qemu-virt-arm64");
    let listing = |f: &str| virt.join(f).display().to_string();
    let (dtb, pci, ma) = (
        listing("devicetree.dtb"),
        listing("lspci-nnk.txt"),
        listing("modalias.txt"),
    );
    let mut env: Vec<(&str, &str)> = Vec::new();
    if let Some(c) = arm64_cross() {
        env.push(("CROSS_COMPILE", c));
    }
    let args = [
        "migrate",
        "--arch",
        "arm64",
        "--config",
        &cfg,
        "--from-tree",
        &t61,
        "--to-tree",
        &t612,
        &dtb,
        &pci,
        &ma,
        "--json",
    ];
    let out = kfit(&args, &env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v["machine"];
    let before = m["driven_before"].as_u64().unwrap();
    assert!(before > 50, "{m}");
    assert_eq!(m["still_driven"], before);
    // virtio-mmio and the PCIe host bridge of the device tree are driven
    let devices = m["devices"].as_array().unwrap();
    assert!(devices
        .iter()
        .any(|d| d["label"].as_str().unwrap().contains("Cvirtio,mmio") && d["after"] == "already_on"));
}

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

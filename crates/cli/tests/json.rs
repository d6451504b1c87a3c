//! Every command's `--json` frozen as an insta snapshot (issue 19): each
//! document starts with its `schema`, IDs are lowercase hex strings as
//! lspci prints them, and docs/json.md describes every field that appears.
//! The fit report's JSON is in fit_snapshots.rs. Uses the cached Debian
//! 6.12 tree (scripts/fetch-kernels.sh) and the seed laptop's listing.
//!
//! Also: `kfit completions bash | bash -n` and `kfit man | man -l -`.

use kfit_testkit::repo;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The cached 6.12 tree and its x86_64_defconfig (fetched when missing).
fn tree() -> (PathBuf, PathBuf) {
    kfit_testkit::tree_612_and_defconfig()
}

/// Runs kfit in examples/seed (so listings are named `lspci-k.txt`) and
/// parses its JSON; paths of this machine become `<tree>`/`<base>`, run
/// times 0.
fn json(args: &[&str]) -> serde_json::Value {
    let (t, base) = tree();
    let (t, base) = (t.to_str().unwrap(), base.to_str().unwrap());
    let args: Vec<&str> = args
        .iter()
        .map(|a| match *a {
            "TREE" => t,
            "BASE" => base,
            a => a,
        })
        .collect();
    let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .current_dir(repo("examples/seed"))
        .args(&args)
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("{\n  \"schema\": \"kfit."), "{text}");
    let text = text.replace(t, "<tree>").replace(base, "<base>");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for k in ["seconds", "timings"] {
        if let Some(x) = v.get_mut(k) {
            *x = serde_json::Value::from(0);
        }
    }
    v
}

#[test]
fn hw_json() {
    let v = json(&["hw", "lspci-k.txt"]);
    assert_eq!(v["schema"], "kfit.hw/2");
    let gpu = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["address"] == "0000:03:00.0")
        .unwrap();
    assert_eq!(gpu["vendor"], "1002");
    assert_eq!(gpu["device"], "1638");
    insta::assert_json_snapshot!("hw", v);
}

#[test]
fn explain_json() {
    let v = json(&[
        "explain",
        "IWLMVM",
        "lspci-k.txt",
        "--tree",
        "TREE",
        "--base",
        "BASE",
    ]);
    assert_eq!(v["schema"], "kfit.explain/2");
    insta::assert_json_snapshot!("explain", v);
}

#[test]
fn audit_json() {
    let v = json(&["audit", "--config", "BASE", "lspci-k.txt", "--tree", "TREE"]);
    assert_eq!(v["schema"], "kfit.audit/2");
    insta::assert_json_snapshot!("audit", v);
}

#[test]
fn kconfig_show_json() {
    let v = json(&[
        "kconfig",
        "show",
        "DRM_AMDGPU",
        "--tree",
        "TREE",
        "--config",
        "BASE",
    ]);
    assert_eq!(v["schema"], "kfit.kconfig-show/2");
    assert_eq!(v["defined_at"].as_array().unwrap().len(), 1);
    insta::assert_json_snapshot!("kconfig_show", v);
}

#[test]
fn index_json() {
    let v = json(&["index", "--tree", "TREE"]);
    assert_eq!(v["schema"], "kfit.index/2");
    insta::assert_json_snapshot!("index", v);
}

#[test]
fn modinfo_json() {
    let v = json(&["modinfo", "k10temp", "--tree", "TREE"]);
    assert_eq!(v["schema"], "kfit.modinfo/2");
    insta::assert_json_snapshot!("modinfo", v);
}

#[test]
fn match_json() {
    let v = json(&["match", "pci:v00001022d0000166Dsv*sd*bc*sc*i*", "--tree", "TREE"]);
    assert_eq!(v["schema"], "kfit.match/2");
    insta::assert_json_snapshot!("match", v);
}

/// docs/json.md names every field of every snapshot above (and of the fit
/// report's).
#[test]
fn docs_json_md_lists_every_field() {
    let doc = std::fs::read_to_string(repo("docs/json.md")).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut missing = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("json__") || name.ends_with("_json.snap")) {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let body = text.splitn(3, "---").nth(2).unwrap_or("");
        let v: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
        let mut keys = Vec::new();
        collect_keys(&v, &mut keys);
        for k in keys {
            if !doc.contains(&format!("`{k}`")) {
                missing.insert(format!("{k} ({name})"));
            }
        }
    }
    assert!(missing.is_empty(), "docs/json.md lacks: {missing:?}");
}

fn collect_keys(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                // `attrs` holds the listing's own keys (sysfs attribute names).
                if k != "attrs" {
                    collect_keys(x, out);
                }
                out.push(k.clone());
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_keys(x, out)),
        _ => {}
    }
}

#[test]
fn bash_completion_parses() {
    let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let script = String::from_utf8(o.stdout).unwrap();
    assert!(script.contains("complete -F _kfit"), "{script}");
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    bash.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let r = bash.wait_with_output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for shell in ["zsh", "fish"] {
        let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(o.status.success() && !o.stdout.is_empty(), "{shell}");
    }
}

/// The man page renders with man-db (`man -l -`) or, without it, groff.
#[test]
fn man_page_renders() {
    let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .arg("man")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        o.stdout.starts_with(b".ie") || o.stdout.starts_with(b".TH"),
        "not roff"
    );
    let tmp = std::env::temp_dir().join(format!("kfit-man-{}.1", std::process::id()));
    std::fs::write(&tmp, &o.stdout).unwrap();
    let have = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let r = if have("man") {
        Command::new("man")
            .args(["-l", "-P", "cat"])
            .arg(&tmp)
            .env("MANWIDTH", "80")
            .output()
            .unwrap()
    } else if have("groff") {
        Command::new("groff")
            .args(["-man", "-Tutf8"])
            .arg(&tmp)
            .output()
            .unwrap()
    } else {
        eprintln!("neither man nor groff installed: man page not rendered");
        return;
    };
    let _ = std::fs::remove_file(&tmp);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(text.contains("kfit") && text.contains("completions"), "{text}");
}

/// `kfit modinfo` shows each alias at its entry's line (iwlwifi's 2723 at
/// the first line of pcie/drv.c naming 0x2723), not the table's line for
/// all, and the `#if` around it.
#[test]
fn modinfo_text_shows_each_entry_line() {
    let (t, _) = tree();
    let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .args(["modinfo", "iwlwifi", "--tree"])
        .arg(&t)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let drv = std::fs::read_to_string(t.join("drivers/net/wireless/intel/iwlwifi/pcie/drv.c")).unwrap();
    let want = drv.lines().position(|l| l.contains("0x2723")).unwrap() + 1;
    let line = text
        .lines()
        .find(|l| l.starts_with("alias:") && l.contains("pci:v00008086d00002723sv*sd*"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!("pcie/drv.c:{want}, inside #if CONFIG_IWLMVM")),
        "{line} (want drv.c:{want})"
    );
    let places: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("alias:"))
        .filter_map(|l| l.split("  (").nth(1))
        .collect();
    assert!(places.len() > 50, "{} distinct places", places.len());
}

/// `kfit modinfo` finds a module by name, by object path (`.ko` allowed)
/// and by a driver name it registers (`KernelIndex::find_modules`).
#[test]
fn modinfo_finds_by_name_path_and_driver_name() {
    let (t, _) = tree();
    let first_line = |what: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
            .args(["modinfo", what, "--tree"])
            .arg(&t)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(first_line("pcieportdrv"), "name:         pcieportdrv");
    assert_eq!(
        first_line("drivers/pci/pcie/pcieportdrv.ko"),
        "name:         pcieportdrv"
    );
    assert_eq!(first_line("pcieport"), "name:         pcieportdrv");
}

/// `kfit explain` reads as one line for the value, then one chain per line
/// from the device to the symbol (issue 19).
#[test]
fn explain_text_is_one_chain_per_line() {
    let (t, base) = tree();
    let o = Command::new(env!("CARGO_BIN_EXE_kfit"))
        .current_dir(repo("examples/seed"))
        .args(["explain", "IWLMVM", "lspci-k.txt", "--tree"])
        .arg(&t)
        .arg("--base")
        .arg(&base)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "CONFIG_IWLMVM=y (was n in the base config)", "{text}");
    let chains: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("  lspci-k.txt: "))
        .collect();
    assert_eq!(chains.len(), 1, "{text}");
    let c = chains[0];
    assert!(
        c.starts_with("  lspci-k.txt: pci 0000:01:00.0 [8086:2723] → iwlwifi ")
            && c.ends_with(" → CONFIG_IWLMVM=y"),
        "{c}"
    );
}

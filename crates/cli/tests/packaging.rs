//! The ix recipe (packaging/ix/bin/kfit/ix.sh) and the Rust version it
//! builds with (issue 19): its blocks agree with the workspace, every
//! locked dependency builds with the declared `rust-version`, and
//! packaging/ix/release.sh fills the sha of the tarball it makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

/// `{% block NAME %}body{% endblock %}` of a recipe, bodies trimmed.
fn blocks(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = text;
    while let Some(i) = rest.find("{% block ") {
        let after = &rest[i + 9..];
        let Some(j) = after.find(" %}") else { break };
        let name = after[..j].trim().to_string();
        let body = &after[j + 3..];
        let Some(k) = body.find("{% endblock %}") else {
            break;
        };
        out.insert(name, body[..k].trim().to_string());
        rest = &body[k..];
    }
    out
}

/// `key = "value"` of the first `[section]` line of a Cargo.toml.
fn toml_value(file: &str, key: &str) -> String {
    let text = std::fs::read_to_string(repo(file)).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{file}: no {key}"))
        .to_string()
}

fn minor(v: &str) -> u32 {
    v.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap()
}

#[test]
fn recipe_blocks_agree_with_the_workspace() {
    let text = std::fs::read_to_string(repo("packaging/ix/bin/kfit/ix.sh")).unwrap();
    assert!(text.starts_with("{% extends '//die/rust/cargo.sh' %}"), "{text}");
    let b = blocks(&text);
    assert_eq!(b["pkg_name"], "kfit");
    assert_eq!(b["version"], toml_value("Cargo.toml", "version"));
    // The binary the recipe installs is the one crates/cli builds.
    assert_eq!(b["cargo_bins"], "kfit");
    assert_eq!(toml_value("crates/cli/Cargo.toml", "name"), "kfit");
    // bld/cargo/86 is Rust 1.86: the workspace's rust-version.
    let rv = toml_value("Cargo.toml", "rust-version");
    assert_eq!(
        b["cargo_tool"],
        format!("bld/cargo/{}", minor(&rv)),
        "rust-version {rv}"
    );
    assert!(
        b["cargo_url"].ends_with("/kfit-{{self.version().strip()}}.tar.gz"),
        "{}",
        b["cargo_url"]
    );
    let sha = &b["cargo_sha"];
    assert!(
        sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit()),
        "{sha}"
    );
    assert!(b["install"].contains("{{super()}}") && b["install"].contains("kfit man"));
}

/// Cargo's own view of every locked package (all platforms): none may need
/// a newer Rust than the workspace declares.
#[test]
fn locked_dependencies_build_with_the_declared_rust_version() {
    let rv = minor(&toml_value("Cargo.toml", "rust-version"));
    let o = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(repo("."))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let too_new: Vec<String> = m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            (minor(v) > rv).then(|| format!("{} {} needs {v}", p["name"], p["version"]))
        })
        .collect();
    assert!(too_new.is_empty(), "{too_new:?}");
    // Every member declares it.
    for p in m["packages"].as_array().unwrap() {
        if p["source"].is_null() {
            assert!(p["rust_version"].is_string(), "{} has no rust-version", p["name"]);
        }
    }
}

#[test]
fn release_script_fills_the_tarball_sha() {
    if !repo(".git").exists() {
        eprintln!("not a git checkout: release.sh not tried");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kfit-release-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let recipe = dir.join("ix.sh");
    std::fs::copy(repo("packaging/ix/bin/kfit/ix.sh"), &recipe).unwrap();
    let o = Command::new("bash")
        .arg(repo("packaging/ix/release.sh"))
        .arg("https://host.invalid/kfit/")
        .arg(&dir)
        .env("KFIT_RECIPE", &recipe)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let b = blocks(&std::fs::read_to_string(&recipe).unwrap());
    assert_eq!(
        b["cargo_url"],
        "https://host.invalid/kfit/kfit-{{self.version().strip()}}.tar.gz"
    );
    let tarball = dir.join(format!("kfit-{}.tar.gz", toml_value("Cargo.toml", "version")));
    let sum = Command::new("sha256sum").arg(&tarball).output().unwrap();
    let sum = String::from_utf8_lossy(&sum.stdout);
    assert_eq!(Some(b["cargo_sha"].as_str()), sum.split_whitespace().next());
    let _ = std::fs::remove_dir_all(&dir);
}

//! The ix recipe (packaging/ix/bin/kfit/ix.sh) and the Rust version it
//! builds with (issue 19): its blocks agree with the workspace, it renders
//! with ix's own templates into a cargo build of this workspace's `kfit`
//! and an install of it, every locked dependency builds with the declared
//! `rust-version`, and packaging/ix/release.sh fills the sha of the
//! tarball it makes.

use kfit_testkit::{python_with_jinja2, repo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kfit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The recipe as released: a copy in `dir` that packaging/ix/release.sh
/// filled for the tarball it made there (of HEAD, URL prefix
/// `https://host.invalid/kfit/`). None outside a git checkout.
fn release(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    if !repo(".git").exists() {
        eprintln!("not a git checkout: release.sh not tried");
        return None;
    }
    let recipe = dir.join("ix.sh");
    std::fs::copy(repo("packaging/ix/bin/kfit/ix.sh"), &recipe).unwrap();
    let o = Command::new("bash")
        .arg(repo("packaging/ix/release.sh"))
        .arg("https://host.invalid/kfit/")
        .arg(dir)
        .env("KFIT_RECIPE", &recipe)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tarball = dir.join(format!("kfit-{}.tar.gz", toml_value("Cargo.toml", "version")));
    Some((recipe, tarball))
}

fn sha256(f: &Path) -> String {
    let o = Command::new("sha256sum").arg(f).output().unwrap();
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn release_script_fills_the_tarball_sha() {
    let dir = scratch("release");
    let Some((recipe, tarball)) = release(&dir) else {
        return;
    };
    let b = blocks(&std::fs::read_to_string(&recipe).unwrap());
    assert_eq!(
        b["cargo_url"],
        "https://host.invalid/kfit/kfit-{{self.version().strip()}}.tar.gz"
    );
    assert_eq!(b["cargo_sha"], sha256(&tarball));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 19: the recipe rendered as ix renders it (scripts/ix-render.py
/// --json: ix's loader, filters and context, over ix's own `die/`
/// templates vendored in tests/data/ix at pg83/ix e3ea1bc) is ix's
/// descriptor of a cargo build of this workspace's `kfit`:
/// * the source is the release tarball release.sh made of this workspace
///   (`aux/cargo/v3(url=..., sha=...)`: fetched, checked, vendored), built
///   with the cargo and Rust of `cargo_tool` (the workspace's
///   rust-version);
/// * the build and install steps, run as rendered with a stub `cargo`
///   that hands its arguments to the real cargo (`--unit-graph`: resolved
///   against this workspace, offline, nothing compiled), build exactly the
///   bin `kfit` of package `kfit`, and install it in `${out}/bin` with the
///   bash, zsh and fish completions (the stub puts this test's kfit where
///   cargo's layout puts the unit's binary);
/// * ix's postinstall drops the man page unless the package has ix's
///   `doc` flag (`ix mut system bin/kfit --doc`), which keeps it in
///   `${out}/doc/man/man1`;
/// * a cross build (`native` false) installs kfit without running it.
#[test]
fn recipe_renders_with_ix_templates_into_a_cargo_build_of_kfit() {
    let Some(py) = python_with_jinja2() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have python3-jinja2");
        eprintln!("skipped: no python3 with jinja2 to render the recipe");
        return;
    };
    let dir = scratch("recipe");
    let version = toml_value("Cargo.toml", "version");
    let rv = minor(&toml_value("Cargo.toml", "rust-version"));
    let released = release(&dir);
    // an ix checkout holding the recipe, as packaging/ix/README.md says
    let ix = dir.join("ix");
    std::fs::create_dir_all(ix.join("pkgs/bin/kfit")).unwrap();
    let recipe = released
        .as_ref()
        .map_or(repo("packaging/ix/bin/kfit/ix.sh"), |(r, _)| r.clone());
    std::fs::copy(&recipe, ix.join("pkgs/bin/kfit/ix.sh")).unwrap();
    let render = |flags: &[&str]| -> serde_json::Value {
        let o = Command::new(py)
            .arg(repo("scripts/ix-render.py"))
            .arg("--templates")
            .arg(repo("crates/cli/tests/data/ix/pkgs"))
            .arg("--json")
            .arg(&ix)
            .arg("bin/kfit")
            .args(flags)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let d = render(&[]);
    assert_eq!(d["repo"]["name"], "kfit");
    assert_eq!(d["repo"]["version"], version.as_str());

    // The source: ix's cargo fetcher with the recipe's url and sha.
    let strs = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let data = strs(&d["bld"]["data"]);
    let fetch: Vec<&String> = data.iter().filter(|x| x.starts_with("aux/cargo/")).collect();
    assert_eq!(fetch.len(), 1, "{data:?}");
    let args = fetch[0].split_once('(').unwrap().1.strip_suffix(')').unwrap();
    let args: BTreeMap<&str, &str> = args.split(',').filter_map(|kv| kv.split_once('=')).collect();
    let tarball = format!("kfit-{version}.tar.gz");
    assert!(args["url"].ends_with(&format!("/{tarball}")), "{args:?}");
    assert_eq!(args["cargo_tool"], format!("bld/cargo/{rv}"));
    if let Some((_, t)) = &released {
        assert_eq!(args["url"], format!("https://host.invalid/kfit/{tarball}"));
        assert_eq!(args["sha"], sha256(t));
        // the tarball is this workspace, with its lock file
        let o = Command::new("tar").arg("-tzf").arg(t).output().unwrap();
        let names = String::from_utf8_lossy(&o.stdout);
        for f in [
            "Cargo.toml",
            "Cargo.lock",
            "crates/cli/Cargo.toml",
            "crates/cli/src/main.rs",
        ] {
            assert!(
                names.lines().any(|l| l == format!("kfit-{version}/{f}")),
                "{f} not in the tarball"
            );
        }
    }
    let deps = strs(&d["bld"]["deps"]);
    for t in [format!("bld/cargo/{rv}"), format!("bld/rust/{rv}")] {
        assert!(deps.contains(&t), "{t} not in {deps:?}");
    }

    // The script: ix runs it with `sh -s`; it ends by calling main_f, whose
    // build and install steps are run here.
    assert_eq!(d["bld"]["script"]["exec"], serde_json::json!(["sh", "-s"]));
    let script = d["bld"]["script"]["data"].as_str().unwrap();
    let body = script
        .trim_end()
        .strip_suffix("main_f")
        .expect("the script ends with main_f");
    let cargo_lines: Vec<&str> = body.lines().filter(|l| l.starts_with("cargo ")).collect();
    assert_eq!(cargo_lines.len(), 1, "{cargo_lines:?}");
    let stub = dir.join("stub");
    std::fs::create_dir_all(&stub).unwrap();
    std::fs::write(
        stub.join("cargo"),
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$KFIT_TEST_ARGV\"\n\
         cd \"$KFIT_TEST_REPO\" && CARGO_HOME=\"$KFIT_TEST_CARGO_HOME\" \
         exec \"$KFIT_TEST_CARGO\" \"$@\" --unit-graph -Z unstable-options > \"$KFIT_TEST_UNITS\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(stub.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        PathBuf::from,
    );
    // ix makes ${out} and ${tmp} before the script runs
    let step = |body: &str, out: &Path, tmp: &Path, steps: &str| {
        std::fs::create_dir_all(out).unwrap();
        std::fs::create_dir_all(tmp).unwrap();
        let mut c = Command::new("sh")
            .arg("-s")
            .current_dir(tmp)
            .env("out", out)
            .env("tmp", tmp)
            .env(
                "PATH",
                format!("{}:{}", stub.display(), std::env::var("PATH").unwrap_or_default()),
            )
            .env("KFIT_TEST_ARGV", dir.join("argv"))
            .env("KFIT_TEST_UNITS", dir.join("units.json"))
            .env("KFIT_TEST_REPO", repo("."))
            .env("KFIT_TEST_CARGO", env!("CARGO"))
            .env("KFIT_TEST_CARGO_HOME", &cargo_home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let text = format!("{body}\n{steps}\n");
        c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let o = c.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "{steps}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    };
    for (flags, doc) in [(&[][..], false), (&["--doc"][..], true)] {
        let d = if doc { render(flags) } else { d.clone() };
        let script = d["bld"]["script"]["data"].as_str().unwrap();
        let body = script.trim_end().strip_suffix("main_f").unwrap();
        let run = dir.join(if doc { "doc" } else { "plain" });
        let (out, tmp) = (run.join("out"), run.join("tmp"));
        // build: setup_target_env sets CARGO_TARGET_DIR=${tmp}
        step(body, &out, &tmp, "setup_target_env\nstep_build");
        let argv = std::fs::read_to_string(dir.join("argv")).unwrap();
        assert_eq!(
            format!("cargo {}", argv.lines().collect::<Vec<_>>().join(" ")),
            cargo_lines[0]
        );
        let g: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("units.json")).unwrap()).unwrap();
        let roots: Vec<&serde_json::Value> = g["roots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &g["units"][r.as_u64().unwrap() as usize])
            .collect();
        assert_eq!(roots.len(), 1, "{roots:?}");
        let u = roots[0];
        // package kfit of this workspace (a path source, not a registry's)
        let id = u["pkg_id"].as_str().unwrap();
        assert!(
            id.starts_with("path+file://") && id.ends_with(&format!("/crates/cli#kfit@{version}")),
            "{id}"
        );
        assert_eq!(u["target"]["kind"], serde_json::json!(["bin"]));
        assert_eq!(u["target"]["name"], "kfit");
        assert_eq!(u["mode"], "build");
        let profile = u["profile"]["name"].as_str().unwrap();
        assert_eq!(profile, "release");
        // where cargo puts the unit's binary: ${CARGO_TARGET_DIR}/<target>/<profile>/
        let at = tmp.join(u["platform"].as_str().unwrap()).join(profile);
        std::fs::create_dir_all(&at).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_kfit"), at.join("kfit")).unwrap();
        // install (with ix's postinstall and env)
        step(body, &out, &tmp, "step_install_f");
        let o = Command::new(out.join("bin/kfit"))
            .arg("--version")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&o.stdout).contains(&version));
        let bash = out.join("share/bash-completion/completions/kfit");
        let o = Command::new("bash").arg("-n").arg(&bash).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for f in [
            "share/zsh/site-functions/_kfit",
            "share/fish/vendor_completions.d/kfit.fish",
        ] {
            let text = std::fs::read_to_string(out.join(f)).unwrap_or_default();
            assert!(text.contains("kfit"), "{f}");
        }
        let man = out.join("doc/man/man1/kfit.1");
        if doc {
            let text = std::fs::read_to_string(&man).unwrap();
            assert!(
                text.starts_with(".ie") || text.contains(".TH kfit"),
                "{}",
                &text[..200]
            );
        } else {
            assert!(!man.exists() && !out.join("share/man").exists());
        }
    }
    // A cross build (ix's `native` false) cannot run the built kfit: the
    // install copies it and generates nothing.
    let d = render(&["--native="]);
    let script = d["bld"]["script"]["data"].as_str().unwrap();
    assert!(script.contains("cp ${tmp}/out/kfit ${out}/bin/"));
    assert!(!script.contains("${out}/bin/kfit "), "runs the built kfit");
    let _ = std::fs::remove_dir_all(&dir);
}

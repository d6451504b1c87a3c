//! The build identity that every cache key includes, so that a build of kfit
//! never trusts a cache another build wrote (two branches sharing
//! `~/.cache/kfit` under the same cache format number).
//!
//! The identity of a crate is the [`stable_hash`] of its sources and of the
//! sources of every workspace crate it depends on (`[dependencies]`,
//! transitively: what can change what it writes into a cache), with the
//! workspace's `Cargo.lock` (bincode's and serde's versions). A crate that
//! keys a cache has a build script that calls [`emit`]; its code reads the
//! identity with [`build_id!`](crate::build_id), a constant: it costs nothing
//! at run time. Two builds whose cache-producing sources are the same (a
//! branch that changed only the CLI) still share the cache; a change of one of
//! those sources, committed or not, gives new cache files.
//!
//! Std only: the build scripts compile this file (`#[path]`) next to
//! `hash.rs` instead of depending on kfit-util.

use crate::hash::stable_hash_parts;
use std::path::{Path, PathBuf};

/// The crate directories the build of the crate in `dir` depends on: itself
/// and the workspace crates of its `[dependencies]`, transitively, sorted.
/// `workspace` is the workspace root (its `Cargo.toml` maps each
/// `kfit-x.workspace = true` to `kfit-x = { path = "..." }`).
pub fn crate_closure(workspace: &Path, dir: &Path) -> Vec<PathBuf> {
    let root_toml = std::fs::read_to_string(workspace.join("Cargo.toml")).unwrap_or_default();
    let mut out: Vec<PathBuf> = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        if out.contains(&d) {
            continue;
        }
        let toml = std::fs::read_to_string(d.join("Cargo.toml")).unwrap_or_default();
        for name in path_dependencies(&toml, "dependencies") {
            let path = table_entries(&root_toml, "workspace.dependencies")
                .find(|(k, _)| *k == name)
                .and_then(|(_, v)| quoted_after(v, "path"))
                .map(|p| workspace.join(p))
                .or_else(|| {
                    table_entries(&toml, "dependencies")
                        .find(|(k, _)| *k == name)
                        .and_then(|(_, v)| quoted_after(v, "path"))
                        .map(|p| d.join(p))
                });
            todo.extend(path);
        }
        out.push(d);
    }
    out.sort();
    out
}

/// The `kfit-*` keys of `[table]` in a `Cargo.toml`.
fn path_dependencies<'a>(toml: &'a str, table: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    table_entries(toml, table)
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("kfit-"))
}

/// `(key, rest of the line)` of each entry of `[table]` (a dotted key such
/// as `kfit-util.workspace` gives `kfit-util`).
fn table_entries<'a>(toml: &'a str, table: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    let mut current = "";
    toml.lines().filter_map(move |line| {
        let line = line.trim();
        if let Some(h) = line.strip_prefix('[') {
            current = h.trim_end_matches(']').trim();
            return None;
        }
        if current != table || line.starts_with('#') {
            return None;
        }
        let end = line.find(['.', ' ', '=']).unwrap_or(line.len());
        let key = &line[..end];
        (!key.is_empty()).then(|| (key, &line[end..]))
    })
}

/// The quoted value of `key = "..."` in an inline table.
fn quoted_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let rest = &text[text.find(key)? + key.len()..];
    let rest = rest
        .trim_start()
        .strip_prefix('=')?
        .trim_start()
        .strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

/// The identity of the crate in `dir` and the paths it was computed from
/// (for `cargo:rerun-if-changed`): every file under each crate's `src/`, its
/// `Cargo.toml` and `build.rs`, and the workspace's `Cargo.lock`, each with
/// its path relative to the workspace.
pub fn identity(workspace: &Path, dir: &Path) -> (u64, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut watch = vec![workspace.join("Cargo.lock")];
    for c in crate_closure(workspace, dir) {
        for f in ["Cargo.toml", "build.rs"] {
            if c.join(f).is_file() {
                files.push(c.join(f));
                watch.push(c.join(f));
            }
        }
        walk(&c.join("src"), &mut files);
        watch.push(c.join("src"));
    }
    files.sort();
    files.push(workspace.join("Cargo.lock"));
    let mut owned: Vec<Vec<u8>> = Vec::with_capacity(files.len() * 2);
    for f in &files {
        let rel = f.strip_prefix(workspace).unwrap_or(f);
        owned.push(rel.to_string_lossy().into_owned().into_bytes());
        owned.push(std::fs::read(f).unwrap_or_default());
    }
    let parts: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
    (stable_hash_parts(&parts), watch)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

/// For a build script: sets `KFIT_BUILD_ID` (16 hex digits) for the crate
/// being built ([`identity`] of `CARGO_MANIFEST_DIR` in the workspace above
/// it) and tells cargo to run again when one of its inputs changes.
pub fn emit() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let workspace = dir
        .ancestors()
        .find(|a| {
            std::fs::read_to_string(a.join("Cargo.toml"))
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .unwrap_or(&dir)
        .to_path_buf();
    let (id, watch) = identity(&workspace, &dir);
    for w in watch {
        println!("cargo:rerun-if-changed={}", w.display());
    }
    println!("cargo:rustc-env=KFIT_BUILD_ID={id:016x}");
}

/// The build identity of the calling crate ([`emit`] in its build script),
/// as 16 hex digits: part of every cache key.
#[macro_export]
macro_rules! build_id {
    () => {
        env!("KFIT_BUILD_ID")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()
            .unwrap()
    }

    /// The index's identity covers the crates whose code writes it, and
    /// only those.
    #[test]
    fn kbuild_closure_is_its_dependencies() {
        let ws = workspace();
        let names: Vec<String> = crate_closure(&ws, &ws.join("crates/kbuild"))
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["arch", "csrc", "firmware", "kbuild", "util"]);
    }

    /// A change of any source of the closure changes the identity.
    #[test]
    fn a_source_change_changes_the_identity() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path();
        std::fs::write(
            ws.join("Cargo.toml"),
            "[workspace]\n[workspace.dependencies]\nkfit-b = { path = \"b\" }\n",
        )
        .unwrap();
        std::fs::write(ws.join("Cargo.lock"), "").unwrap();
        for (c, toml) in [("a", "[dependencies]\nkfit-b.workspace = true\n"), ("b", "")] {
            std::fs::create_dir_all(ws.join(c).join("src")).unwrap();
            std::fs::write(ws.join(c).join("Cargo.toml"), toml).unwrap();
            std::fs::write(ws.join(c).join("src/lib.rs"), "").unwrap();
        }
        let (before, watch) = identity(ws, &ws.join("a"));
        assert!(watch.contains(&ws.join("b/src")));
        std::fs::write(ws.join("b/src/lib.rs"), "// changed").unwrap();
        assert_ne!(identity(ws, &ws.join("a")).0, before);
    }
}

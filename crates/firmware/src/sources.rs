//! Where the narrowers read the kernel source from.
//!
//! At index time the kernel index takes a [`Snapshot`] of every file a
//! narrower can read ([`Snapshot::take`]) and stores it; at fit time the
//! narrowers read that snapshot, so a fit opens no source file of the tree
//! and sees exactly the tree the index was checked against. [`Tree`] reads
//! the file system directly (tests, callers without an index).

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

/// Tree-relative source files, as text.
pub trait Sources: Sync {
    /// The text of a tree-relative file (`Err`: why it cannot be read).
    fn read(&self, rel: &str) -> Result<Cow<'_, str>, String>;
    /// The files (tree-relative, sorted) directly in `dir`, or below it
    /// with `recursive`.
    fn list(&self, dir: &str, recursive: bool) -> Vec<String>;
}

/// The file system below a kernel tree.
#[derive(Debug, Clone, Copy)]
pub struct Tree<'a>(pub &'a Path);

impl Sources for Tree<'_> {
    fn read(&self, rel: &str) -> Result<Cow<'_, str>, String> {
        let p = self.0.join(rel);
        std::fs::read(&p)
            .map(|b| Cow::Owned(String::from_utf8_lossy(&b).into_owned()))
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    }

    fn list(&self, dir: &str, recursive: bool) -> Vec<String> {
        fn walk(tree: &Path, dir: &str, recursive: bool, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(tree.join(dir)) else {
                return;
            };
            for e in rd.flatten() {
                let Ok(ft) = e.file_type() else { continue };
                let rel = format!("{dir}/{}", e.file_name().to_string_lossy());
                if ft.is_dir() {
                    if recursive {
                        walk(tree, &rel, recursive, out);
                    }
                } else {
                    out.push(rel);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.0, dir.trim_end_matches('/'), recursive, &mut out);
        out.sort();
        out
    }
}

/// A tree path is the tree.
impl Sources for std::path::PathBuf {
    fn read(&self, rel: &str) -> Result<Cow<'_, str>, String> {
        Tree(self).read(rel).map(|c| Cow::Owned(c.into_owned()))
    }

    fn list(&self, dir: &str, recursive: bool) -> Vec<String> {
        Tree(self).list(dir, recursive)
    }
}

/// The texts of the files the narrowers read, taken at index time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    /// Tree-relative path → text.
    files: BTreeMap<String, String>,
}

impl Sources for Snapshot {
    fn read(&self, rel: &str) -> Result<Cow<'_, str>, String> {
        self.files
            .get(rel)
            .map(|t| Cow::Borrowed(t.as_str()))
            .ok_or_else(|| format!("cannot read {rel}: not in the tree (as indexed)"))
    }

    fn list(&self, dir: &str, recursive: bool) -> Vec<String> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .range(prefix.clone()..)
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(&prefix))
            .filter(|k| recursive || !k[prefix.len()..].contains('/'))
            .cloned()
            .collect()
    }
}

/// What [`Snapshot::take`] found.
#[derive(Debug, Default)]
pub struct Taken {
    pub snapshot: Snapshot,
    /// Every file read (tree-relative).
    pub read: Vec<String>,
    /// Files that could not be read (path, error).
    pub unreadable: Vec<(String, String)>,
}

impl Snapshot {
    /// Read every file a narrower of this crate can read
    /// ([`crate::narrowing_inputs`]) from `src`, keeping those whose text
    /// the narrower would look at. Returns the snapshot, every file read
    /// (kept or not: a change to any of them can change the snapshot), and
    /// the files that could not be read (path, error).
    pub fn take(src: &dyn Sources) -> Taken {
        let mut t = Taken::default();
        for (f, needle) in crate::narrowing_inputs(src) {
            match src.read(&f) {
                Ok(text) => {
                    if needle.is_none_or(|n| text.contains(n)) {
                        t.snapshot.files.insert(f.clone(), text.into_owned());
                    }
                    t.read.push(f);
                }
                Err(e) => {
                    let dir = f.rsplit_once('/').map_or("", |(d, _)| d);
                    if src.list(dir, false).contains(&f) {
                        t.unreadable.push((f, e));
                    }
                }
            }
        }
        t
    }

    /// The files it holds (tree-relative, sorted).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Total size of the texts in bytes.
    pub fn size(&self) -> usize {
        self.files.values().map(String::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_lists_like_the_tree() {
        let mut s = Snapshot::default();
        for f in ["a/x.c", "a/b/y.c", "ab/z.c", "a/w.h"] {
            s.files.insert(f.into(), f.into());
        }
        assert_eq!(s.list("a", false), ["a/w.h", "a/x.c"]);
        assert_eq!(s.list("a/", true), ["a/b/y.c", "a/w.h", "a/x.c"]);
        assert_eq!(s.read("a/x.c").unwrap(), "a/x.c");
        assert!(s.read("a/nope.c").is_err());
    }
}

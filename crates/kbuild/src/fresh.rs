//! What an index was built from, and whether it still describes the tree.
//!
//! Every file the indexer read is recorded with its size and mtime (as the
//! Kconfig model cache does for Kconfig files), and every directory it
//! walked with its mtime: a file added, removed or replaced by a new one
//! (`patch`, `git checkout`, an editor's rename) changes its directory's
//! mtime. On load every stamp is checked (in parallel); what changed is
//! re-scanned alone (see [`crate::KernelIndex::load_or_build`]).

use kfit_util::Stamper;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Paths stamped by one [`Stamper`] in a row (sorted paths: a run shares
/// its directories); the runs are spread over the threads.
const RUN: usize = 512;

/// The inputs of an index, tree-relative.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Inputs {
    /// (path, size, mtime ns) of every file read, sorted by path.
    pub files: Vec<(String, u64, u64)>,
    /// (path, mtime ns) of every directory walked, sorted by path (the
    /// tree's top is `""`).
    pub dirs: Vec<(String, u64)>,
}

/// What changed since an index was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files whose size or mtime differ, or that are gone.
    pub files: Vec<String>,
    /// Directories whose mtime differs (an entry was added, removed or
    /// replaced), or that are gone.
    pub dirs: Vec<String>,
}

/// The paths of [`Changes`] (and the files that appeared in a changed
/// directory), for lookups.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changed {
    pub files: std::collections::HashSet<String>,
    pub dirs: std::collections::HashSet<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dirs.is_empty()
    }
}

impl Inputs {
    /// Stamp `files` and `dirs` (tree-relative) now; files that cannot be
    /// stat'ed are left out (they were not read either).
    ///
    /// With `old` (an earlier index's inputs and what changed since), the
    /// stamp `old` has is taken for every file and directory not named
    /// changed: [`Self::changes`] has just found it equal to the tree's.
    pub(crate) fn stamp(
        tree: &Path,
        mut files: Vec<String>,
        mut dirs: Vec<String>,
        old: Option<(&Inputs, &Changed)>,
    ) -> Inputs {
        let old_file = |f: &str| {
            let (o, c) = old?;
            if c.files.contains(f) {
                return None;
            }
            let i = o.files.binary_search_by(|x| x.0.as_str().cmp(f)).ok()?;
            Some((o.files[i].1, o.files[i].2))
        };
        let old_dir = |d: &str| {
            let (o, c) = old?;
            if c.dirs.contains(d) {
                return None;
            }
            let i = o.dirs.binary_search_by(|x| x.0.as_str().cmp(d)).ok()?;
            Some(o.dirs[i].1)
        };
        files.sort_unstable();
        files.dedup();
        dirs.sort_unstable();
        dirs.dedup();
        let files = files
            .par_chunks(RUN)
            .flat_map_iter(|run| {
                let mut st = Stamper::new(tree);
                run.iter()
                    .filter_map(move |f| {
                        let (size, mtime) = old_file(f).or_else(|| st.stamp(f))?;
                        Some((f.clone(), size, mtime))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let dirs = dirs
            .par_chunks(RUN)
            .flat_map_iter(|run| {
                let mut st = Stamper::new(tree);
                run.iter()
                    .filter_map(move |d| {
                        let mtime = old_dir(d).or_else(|| Some(st.stamp(d)?.1))?;
                        Some((d.clone(), mtime))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Inputs { files, dirs }
    }

    /// Compare every stamp with the tree (one `stat` per entry, relative to
    /// its directory, in parallel).
    pub fn changes(&self, tree: &Path) -> Changes {
        let files = self
            .files
            .par_chunks(RUN)
            .flat_map_iter(|run| {
                let mut st = Stamper::new(tree);
                run.iter()
                    .filter(move |(f, size, mtime)| st.stamp(f) != Some((*size, *mtime)))
                    .map(|(f, _, _)| f.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        let dirs = self
            .dirs
            .par_chunks(RUN)
            .flat_map_iter(|run| {
                let mut st = Stamper::new(tree);
                run.iter()
                    .filter(move |(d, mtime)| st.stamp(d).map(|s| s.1) != Some(*mtime))
                    .map(|(d, _)| d.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        Changes { files, dirs }
    }
}

/// True if `path` is a global header root (`include/`,
/// `arch/<srcarch>/include/`) or below it: the macros of every translation
/// unit come from there, so a change there re-scans everything (as does a
/// change of the configuration policy, which the rebuild compares).
pub(crate) fn is_global(path: &str, srcarch: &str) -> bool {
    let under = |r: &str| path == r || path.strip_prefix(r).is_some_and(|rest| rest.starts_with('/'));
    under("include") || under(&format!("arch/{srcarch}/include"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_see_edits_additions_and_removals() {
        let d = std::env::temp_dir().join(format!("kfit-fresh-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("a")).unwrap();
        std::fs::write(d.join("a/x.c"), "x").unwrap();
        std::fs::write(d.join("a/y.c"), "y").unwrap();
        let inp = Inputs::stamp(
            &d,
            vec!["a/x.c".into(), "a/y.c".into(), "a/gone.c".into()],
            vec!["a".into()],
            None,
        );
        assert_eq!(inp.files.len(), 2);
        assert!(inp.changes(&d).is_empty());
        // Give the directory a different mtime for sure.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(d.join("a/x.c"), "longer").unwrap();
        std::fs::remove_file(d.join("a/y.c")).unwrap();
        let c = inp.changes(&d);
        assert_eq!(c.files, ["a/x.c", "a/y.c"]);
        assert_eq!(c.dirs, ["a"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn global_roots() {
        assert!(is_global("include/linux/pci.h", "x86"));
        assert!(is_global("arch/x86/include", "x86"));
        assert!(!is_global("arch/x86/include", "arm64"));
        assert!(is_global("arch/arm64/include/asm/io.h", "arm64"));
        assert!(!is_global("includes/x.h", "x86"));
        assert!(!is_global("drivers/include/x.h", "x86"));
    }
}

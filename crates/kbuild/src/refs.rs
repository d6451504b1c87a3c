//! Every place a Kbuild Makefile tests a `CONFIG_` symbol, with the words
//! (objects, subdirectories, library names) that the test guards.
//!
//! The module index ([`crate::KernelIndex`]) answers "which symbols build
//! module M"; this answers the reverse at the level of single Makefile
//! lines, including composite parts (`drm_display_helper-$(CONFIG_X) +=
//! drm_dp_aux_dev.o`) and `ifdef CONFIG_X` blocks that only add to a
//! variable (`DC_LIBS += dcn20`), which the module index folds away. Two
//! trees' references are comparable: the same guarded word under another
//! symbol is evidence that a symbol was renamed (what `kfit migrate` uses).
//!
//! Read textually (no variable expansion): a word is any token of an
//! assignment's right-hand side that is not a flag (`-x`), not a variable
//! reference and not on a flags line (`ccflags-y`, `CFLAGS_x.o`, ...).

use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// One test of a symbol in a Makefile: `obj-$(CONFIG_X) += a.o`,
/// `foo-$(CONFIG_X) += b.o`, or an `ifdef CONFIG_X` … `endif` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MakeRef {
    /// The Makefile (tree-relative).
    pub makefile: String,
    /// Line of the assignment or of the `ifdef`/`ifeq`.
    pub line: u32,
    /// The test is `ifndef`, `ifeq ($(CONFIG_X),)`, or an `else` branch.
    pub negated: bool,
    /// The line as written (continuations joined, trimmed).
    pub text: String,
    /// Guarded words, each as `dir/word` (tree-relative, `.o` dropped;
    /// directories keep their `/`).
    pub words: Vec<String>,
}

/// A word a Makefile adds with no `CONFIG_` test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unguarded {
    /// The Makefile (tree-relative).
    pub makefile: String,
    /// Line of the assignment.
    pub line: u32,
    /// The variable assigned (`obj-y`, `nf_tables-objs`, `DC_LIBS`).
    pub var: String,
}

/// All Makefile references of a tree.
#[derive(Debug, Clone, Default)]
pub struct MakeRefs {
    /// Symbol (no `CONFIG_`) → its references, by Makefile then line.
    pub by_symbol: HashMap<String, Vec<MakeRef>>,
    /// Word → the first Makefile line adding it under no `CONFIG_` test.
    pub unguarded: HashMap<String, Unguarded>,
}

impl MakeRefs {
    /// The references of `sym` (empty when the Makefiles never test it).
    pub fn of(&self, sym: &str) -> &[MakeRef] {
        self.by_symbol.get(sym).map_or(&[], |v| v.as_slice())
    }

    /// Word → the symbols whose tests guard it (an inverted map; build it
    /// once per comparison).
    pub fn by_word(&self) -> HashMap<&str, Vec<&str>> {
        let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
        for (s, refs) in &self.by_symbol {
            for r in refs {
                for w in &r.words {
                    let v = out.entry(w.as_str()).or_default();
                    if !v.contains(&s.as_str()) {
                        v.push(s.as_str());
                    }
                }
            }
        }
        for v in out.values_mut() {
            v.sort_unstable();
        }
        out
    }
}

/// Scan every Kbuild and Makefile of the tree (the directories the module
/// index of `arch` reads, both files where a directory has both).
pub fn make_refs(tree: &Path, arch: &crate::Arch) -> MakeRefs {
    let w = crate::walk(tree, arch.srcarch(), None);
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for (rel, p) in &w.makefiles {
        files.push((rel.clone(), p.clone()));
        if p.file_name().is_some_and(|n| n == "Kbuild") {
            let m = p.with_file_name("Makefile");
            if m.is_file() {
                files.push((rel.clone(), m));
            }
        }
    }
    let parsed: Vec<Scanned> = files
        .par_iter()
        .filter_map(|(dir, p)| {
            let text = std::fs::read(p).ok()?;
            let name = p.file_name()?.to_string_lossy().into_owned();
            let file = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            Some(scan(dir, &file, &String::from_utf8_lossy(&text)))
        })
        .collect();
    let mut out = MakeRefs::default();
    for (refs, free) in parsed {
        for (s, r) in refs {
            out.by_symbol.entry(s).or_default().push(r);
        }
        for (w, u) in free {
            out.unguarded.entry(w).or_insert(u);
        }
    }
    for v in out.by_symbol.values_mut() {
        v.sort_by(|a, b| (&a.makefile, a.line).cmp(&(&b.makefile, b.line)));
    }
    out
}

/// One Makefile's (symbol, reference) pairs and its unguarded words.
pub type Scanned = (Vec<(String, MakeRef)>, Vec<(String, Unguarded)>);

/// One open conditional: the symbols it tests and their polarity.
struct Frame {
    syms: Vec<(String, bool)>,
    line: u32,
    text: String,
}

/// The references of one Makefile's text: (symbol, reference) pairs and
/// unguarded words.
pub fn scan(dir: &str, file: &str, text: &str) -> Scanned {
    let mut refs: Vec<(String, MakeRef)> = Vec::new();
    // (symbol, frame line, positive) → index in refs, for ifdef blocks.
    let mut block: HashMap<(String, u32, bool), usize> = HashMap::new();
    let mut free = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for (line, raw) in crate::make::logical_lines(text) {
        let l = crate::make::strip_comment(&raw).trim();
        if l.is_empty() {
            continue;
        }
        let (kw, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        match kw {
            "ifdef" | "ifndef" | "ifeq" | "ifneq" => {
                stack.push(Frame {
                    syms: cond_syms(kw, rest.trim()),
                    line,
                    text: l.to_string(),
                });
                continue;
            }
            "else" => {
                if let Some(f) = stack.last_mut() {
                    for s in &mut f.syms {
                        s.1 = !s.1;
                    }
                    let rest = rest.trim();
                    let (kw2, rest2) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                    if matches!(kw2, "ifdef" | "ifndef" | "ifeq" | "ifneq") {
                        f.syms.extend(cond_syms(kw2, rest2.trim()));
                        f.line = line;
                        f.text = l.to_string();
                    }
                }
                continue;
            }
            "endif" => {
                stack.pop();
                continue;
            }
            _ => {}
        }
        let Some((lhs, rhs)) = assignment(l) else {
            continue;
        };
        if is_flags(lhs) {
            continue;
        }
        let words: Vec<String> = rhs
            .split_whitespace()
            .filter(|w| !w.starts_with('-') && !w.contains('$') && !w.contains('='))
            .map(|w| word_key(dir, w))
            .collect();
        let lhs_syms = crate::make::config_syms(lhs);
        for s in &lhs_syms {
            refs.push((
                s.clone(),
                MakeRef {
                    makefile: file.to_string(),
                    line,
                    negated: false,
                    text: l.to_string(),
                    words: words.clone(),
                },
            ));
        }
        let guarded = !lhs_syms.is_empty() || stack.iter().any(|f| !f.syms.is_empty());
        for f in &stack {
            for (s, pos) in &f.syms {
                let i = *block.entry((s.clone(), f.line, *pos)).or_insert_with(|| {
                    refs.push((
                        s.clone(),
                        MakeRef {
                            makefile: file.to_string(),
                            line: f.line,
                            negated: !*pos,
                            text: f.text.clone(),
                            words: Vec::new(),
                        },
                    ));
                    refs.len() - 1
                });
                for w in &words {
                    if !refs[i].1.words.contains(w) {
                        refs[i].1.words.push(w.clone());
                    }
                }
            }
        }
        if !guarded {
            for w in words {
                free.push((
                    w,
                    Unguarded {
                        makefile: file.to_string(),
                        line,
                        var: lhs.to_string(),
                    },
                ));
            }
        }
    }
    (refs, free)
}

/// The symbols a conditional tests, `true` when the branch is taken when
/// the symbol is set.
fn cond_syms(kw: &str, test: &str) -> Vec<(String, bool)> {
    match kw {
        "ifdef" | "ifndef" => {
            let pos = kw == "ifdef";
            test.split_whitespace()
                .filter_map(|w| w.strip_prefix("CONFIG_"))
                .map(|s| (s.to_string(), pos))
                .collect()
        }
        _ => {
            // `ifeq ($(CONFIG_X),)` is taken when X is unset; comparing to a
            // value (`y`, `m`) when it is set.
            let inner = test.trim().trim_start_matches('(').trim_end_matches(')');
            let empty_side = inner
                .rsplit_once(',')
                .is_some_and(|(a, b)| a.trim().is_empty() || b.trim().is_empty())
                || test.contains("\"\"")
                || test.contains("''");
            let pos = (kw == "ifeq") != empty_side;
            crate::make::config_syms(test)
                .into_iter()
                .map(|s| (s, pos))
                .collect()
        }
    }
}

/// `lhs op rhs` of an assignment line (`=`, `:=`, `::=`, `+=`, `?=`), or `None`.
fn assignment(l: &str) -> Option<(&str, &str)> {
    let b = l.as_bytes();
    let mut depth = 0i32;
    for i in 0..b.len() {
        match b[i] {
            b'(' | b'{' => depth += 1,
            b')' | b'}' => depth -= 1,
            b'=' if depth == 0 => {
                let mut s = i;
                while s > 0 && matches!(b[s - 1], b':' | b'+' | b'?' | b'!') {
                    s -= 1;
                }
                return Some((l[..s].trim(), l[i + 1..].trim()));
            }
            b':' if depth == 0 && b.get(i + 1) != Some(&b'=') && b.get(i + 1) != Some(&b':') => return None,
            _ => {}
        }
    }
    None
}

/// Compiler, assembler and linker flag variables and other non-object
/// lists (their words are not objects).
fn is_flags(lhs: &str) -> bool {
    let l = lhs.to_ascii_lowercase();
    l.contains("flags")
        || l.starts_with("kbuild_")
        || l.starts_with("object_files_non_standard")
        || l.contains("_sanitize")
        || l.starts_with("kcov_")
        || l.starts_with("gcov_")
        || l.starts_with("kasan_")
        || l.starts_with("kcsan_")
        || l.starts_with("targets")
        || l.starts_with("clean-")
        || l.starts_with("export ")
}

/// `dir/word` without `./` and `.o`.
fn word_key(dir: &str, w: &str) -> String {
    let w = w.trim_start_matches("./");
    let w = w.strip_suffix(".o").unwrap_or(w);
    if dir.is_empty() || w.starts_with(&format!("{dir}/")) {
        w.to_string()
    } else {
        format!("{dir}/{w}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_blocks_and_polarity() {
        let text = "obj-$(CONFIG_A) += a.o sub/\n\
                    foo-$(CONFIG_B) += b.o\n\
                    ifdef CONFIG_C\nLIBS += c1 \\\n  c2\nccflags-y += -DX\nelse\nLIBS += d\nendif\n\
                    ifeq ($(CONFIG_E),)\nobj-y += e.o\nendif\n\
                    obj-y += free.o\n";
        let (refs, free) = scan("drivers/x", "drivers/x/Makefile", text);
        let get = |s: &str| {
            refs.iter()
                .filter(|(n, _)| n == s)
                .map(|(_, r)| (r.line, r.negated, r.words.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            get("A"),
            vec![(1, false, vec!["drivers/x/a".into(), "drivers/x/sub/".into()])]
        );
        assert_eq!(get("B"), vec![(2, false, vec!["drivers/x/b".into()])]);
        assert_eq!(
            get("C"),
            vec![
                (3, false, vec!["drivers/x/c1".into(), "drivers/x/c2".into()]),
                (3, true, vec!["drivers/x/d".into()])
            ]
        );
        assert_eq!(get("E"), vec![(10, true, vec!["drivers/x/e".into()])]);
        assert_eq!(
            free,
            vec![(
                "drivers/x/free".into(),
                Unguarded {
                    makefile: "drivers/x/Makefile".into(),
                    line: 13,
                    var: "obj-y".into()
                }
            )]
        );
    }

    proptest::proptest! {
        /// Any text: no panic, every reference names a line of the text.
        #[test]
        fn never_panics(text in "(ifdef CONFIG_[A-C]\n|ifeq \\(\\$\\(CONFIG_[A-C]\\),[ym]?\\)\n|else\n|endif\n|obj-\\$\\(CONFIG_[A-C]\\) \\+= [a-z./]{1,6}\n|[a-z-]{1,5} [:+?]?= [a-z.$() -]{0,12}\\\\?\n|[\\PC]{0,10}\n){0,12}") {
            let (refs, _) = scan("d", "d/Makefile", &text);
            let lines = text.lines().count() as u32;
            for (_, r) in refs {
                proptest::prop_assert!(r.line >= 1 && r.line <= lines.max(1));
            }
        }
    }
}

//! The firmware narrowers' view of C source, on the one C reader
//! (kfit-csrc): comment stripping, tokens, a macro table whose `#if`s are
//! honoured ([`Defines`]), brackets and initializers; plus what only the
//! narrowers need: a file's local headers and its `MODULE_FIRMWARE` names,
//! read through [`Sources`].

use crate::Sources;
pub use kfit_csrc::init::{
    braced_after, call_args, designated_fields, group_args, matching_close, top_level_elements,
};
pub use kfit_csrc::{tokenize_str as tokenize, Defines, Tok, K};

/// Comment-free text (line count kept).
pub fn strip_comments(src: &str) -> String {
    kfit_csrc::strip_comments_str(src)
}

/// A C integer literal (`77`, `0x1638`, `0x1638UL`, `017`).
pub fn parse_c_int(n: &str) -> Option<i64> {
    kfit_csrc::parse_int(n).and_then(|v| i64::try_from(v).ok())
}

/// The code of file `rel` (comments stripped, directive lines and
/// branches the configuration policy rules out blanked; line count kept),
/// its definitions added to `defs`.
pub fn read_active(src: &dyn Sources, rel: &str, defs: &mut Defines) -> Result<String, String> {
    src.read(rel).map(|t| defs.active_code(&strip_comments(&t)))
}

/// The tree-relative paths of the `#include "..."` lines of `stripped`
/// (the comment-stripped text of tree-relative file `rel`), relative to its
/// directory.
pub fn local_includes(rel: &str, stripped: &str) -> Vec<String> {
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Vec::new();
    for line in stripped.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(inc) = rest.trim_start().strip_prefix("include") else {
            continue;
        };
        let Some(inner) = inc.trim().strip_prefix('"') else {
            continue;
        };
        if let Some(end) = inner.find('"') {
            out.push(normalize(&format!("{dir}/{}", &inner[..end])));
        }
    }
    out
}

/// `a/b/../c` → `a/c`, `a/./b` → `a/b`.
fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// All `MODULE_FIRMWARE(...)` names a source file (tree-relative, read
/// from `src`) declares, with its own and its local headers' macros
/// expanded. Arguments that do not reduce to a string are skipped.
pub fn module_firmware_in_file(src: &dyn Sources, rel: &str) -> Vec<String> {
    let Ok(text) = src.read(rel) else {
        return Vec::new();
    };
    if !text.contains("MODULE_FIRMWARE") {
        return Vec::new();
    }
    let mut defs = Defines::default();
    let stripped = strip_comments(&text);
    for inc in local_includes(rel, &stripped) {
        if let Ok(h) = src.read(&inc) {
            defs.add_source(&strip_comments(&h));
        }
    }
    let code = defs.active_code(&stripped);
    let toks = tokenize(&code);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        if toks[i].is("MODULE_FIRMWARE") {
            if let Some((args, _)) = call_args(&toks, i + 1) {
                if let Some(first) = args.first() {
                    if let Some(s) = defs.eval_string(first) {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

/// MODULE_FIRMWARE names of every `.c` file below `dir` (tree-relative;
/// sorted, deduplicated).
pub fn module_firmware_in_dir(src: &dyn Sources, dir: &str) -> Vec<String> {
    let files: Vec<String> = src
        .list(dir, true)
        .into_iter()
        .filter(|f| f.ends_with(".c"))
        .collect();
    let mut out: Vec<String> = files
        .iter()
        .flat_map(|f| module_firmware_in_file(src, f))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn expands_iwlwifi_style_macros() {
        let src = r#"
#define IWL_22000_UCODE_API_MAX	77
#define IWL_CC_A_FW_PRE			"iwlwifi-cc-a0"
#define IWL_CC_A_MODULE_FIRMWARE(api)			\
	IWL_CC_A_FW_PRE "-" __stringify(api) ".ucode"
/* comment MODULE_FIRMWARE("nope.bin") */
MODULE_FIRMWARE(IWL_CC_A_MODULE_FIRMWARE(IWL_22000_UCODE_API_MAX));
#define FW "amdgpu/renoir_dmcub.bin"
MODULE_FIRMWARE(FW); // MODULE_FIRMWARE("nope2")
"#;
        let dir = tempdir();
        let p = dir.join("x.c");
        std::fs::write(&p, src).unwrap();
        let names = module_firmware_in_file(&crate::Tree(&dir), "x.c");
        assert_eq!(names, vec!["iwlwifi-cc-a0-77.ucode", "amdgpu/renoir_dmcub.bin"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The brackets are kfit-csrc's (tested there); this wrapper's own part
    /// is the i64 range.
    #[test]
    fn c_ints_in_i64() {
        assert_eq!(parse_c_int("017"), Some(15));
        assert_eq!(parse_c_int("0xffffffffffffffffffff"), None);
        assert_eq!(parse_c_int("0x164C"), Some(0x164c));
        assert_eq!(parse_c_int("12UL"), Some(12));
    }

    fn tempdir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "kfit-fw-csrc-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

//! Drivers that claim the same ID entry and let the probe decide by the
//! chip's revision (AMD's ACP drivers all claim 1022:15e2: renoir's
//! `rn-pci-acp3x.c` returns -ENODEV unless `pci->revision == 0x01`, Yellow
//! Carp's `pci-acp6x.c` accepts `case 0x60: case 0x6f:` of a `switch
//! (pci->revision)` whose `default:` returns -ENODEV). Read from the
//! module's own C sources: the revisions its probe accepts, when it
//! checks exactly one way. A listing that prints `(rev xx)` then picks.

use crate::Location;
use std::collections::BTreeSet;

/// The revisions a driver's source accepts, with where it says so; `None` when it does not check, or checks in a way not
/// read here (two checks, a range, a value that is not a literal or a
/// `#define` in the same directory). `#if`s are decided by `policy`.
pub fn accepted(
    files: &[(String, String)],
    headers: &dyn Fn(&str) -> Vec<String>,
    policy: &kfit_csrc::Policy,
) -> Option<(BTreeSet<u32>, Location)> {
    let mut found: Vec<(BTreeSet<u32>, Location)> = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".c")) {
        let mut from = 0;
        while let Some(i) = text[from..].find("->revision") {
            let at = from + i;
            from = at + "->revision".len();
            let line = u32::try_from(text[..at].matches('\n').count() + 1).unwrap_or(u32::MAX);
            let value = |tok: &str| literal(tok).or_else(|| define(tok, text, &headers(path), policy));
            if let Some(set) = switch_at(text, at, &value) {
                found.push((set, Location::new(path.as_str(), line)));
            } else if let Some(set) = not_equal_at(text, from, &value) {
                found.push((set, Location::new(path.as_str(), line)));
            } else if uses_revision(text, from) {
                return None; // another kind of check
            }
        }
    }
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// `->revision` compared or switched on (not just printed or stored).
fn uses_revision(text: &str, after: usize) -> bool {
    let rest = text[after..].trim_start();
    ["==", "!=", "<", ">", ")"].iter().any(|op| rest.starts_with(op))
}

/// A C integer literal ([`kfit_csrc::parse_int`]).
fn literal(tok: &str) -> Option<u32> {
    kfit_csrc::parse_int(tok.trim()).and_then(|v| u32::try_from(v).ok())
}

/// The value of macro `name` as the source or the headers beside it define
/// it (read with the shared C reader: `#if`s honoured, the body expanded
/// and evaluated; the source's own definition wins).
fn define(name: &str, text: &str, headers: &[String], policy: &kfit_csrc::Policy) -> Option<u32> {
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return None;
    }
    let mut d = kfit_csrc::Defines::with_policy(policy.clone());
    for h in headers.iter().map(String::as_str).chain(std::iter::once(text)) {
        if h.contains(name) {
            d.add_source(&kfit_csrc::strip_comments_str(h));
        }
    }
    d.eval_int(&kfit_csrc::tokenize_str(name))
        .and_then(|v| u32::try_from(v).ok())
}

/// `switch (x->revision) { case A: case B: ... default: ... -ENODEV }`:
/// {A, B} when the default case fails the probe.
fn switch_at(text: &str, at: usize, value: &dyn Fn(&str) -> Option<u32>) -> Option<BTreeSet<u32>> {
    let before = text[..at].trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
    let before = before.trim_end().strip_suffix('(')?.trim_end();
    if !before.ends_with("switch") {
        return None;
    }
    let after = text[at + "->revision".len()..]
        .trim_start()
        .strip_prefix(')')?
        .trim_start();
    let body = after.strip_prefix('{')?;
    // The switch body, to its closing brace.
    let mut depth = 1;
    let mut end = None;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let body = &body[..end?];
    let (cases, default) = body.split_once("default:")?;
    if !["-ENODEV", "-EINVAL", "-ENXIO"]
        .iter()
        .any(|e| default.contains(e))
    {
        return None;
    }
    let mut set = BTreeSet::new();
    for part in cases.split("case ").skip(1) {
        let (v, _) = part.split_once(':')?;
        set.insert(value(v)?);
    }
    (!set.is_empty()).then_some(set)
}

/// `x->revision != V)` followed by a failing return: {V}.
fn not_equal_at(text: &str, after: usize, value: &dyn Fn(&str) -> Option<u32>) -> Option<BTreeSet<u32>> {
    let rest = text[after..].trim_start().strip_prefix("!=")?;
    let (v, rest) = rest.split_once(')')?;
    let v = value(v)?;
    let next: String = rest.chars().take(160).collect();
    let stmt = next.split(';').next()?;
    (stmt.contains("return -") || stmt.contains("-ENODEV")).then(|| BTreeSet::from([v]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(c: &str, h: &str) -> Option<BTreeSet<u32>> {
        let files = vec![("d/x.c".to_string(), c.to_string())];
        let h = h.to_string();
        accepted(&files, &|_| vec![h.clone()], &kfit_csrc::Policy::default()).map(|x| x.0)
    }

    #[test]
    fn forms() {
        assert_eq!(
            run(
                "static int p(struct pci_dev *pci) {\n\tif (pci->revision != 0x01)\n\t\treturn -ENODEV;\n}",
                ""
            ),
            Some(BTreeSet::from([1]))
        );
        assert_eq!(
            run("\tswitch (pci->revision) {\n\tcase 0x60:\n\tcase 0x6f:\n\t\tbreak;\n\tdefault:\n\t\treturn -ENODEV;\n\t}\n", ""),
            Some(BTreeSet::from([0x60, 0x6f]))
        );
        assert_eq!(
            run("\tswitch (pci->revision) {\n\tcase ACP63_PCI_REV:\n\t\tbreak;\n\tdefault:\n\t\tdev_dbg(x);\n\t\treturn -ENODEV;\n\t}\n", "#define ACP63_PCI_REV\t\t0x63\n"),
            Some(BTreeSet::from([0x63]))
        );
        // A define whose value is an expression, one in an #else branch.
        assert_eq!(
            run(
                "if (pci->revision != REV)\n\treturn -ENODEV;\n",
                "#ifdef CONFIG_X\n#define REV (0x60 | 0x2)\n#else\n#define REV 1\n#endif\n"
            ),
            Some(BTreeSet::from([0x62]))
        );
        // A range, or only printing it: not read.
        assert_eq!(run("if (pdev->revision >= 0x20) return -ENODEV;", ""), None);
        assert_eq!(run("dev_info(d, \"rev %d\", pdev->revision);", ""), None);
        // A switch whose default is fine: no constraint.
        assert_eq!(
            run(
                "switch (pci->revision) {\ncase 1: x = 1; break;\ndefault: x = 0;\n}",
                ""
            ),
            None
        );
    }
}

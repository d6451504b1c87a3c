//! Loaded modules: `lsmod`, `/proc/modules`, and a plain list of names (one a
//! line, as in qemu-q35-debian61/modules-loaded.txt).

use super::{is_noise, numbered, Parsed};

pub(crate) fn is_module_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// Module names in first-seen order, duplicates dropped (Machine::add_modules
/// drops them too; this keeps a parser's own output small).
fn push(out: &mut Parsed, m: &str) {
    out.loaded_modules.push(m.to_string());
}

/// `lsmod`: header `Module  Size  Used by`, then `name size count [users]`.
pub(crate) fn parse_lsmod(text: &str, _src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) || line.starts_with("Module ") && line.contains("Used by") {
            continue;
        }
        out.meaningful += 1;
        let mut it = line.split_whitespace();
        match (it.next(), it.next(), it.next()) {
            (Some(m), Some(size), Some(cnt))
                if is_module_name(m) && size.parse::<u64>().is_ok() && cnt.parse::<i64>().is_ok() =>
            {
                push(&mut out, m)
            }
            _ => out.bad_line(no, line),
        }
    }
    out
}

/// `/proc/modules`: `name size refcnt deps state address [taint]`.
pub(crate) fn proc_modules_line(line: &str) -> Option<&str> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 6 || !is_module_name(f[0]) || f[1].parse::<u64>().is_err() || f[2].parse::<i64>().is_err() {
        return None;
    }
    if !matches!(f[4], "Live" | "Loading" | "Unloading") || !f[5].starts_with("0x") {
        return None;
    }
    Some(f[0])
}

pub(crate) fn parse_proc_modules(text: &str, _src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        match proc_modules_line(line) {
            Some(m) => push(&mut out, m),
            None => out.bad_line(no, line),
        }
    }
    out
}

pub(crate) fn parse_list(text: &str, _src: &str) -> Parsed {
    let mut out = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        let t = line.trim();
        if is_module_name(t) {
            push(&mut out, t);
        } else {
            out.bad_line(no, line);
        }
    }
    out
}

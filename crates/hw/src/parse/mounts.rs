//! Mount tables: `/proc/mounts` (= `/proc/self/mounts`, `/etc/mtab`),
//! `mount` output and `findmnt` (tree, `-l`, `-r`, `-P`); and
//! `/proc/filesystems`, the filesystem types a kernel has registered.

use super::{is_noise, numbered, Parsed};
use crate::system::{FsType, Mount};

/// A `/proc/filesystems` line: `nodev<TAB>name` or `<TAB>name`.
pub(crate) fn proc_filesystems_line(line: &str) -> Option<(bool, &str)> {
    let (flag, name) = line.split_once('\t')?;
    let nodev = match flag {
        "nodev" => true,
        "" => false,
        _ => return None,
    };
    let name = name.trim_end();
    is_fstype(name).then_some((nodev, name))
}

/// `/proc/filesystems`.
pub(crate) fn parse_proc_filesystems(text: &str, src: &str) -> Parsed {
    let mut p = Parsed::default();
    for (no, line) in numbered(text) {
        if line.trim().is_empty() {
            continue;
        }
        p.meaningful += 1;
        match proc_filesystems_line(line) {
            Some((nodev, name)) => p.system.filesystems.push(FsType {
                name: name.to_string(),
                nodev,
                evidence: format!("{src}:{no}"),
            }),
            None => p.bad_line(no, line),
        }
    }
    p
}

/// `/proc/mounts`: `SOURCE TARGET FSTYPE OPTIONS FREQ PASSNO`, spaces in
/// paths as `\040`.
pub(crate) fn proc_mounts_line(line: &str) -> Option<(String, String, String)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() != 6 || !f[1].starts_with('/') || !is_fstype(f[2]) {
        return None;
    }
    if !f[4].bytes().all(|c| c.is_ascii_digit()) || !f[5].bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((unescape_octal(f[0]), unescape_octal(f[1]), f[2].to_string()))
}

/// `mount` output: `SOURCE on TARGET type FSTYPE (OPTIONS)`.
pub(crate) fn mount_line(line: &str) -> Option<(String, String, String)> {
    let (source, rest) = line.split_once(" on ")?;
    let (target, rest) = rest.rsplit_once(" type ")?;
    let fstype = rest.split_whitespace().next()?;
    if !target.starts_with('/') || !is_fstype(fstype) || source.is_empty() {
        return None;
    }
    Some((source.to_string(), target.to_string(), fstype.to_string()))
}

/// A `findmnt` header (`TARGET SOURCE FSTYPE OPTIONS`, any order).
pub(crate) fn findmnt_header(line: &str) -> Option<Vec<String>> {
    let cols: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    (cols.iter().any(|c| c == "TARGET") && cols.iter().any(|c| c == "FSTYPE")).then_some(cols)
}

/// `findmnt -P` / `lsblk -P`: `KEY="value"` pairs.
pub(crate) fn pairs(line: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (k, r) = rest.split_once("=\"")?;
        if k.is_empty()
            || !k
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c == b'_' || c == b'-' || c == b'%' || c.is_ascii_digit())
        {
            return None;
        }
        // A value ends at the next `"` (lsblk/findmnt escape quotes as \x22).
        let end = r.find('"')?;
        out.push((k.to_string(), unescape_hex(&r[..end])));
        rest = r[end + 1..].trim_start();
    }
    (!out.is_empty()).then_some(out)
}

fn is_fstype(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
}

/// `\040` → space (the kernel's mangle of ` \t\n\\`).
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (b[i + 1] - b'0') as u32 * 64 + (b[i + 2] - b'0') as u32 * 8 + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `\x20` → space (util-linux's escaping).
fn unescape_hex(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 2]), hex(b[i + 3])) {
                out.push((h * 16 + l) as u8);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn push(p: &mut Parsed, src: &str, no: usize, (source, target, fstype): (String, String, String)) {
    p.system.mounts.push(Mount {
        source,
        target,
        fstype,
        evidence: format!("{src}:{no}"),
    });
}

/// `/proc/mounts`.
pub(crate) fn parse_proc_mounts(text: &str, src: &str) -> Parsed {
    let mut p = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        p.meaningful += 1;
        match proc_mounts_line(line) {
            Some(m) => push(&mut p, src, no, m),
            None => p.bad_line(no, line),
        }
    }
    p.system.infer_boot();
    p
}

/// `mount` output.
pub(crate) fn parse_mount(text: &str, src: &str) -> Parsed {
    let mut p = Parsed::default();
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        p.meaningful += 1;
        match mount_line(line) {
            Some(m) => push(&mut p, src, no, m),
            None => p.bad_line(no, line),
        }
    }
    p.system.infer_boot();
    p
}

/// `findmnt` in its tree, list (`-l`), raw (`-r`) and pairs (`-P`) forms.
pub(crate) fn parse_findmnt(text: &str, src: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut header: Option<Vec<String>> = None;
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        p.meaningful += 1;
        if let Some(kv) = pairs(line) {
            let get = |k: &str| kv.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            match (get("TARGET"), get("FSTYPE")) {
                (Some(t), Some(f)) if is_fstype(&f) => {
                    push(&mut p, src, no, (get("SOURCE").unwrap_or_default(), t, f));
                }
                _ => p.bad_line(no, line),
            }
            continue;
        }
        if header.is_none() {
            if let Some(h) = findmnt_header(line) {
                header = Some(h);
                p.meaningful -= 1;
                continue;
            }
        }
        let Some(h) = &header else {
            p.bad_line(no, line);
            continue;
        };
        // The tree form draws the hierarchy in front of TARGET.
        let t = line.trim_start_matches(|c: char| " │├└─|`-".contains(c));
        let f: Vec<&str> = t.split_whitespace().collect();
        let col = |name: &str| h.iter().position(|c| c == name).and_then(|i| f.get(i).copied());
        match (col("TARGET"), col("FSTYPE")) {
            (Some(target), Some(fstype)) if f.len() == h.len() && is_fstype(fstype) => {
                let target = if target.starts_with('/') {
                    target.to_string()
                } else {
                    format!("/{target}")
                };
                push(
                    &mut p,
                    src,
                    no,
                    (
                        unescape_hex(col("SOURCE").unwrap_or("")),
                        unescape_hex(&target),
                        fstype.to_string(),
                    ),
                );
            }
            _ => p.bad_line(no, line),
        }
    }
    p.system.infer_boot();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            proc_mounts_line("/dev/sda2 /mnt/my\\040disk ext4 rw,relatime 0 0"),
            Some(("/dev/sda2".into(), "/mnt/my disk".into(), "ext4".into()))
        );
        assert_eq!(proc_mounts_line("ext4 8 0 - Live 0x0"), None);
        assert_eq!(
            mount_line("/dev/mapper/vg-root on / type ext4 (rw,relatime)"),
            Some(("/dev/mapper/vg-root".into(), "/".into(), "ext4".into()))
        );
        assert_eq!(mount_line("foo on bar"), None);
        assert_eq!(
            pairs("TARGET=\"/\" SOURCE=\"/dev/vda1\" FSTYPE=\"ext4\""),
            Some(vec![
                ("TARGET".into(), "/".into()),
                ("SOURCE".into(), "/dev/vda1".into()),
                ("FSTYPE".into(), "ext4".into())
            ])
        );
        assert_eq!(unescape_hex("a\\x20b"), "a b");
        assert_eq!(proc_filesystems_line("nodev\tsysfs"), Some((true, "sysfs")));
        assert_eq!(proc_filesystems_line("\text4"), Some((false, "ext4")));
        assert_eq!(proc_filesystems_line("ext4"), None);
    }
}

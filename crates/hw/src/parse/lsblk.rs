//! `lsblk` listings: the default table, `-f`, `-o COLS` (any columns with
//! NAME), the ASCII tree (`-i`), list (`-l`, `-r`) and `-P` pairs.

use super::mounts::pairs;
use super::{is_noise, numbered, Parsed};
use crate::system::BlockDev;

/// An lsblk header: NAME first, and at least one of TYPE, FSTYPE, PTTYPE.
pub(crate) fn header(line: &str) -> Option<Vec<(String, usize, usize)>> {
    let cols = columns(line);
    let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
    (names.first() == Some(&"NAME") && names.iter().any(|c| matches!(*c, "TYPE" | "FSTYPE" | "PTTYPE")))
        .then_some(cols)
}

/// Whitespace-separated words of `line` with their char spans.
fn columns(line: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut word = String::new();
    let chars: Vec<char> = line.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((std::mem::take(&mut word), s, i));
            }
        } else {
            if start.is_none() {
                start = Some(i);
            }
            word.push(*c);
        }
    }
    if let Some(s) = start {
        out.push((word, s, chars.len()));
    }
    out
}

/// `lsblk -P`: the pairs of one device.
pub(crate) fn pairs_line(line: &str) -> Option<Vec<(String, String)>> {
    let kv = pairs(line)?;
    (kv.first().map(|(k, _)| k.as_str()) == Some("NAME")).then_some(kv)
}

fn dev(src: &str, no: usize, get: &dyn Fn(&str) -> Option<String>) -> Option<BlockDev> {
    let name = get("NAME")?;
    let name = name
        .trim_start_matches(|c: char| " │├└─|`-".contains(c))
        .to_string();
    if name.is_empty() {
        return None;
    }
    let nonempty = |k: &str| get(k).filter(|v| !v.is_empty());
    let mut mountpoints: Vec<String> = nonempty("MOUNTPOINTS")
        .or_else(|| nonempty("MOUNTPOINT"))
        .map(|m| vec![m])
        .unwrap_or_default();
    mountpoints.retain(|m| m.starts_with('/') || m == "[SWAP]");
    Some(BlockDev {
        name,
        kind: nonempty("TYPE"),
        fstype: nonempty("FSTYPE"),
        pttype: nonempty("PTTYPE"),
        mountpoints,
        evidence: format!("{src}:{no}"),
    })
}

/// Any lsblk form with a header (or `-P` pairs).
pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut head: Option<Vec<(String, usize, usize)>> = None;
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        if let Some(kv) = pairs_line(line) {
            p.meaningful += 1;
            let get = |k: &str| kv.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            match dev(src, no, &get) {
                Some(d) => p.system.block.push(d),
                None => p.bad_line(no, line),
            }
            continue;
        }
        if head.is_none() {
            head = header(line);
            if head.is_some() {
                continue;
            }
        }
        p.meaningful += 1;
        let Some(h) = &head else {
            p.bad_line(no, line);
            continue;
        };
        // Each word belongs to the header column it overlaps (right-aligned
        // columns such as SIZE end where their header ends); NAME is the
        // first word with the tree drawing before it.
        let words = columns(line);
        let mut vals: Vec<Option<String>> = vec![None; h.len()];
        for (wi, (w, s, e)) in words.iter().enumerate() {
            let col = if wi == 0 {
                Some(0)
            } else {
                h.iter()
                    .position(|(_, hs, he)| s < he && hs < e)
                    .or_else(|| h.iter().rposition(|(_, hs, _)| hs <= s))
            };
            if let Some(c) = col {
                match &mut vals[c] {
                    Some(v) => {
                        v.push(' ');
                        v.push_str(w);
                    }
                    v => *v = Some(w.clone()),
                }
            }
        }
        let get = |k: &str| {
            h.iter()
                .position(|(n, _, _)| n == k)
                .and_then(|i| vals[i].clone())
        };
        match dev(src, no, &get) {
            Some(d) => p.system.block.push(d),
            None => p.bad_line(no, line),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_with_tree() {
        let t = "NAME          MAJ:MIN RM   SIZE RO TYPE  MOUNTPOINTS\nvda           252:0    0    20G  0 disk  \n├─vda1        252:1    0   512M  0 part  /boot/efi\n└─vda2        252:2    0  19.5G  0 part  \n  └─root_crypt 253:0   0  19.5G  0 crypt /\n";
        let p = parse(t, "l");
        assert!(p.bad.is_empty(), "{:?}", p.bad);
        let b = &p.system.block;
        assert_eq!(b.len(), 4);
        assert_eq!(b[3].name, "root_crypt");
        assert_eq!(b[3].kind.as_deref(), Some("crypt"));
        assert_eq!(b[3].mountpoints, ["/"]);
        assert_eq!(b[1].mountpoints, ["/boot/efi"]);
    }

    #[test]
    fn f_form_with_empty_columns() {
        let t = "NAME   FSTYPE      FSVER LABEL UUID                                 FSAVAIL FSUSE% MOUNTPOINTS\nsda                                                                            \n├─sda1 vfat        FAT32       1234-ABCD                             505M     1% /boot/efi\n└─sda2 crypto_LUKS 2           0f0e0d0c-1111-2222-3333-444455556666                \n";
        let p = parse(t, "l");
        assert!(p.bad.is_empty(), "{:?}", p.bad);
        let b = &p.system.block;
        assert_eq!(b[1].fstype.as_deref(), Some("vfat"));
        assert_eq!(b[2].fstype.as_deref(), Some("crypto_LUKS"));
        assert_eq!(b[0].fstype, None);
    }

    #[test]
    fn pairs_form() {
        let t = "NAME=\"md0\" TYPE=\"raid1\" FSTYPE=\"ext4\" PTTYPE=\"\" MOUNTPOINT=\"/srv\"\n";
        let p = parse(t, "l");
        assert_eq!(p.system.block[0].kind.as_deref(), Some("raid1"));
        assert_eq!(p.system.block[0].pttype, None);
    }
}

//! Alias matching for *partial* device strings: a two-sided variant of the
//! one glob matcher (`kfit_util::glob`, kmod's `fnmatch(pattern, modalias,
//! 0)`), on its elements; a concrete modalias goes to that matcher.

use kfit_util::glob::{compile, is_simple, simple_match, Elem as El};

/// Can an unknown device field (`*` in a partial modalias) stand for this
/// pattern element? Field values are upper-case hex digits (pci, usb, hid,
/// virtio, hdaudio) or upper-case ids; the lower-case letters and `:` that
/// separate fields (`v`, `d`, `sv`, `bc`, ...) are never part of a value, so
/// an unknown field cannot swallow the next field's name.
fn field_el(e: &El) -> bool {
    match e {
        El::Lit(c) => c.is_ascii_digit() || c.is_ascii_uppercase() || *c == '_' || *c == '-',
        _ => true,
    }
}

fn match_els(p: &Els, device: &str, tagged: bool) -> bool {
    match p {
        Els::Simple(b) if device.is_ascii() && !device.contains('*') => simple_match(b, device.as_bytes()),
        Els::Full(e) if !device.contains('*') => kfit_util::glob::matches(e, device),
        _ => match_partial_els(p, device.as_bytes(), tagged),
    }
}

/// Pattern elements, without allocating for the common simple patterns.
enum Els<'a> {
    Simple(&'a [u8]),
    Full(Vec<El>),
}

fn elements(pattern: &str) -> Els<'_> {
    if is_simple(pattern) {
        Els::Simple(pattern.as_bytes())
    } else {
        Els::Full(compile(pattern))
    }
}

/// Two-sided match for a *partial* device modalias: a `*` in `device` means
/// "unknown here" and may stand for any run of the pattern's elements
/// (literal or wildcard); the pattern's own `*`, `?` and classes keep their
/// fnmatch meaning. True when some concrete device string could match both.
/// In tagged formats (pci:v…d…sv…, usb:…) a device `*` is one unknown field
/// value: it may not swallow the pattern's lowercase field tags, so
/// `pci:v00001022d00007901sv*sd*bc01sc06i*` does not match
/// `pci:v*d00008139sv000010ECsd00008139bc*sc*i*`.
pub fn match_partial(pattern: &str, device: &str) -> bool {
    // Quick reject on the common literal prefix.
    for (a, b) in pattern.bytes().zip(device.bytes()) {
        if matches!(a, b'*' | b'?' | b'[' | b'\\') || b == b'*' {
            break;
        }
        if a != b {
            return false;
        }
    }
    let bus = device.split(':').next().unwrap_or("");
    let tagged = TAGGED.contains(&bus);
    match_els(&elements(pattern), device, tagged)
}

fn match_partial_els(p: &Els, d: &[u8], tagged: bool) -> bool {
    let np = match p {
        Els::Simple(b) => b.len(),
        Els::Full(e) => e.len(),
    };
    // element i: (is_star, matches(byte), may a device '*' swallow it)
    let el = |i: usize| -> (bool, El) {
        match p {
            Els::Simple(b) => match b[i] {
                b'*' => (true, El::Star),
                b'?' => (false, El::Any),
                c => (false, El::Lit(c as char)),
            },
            Els::Full(e) => (e[i] == El::Star, e[i].clone()),
        }
    };
    let nd = d.len();
    // Row i: row[j] = p[..i] and d[..j] can be aligned. Rolling rows.
    let mut row = vec![false; nd + 1];
    let mut next = vec![false; nd + 1];
    row[0] = true;
    for i in 0..=np {
        let pending = if i < np { Some(el(i)) } else { None };
        let pstar = pending.as_ref().is_some_and(|x| x.0);
        // Within the row: a pending pattern star eats a device char; a
        // device star matches nothing.
        for j in 0..nd {
            if row[j] && (pstar || d[j] == b'*') {
                row[j + 1] = true;
            }
        }
        let Some((star, e)) = pending else { break };
        let swallow = !tagged || field_el(&e);
        for j in 0..=nd {
            let mut r = row[j] && (star || (j < nd && d[j] == b'*' && swallow));
            if !r && j > 0 && !star {
                let c = d[j - 1];
                r = row[j - 1] && c != b'*' && e.matches(c as char);
            }
            next[j] = r;
        }
        std::mem::swap(&mut row, &mut next);
    }
    row[nd]
}

/// Modalias formats made of lowercase tags and uppercase hex values.
const TAGGED: &[&str] = &[
    "pci", "usb", "hid", "hdaudio", "virtio", "sdio", "ieee1394", "ssb", "bcma", "serio", "pcmcia", "sdw",
    "vfio_pci",
];

/// How specific a pattern is: the number of characters it fixes.
pub fn specificity(pattern: &str) -> usize {
    compile(pattern)
        .iter()
        .filter(|e| matches!(e, El::Lit(_) | El::Class(..)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// On concrete strings the two-sided table agrees with the one
        /// matcher (`kfit_util::glob`).
        #[test]
        fn table_agrees_with_fnmatch(p in "[ab?*:]{0,12}", s in "[ab:]{0,12}") {
            let table = match_partial_els(&Els::Simple(p.as_bytes()), s.as_bytes(), false);
            proptest::prop_assert_eq!(kfit_util::glob::fnmatch(&p, &s), table);
        }
    }

    #[test]
    fn partial() {
        let pat = "pci:v00001022d00007901sv*sd*bc*sc*i*";
        assert!(match_partial(pat, "pci:v00001022d00007901sv*sd*bc01sc06i*"));
        let ahci = "pci:v*d*sv*sd*bc01sc06i01*";
        assert!(match_partial(ahci, "pci:v00001022d00007901sv*sd*bc01sc06i*"));
        assert!(!match_partial(ahci, "pci:v00001022d00007901sv*sd*bc03sc00i*"));
        assert!(specificity("pci:v00001022d*") > specificity("pci:v*d*"));
        // A pattern fixing fields the device leaves unknown still matches,
        // but pattern wildcards cannot make unrelated fields line up.
        let rtl = "pci:v*d00008139sv000010ECsd00008139bc*sc*i*";
        assert!(!match_partial(rtl, "pci:v00008086d00002723sv*sd*bc02sc80i*"));
        assert!(match_partial(rtl, "pci:v000010ECd00008139sv*sd*bc02sc00i*"));
        // An unknown field must not swallow the names of the following fields.
        let rtl = "pci:v*d00008139sv000010ECsd00008139bc*sc*i*";
        assert!(!match_partial(rtl, "pci:v00001022d00001632sv*sd*bc06sc00i*"));
    }
}

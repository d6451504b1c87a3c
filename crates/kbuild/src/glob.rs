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

impl Els<'_> {
    fn len(&self) -> usize {
        match self {
            Els::Simple(b) => b.len(),
            Els::Full(e) => e.len(),
        }
    }

    /// Element `i`.
    fn el(&self, i: usize) -> El {
        match self {
            Els::Simple(b) => match b[i] {
                b'*' => El::Star,
                b'?' => El::Any,
                c => El::Lit(c as char),
            },
            Els::Full(e) => e[i].clone(),
        }
    }
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
    Device::new(device).matches(pattern)
}

/// A device modalias prepared for matching many patterns in turn
/// ([`KernelIndex::match_modalias`](crate::KernelIndex::match_modalias)
/// tries thousands against one partial modalias): [`Self::matches`] is
/// [`match_partial`].
pub struct Device<'a> {
    s: &'a str,
    tagged: bool,
    bits: Option<Bits>,
}

/// The device string as bit masks over its positions, for strings of at
/// most [`Bits::MAX`] ASCII bytes: the alignment table of
/// [`match_partial_els`] then fits one `u128` per pattern element (bit `j`:
/// the pattern so far can be aligned with `d[..j]`), and a pattern costs a
/// few word operations per element instead of a pass over the device.
struct Bits {
    /// Positions `0..=len`.
    full: u128,
    /// Positions of the device's own `*` (unknown fields).
    star: u128,
    /// Per ASCII byte, the positions holding it (`*` excluded).
    at: [u128; 128],
}

impl Bits {
    const MAX: usize = 127;

    fn new(d: &[u8]) -> Option<Bits> {
        if d.len() > Self::MAX || !d.is_ascii() {
            return None;
        }
        let mut b = Bits {
            full: if d.len() == Self::MAX {
                u128::MAX
            } else {
                (1u128 << (d.len() + 1)) - 1
            },
            star: 0,
            at: [0; 128],
        };
        for (j, &c) in d.iter().enumerate() {
            if c == b'*' {
                b.star |= 1 << j;
            } else {
                b.at[c as usize] |= 1 << j;
            }
        }
        Some(b)
    }

    /// Positions `j < len` whose (known) character the element accepts.
    fn accepts(&self, e: &El, d: &[u8]) -> u128 {
        match e {
            El::Lit(c) => self.at.get(*c as usize).copied().unwrap_or(0),
            El::Any | El::Star => (self.full >> 1) & !self.star,
            El::Class(..) => d
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c != b'*' && e.matches(c as char))
                .fold(0, |m, (j, _)| m | 1 << j),
        }
    }

    /// [`match_partial_els`] on the masks: the same table, one row a word.
    fn matches(&self, p: &Els, d: &[u8], tagged: bool) -> bool {
        let np = p.len();
        let mut row: u128 = 1;
        for i in 0..=np {
            let pending = (i < np).then(|| p.el(i));
            let pstar = pending == Some(El::Star);
            // Within the row: a pending pattern star eats any device
            // characters from the first aligned position on; a device star
            // matches nothing.
            if pstar {
                if row != 0 {
                    row |= self.full & !((row & row.wrapping_neg()) - 1);
                }
            } else {
                loop {
                    let grown = row | ((row & self.star) << 1);
                    if grown == row {
                        break;
                    }
                    row = grown;
                }
            }
            let Some(e) = pending else { break };
            if pstar {
                continue;
            }
            let swallow = !tagged || field_el(&e);
            let mut next = if swallow { row & self.star } else { 0 };
            next |= (row & self.accepts(&e, d)) << 1;
            row = next & self.full;
        }
        row >> (self.full.count_ones() - 1) & 1 == 1
    }
}

impl<'a> Device<'a> {
    pub fn new(device: &'a str) -> Device<'a> {
        let bus = device.split(':').next().unwrap_or("");
        Device {
            s: device,
            tagged: TAGGED.contains(&bus),
            bits: Bits::new(device.as_bytes()),
        }
    }

    /// [`match_partial`]`(pattern, device)`.
    pub fn matches(&self, pattern: &str) -> bool {
        // Quick reject on the common literal prefix.
        for (a, b) in pattern.bytes().zip(self.s.bytes()) {
            if matches!(a, b'*' | b'?' | b'[' | b'\\') || b == b'*' {
                break;
            }
            if a != b {
                return false;
            }
        }
        let els = elements(pattern);
        match (&els, &self.bits) {
            (Els::Simple(_), _) if self.s.is_ascii() && !self.s.contains('*') => {
                match_els(&els, self.s, self.tagged)
            }
            (_, Some(bits)) => bits.matches(&els, self.s.as_bytes(), self.tagged),
            _ => match_els(&els, self.s, self.tagged),
        }
    }
}

fn match_partial_els(p: &Els, d: &[u8], tagged: bool) -> bool {
    let np = p.len();
    let nd = d.len();
    // Row i: row[j] = p[..i] and d[..j] can be aligned. Rolling rows.
    let mut row = vec![false; nd + 1];
    let mut next = vec![false; nd + 1];
    row[0] = true;
    for i in 0..=np {
        let pending = (i < np).then(|| p.el(i));
        let pstar = pending == Some(El::Star);
        // Within the row: a pending pattern star eats a device char; a
        // device star matches nothing.
        for j in 0..nd {
            if row[j] && (pstar || d[j] == b'*') {
                row[j + 1] = true;
            }
        }
        let Some(e) = pending else { break };
        let star = pstar;
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

    proptest::proptest! {
        /// The bit-mask table agrees with the general one on partial
        /// device strings, tagged or not, classes and escapes included.
        #[test]
        fn bits_agree(p in "[ab?*:A1\\\\\\[\\]!-]{0,14}", d in "[abA1:*]{0,14}", tagged in proptest::bool::ANY) {
            let els = elements(&p);
            let bits = Bits::new(d.as_bytes()).unwrap();
            proptest::prop_assert_eq!(
                bits.matches(&els, d.as_bytes(), tagged),
                match_partial_els(&els, d.as_bytes(), tagged)
            );
        }
    }

    #[test]
    fn bits_at_the_length_limit() {
        let d = format!("{}*", "A".repeat(Bits::MAX - 1));
        let bits = Bits::new(d.as_bytes()).unwrap();
        for p in ["A*", "*A", "*B", &d, "A*A", "?*?"] {
            let els = elements(p);
            assert_eq!(
                bits.matches(&els, d.as_bytes(), true),
                match_partial_els(&els, d.as_bytes(), true),
                "{p}"
            );
        }
        assert!(Bits::new(format!("{d}A").as_bytes()).is_none());
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

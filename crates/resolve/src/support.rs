//! How far a device's known IDs support an alias match.
//!
//! A listing often lacks some IDs (busybox `lspci` has no subsystem ids or
//! prog-if, plain `lsusb` no interfaces, plain `lspci` no numbers at all);
//! the synthesized modalias then carries `*` there and matches every
//! pattern that fixes those fields. That is right for fields that only
//! refine an identity the device has (a subsystem id under a known
//! vendor:device, the prog-if under a known class), and a catch-all
//! otherwise: a host bridge without IDs "matches" every vendor's table.
//!
//! The fields follow `file2alias.c`'s `do_pci_entry` (`v d sv sd bc sc i`)
//! and `do_usb_entry` (`v p d dc dsc dp ic isc ip in`).

/// How an alias pattern relates to what the device's modalias knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Support {
    /// Every field the pattern fixes is known and equal.
    Exact,
    /// The pattern fixes the device's own IDs (PCI vendor+device, USB
    /// vendor+product), which are known; only finer fields are guessed.
    Anchored,
    /// A class (or vendor) pattern whose guessed fields are all refinements
    /// (subsystem ids, prog-if, interface subclass/protocol).
    Refined,
    /// The match rests on an identity field the device does not show.
    Speculative,
}

impl Support {
    /// A match that the device's IDs genuinely support.
    pub fn genuine(self) -> bool {
        self != Support::Speculative
    }
}

struct BusFields {
    prefix: &'static str,
    /// The fields that identify the device itself.
    primary: &'static [&'static str],
    /// Identity fields (primary or class): never guessed without an anchor.
    identity: &'static [&'static str],
}

const BUSES: &[BusFields] = &[
    BusFields {
        prefix: "pci",
        primary: &["v", "d"],
        identity: &["v", "d", "bc", "sc"],
    },
    BusFields {
        prefix: "usb",
        primary: &["v", "p"],
        identity: &["v", "p", "dc", "ic"],
    },
];

/// `pci:v00008086d*sv*...` → `[("v", "00008086"), ("d", "*"), ...]`: keys
/// are the lower-case runs, values what follows up to the next key.
fn fields(s: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    let (prefix, rest) = s.split_once(':')?;
    let b = rest.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let k0 = i;
        while i < b.len() && b[i].is_ascii_lowercase() {
            i += 1;
        }
        if i == k0 {
            return None;
        }
        let v0 = i;
        while i < b.len() && !b[i].is_ascii_lowercase() {
            i += 1;
        }
        out.push((&rest[k0..v0], &rest[v0..i]));
    }
    Some((prefix, out))
}

/// A field value that fixes something (not only `*`/`?`).
fn fixes(v: &str) -> bool {
    v.bytes().any(|c| c != b'*' && c != b'?')
}

/// How far `modalias` (with `*` for unknown fields) supports a match with
/// `pattern`. Buses without a field model, or strings that do not parse
/// as one, count as [`Support::Exact`] (the glob match is all there is).
pub fn support(pattern: &str, modalias: &str) -> Support {
    let (Some((pp, pf)), Some((mp, mf))) = (fields(pattern), fields(modalias)) else {
        return Support::Exact;
    };
    let Some(bus) = BUSES.iter().find(|b| b.prefix == pp && pp == mp) else {
        return Support::Exact;
    };
    if pf.len() != mf.len() || pf.iter().zip(&mf).any(|(a, b)| a.0 != b.0) {
        return Support::Exact;
    }
    let known = |k: &str| mf.iter().any(|(mk, mv)| *mk == k && !mv.contains('*'));
    let fixed = |k: &str| pf.iter().any(|(pk, pv)| *pk == k && fixes(pv));
    let guessed: Vec<&str> = pf
        .iter()
        .filter(|(k, v)| fixes(v) && !known(k))
        .map(|(k, _)| *k)
        .collect();
    if guessed.is_empty() {
        return Support::Exact;
    }
    if bus.primary.iter().all(|k| fixed(k) && known(k)) {
        return Support::Anchored;
    }
    if guessed.iter().any(|k| bus.identity.contains(k)) {
        return Support::Speculative;
    }
    Support::Refined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_fields() {
        let dev = "pci:v00001022d00001639sv*sd*bc0Csc03i*";
        // vendor:device entry: exact.
        assert_eq!(
            support("pci:v00001022d00001639sv*sd*bc*sc*i*", dev),
            Support::Exact
        );
        // Subsystem-specific entry of the same device: anchored.
        assert_eq!(
            support("pci:v00001022d00001639sv000017AAsd*bc*sc*i*", dev),
            Support::Anchored
        );
        // Class entry with the prog-if the listing lacks: a refinement.
        assert_eq!(support("pci:v*d*sv*sd*bc0Csc03i30*", dev), Support::Refined);
        // No IDs at all, only the class: another vendor's table is a guess.
        let anon = "pci:v*d*sv*sd*bc06sc00i*";
        assert_eq!(
            support("pci:v00008086d00001234sv*sd*bc*sc*i*", anon),
            Support::Speculative
        );
        assert_eq!(support("pci:v*d*sv*sd*bc06sc00i*", anon), Support::Exact);
        // Nothing known.
        assert_eq!(
            support("pci:v*d*sv*sd*bc01sc06i01*", "pci:v*d*sv*sd*bc*sc*i*"),
            Support::Speculative
        );
    }

    #[test]
    fn usb_fields() {
        // A USB device from plain lsusb: interface class drivers are guesses,
        // vendor-specific interface entries are anchored.
        let dev = "usb:v0525pA4A2d*dc*dsc*dp*ic*isc*ip*in*";
        assert_eq!(
            support("usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", dev),
            Support::Speculative
        );
        assert_eq!(
            support("usb:v0525pA4A2d*dc*dsc*dp*ic02isc06ip00in*", dev),
            Support::Anchored
        );
        // bcdDevice ranges are refinements.
        assert_eq!(
            support("usb:v0525pA4A2d0[0-2]*dc*dsc*dp*ic*isc*ip*in*", dev),
            Support::Anchored
        );
        // Other buses are not modelled.
        assert_eq!(support("acpi*:PNP0A03:*", "acpi:PNP0A03:"), Support::Exact);
    }
}

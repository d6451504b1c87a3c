//! Listing parsers. Each takes the whole text and returns devices plus the
//! lines it could not read; [`Parsed::finish`] turns those into warnings or an error.

pub(crate) mod dmesg;
pub(crate) mod inxi;
pub(crate) mod lsblk;
pub(crate) mod lshw;
pub(crate) mod lspci;
pub(crate) mod lspci_mm;
pub(crate) mod lspci_tree;
pub(crate) mod lsusb;
pub(crate) mod lsusb_tree;
pub(crate) mod modules;
pub(crate) mod mounts;
pub(crate) mod pci_classes;
pub(crate) mod proc_pci;
pub(crate) mod sysfs_lists;

use crate::error::{Error, Warning};
use crate::input::Notes;
use crate::model::{Device, FirmwareEvidence};

/// Names a listing printed instead of numbers (lspci without `-n`), kept
/// for the reverse lookup in pci.ids ([`crate::names`]). Only fields whose
/// numbers the listing did not give are set.
#[derive(Debug, Default, Clone)]
pub(crate) struct PciNames {
    /// Index into [`Parsed::devices`].
    pub dev: usize,
    pub line: usize,
    /// `Vendor Device` in one string (lspci text forms, `-tv`).
    pub vendor_device: Option<String>,
    /// Separate fields (`-mm`, `-vmm`).
    pub vendor: Option<String>,
    pub device: Option<String>,
    /// `Subvendor Subsystem` in one string (`-v`).
    pub subsystem: Option<String>,
    /// Separate fields (`-mm`, `-vmm`).
    pub subvendor: Option<String>,
    pub subdevice: Option<String>,
    /// Class name (the subclass name when pci.ids has one).
    pub class: Option<String>,
    /// Programming interface name (`-vmm` without `-n`: `ProgIf:\tXHCI`).
    pub prog_if: Option<String>,
}

/// What one parser read from one text.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub devices: Vec<Device>,
    pub loaded_modules: Vec<String>,
    pub kernel_version: Option<String>,
    /// (line number, text) of lines that are not of the format.
    pub bad: Vec<(usize, String)>,
    /// Lines that carried content (for the garbage ratio).
    pub meaningful: usize,
    /// Mounts, block devices, boot firmware (mount and lsblk listings).
    pub system: crate::system::System,
    /// Lines read but with something wrong that is not garbage (a cut
    /// `Kernel driver in use:`, malformed ids): warnings, by message.
    pub notes: Notes,
    /// Names to turn into ids (pci.ids).
    pub pci_names: Vec<PciNames>,
    /// USB interface class names to turn into codes: (device index, line, name).
    pub usb_class_names: Vec<(usize, usize, String)>,
    /// Firmware loads seen (dmesg).
    pub firmware: Vec<FirmwareEvidence>,
}

impl Parsed {
    pub fn bad_line(&mut self, line: usize, text: &str) {
        self.bad.push((line, text.chars().take(120).collect()));
    }

    /// Garbage policy: a handful of unreadable lines (at most 5, or at most a
    /// tenth of the listing) become one warning; more is an error at the first.
    pub fn finish(mut self, source: &str, format: &str) -> Result<(Parsed, Vec<Warning>), Error> {
        let mut warnings = std::mem::take(&mut self.notes).into_warnings(source);
        if let Some((line, text)) = self.bad.first().cloned() {
            let count = self.bad.len();
            let total = self.meaningful.max(count);
            let tolerated = count <= 5 || count * 10 <= total;
            let empty = self.devices.is_empty()
                && self.loaded_modules.is_empty()
                && self.firmware.is_empty()
                && self.system.is_empty();
            if !tolerated || empty {
                return Err(Error::Garbage {
                    source_name: source.to_string(),
                    format: format.to_string(),
                    line,
                    count,
                    total,
                    text,
                });
            }
            warnings.insert(
                0,
                Warning {
                    source: source.to_string(),
                    line,
                    count,
                    message: format!(
                        "skipped {count} unreadable line{} in {format} listing (first: {text:?})",
                        if count == 1 { "" } else { "s" }
                    ),
                },
            );
        }
        Ok((self, warnings))
    }
}

/// Lines with 1-based numbers, `\r` stripped.
pub(crate) fn numbered(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

/// Noise people paste along with command output: a shell prompt with the
/// command, stderr of the tools.
pub(crate) fn is_noise(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || t.starts_with("$ ")
        || t.starts_with("# ")
        || t.starts_with("lspci: ")
        || t.starts_with("pcilib: ")
        || t.starts_with("lsusb: ")
        || t.starts_with("sudo ")
        || t.starts_with("```")
        || is_prompt(t)
}

/// A shell prompt with a command: `user@host:~$ lsusb`, `[root@host ~]# lspci -k`.
fn is_prompt(t: &str) -> bool {
    let Some(i) = t.find("$ ").or_else(|| t.find("# ")) else {
        return false;
    };
    let (prompt, cmd) = (&t[..i], t[i + 2..].trim_start());
    prompt.contains('@')
        && prompt.len() <= 80
        && !prompt.contains('\t')
        && !prompt.contains(": ")
        && cmd
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == b'/' || c == b'.')
}

/// Text pasted from a Markdown code block or a mail quote: strip the indentation
/// (spaces only) that every non-blank line shares. Line numbers are kept.
pub(crate) fn dedent(text: &str) -> std::borrow::Cow<'_, str> {
    let lines = || {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("```"))
    };
    let min = lines()
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    if min == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for l in text.split_inclusive('\n') {
        let n = l.len() - l.trim_start_matches(' ').len();
        out.push_str(&l[n.min(min)..]);
    }
    std::borrow::Cow::Owned(out)
}

/// `bb:dd.f` or `dddd:bb:dd.f` → `dddd:bb:dd.f` (lower case, 4-digit domain
/// unless longer).
pub(crate) fn norm_pci_slot(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(':').collect();
    let (dom, bus, df) = match parts.as_slice() {
        [b, df] => ("0000", *b, *df),
        [d, b, df] => (*d, *b, *df),
        _ => return None,
    };
    let (dev, func) = df.split_once('.')?;
    let hex = |x: &str, min: usize, max: usize| {
        x.len() >= min && x.len() <= max && x.bytes().all(|c| c.is_ascii_hexdigit())
    };
    if !(hex(dom, 4, 8) && hex(bus, 2, 2) && hex(dev, 2, 2) && func.len() == 1 && hex(func, 1, 1)) {
        return None;
    }
    if func.as_bytes()[0] > b'7' {
        return None;
    }
    Some(format!("{}:{}:{}.{}", dom, bus, dev, func).to_ascii_lowercase())
}

/// `dddd:bb` of a PCI address.
pub(crate) fn pci_domain_bus(addr: &str) -> Option<(u32, u32)> {
    let mut it = addr.split(':');
    let d = u32::from_str_radix(it.next()?, 16).ok()?;
    let b = u32::from_str_radix(it.next()?, 16).ok()?;
    Some((d, b))
}

/// Exactly `n` hex digits.
pub(crate) fn hex_n(s: &str, n: usize) -> Option<u32> {
    if s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit()) {
        u32::from_str_radix(s, 16).ok()
    } else {
        None
    }
}

/// `vvvv:dddd` → (v, d).
pub(crate) fn id_pair(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    Some((hex_n(a, 4)?, hex_n(b, 4)?))
}

/// A trailing `[...]` group: (text before, inside). Only the last group.
pub(crate) fn trailing_bracket(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_end();
    let inner = s.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    Some((inner[..open].trim_end(), &inner[open + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn dedent_markdown_paste() {
        let t = "```\n    00:02.0 VGA: x\n    \tKernel driver in use: i915\n\n```\n";
        assert_eq!(
            dedent(t),
            "```\n00:02.0 VGA: x\n\tKernel driver in use: i915\n\n```\n"
        );
        assert_eq!(dedent("/:  Bus 01\n    |__ Port 1"), "/:  Bus 01\n    |__ Port 1");
    }

    #[test]
    fn slots() {
        assert_eq!(norm_pci_slot("03:00.0").as_deref(), Some("0000:03:00.0"));
        assert_eq!(norm_pci_slot("0001:00:1F.7").as_deref(), Some("0001:00:1f.7"));
        assert_eq!(norm_pci_slot("10000:e0:17.0").as_deref(), Some("10000:e0:17.0"));
        assert_eq!(norm_pci_slot("00:00.8"), None);
        assert_eq!(norm_pci_slot("00: 86"), None);
        assert_eq!(norm_pci_slot("0:00.0"), None);
    }
}

//! Kernel logs as a listing: `dmesg` (plain, `-T`, `-x`, `-r`, `-t`,
//! `--time-format iso`), `journalctl -k` / syslog `kern.log`, and
//! `/dev/kmsg` records. They give:
//!
//! - devices and the drivers that probed them, from the `dev_printk` prefix
//!   `<driver or bus> <device>: message` (drivers/base/core.c
//!   `dev_driver_string`: the bound driver's name, else the bus name):
//!   `xhci_hcd 0000:00:14.0: ...` is device 0000:00:14.0 with driver
//!   xhci_hcd; `pci 0000:00:14.0: [8086:a36d] type 00 class 0x0c0330` gives
//!   its ids and class (drivers/pci/probe.c); `usb 1-3: New USB device
//!   found, idVendor=8087, idProduct=0026, bcdDevice= 0.02` a USB device
//!   (drivers/usb/core/hub.c); `hid-generic 0003:046D:C52B.0001: ...` a HID
//!   device. The last driver named for a device is kept as its driver (a
//!   probe that failed afterwards cannot be told apart: the log is
//!   evidence, not the binding);
//! - firmware files loaded or not (`Direct firmware load for X failed with
//!   error -2` of drivers/base/firmware_loader/main.c, Debian's
//!   `firmware: direct-loading firmware X`, iwlwifi's `loaded firmware
//!   version ... NAME op_mode`, i915's `Finished loading DMC firmware X` and
//!   `GuC firmware X version`, `Unable to load firmware X`, ...):
//!   [`FirmwareEvidence`];
//! - the kernel release (`Linux version 6.1.0-56-amd64 ...`).
//!
//! Lines without a recognised prefix are messages too (`dmesg -t`,
//! continuation lines); none is "unreadable".

use super::{id_pair, norm_pci_slot, numbered, Parsed};
use crate::model::{Bus, Device, FirmwareEvidence};
use std::collections::HashMap;

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// `[    1.234567] ` or `[Thu Dec  3 17:51:00 2026] `: the bracket's length.
fn bracket_stamp(s: &str) -> Option<usize> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find(']')?;
    let t = inner[..end].trim();
    let mono = t.split_once('.').is_some_and(|(a, b)| digits(a) && digits(b));
    let human = t.len() >= 20
        && t.rsplit(' ').next().is_some_and(|y| y.len() == 4 && digits(y))
        && t.contains(':')
        && t.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b' ' || c == b':');
    (mono || human).then_some(end + 2)
}

/// `2026-12-03T17:51:00,123456+00:00` (dmesg --time-format iso, journalctl -o short-iso).
fn iso_stamp(s: &str) -> Option<usize> {
    let w = s.split(' ').next()?;
    let b = w.as_bytes();
    (b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && digits(&w[..4]))
        .then_some(w.len() + 1)
}

/// `Dec 03 17:51:00 ` / `Dec  3 17:51:00 ` (journalctl short, syslog).
fn syslog_stamp(s: &str) -> Option<usize> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    if s.len() < 16 || !MONTHS.iter().any(|m| s.starts_with(m)) || !s.is_char_boundary(16) {
        return None;
    }
    // Bytes, not a str slice: the text may be anything (found by fuzzing).
    let b = s.as_bytes();
    (b[6] == b' ' && b[9] == b':' && b[12] == b':' && b[15] == b' ').then_some(16)
}

/// The kernel message of one log line, if the line has a log prefix.
pub(crate) fn message(line: &str) -> Option<&str> {
    let mut s = line;
    let mut found = false;
    // dmesg -r: `<6>`.
    if let Some(r) = s.strip_prefix('<') {
        if let Some((n, rest)) = r.split_once('>') {
            if digits(n) && n.len() <= 3 {
                s = rest;
                found = true;
            }
        }
    }
    // /dev/kmsg: `6,339,5140900,-;message`.
    if let Some((head, rest)) = s.split_once(';') {
        let f: Vec<&str> = head.split(',').collect();
        if f.len() >= 4 && digits(f[0]) && digits(f[1]) && digits(f[2]) {
            return Some(rest);
        }
    }
    // dmesg -x: `kern  :info  : `.
    if let Some((fac, rest)) = s.split_once(':') {
        if matches!(fac.trim_end(), "kern" | "user" | "daemon" | "syslog") {
            if let Some((lvl, rest)) = rest.split_once(':') {
                if matches!(
                    lvl.trim(),
                    "emerg" | "alert" | "crit" | "err" | "warn" | "notice" | "info" | "debug"
                ) {
                    s = rest.strip_prefix(' ').unwrap_or(rest);
                    found = true;
                }
            }
        }
    }
    if let Some(n) = syslog_stamp(s).or_else(|| iso_stamp(s)) {
        // `host kernel: ` follows in journal/syslog lines; dmesg iso has none.
        let rest = &s[n..];
        match rest.split_once(' ') {
            Some((_, r)) if r.starts_with("kernel: ") => {
                s = &r[8..];
                found = true;
            }
            _ if iso_stamp(s).is_some() && !rest.contains(" kernel: ") => {
                s = rest;
                found = true;
            }
            _ => return None, // another program's journal line
        }
    }
    if let Some(n) = bracket_stamp(s) {
        s = s.get(n..).unwrap_or("");
        s = s.strip_prefix(' ').unwrap_or(s);
        found = true;
    }
    found.then_some(s)
}

/// Does this line start a kernel log? (format detection)
pub(crate) fn is_log_line(line: &str) -> bool {
    message(line).is_some() || line.starts_with("Linux version ")
}

/// Device name kinds in `dev_printk` prefixes.
fn device_of(name: &str) -> Option<(Bus, String)> {
    if name.len() >= 12 {
        if let Some(a) = norm_pci_slot(name) {
            return Some((Bus::Pci, a));
        }
    }
    let usb_dev = |n: &str| {
        n.split_once('-')
            .is_some_and(|(b, p)| digits(b) && !p.is_empty() && p.split('.').all(digits))
            || n.strip_prefix("usb").is_some_and(digits)
    };
    let (dev, iface) = name.split_once(':').unwrap_or((name, ""));
    if usb_dev(dev)
        && (iface.is_empty() || iface.split_once('.').is_some_and(|(c, i)| digits(c) && digits(i)))
    {
        return Some((Bus::Usb, name.to_string()));
    }
    // HID: `0003:046D:C52B.0001`.
    let b = name.as_bytes();
    if b.len() == 19
        && b[4] == b':'
        && b[9] == b':'
        && b[14] == b'.'
        && name.bytes().filter(|c| c.is_ascii_hexdigit()).count() == 16
    {
        return Some((Bus::Hid, name.to_string()));
    }
    if let Some(r) = name.strip_prefix("hdaudioC") {
        if r.split_once('D').is_some_and(|(c, d)| digits(c) && digits(d)) {
            return Some((Bus::HdAudio, name.to_string()));
        }
    }
    // A device-tree device (`9030000.pl061`): platform or amba, the log
    // does not say; the bus stays unknown until another listing merges.
    if crate::devicetree::is_bus_id(name) {
        return Some((Bus::default(), name.to_string()));
    }
    None
}

fn is_driver_word(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 64
        && w.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

/// Words that are bus names, not drivers, in `dev_printk` prefixes.
fn is_bus_word(w: &str, bus: &Bus) -> bool {
    w == bus.as_str()
        || matches!(w, "pci_bus" | "hid")
        || (bus.is_unknown() && matches!(w, "platform" | "amba" | "of_platform"))
}

/// Firmware file names in a message about firmware.
fn firmware_names(msg: &str) -> Vec<String> {
    const EXT: [&str; 20] = [
        ".bin", ".ucode", ".fw", ".sbin", ".pnvm", ".sfi", ".ddc", ".hex", ".dat", ".img", ".zst", ".xz",
        ".tlv", ".nvm", ".mbn", ".hcd", ".cis", ".txt", ".db", ".fw2",
    ];
    msg.split_whitespace()
        .map(|t| {
            t.trim_matches(|c: char| matches!(c, '"' | '\'' | '(' | ')' | ',' | ':' | ';' | '!' | '[' | ']'))
        })
        .filter(|t| {
            t.len() > 3
                && t.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-' | b'+'))
                && !t.starts_with('/')
                && !t.starts_with('.')
                && t.contains('.')
                && EXT.iter().any(|e| t.ends_with(e))
        })
        .map(str::to_string)
        .collect()
}

fn firmware_outcome(msg: &str) -> Option<bool> {
    let l = msg.to_ascii_lowercase();
    if !(l.contains("firmware") || l.contains("loading") || l.contains(" fw ")) {
        return None;
    }
    const FAIL: [&str; 9] = [
        "fail",
        "unable",
        "not found",
        "error",
        "missing",
        "cannot",
        "can't",
        "couldn't",
        "no such",
    ];
    if FAIL.iter().any(|f| l.contains(f)) {
        return Some(false);
    }
    if ["load", "found", "version", "using"]
        .iter()
        .any(|f| l.contains(f))
    {
        return Some(true);
    }
    None
}

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut index: HashMap<(Bus, String), usize> = HashMap::new();
    for (no, line) in numbered(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with("-- ") {
            continue;
        }
        out.meaningful += 1;
        let msg = message(line).unwrap_or(line);
        if let Some(r) = msg.strip_prefix("Linux version ") {
            if let Some(k) = r.split_whitespace().next() {
                out.kernel_version.get_or_insert(k.to_string());
            }
            continue;
        }
        // `word device: rest`
        let mut dev: Option<(usize, Option<String>)> = None;
        let mut rest = msg;
        if let Some((word, r)) = msg.split_once(' ') {
            if let Some((name, r2)) = r
                .split_once(": ")
                .or_else(|| r.strip_suffix(':').map(|n| (n, "")))
            {
                if is_driver_word(word) && !name.contains(' ') {
                    if let Some((bus, addr)) = device_of(name) {
                        let i = *index.entry((bus.clone(), addr.clone())).or_insert_with(|| {
                            let mut d = Device::new(bus.clone(), addr);
                            d.sources.push(format!("{src}:{no}"));
                            out.devices.push(d);
                            out.devices.len() - 1
                        });
                        let drv = (!is_bus_word(word, &bus)).then(|| word.to_string());
                        dev = Some((i, drv));
                        rest = r2;
                    }
                }
            }
        }
        if let Some((i, drv)) = &dev {
            let d = &mut out.devices[*i];
            if let Some(drv) = drv {
                d.driver = Some(drv.clone());
            }
            device_facts(d, rest);
        }
        // Firmware.
        if let Some(loaded) = firmware_outcome(rest) {
            let (driver, device) = match &dev {
                Some((i, drv)) => (drv.clone(), Some(out.devices[*i].address.clone())),
                None => (None, None),
            };
            for mut name in firmware_names(rest) {
                // iwlwifi prints its file name without "iwlwifi-" (iwl-drv.c iwl_reduced_fw_name).
                if driver.as_deref() == Some("iwlwifi")
                    && rest.contains("loaded firmware version")
                    && name.ends_with(".ucode")
                    && !name.starts_with("iwlwifi-")
                {
                    name = format!("iwlwifi-{name}");
                }
                out.firmware.push(FirmwareEvidence {
                    name,
                    loaded,
                    driver: driver.clone(),
                    device: device.clone(),
                    source: format!("{src}:{no}"),
                });
            }
        }
    }
    // USB interfaces carry their device's numbers (for merging with lsusb).
    let nums: HashMap<String, (Option<u32>, Option<u32>)> = out
        .devices
        .iter()
        .filter(|d| d.bus == Bus::Usb && !d.address.contains(':'))
        .map(|d| (d.address.clone(), (d.busnum, d.devnum)))
        .collect();
    for d in out.devices.iter_mut().filter(|d| d.is_usb_interface()) {
        let dev = d.address.split(':').next().unwrap_or("");
        let dev = match dev.strip_suffix("-0") {
            Some(b) => format!("usb{b}"),
            None => dev.to_string(),
        };
        if let Some(&(b, n)) = nums.get(&dev) {
            d.busnum = d.busnum.or(b);
            d.devnum = d.devnum.or(n);
        }
    }
    out
}

/// Facts a message about a known device gives.
fn device_facts(d: &mut Device, msg: &str) {
    match d.bus {
        Bus::Pci => {
            // drivers/pci/probe.c: `[8086:a36d] type 00 class 0x0c0330 ...`
            if let Some(r) = msg.strip_prefix('[') {
                if let Some((ids, r)) = r.split_once(']') {
                    if let Some((v, dv)) = id_pair(ids) {
                        d.vendor = Some(v);
                        d.device = Some(dv);
                        if let Some(c) = r.split(" class 0x").nth(1) {
                            let c = c.get(..6).unwrap_or("");
                            if let Ok(c) = u32::from_str_radix(c, 16) {
                                d.class = Some(c >> 16);
                                d.subclass = Some((c >> 8) & 0xff);
                                d.prog_if = Some(c & 0xff);
                            }
                        }
                    }
                }
            }
            // `PCI bridge to [bus 02-03]`
            if let Some(r) = msg.strip_prefix("PCI bridge to [bus ") {
                let r = r.split(']').next().unwrap_or("");
                let (a, b) = r.split_once('-').unwrap_or((r, r));
                if super::hex_n(a, 2).is_some() && super::hex_n(b, 2).is_some() {
                    d.attrs.insert("secondary".into(), a.to_ascii_lowercase());
                    d.attrs.insert("subordinate".into(), b.to_ascii_lowercase());
                }
            }
        }
        Bus::Usb => {
            let busnum = d
                .address
                .strip_prefix("usb")
                .or_else(|| d.address.split('-').next())
                .and_then(|b| b.parse().ok());
            d.busnum = d.busnum.or(busnum);
            if d.address.starts_with("usb") {
                d.devnum = Some(1);
            }
            // hub.c: `new high-speed USB device number 4 using xhci_hcd`
            if let Some(r) = msg.split(" USB device number ").nth(1) {
                if let Some(n) = r.split(' ').next().and_then(|n| n.parse().ok()) {
                    d.devnum = Some(n);
                }
            }
            // `New USB device found, idVendor=8087, idProduct=0026, bcdDevice= 0.02`
            if let Some(r) = msg.strip_prefix("New USB device found, ") {
                for part in r.split(", ") {
                    if let Some((k, v)) = part.split_once('=') {
                        let v = v.trim();
                        match k {
                            "idVendor" => d.vendor = u32::from_str_radix(v, 16).ok(),
                            "idProduct" => d.device = u32::from_str_radix(v, 16).ok(),
                            "bcdDevice" => {
                                if let Some((a, b)) = v.split_once('.') {
                                    if let (Ok(a), Ok(b)) =
                                        (u32::from_str_radix(a, 16), u32::from_str_radix(b, 16))
                                    {
                                        d.revision = Some((a << 8) | b);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            if let Some(p) = msg.strip_prefix("Product: ") {
                d.name = Some(p.trim().to_string());
            }
        }
        Bus::Hid => {
            let f: Vec<&str> = d.address.split([':', '.']).collect();
            if f.len() == 4 {
                d.vendor = u32::from_str_radix(f[1], 16).ok();
                d.device = u32::from_str_radix(f[2], 16).ok();
                d.attrs.insert("hid_bus".into(), f[0].to_ascii_lowercase());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        for (l, m) in [
            ("[    1.234567] pci 0000:00:00.0: x", "pci 0000:00:00.0: x"),
            ("[Thu Dec  3 17:51:00 2026] usb 1-1: x", "usb 1-1: x"),
            ("<6>[    0.000000] Linux version 6.1", "Linux version 6.1"),
            ("6,339,5140900,-;NET: Registered", "NET: Registered"),
            ("kern  :info  : [    1.0] hello", "hello"),
            (
                "Dec 03 17:51:00 host kernel: e1000e 0000:00:1f.6: x",
                "e1000e 0000:00:1f.6: x",
            ),
            ("Dec  3 17:51:00 host kernel: [    2.5] foo", "foo"),
            ("2026-12-03T17:51:00,123456+00:00 bar", "bar"),
            ("2026-12-03T17:51:00+0000 host kernel: baz", "baz"),
        ] {
            assert_eq!(message(l), Some(m), "{l}");
        }
        assert_eq!(message("Dec 03 17:51:00 host systemd[1]: Started"), None);
        // Multi-byte characters where the time should be (fuzz crash 315b923e).
        assert_eq!(
            message("Dec \u{fffd}\u{fffd}\u{fffd}:57 thinkpad kernel: x"),
            None
        );
        assert_eq!(message("00:00.0 Host bridge: x"), None);
        assert_eq!(message("[0000:00]-+-00.0"), None);
    }

    #[test]
    fn devices_and_firmware() {
        let t = "\
[    0.1] pci 0000:00:14.3: [8086:a0f0] type 00 class 0x028000
[    0.2] pci 0000:00:1c.0: PCI bridge to [bus 02-03]
[    5.0] iwlwifi 0000:00:14.3: Direct firmware load for iwlwifi-QuZ-a0-hr-b0-77.ucode failed with error -2
[    5.1] iwlwifi 0000:00:14.3: loaded firmware version 74.fe5a8d0d.0 QuZ-a0-hr-b0-74.ucode op_mode iwlmvm
[    5.2] i915 0000:00:02.0: [drm] Finished loading DMC firmware i915/tgl_dmc_ver2_12.bin (v2.12)
[    5.3] r8169 0000:02:00.0: firmware: direct-loading firmware rtl_nic/rtl8168h-2.fw
[    5.4] firmware_class: See https://wiki.debian.org/Firmware for information about missing firmware
[    6.0] usb 1-3: new full-speed USB device number 4 using xhci_hcd
[    6.1] usb 1-3: New USB device found, idVendor=8087, idProduct=0026, bcdDevice= 0.02
[    6.2] btusb 1-3:1.0: hello
[    6.3] Bluetooth: hci0: Found device firmware: intel/ibt-19-0-4.sfi
[    6.4] hid-generic 0003:046D:C52B.0001: input,hidraw0: USB HID v1.11 Keyboard
";
        let p = parse(t, "d");
        let w = p.devices.iter().find(|d| d.address == "0000:00:14.3").unwrap();
        assert_eq!(
            (w.vendor, w.device, w.class, w.subclass),
            (Some(0x8086), Some(0xa0f0), Some(2), Some(0x80))
        );
        assert_eq!(w.driver.as_deref(), Some("iwlwifi"));
        let b = p.devices.iter().find(|d| d.address == "0000:00:1c.0").unwrap();
        assert_eq!(b.attrs["subordinate"], "03");
        let u = p.devices.iter().find(|d| d.address == "1-3:1.0").unwrap();
        assert_eq!(
            (u.busnum, u.devnum, u.driver.as_deref()),
            (Some(1), Some(4), Some("btusb"))
        );
        let h = p.devices.iter().find(|d| d.bus == Bus::Hid).unwrap();
        assert_eq!(
            (h.vendor, h.device, h.driver.as_deref()),
            (Some(0x46d), Some(0xc52b), Some("hid-generic"))
        );
        let fw: Vec<(&str, bool)> = p.firmware.iter().map(|f| (f.name.as_str(), f.loaded)).collect();
        assert_eq!(
            fw,
            [
                ("iwlwifi-QuZ-a0-hr-b0-77.ucode", false),
                ("iwlwifi-QuZ-a0-hr-b0-74.ucode", true),
                ("i915/tgl_dmc_ver2_12.bin", true),
                ("rtl_nic/rtl8168h-2.fw", true),
                ("intel/ibt-19-0-4.sfi", true),
            ]
        );
        assert_eq!(p.firmware[0].device.as_deref(), Some("0000:00:14.3"));
        assert_eq!(p.firmware[3].driver.as_deref(), Some("r8169"));
    }
}

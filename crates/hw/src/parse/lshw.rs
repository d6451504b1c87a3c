//! `lshw` (plain and `-numeric`, whole or `-C class`): nodes `*-name`
//! with indented `key: value` lines. Read are `bus info` (`pci@0000:00:02.0`,
//! `usb@1:4` = bus 1, ports 4), `configuration` (`driver=i915`), and
//! `vendor`/`product` (`Intel Corporation [8086]`, `... [8086:9B41]` with
//! `-numeric`; names alone go through pci.ids like plain lspci's).
//! Nodes without a PCI or USB bus address (cpu, memory, disks) are skipped.

use super::{is_noise, norm_pci_slot, numbered, Parsed, PciNames};
use crate::model::{Bus, Device};

/// `*-network` (also `*-usb:0`, `*-network DISABLED`): a node line.
pub(crate) fn node(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let name = t.strip_prefix("*-")?;
    let w = name.split_whitespace().next()?;
    (!w.is_empty()
        && w.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.')))
    .then_some(w)
}

/// `Name [8086:9B41]` / `Name [8086]`: (name, numbers).
fn name_ids(v: &str) -> (Option<String>, Vec<u32>) {
    let v = v.trim();
    if let Some((name, ids)) = super::trailing_bracket(v) {
        let nums: Option<Vec<u32>> = ids
            .split(':')
            .map(|x| (x.len() <= 4).then(|| u32::from_str_radix(x, 16).ok()).flatten())
            .collect();
        if let Some(n) = nums.filter(|n| !n.is_empty()) {
            return (Some(name.to_string()).filter(|s| !s.is_empty()), n);
        }
    }
    (Some(v.to_string()).filter(|s| !s.is_empty()), Vec::new())
}

#[derive(Default)]
struct Node {
    line: usize,
    bus_info: Option<String>,
    driver: Option<String>,
    vendor: Option<String>,
    product: Option<String>,
}

fn finish(n: Node, src: &str, out: &mut Parsed) {
    let Some(info) = n.bus_info.as_deref() else { return };
    let (vn, vids) = n.vendor.as_deref().map(name_ids).unwrap_or_default();
    let (pn, pids) = n.product.as_deref().map(name_ids).unwrap_or_default();
    let mut d = if let Some(slot) = info.strip_prefix("pci@").and_then(norm_pci_slot) {
        Device::new(Bus::Pci, slot)
    } else if let Some(u) = info.strip_prefix("usb@") {
        // `usb@1:4.2` = bus 1, port path 4.2: sysfs `1-4.2` (`usb@1` a root hub).
        let (bus, ports) = u.split_once(':').unwrap_or((u, ""));
        if bus.is_empty() || !bus.bytes().all(|c| c.is_ascii_digit()) {
            return;
        }
        let name = if ports.is_empty() {
            format!("usb{bus}")
        } else {
            format!("{bus}-{ports}")
        };
        let mut d = Device::new(Bus::Usb, name);
        d.busnum = bus.parse().ok();
        d
    } else {
        return;
    };
    match pids.as_slice() {
        [v, x] => (d.vendor, d.device) = (Some(*v), Some(*x)),
        _ => d.vendor = vids.first().copied(),
    }
    d.driver = n.driver;
    d.name = match (&vn, &pn) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.clone().or(b.clone()),
    };
    if d.bus == Bus::Pci && d.device.is_none() {
        out.pci_names.push(PciNames {
            dev: out.devices.len(),
            line: n.line,
            vendor: vn,
            device: pn,
            ..PciNames::default()
        });
    }
    d.sources.push(format!("{src}:{}", n.line));
    out.devices.push(d);
}

pub(crate) fn parse(text: &str, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut cur: Option<Node> = None;
    for (no, line) in numbered(text) {
        if is_noise(line) {
            continue;
        }
        out.meaningful += 1;
        if node(line).is_some() {
            if let Some(n) = cur.take() {
                finish(n, src, &mut out);
            }
            cur = Some(Node {
                line: no,
                ..Node::default()
            });
            continue;
        }
        let Some(n) = cur.as_mut() else {
            // A whole `lshw` starts with the host: its name alone, then
            // its own `key: value` lines.
            let host_detail = line.starts_with([' ', '\t']) && line.contains(": ");
            let host_name = out.meaningful == 1 && !line.contains(' ');
            if !(host_detail || host_name) {
                out.bad_line(no, line);
            }
            continue;
        };
        let Some((k, v)) = line.trim().split_once(": ") else {
            continue;
        };
        let v = v.trim();
        match k {
            "bus info" => n.bus_info = Some(v.to_string()),
            "vendor" => n.vendor = Some(v.to_string()),
            "product" => n.product = Some(v.to_string()),
            "configuration" => {
                n.driver = v
                    .split_whitespace()
                    .find_map(|kv| kv.strip_prefix("driver="))
                    .filter(|x| super::modules::is_module_name(x))
                    .map(str::to_string)
            }
            _ => {}
        }
    }
    if let Some(n) = cur.take() {
        finish(n, src, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes() {
        let t = "laptop\n    description: Notebook\n  *-core\n     *-pci\n        *-display\n             description: VGA compatible controller\n             product: CometLake-U GT2 [UHD Graphics] [8086:9B41]\n             vendor: Intel Corporation [8086]\n             bus info: pci@0000:00:02.0\n             configuration: depth=32 driver=i915 latency=0\n        *-usb\n             product: Integrated Camera [4F2:B6CB]\n             vendor: Chicony Electronics Co.,Ltd. [4F2]\n             bus info: usb@1:4\n             configuration: driver=uvcvideo maxpower=500mA speed=480Mbit/s\n        *-network\n             product: Comet Lake PCH-LP CNVi WiFi\n             vendor: Intel Corporation\n             bus info: pci@0000:00:14.3\n             configuration: broadcast=yes driver=iwlwifi latency=0\n";
        let p = parse(t, "x");
        assert!(p.bad.is_empty(), "{:?}", p.bad);
        assert_eq!(p.devices.len(), 3);
        let g = &p.devices[0];
        assert_eq!(
            (g.address.as_str(), g.vendor, g.device),
            ("0000:00:02.0", Some(0x8086), Some(0x9b41))
        );
        assert_eq!(g.driver.as_deref(), Some("i915"));
        let c = &p.devices[1];
        assert_eq!(
            (c.bus.clone(), c.address.as_str(), c.vendor, c.device),
            (Bus::Usb, "1-4", Some(0x4f2), Some(0xb6cb))
        );
        let w = &p.devices[2];
        assert_eq!(w.driver.as_deref(), Some("iwlwifi"));
        assert_eq!(p.pci_names.len(), 1);
        assert_eq!(
            p.pci_names[0].device.as_deref(),
            Some("Comet Lake PCH-LP CNVi WiFi")
        );
    }
}

//! The live machine from /sys: every `/sys/bus/*/devices/*` with its
//! modalias, uevent (`MODALIAS=`, `DRIVER=`, ...), `driver` and
//! `driver/module` links, ids and the parent chain. Needs no root and no tools.

use crate::devicetree::DeviceTree;
use crate::error::Error;
use crate::machine::Machine;
use crate::model::{parse_hex, Bus, Device};
use std::fs;
use std::path::{Path, PathBuf};

/// Largest sysfs attribute read (they are a page at most).
const MAX_ATTR: u64 = 1 << 20;

fn read_trim(p: &Path) -> Option<String> {
    let s = crate::input::read_file_limited(p, MAX_ATTR).ok()?;
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn link_name(p: &Path) -> Option<String> {
    let t = fs::read_link(p).ok()?;
    Some(t.file_name()?.to_string_lossy().into_owned())
}

fn hex_file(dir: &Path, name: &str) -> Option<u32> {
    read_trim(&dir.join(name)).and_then(|s| parse_hex(&s))
}

/// `/sys/devices/...` path of a device entry, relative to `root`.
fn device_path(root: &Path, entry: &Path) -> Option<String> {
    let canon = fs::canonicalize(entry).ok()?;
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let rel = canon.strip_prefix(&root).ok()?;
    Some(format!("/{}", rel.to_string_lossy()))
}

fn read_device(root: &Path, bus: &str, entry: &Path, name: &str) -> Device {
    let bus = Bus::from_name(bus);
    let mut d = Device::new(bus.clone(), name.to_string());
    d.sysfs_path = device_path(root, entry);
    d.sources
        .push(format!("/sys/bus/{}/devices/{name}", bus.as_str()));
    if let Some(m) = read_trim(&entry.join("modalias")) {
        d.modalias = Some(m);
    }
    let mut of_compatible = Vec::new();
    if let Some(ue) = read_trim(&entry.join("uevent")) {
        for l in ue.lines() {
            if let Some((k, v)) = l.split_once('=') {
                match k {
                    "MODALIAS" if d.modalias.is_none() && !v.is_empty() => d.modalias = Some(v.to_string()),
                    "DRIVER" if !v.is_empty() => d.driver = Some(v.to_string()),
                    "BUSNUM" => d.busnum = v.parse().ok(),
                    "DEVNUM" => d.devnum = v.parse().ok(),
                    "HID_NAME" if !v.is_empty() => d.name = Some(v.to_string()),
                    k if k.starts_with("OF_COMPATIBLE_") && k != "OF_COMPATIBLE_N" => {
                        of_compatible.push(v.to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    if !of_compatible.is_empty() {
        d.attrs.insert("of_compatible".into(), of_compatible.join(" "));
    }
    // The device-tree node (`of_node` -> .../firmware/devicetree/base/<path>).
    if let Ok(t) = fs::read_link(entry.join("of_node")) {
        let t = t.to_string_lossy();
        if let Some((_, node)) = t.split_once("firmware/devicetree/base") {
            let node = if node.is_empty() { "/" } else { node };
            d.attrs.insert("of_node".into(), node.to_string());
        }
    }
    if let Some(drv) = link_name(&entry.join("driver")) {
        d.driver = Some(drv);
        d.driver_module = link_name(&entry.join("driver/module"));
    }
    match bus {
        Bus::Pci => {
            d.vendor = hex_file(entry, "vendor");
            d.device = hex_file(entry, "device");
            d.subvendor = hex_file(entry, "subsystem_vendor");
            d.subdevice = hex_file(entry, "subsystem_device");
            d.revision = hex_file(entry, "revision");
            if let Some(c) = hex_file(entry, "class") {
                d.class = Some(c >> 16);
                d.subclass = Some((c >> 8) & 0xff);
                d.prog_if = Some(c & 0xff);
            }
            if let (Some(s), Some(b)) = (
                hex_file(entry, "secondary_bus_number"),
                hex_file(entry, "subordinate_bus_number"),
            ) {
                d.attrs.insert("secondary".into(), format!("{s:02x}"));
                d.attrs.insert("subordinate".into(), format!("{b:02x}"));
            }
        }
        Bus::Usb if !name.contains(':') => {
            d.vendor = hex_file(entry, "idVendor");
            d.device = hex_file(entry, "idProduct");
            d.revision = hex_file(entry, "bcdDevice");
            d.class = hex_file(entry, "bDeviceClass");
            d.subclass = hex_file(entry, "bDeviceSubClass");
            d.prog_if = hex_file(entry, "bDeviceProtocol");
            d.busnum = d
                .busnum
                .or_else(|| read_trim(&entry.join("busnum")).and_then(|s| s.parse().ok()));
            d.devnum = d
                .devnum
                .or_else(|| read_trim(&entry.join("devnum")).and_then(|s| s.parse().ok()));
            let m = read_trim(&entry.join("manufacturer"));
            let p = read_trim(&entry.join("product"));
            d.name = match (m, p) {
                (Some(m), Some(p)) => Some(format!("{m} {p}")),
                (m, p) => m.or(p),
            };
            if let Some(s) = read_trim(&entry.join("speed")) {
                d.attrs.insert("speed".into(), format!("{s}M"));
            }
        }
        _ => {}
    }
    if let Some(m) = d.modalias.clone() {
        d.fill_from_modalias(&m);
    }
    d
}

/// Read the machine under `root` (`/` for the running one; tests pass a
/// fake tree): `root/sys/bus/*/devices/*`, `root/proc/modules`,
/// `root/proc/sys/kernel/osrelease`.
pub fn read_sysfs(root: &Path) -> Result<Machine, Error> {
    let bus_dir = root.join("sys/bus");
    let buses = fs::read_dir(&bus_dir).map_err(|e| Error::Sysfs {
        path: bus_dir.clone(),
        message: e.to_string(),
    })?;
    let mut bus_names: Vec<String> = buses
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    bus_names.sort();
    let mut devices = Vec::new();
    for bus in &bus_names {
        let dir: PathBuf = bus_dir.join(bus).join("devices");
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            devices.push(read_device(root, bus, &dir.join(&name), &name));
        }
    }
    let dt = root.join("sys/firmware/devicetree/base");
    if dt.is_dir() {
        let tree = DeviceTree::from_dir(&dt).map_err(|e| Error::Sysfs {
            path: dt.clone(),
            message: e.to_string(),
        })?;
        add_devicetree(&mut devices, &tree, "/sys/firmware/devicetree");
    }
    let mut m = Machine::default();
    m.add_devices(devices);
    if let Some(mods) = read_trim(&root.join("proc/modules")) {
        let names: Vec<String> = mods
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect();
        m.add_modules(names);
    }
    m.kernel_version = read_trim(&root.join("proc/sys/kernel/osrelease"));
    m.inputs
        .push((root.join("sys").to_string_lossy().into_owned(), "sysfs".into()));
    // The kernel log, when this user may read it: firmware loaded or missing.
    let kmsg = root.join("dev/kmsg");
    if let Some(text) = read_kmsg(&kmsg) {
        let name = kmsg.to_string_lossy().into_owned();
        let p = crate::parse::dmesg::parse(&text, &name);
        m.add_firmware(p.firmware);
        m.inputs.push((name, "kernel log".into()));
    }
    m.finish();
    Ok(m)
}

/// The device tree's view of the sysfs devices that have an `of_node`: all
/// its compatibles and its suppliers (on the topmost device of each node:
/// a UART's serial-base children share its node). Suppliers that are no
/// sysfs device (an interrupt controller or clock the kernel set up before
/// the driver model, `IRQCHIP_DECLARE`, `CLK_OF_DECLARE`) are added as the
/// devices the tree makes of them, so that their drivers are goals too.
fn add_devicetree(devices: &mut Vec<Device>, tree: &DeviceTree, source: &str) {
    let dt_devices = tree.devices(source);
    let by_node: std::collections::HashMap<&str, &Device> = dt_devices
        .iter()
        .filter_map(|d| Some((d.attrs.get("of_node")?.as_str(), d)))
        .collect();
    let mut top: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, d) in devices.iter().enumerate() {
        let Some(n) = d.attrs.get("of_node") else { continue };
        let len = d.sysfs_path.as_deref().map_or(usize::MAX, str::len);
        match top.get(n) {
            Some(&j) if devices[j].sysfs_path.as_deref().map_or(usize::MAX, str::len) <= len => {}
            _ => {
                top.insert(n.clone(), i);
            }
        }
    }
    for (node, &i) in &top {
        if let Some(t) = by_node.get(node.as_str()) {
            let d = &mut devices[i];
            d.suppliers = t.suppliers.clone();
            for k in ["of_compatible", "of_modalias"] {
                if let Some(v) = t.attrs.get(k) {
                    d.attrs.entry(k.into()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    // Suppliers with no sysfs device, and theirs in turn.
    let mut have: std::collections::HashSet<String> = top.keys().cloned().collect();
    let mut todo: Vec<String> = devices
        .iter()
        .flat_map(|d| d.suppliers.iter().map(|s| s.node.clone()))
        .collect();
    while let Some(n) = todo.pop() {
        if !have.insert(n.clone()) {
            continue;
        }
        if let Some(t) = by_node.get(n.as_str()) {
            todo.extend(t.suppliers.iter().map(|s| s.node.clone()));
            devices.push((*t).clone());
        }
    }
}

/// Records of /dev/kmsg (a live one is read without blocking until its end;
/// a regular file, as in test trees, is read whole), at most 16 MiB. `None`
/// when it cannot be opened (kernel.dmesg_restrict for non-root users).
fn read_kmsg(path: &Path) -> Option<String> {
    use std::io::Read;
    const MAX: usize = 16 << 20;
    let meta = fs::metadata(path).ok()?;
    if meta.is_file() {
        return crate::input::read_file_limited(path, MAX as u64).ok();
    }
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x",
        target_arch = "loongarch64"
    ))]
    {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        const O_NONBLOCK: i32 = 0o4000; // asm-generic/fcntl.h
        if !meta.file_type().is_char_device() {
            return None;
        }
        let mut f = fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(path)
            .ok()?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 16 << 10]; // one record per read; records are < 8 KiB
        let mut reads = 0;
        while out.len() < MAX && reads < 1 << 20 {
            reads += 1;
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                // EPIPE: records overwritten while reading; go on.
                Err(e) if e.raw_os_error() == Some(32) => continue,
                Err(_) => break, // WouldBlock: the end of the log
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x",
        target_arch = "loongarch64"
    )))]
    None
}

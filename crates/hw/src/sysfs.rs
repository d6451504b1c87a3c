//! The live machine from /sys: every `/sys/bus/*/devices/*` with its
//! modalias, uevent (`MODALIAS=`, `DRIVER=`, ...), `driver` and
//! `driver/module` links, ids and the parent chain. Needs no root and no tools.

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
    if let Some(ue) = read_trim(&entry.join("uevent")) {
        for l in ue.lines() {
            if let Some((k, v)) = l.split_once('=') {
                match k {
                    "MODALIAS" if d.modalias.is_none() && !v.is_empty() => d.modalias = Some(v.to_string()),
                    "DRIVER" if !v.is_empty() => d.driver = Some(v.to_string()),
                    "BUSNUM" => d.busnum = v.parse().ok(),
                    "DEVNUM" => d.devnum = v.parse().ok(),
                    "HID_NAME" if !v.is_empty() => d.name = Some(v.to_string()),
                    "OF_COMPATIBLE_0" => {
                        d.attrs.insert("of_compatible_0".into(), v.to_string());
                    }
                    _ => {}
                }
            }
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

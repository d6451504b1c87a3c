//! Listing formats and their detection by content.

use crate::parse::{self, is_noise, numbered, Parsed};
use serde::Serialize;
use std::fmt;

/// A listing format. [`Format::detect`] picks one from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// busybox `lspci [-k]`: `03:00.0 Class 0300: 1002:1638 amdgpu`.
    BusyboxLspci,
    /// pciutils `lspci` text: plain, `-n`, `-nn`, `-k`, `-q`, `-v`..`-vvv`, `-x`.
    Lspci,
    /// `lspci -mm` (`-mmn`, `-mmnn`) and busybox `lspci -m[k]`.
    LspciMachine,
    /// `lspci -vmm` (`-vmmn`, `-vmmnn`, `-vmmk`, ...).
    LspciMachineVerbose,
    /// `lspci -t`, `-tv`, `-tvnn`.
    LspciTree,
    /// `lsusb`.
    Lsusb,
    /// `lsusb -v`.
    LsusbVerbose,
    /// `lsusb -t` (`-tv`, `-tvv`), old and new formats.
    LsusbTree,
    /// `lsmod`.
    Lsmod,
    /// `/proc/modules`.
    ProcModules,
    /// Module names, one a line.
    ModuleList,
    /// `cat /sys/bus/*/devices/*/modalias`.
    ModaliasList,
    /// `<sysfs path> TAB <MODALIAS>` lines, or `grep` of uevent/modalias files.
    UeventList,
    /// drivers.txt: `bus TAB device TAB driver TAB module TAB modalias`.
    DriversTxt,
    /// A kernel log: `dmesg` (any timestamp form), `journalctl -k`, syslog
    /// `kern.log`, `/dev/kmsg` records.
    Dmesg,
    /// `/proc/mounts` (`/etc/mtab`).
    ProcMounts,
    /// `/proc/filesystems`.
    ProcFilesystems,
    /// `mount` output.
    Mount,
    /// `findmnt` (tree, `-l`, `-r`, `-P`).
    Findmnt,
    /// `lsblk` (default, `-f`, `-o ...`, `-l`, `-P`).
    Lsblk,
    /// `/proc/bus/pci/devices`.
    ProcBusPci,
    /// `hwinfo` (full entries; `--pci`, `--usb`, ...).
    Hwinfo,
    /// `inxi` (`-F`, `-Fxxx`, `-GANE`, ...).
    Inxi,
    /// `lshw` (plain, `-numeric`, `-C class`).
    Lshw,
    /// A device tree in dtc's source form (`dtc -I fs`, `dtc -I dtb -O
    /// dts`); a flattened `.dtb` is recognised by its magic before text
    /// detection.
    DeviceTree,
}

impl Format {
    pub const ALL: [Format; 25] = [
        Format::BusyboxLspci,
        Format::Lspci,
        Format::LspciMachine,
        Format::LspciMachineVerbose,
        Format::LspciTree,
        Format::Lsusb,
        Format::LsusbVerbose,
        Format::LsusbTree,
        Format::Lsmod,
        Format::ProcModules,
        Format::ModuleList,
        Format::ModaliasList,
        Format::UeventList,
        Format::DriversTxt,
        Format::Dmesg,
        Format::ProcMounts,
        Format::ProcFilesystems,
        Format::Mount,
        Format::Findmnt,
        Format::Lsblk,
        Format::ProcBusPci,
        Format::Hwinfo,
        Format::Inxi,
        Format::Lshw,
        Format::DeviceTree,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::BusyboxLspci => "busybox lspci",
            Format::Lspci => "lspci",
            Format::LspciMachine => "lspci -mm",
            Format::LspciMachineVerbose => "lspci -vmm",
            Format::LspciTree => "lspci -t",
            Format::Lsusb => "lsusb",
            Format::LsusbVerbose => "lsusb -v",
            Format::LsusbTree => "lsusb -t",
            Format::Lsmod => "lsmod",
            Format::ProcModules => "/proc/modules",
            Format::ModuleList => "module list",
            Format::ModaliasList => "modalias list",
            Format::UeventList => "uevent list",
            Format::DriversTxt => "drivers.txt",
            Format::Dmesg => "dmesg",
            Format::ProcMounts => "/proc/mounts",
            Format::ProcFilesystems => "/proc/filesystems",
            Format::Mount => "mount",
            Format::Findmnt => "findmnt",
            Format::Lsblk => "lsblk",
            Format::ProcBusPci => "/proc/bus/pci/devices",
            Format::Hwinfo => "hwinfo",
            Format::Inxi => "inxi",
            Format::Lshw => "lshw",
            Format::DeviceTree => "device tree",
        }
    }

    /// The format of one line, if the line alone says.
    fn of_line(line: &str) -> Option<Format> {
        use crate::parse::{dmesg, lspci, lsusb, modules, sysfs_lists};
        if crate::devicetree::is_dts_start(line) {
            return Some(Format::DeviceTree);
        }
        if dmesg::is_log_line(line) {
            return Some(Format::Dmesg);
        }
        if let Some(f) = Format::of_system_line(line) {
            return Some(f);
        }
        if let Some(f) = Format::of_proc_or_hwinfo(line) {
            return Some(f);
        }
        if line.starts_with("Slot:\t") || line.starts_with("Slot: ") {
            return Some(Format::LspciMachineVerbose);
        }
        let t = line.trim_start();
        if t.starts_with("/:  Bus ") || t.starts_with("/: Bus ") {
            return Some(Format::LsusbTree);
        }
        if lsusb::bus_line(line).is_some() {
            return Some(Format::Lsusb);
        }
        if line.starts_with("Module ") && line.contains("Used by") {
            return Some(Format::Lsmod);
        }
        if (line.starts_with("-[") || line.starts_with("-+-[")) && line.contains(']') {
            return Some(Format::LspciTree);
        }
        if let Some((_, rest)) = lspci::slot_line(line) {
            if lspci::busybox_rest(rest).is_some() {
                return Some(Format::BusyboxLspci);
            }
            if rest.starts_with('"') {
                return Some(Format::LspciMachine);
            }
            return Some(Format::Lspci);
        }
        if sysfs_lists::drivers_line(line).is_some() {
            return Some(Format::DriversTxt);
        }
        if sysfs_lists::uevent_line(line).is_some() {
            return Some(Format::UeventList);
        }
        if sysfs_lists::is_modalias(line.trim()) {
            return Some(Format::ModaliasList);
        }
        if modules::proc_modules_line(line).is_some() {
            return Some(Format::ProcModules);
        }
        if modules::is_module_name(line.trim()) {
            return Some(Format::ModuleList);
        }
        None
    }

    /// The format a line starts unmistakably: the first line of a command's
    /// output that no other listing has (an lsusb device line, the `lsusb -t`
    /// root, the lsmod header, a pciutils or busybox slot line, an `lspci -t`
    /// root, a `-vmm` record, a kernel log line, a `/proc/bus/pci/devices`
    /// row, an hwinfo entry). [`sections`] splits pasted texts there.
    fn starting(line: &str) -> Option<Format> {
        use crate::parse::{dmesg, lspci, lsusb};
        if line.starts_with([' ', '\t']) {
            return None;
        }
        if lsusb::bus_line(line).is_some() {
            return Some(Format::Lsusb);
        }
        if line.starts_with("/:  Bus ") || line.starts_with("/: Bus ") {
            return Some(Format::LsusbTree);
        }
        if line.starts_with("Module ") && line.contains("Used by") {
            return Some(Format::Lsmod);
        }
        if line.starts_with("Slot:\t") || line.starts_with("Slot: ") {
            return Some(Format::LspciMachineVerbose);
        }
        if let Some(f) = Format::of_proc_or_hwinfo(line) {
            return Some(f);
        }
        if (line.starts_with("-[") || line.starts_with("-+-[")) && line.contains(']') {
            return Some(Format::LspciTree);
        }
        if let Some((_, rest)) = lspci::slot_line(line) {
            return Some(if rest.starts_with('"') {
                Format::LspciMachine
            } else {
                Format::Lspci
            });
        }
        if dmesg::is_log_line(line) {
            return Some(Format::Dmesg);
        }
        None
    }

    fn of_proc_or_hwinfo(line: &str) -> Option<Format> {
        use crate::parse::proc_pci;
        if proc_pci::proc_pci_line(line).is_some() {
            return Some(Format::ProcBusPci);
        }
        if proc_pci::hwinfo_entry(line).is_some() || proc_pci::is_hwinfo_debug_start(line) {
            return Some(Format::Hwinfo);
        }
        if crate::parse::inxi::section_name(line).is_some() {
            return Some(Format::Inxi);
        }
        if crate::parse::lshw::node(line).is_some() {
            return Some(Format::Lshw);
        }
        None
    }

    /// Formats one command's output may show (`lsusb -v` repeats the plain
    /// lsusb device line; busybox and pciutils lspci lines mix).
    fn family(self) -> Format {
        match self {
            Format::BusyboxLspci => Format::Lspci,
            Format::LsusbVerbose => Format::Lsusb,
            f => f,
        }
    }

    /// Mount tables and block listings (checked first: their lines are
    /// specific, and a mount line could pass for other formats' loose rules).
    fn of_system_line(line: &str) -> Option<Format> {
        use crate::parse::{lsblk, mounts};
        if mounts::proc_mounts_line(line).is_some() {
            return Some(Format::ProcMounts);
        }
        if line.starts_with("nodev\t") && mounts::proc_filesystems_line(line).is_some() {
            return Some(Format::ProcFilesystems);
        }
        if mounts::mount_line(line).is_some() {
            return Some(Format::Mount);
        }
        if mounts::findmnt_header(line).is_some() {
            return Some(Format::Findmnt);
        }
        if lsblk::header(line).is_some() || lsblk::pairs_line(line).is_some() {
            return Some(Format::Lsblk);
        }
        mounts::pairs(line)
            .filter(|kv| kv.iter().any(|(k, _)| k == "TARGET") && kv.iter().any(|(k, _)| k == "FSTYPE"))
            .map(|_| Format::Findmnt)
    }

    /// Detect the format from the first lines that say. `Err(line number)`
    /// of the first meaningful line when nothing matches; `Ok(None)` for an
    /// empty text.
    pub fn detect(text: &str) -> Result<Option<Format>, (usize, String)> {
        let mut first_bad: Option<(usize, String)> = None;
        let mut seen = 0;
        for (no, line) in numbered(text) {
            if is_noise(line) {
                continue;
            }
            seen += 1;
            if let Some(f) = Format::of_line(line) {
                return Ok(Some(Format::refine(f, text)));
            }
            first_bad.get_or_insert((no, line.chars().take(120).collect()));
            if seen >= 8 {
                break;
            }
        }
        match first_bad {
            Some(b) => Err(b),
            None => Ok(None),
        }
    }

    /// Second look at the whole text: `lsusb` with descriptor dumps is `-v`;
    /// a busybox first line among pciutils lines is pciutils `-n`-like.
    fn refine(f: Format, text: &str) -> Format {
        match f {
            Format::Lsusb if text.lines().any(|l| l.trim_end() == "Device Descriptor:") => {
                Format::LsusbVerbose
            }
            Format::BusyboxLspci if text.lines().any(|l| l.starts_with('\t')) => Format::Lspci,
            // A whole lshw starts with the host name alone.
            Format::ModuleList if text.lines().take(40).any(|l| parse::lshw::node(l).is_some()) => {
                Format::Lshw
            }
            f => f,
        }
    }

    /// Parse `text` as this format.
    pub(crate) fn parse(self, text: &str, src: &str) -> Parsed {
        match self {
            Format::BusyboxLspci | Format::Lspci => parse::lspci::parse(text, src),
            Format::LspciMachine => parse::lspci_mm::parse_mm(text, src),
            Format::LspciMachineVerbose => parse::lspci_mm::parse_vmm(text, src),
            Format::LspciTree => parse::lspci_tree::parse(text, src),
            Format::Lsusb => parse::lsusb::parse(text, src),
            Format::LsusbVerbose => parse::lsusb::parse_verbose(text, src),
            Format::LsusbTree => parse::lsusb_tree::parse(text, src),
            Format::Lsmod => parse::modules::parse_lsmod(text, src),
            Format::ProcModules => parse::modules::parse_proc_modules(text, src),
            Format::ModuleList => parse::modules::parse_list(text, src),
            Format::ModaliasList => parse::sysfs_lists::parse_modalias_list(text, src),
            Format::UeventList => parse::sysfs_lists::parse_uevent_list(text, src),
            Format::DriversTxt => parse::sysfs_lists::parse_drivers(text, src),
            Format::Dmesg => parse::dmesg::parse(text, src),
            Format::ProcMounts => parse::mounts::parse_proc_mounts(text, src),
            Format::ProcFilesystems => parse::mounts::parse_proc_filesystems(text, src),
            Format::Mount => parse::mounts::parse_mount(text, src),
            Format::Findmnt => parse::mounts::parse_findmnt(text, src),
            Format::Lsblk => parse::lsblk::parse(text, src),
            Format::ProcBusPci => parse::proc_pci::parse_proc_pci(text, src),
            Format::Hwinfo => parse::proc_pci::parse_hwinfo(text, src),
            Format::Inxi => parse::inxi::parse(text, src),
            Format::Lshw => parse::lshw::parse(text, src),
            Format::DeviceTree => crate::devicetree::parse_dts_listing(text, src),
        }
    }
}

/// Where a text pasted from several commands (`lspci -nnk; lsusb; lsusb
/// -t; lsmod` in one file) changes listing: the line ranges of each
/// command's output, each a listing of its own. Splits only at a line that
/// starts another format unmistakably ([`Format::starting`]), so one
/// command's output is never cut. A text of one listing is one range.
pub(crate) fn sections(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut current) = (0, None::<Format>);
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(f) = Format::starting(line).map(Format::family) else {
            continue;
        };
        match current {
            Some(c) if c != f => {
                out.push(start..i);
                start = i;
            }
            _ => {}
        }
        current = Some(f);
    }
    out.push(start..text.lines().count().max(start));
    out
}

/// `text` with every line outside `range` blanked (line numbers kept).
pub(crate) fn only_lines(text: &str, range: &std::ops::Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if range.contains(&i) {
            out.push_str(l);
        } else if l.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

//! `kfit hw [FILES...] [--json] [--sysfs-root DIR]`: the hardware inventory,
//! from saved listings (format detected from content, merged by device) or,
//! without files, from the running machine's /sys.
use anyhow::Context;
use clap::Args;
use kfit_hw::{Device, Machine};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct HwArgs {
    /// Listings to read and merge: lspci (busybox or pciutils, any of -k -nn
    /// -v -vmm -mm -t), lsusb (-v, -t), lsmod, /proc/modules, modalias lists,
    /// `path<TAB>MODALIAS` uevent lists, drivers.txt, device trees (.dtb, dtc source). Without files: /sys.
    #[arg(value_parser = crate::path_arg())]
    pub files: Vec<PathBuf>,
    /// Print the machine as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Read sysfs under this root instead of / (expects DIR/sys/bus/...).
    #[arg(long, value_name = "DIR", conflicts_with = "files", value_parser = crate::path_arg())]
    pub sysfs_root: Option<PathBuf>,
    /// Only these buses (comma-separated: pci,usb,virtio,...).
    #[arg(long, value_delimiter = ',', value_parser = crate::text_arg())]
    pub bus: Vec<String>,
    /// Table: also show entries with nothing to fit a kernel to (no modalias,
    /// driver, ids or name: memory blocks, workqueues, clock events...).
    #[arg(long)]
    pub all: bool,
    /// pci.ids to turn device names into ids (listings without -n)
    /// [default: /usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids, ...].
    #[arg(long, value_name = "FILE", value_parser = crate::path_arg())]
    pub pci_ids: Option<PathBuf>,
    /// usb.ids for USB class names (lsusb -t) [default: /usr/share/misc/usb.ids, ...].
    #[arg(long, value_name = "FILE", value_parser = crate::path_arg())]
    pub usb_ids: Option<PathBuf>,
}

impl HwArgs {
    pub(crate) fn check(&self, warnings: &mut Vec<String>) {
        if self.all && self.json {
            warnings.push("--all is ignored with --json (the JSON lists every entry)".into());
        }
    }
}

pub fn run(a: HwArgs) -> anyhow::Result<ExitCode> {
    let (mut machine, warnings) = if a.files.is_empty() {
        let root = a.sysfs_root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let m =
            kfit_hw::read_live(&root).with_context(|| format!("reading sysfs under {}", root.display()))?;
        (m, Vec::new())
    } else {
        let opts = kfit_hw::Options {
            pci_ids: a.pci_ids.clone(),
            usb_ids: a.usb_ids.clone(),
        };
        kfit_hw::read_listings_with(&a.files, &opts)?
    };
    let warnings: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    if !a.json {
        for w in &warnings {
            crate::out::warn(w);
        }
    }
    if !a.bus.is_empty() {
        let present: std::collections::BTreeSet<&str> =
            machine.devices.iter().map(|d| d.bus.as_str()).collect();
        if let Some(b) = a.bus.iter().find(|b| !present.contains(b.as_str())) {
            anyhow::bail!(
                "--bus {b}: no device on that bus (buses here: {})",
                present.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        machine
            .devices
            .retain(|d| a.bus.iter().any(|b| b == d.bus.as_str()));
    }
    let out = std::io::stdout();
    let mut out = out.lock();
    if a.json {
        #[derive(serde::Serialize)]
        struct HwDoc<'a> {
            #[serde(flatten)]
            machine: &'a Machine,
            warnings: &'a [String],
        }
        crate::out::json(
            &mut out,
            "hw",
            &HwDoc {
                machine: &machine,
                warnings: &warnings,
            },
        )?;
    } else {
        let total = machine.devices.len();
        if !a.all {
            machine.devices.retain(|d| {
                d.modalias.is_some()
                    || d.driver.is_some()
                    || d.vendor.is_some()
                    || d.class.is_some()
                    || d.name.is_some()
                    || !d.modules.is_empty()
            });
        }
        print_table(&mut out, &machine)?;
        let hidden = total - machine.devices.len();
        if hidden > 0 {
            writeln!(
                out,
                "({hidden} entries without modalias, driver or ids hidden; --all shows them)"
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn ids(d: &Device) -> String {
    let mut s = match (d.vendor, d.device) {
        (Some(v), Some(p)) => format!("{v:04x}:{p:04x}"),
        (Some(v), None) => format!("{v:04x}:?"),
        (None, Some(p)) => format!("?:{p:04x}"),
        (None, None) => "-".into(),
    };
    if let (Some(sv), Some(sd)) = (d.subvendor, d.subdevice) {
        s.push_str(&format!(" ({sv:04x}:{sd:04x})"));
    }
    s
}

fn class(d: &Device) -> String {
    let code = match (d.class, d.subclass, d.prog_if) {
        (Some(c), Some(s), Some(p)) => format!("{c:02x}{s:02x}{p:02x}"),
        (Some(c), Some(s), None) => format!("{c:02x}{s:02x}"),
        (Some(c), None, _) => format!("{c:02x}"),
        _ => String::new(),
    };
    match (&d.class_name, code.is_empty()) {
        (Some(n), true) => n.clone(),
        (Some(n), false) => format!("{code} {n}"),
        (None, false) => code,
        (None, true) => "-".into(),
    }
}

fn cap(s: String, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    } else {
        s
    }
}

fn print_table(out: &mut impl Write, m: &Machine) -> std::io::Result<()> {
    let rows: Vec<[String; 7]> = m
        .devices
        .iter()
        .map(|d| {
            let mut mods = d.modules.join(",");
            if let Some(dm) = &d.driver_module {
                if !d.modules.contains(dm) {
                    mods = if mods.is_empty() {
                        dm.clone()
                    } else {
                        format!("{dm},{mods}")
                    };
                }
            }
            [
                d.bus.to_string(),
                if d.address.is_empty() {
                    "-".into()
                } else {
                    d.address.clone()
                },
                ids(d),
                class(d),
                d.driver.clone().unwrap_or_else(|| "-".into()),
                if mods.is_empty() { "-".into() } else { mods },
                cap(
                    crate::out::escape(
                        &d.name
                            .clone()
                            .or_else(|| d.modalias_or_synth())
                            .unwrap_or_default(),
                    )
                    .into_owned(),
                    100,
                ),
            ]
        })
        .collect();
    let head = [
        "BUS",
        "ADDRESS",
        "IDS",
        "CLASS",
        "DRIVER",
        "MODULES",
        "NAME/MODALIAS",
    ];
    let mut w = head.map(|h| h.len());
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(6) {
            w[i] = w[i].max(c.chars().count().min(40));
        }
    }
    let line = |out: &mut dyn Write, r: &[String]| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, c) in r.iter().enumerate() {
            if i < 6 {
                s.push_str(&format!("{:<width$}  ", c, width = w[i]));
            } else {
                s.push_str(c);
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, &head.map(String::from))?;
    for r in &rows {
        line(out, r)?;
    }
    if !m.loaded_modules.is_empty() {
        writeln!(
            out,
            "\nloaded modules ({}): {}",
            m.loaded_modules.len(),
            m.loaded_modules.join(" ")
        )?;
    }
    if !m.firmware_seen.is_empty() {
        writeln!(out, "\nfirmware in the kernel log ({}):", m.firmware_seen.len())?;
        for f in &m.firmware_seen {
            writeln!(
                out,
                "  {:<40} {:<7} {} {}  ({})",
                f.name,
                if f.loaded { "loaded" } else { "failed" },
                f.driver.as_deref().unwrap_or("-"),
                f.device.as_deref().unwrap_or("-"),
                f.source
            )?;
        }
    }
    print_system(out, &m.system)?;
    writeln!(out, "\n{} devices", m.devices.len())?;
    Ok(())
}

/// What the machine runs on, each fact with its evidence.
fn print_system(out: &mut impl Write, s: &kfit_hw::System) -> std::io::Result<()> {
    if s.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nwhat it runs on:")?;
    for m in &s.mounts {
        writeln!(
            out,
            "  mount       {:<24} {:<10} {}  ({})",
            m.target, m.fstype, m.source, m.evidence
        )?;
    }
    for b in &s.block {
        let mut facts = vec![b.kind.clone().unwrap_or_else(|| "-".into())];
        facts.extend(b.fstype.iter().map(|f| format!("fs={f}")));
        facts.extend(b.pttype.iter().map(|p| format!("pt={p}")));
        facts.extend(b.mountpoints.iter().cloned());
        writeln!(
            out,
            "  block       {:<24} {}  ({})",
            b.name,
            facts.join(" "),
            b.evidence
        )?;
    }
    if !s.filesystems.is_empty() {
        let names: Vec<&str> = s.filesystems.iter().map(|f| f.name.as_str()).collect();
        let files: std::collections::BTreeSet<&str> = s
            .filesystems
            .iter()
            .map(|f| f.evidence.rsplit_once(':').map_or(f.evidence.as_str(), |x| x.0))
            .collect();
        writeln!(
            out,
            "  registered  {} filesystem types: {}  ({})",
            names.len(),
            names.join(" "),
            files.into_iter().collect::<Vec<_>>().join(", ")
        )?;
    }
    match &s.boot {
        Some(kfit_hw::Boot::Efi { evidence }) => writeln!(out, "  boot        EFI  ({evidence})")?,
        Some(kfit_hw::Boot::Bios { evidence }) => writeln!(out, "  boot        BIOS  ({evidence})")?,
        None => {}
    }
    Ok(())
}

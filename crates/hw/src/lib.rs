//! kfit-hw: the hardware inventory. One device model for the live machine
//! (/sys) and for listings saved or pasted from another machine.
//!
//! ```no_run
//! use std::path::PathBuf;
//! // Saved listings (format detected from content, merged by device):
//! let (machine, warnings) =
//!     kfit_hw::read_listings(&[PathBuf::from("lspci-nnk.txt"), PathBuf::from("lsusb.txt")]).unwrap();
//! for w in &warnings { eprintln!("warning: {w}"); }
//! for d in &machine.devices {
//!     println!("{} {} {:?} {:?}", d.bus, d.address, d.driver, d.modalias_or_synth());
//! }
//! // The running machine:
//! let live = kfit_hw::read_sysfs(std::path::Path::new("/")).unwrap();
//! # let _ = live;
//! ```
//!
//! Formats: busybox `lspci [-k]`; pciutils `lspci` plain/`-n`/`-nn`/`-k`/`-q`/
//! `-v`..`-vvv`/`-x`, `-mm`, `-vmm[n][k]`, `-t[v]`; `lsusb`, `lsusb -v`, `lsusb -t`
//! (old and new); `lsmod`, `/proc/modules`, module name lists; modalias lists;
//! `path TAB MODALIAS` uevent lists (and `grep` of uevent files); drivers.txt;
//! `/proc/bus/pci/devices`; `hwinfo`; `inxi`; `lshw`; kernel logs; device trees
//! (`.dtb` by its magic, dtc's source output by content, see [`DeviceTree`]). Several commands' output
//! pasted into one file (`lspci -nnk`, `lsusb`, `lsmod`, with or without
//! their prompts) is split where a line starts another format and read as
//! separate listings. See [`Format`].

mod devicetree;
mod error;
mod format;
mod hex;
pub mod ids;
mod input;
mod machine;
mod model;
mod names;
mod parse;
mod sysfs;
mod system;

pub use devicetree::{DeviceTree, DtError, FDT_MAGIC};
pub use error::{Error, Warning};
pub use format::Format;
pub use input::{escape, MAX_LINE, MAX_LISTING_SIZE};
pub use machine::Machine;
pub use model::{Bus, Device, FirmwareEvidence, Supplier};
pub use sysfs::read_sysfs;
pub use system::{read_live_system, BlockDev, Boot, FsType, Mount, System};

use input::Notes;
use std::path::PathBuf;
use std::sync::RwLock;

/// How listings are read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// pci.ids to turn names into ids (lspci without `-n`); default: the
    /// first of [`ids::PCI_IDS_PATHS`] that exists.
    pub pci_ids: Option<PathBuf>,
    /// usb.ids for `lsusb -t` class names; default: [`ids::USB_IDS_PATHS`].
    pub usb_ids: Option<PathBuf>,
}

static DEFAULT_OPTIONS: RwLock<Option<Options>> = RwLock::new(None);

/// The running machine under `root` (`/`): its devices from `/sys`
/// ([`read_sysfs`]) and what it runs on ([`read_live_system`]).
pub fn read_live(root: &std::path::Path) -> Result<Machine, Error> {
    let mut m = read_sysfs(root)?;
    m.system = read_live_system(root);
    Ok(m)
}

/// Set the options [`read_listings`], [`read_str`] and [`read_strs`] use
/// (the CLI's `--pci-ids`); [`read_listings_with`] takes them explicitly.
pub fn set_default_options(o: Options) {
    if let Ok(mut g) = DEFAULT_OPTIONS.write() {
        *g = Some(o);
    }
}

fn default_options() -> Options {
    DEFAULT_OPTIONS
        .read()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_default()
}

/// Parse one listing, detecting its format. `name` is used in sources,
/// warnings and errors (`name:line`).
pub fn read_str(text: &str, name: &str) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let w = add_str(&mut m, text, name, &default_options())?;
    m.finish();
    Ok((m, w))
}

/// Parse one listing as the given format (no detection).
pub fn parse_as(format: Format, text: &str, name: &str) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let mut notes = Notes::default();
    let text = input::sanitize(text, &mut notes);
    let mut w = notes.into_warnings(name);
    w.extend(add_parsed(&mut m, format, &text, name, &default_options())?);
    m.finish();
    Ok((m, w))
}

/// Detect the format of a listing (`Ok(None)` for an empty text).
pub fn detect(text: &str, name: &str) -> Result<Option<Format>, Error> {
    Format::detect(text).map_err(|(line, text)| Error::UnknownFormat {
        source_name: escape(name).into_owned(),
        line,
        text,
    })
}

fn add_str(m: &mut Machine, text: &str, name: &str, opts: &Options) -> Result<Vec<Warning>, Error> {
    let mut notes = Notes::default();
    let text = input::sanitize(text, &mut notes);
    let text = &*parse::dedent(&text);
    let mut warnings = notes.into_warnings(name);
    match detect(text, name)? {
        None => {
            m.inputs.push((name.to_string(), "empty".into()));
            warnings.push(Warning {
                source: name.to_string(),
                line: 0,
                count: 0,
                message: "empty listing".into(),
            });
        }
        Some(f) => {
            let parts = format::sections(text);
            if parts.len() <= 1 {
                warnings.extend(add_parsed(m, f, text, name, opts)?);
            } else {
                // Several commands' output in one file: each its own listing.
                for r in &parts {
                    let part = format::only_lines(text, r);
                    if let Some(f) = detect(&part, name)? {
                        warnings.extend(add_parsed(m, f, &part, name, opts)?);
                    }
                }
            }
        }
    }
    Ok(warnings)
}

fn add_parsed(
    m: &mut Machine,
    f: Format,
    text: &str,
    name: &str,
    opts: &Options,
) -> Result<Vec<Warning>, Error> {
    let mut p = f.parse(text, name);
    let mut notes = Notes::default();
    names::resolve(&mut p, opts, &mut notes)?;
    let (p, mut w) = p.finish(name, f.name())?;
    w.extend(notes.into_warnings(name));
    m.inputs.push((name.to_string(), f.name().to_string()));
    m.add_devices(p.devices);
    m.add_modules(p.loaded_modules);
    m.add_firmware(p.firmware);
    m.system.merge(p.system);
    if m.kernel_version.is_none() {
        m.kernel_version = p.kernel_version;
    }
    Ok(w)
}

/// Read listing files (format of each detected from its content) and merge
/// them into one machine by device identity (see [`Machine::add_devices`]).
/// Files are merged in the given order; an earlier file's facts win on
/// conflicts. `-` reads stdin. Each file must be a regular file or a pipe of
/// at most [`MAX_LISTING_SIZE`] bytes.
pub fn read_listings(paths: &[PathBuf]) -> Result<(Machine, Vec<Warning>), Error> {
    read_listings_with(paths, &default_options())
}

/// [`read_listings`] with explicit [`Options`].
pub fn read_listings_with(paths: &[PathBuf], opts: &Options) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let mut warnings = Vec::new();
    for p in paths {
        let bytes = input::read_listing_bytes(p)?;
        let name = p.display().to_string();
        if bytes.starts_with(&FDT_MAGIC) {
            add_dtb(&mut m, &bytes, &name)?;
            continue;
        }
        let text = input::listing_text(bytes);
        warnings.extend(add_str(&mut m, &text, &name, opts)?);
        if !text.is_empty() && !text.ends_with('\n') {
            warnings.push(Warning {
                source: name,
                line: text.lines().count(),
                count: 1,
                message: "no newline at the end: the listing may be cut here".into(),
            });
        }
    }
    m.finish();
    Ok((m, warnings))
}

/// Read a flattened device tree (`.dtb`, `/sys/firmware/fdt`) as a
/// listing: the devices the kernel makes of its nodes.
pub fn read_dtb(bytes: &[u8], name: &str) -> Result<Machine, Error> {
    let mut m = Machine::default();
    add_dtb(&mut m, bytes, name)?;
    m.finish();
    Ok(m)
}

fn add_dtb(m: &mut Machine, bytes: &[u8], name: &str) -> Result<(), Error> {
    let t = DeviceTree::from_dtb(bytes).map_err(|error| Error::DeviceTree {
        source_name: escape(name).into_owned(),
        error,
    })?;
    m.inputs.push((name.to_string(), "device tree blob".into()));
    m.add_devices(t.devices(&format!("{name} (device tree)")));
    Ok(())
}

/// Merge several texts (name, text) like [`read_listings`] does with files.
pub fn read_strs(inputs: &[(&str, &str)]) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let mut warnings = Vec::new();
    let opts = default_options();
    for (name, text) in inputs {
        warnings.extend(add_str(&mut m, text, name, &opts)?);
    }
    m.finish();
    Ok((m, warnings))
}

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
//! `path TAB MODALIAS` uevent lists (and `grep` of uevent files); drivers.txt.
//! See [`Format`].

mod error;
mod format;
mod machine;
mod model;
mod parse;
mod sysfs;
mod system;

pub use error::{Error, Warning};
pub use format::Format;
pub use machine::Machine;
pub use model::{glob_match, Bus, Device};
pub use sysfs::read_sysfs;
pub use system::{read_live_system, BlockDev, Boot, Mount, System};

use std::path::PathBuf;

/// Parse one listing, detecting its format. `name` is used in sources,
/// warnings and errors (`name:line`).
pub fn read_str(text: &str, name: &str) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let w = add_str(&mut m, text, name)?;
    m.finish();
    Ok((m, w))
}

/// Parse one listing as the given format (no detection).
pub fn parse_as(format: Format, text: &str, name: &str) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let w = add_parsed(&mut m, format, text, name)?;
    m.finish();
    Ok((m, w))
}

/// Detect the format of a listing (`Ok(None)` for an empty text).
pub fn detect(text: &str, name: &str) -> Result<Option<Format>, Error> {
    Format::detect(text).map_err(|(line, text)| Error::UnknownFormat {
        source_name: name.to_string(),
        line,
        text,
    })
}

fn add_str(m: &mut Machine, text: &str, name: &str) -> Result<Vec<Warning>, Error> {
    let text = &*parse::dedent(text);
    match detect(text, name)? {
        None => {
            m.inputs.push((name.to_string(), "empty".into()));
            Ok(vec![Warning {
                source: name.to_string(),
                line: 0,
                count: 0,
                message: "empty listing".into(),
            }])
        }
        Some(f) => add_parsed(m, f, text, name),
    }
}

fn add_parsed(m: &mut Machine, f: Format, text: &str, name: &str) -> Result<Vec<Warning>, Error> {
    let (p, w) = f.parse(text, name).finish(name, f.name())?;
    m.inputs.push((name.to_string(), f.name().to_string()));
    m.add_devices(p.devices);
    m.add_modules(p.loaded_modules);
    m.system.merge(p.system);
    if m.kernel_version.is_none() {
        m.kernel_version = p.kernel_version;
    }
    Ok(w)
}

/// Read listing files (format of each detected from its content) and merge
/// them into one machine by device identity (see [`Machine::add_devices`]).
/// Files are merged in the given order; an earlier file's facts win on
/// conflicts.
pub fn read_listings(paths: &[PathBuf]) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let mut warnings = Vec::new();
    for p in paths {
        let bytes = std::fs::read(p).map_err(|e| Error::Io {
            path: p.clone(),
            source: e,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        warnings.extend(add_str(&mut m, &text, &p.display().to_string())?);
    }
    m.finish();
    Ok((m, warnings))
}

/// Merge several texts (name, text) like [`read_listings`] does with files.
pub fn read_strs(inputs: &[(&str, &str)]) -> Result<(Machine, Vec<Warning>), Error> {
    let mut m = Machine::default();
    let mut warnings = Vec::new();
    for (name, text) in inputs {
        warnings.extend(add_str(&mut m, text, name)?);
    }
    m.finish();
    Ok((m, warnings))
}

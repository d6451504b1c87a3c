//! kfit-resolve: from devices to the Kconfig symbols that drive them.
//!
//! Input: a [`kfit_hw::Machine`] and the [`kfit_kbuild::KernelIndex`] of the
//! tree being configured. Output: for every device, the module(s) that drive
//! it in *this* kernel and the [`Requirement`]s (sets of alternative symbols)
//! that must be `y` for them to be built in, each with its evidence.
//!
//! # How a device finds its driver
//!
//! 1. **Bound module** (sysfs `driver/module`, `drivers.txt`): the module name
//!    is looked up in the index.
//! 2. **Bound driver name** (`lspci -k` prints the driver, not the module:
//!    `xhci_hcd`, `pcieport`, `i6300ESB timer`): the index maps `.name` of
//!    every driver struct to its module. When several modules register the
//!    same name (`serial`), the one whose ID table matches the device wins.
//! 3. **Unbound devices**: the device's modalias (or one synthesized from the
//!    ids the listing gave, `*` for unknown fields) is matched against every
//!    alias of the tree, kmod-style; the most specific matches win, and the
//!    listing's own "Kernel modules:" hints break ties.
//!
//! # What Kconfig does not say
//!
//! The kernel loads some code at runtime by name, so no `depends on`/`select`
//! leads to it. Each rule below is derived from the source being built and
//! carries its file:line:
//!
//! * **Conditional ID entries**: an alias whose table entry sits inside
//!   `#if IS_ENABLED(CONFIG_X)` needs X (iwlwifi's op-modes: AX200's entry is
//!   inside `#if IS_ENABLED(CONFIG_IWLMVM)` in pcie/drv.c).
//! * **Soft dependencies**: `MODULE_SOFTDEP("pre: x")` in the module's sources.
//! * **Child devices the listing cannot show**: when the listing has no
//!   platform bus, the platform devices a driver registers by name
//!   (`pdevinfo.name = "acp_pdm_mach"`, `mfd_cell` tables) are resolved
//!   to the platform drivers of that name.
//! * **Second-level buses the listing cannot show** (only when the listing has
//!   no device on that bus): disks behind a SCSI/ATA/USB-storage host bind to
//!   `sd` (`scsi:t-0x00` alias of drivers/scsi/sd.c); HDA codecs behind an HD
//!   audio controller (PCI class 0403) are probed by sound/pci/hda/hda_bind.c,
//!   which falls back to the generic parser, so the generic and every vendor
//!   codec driver (every module with an `hdaudio:` alias) are wanted; virtio
//!   devices behind a virtio PCI function get their virtio driver (the
//!   virtio device id is derived from the PCI ids as
//!   drivers/virtio/virtio_pci_modern_dev.c does); HID devices behind a USB
//!   HID interface get their HID driver (`hid:b0003...` alias).

pub mod linkorder;
pub mod support;

use kfit_hw::{Bus, Device, Machine};
use kfit_kbuild::{CompanionKind, KernelIndex, Module};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// At least one of `any_of` must be `y`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Symbol names without `CONFIG_`.
    pub any_of: Vec<String>,
    /// Where this requirement comes from (Makefile line, `#if` in a source...).
    pub why: String,
}

/// How a module was chosen for a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum How {
    /// The listing names the bound module.
    BoundModule,
    /// The listing names the bound driver; the index knows which module registers it.
    BoundDriver {
        /// Driver name.
        driver: String,
    },
    /// The device's modalias matches one of the module's aliases.
    Alias {
        /// The alias pattern.
        pattern: String,
        /// Where the table entry is (`file:line`).
        at: String,
        /// The macro that declared an early-init provider
        /// (`IRQCHIP_DECLARE`, ...: [`kfit_kbuild::Alias::declared_by`]):
        /// no modalias, the kernel runs it only when built in.
        #[serde(skip_serializing_if = "Option::is_none")]
        declared_by: Option<String>,
    },
    /// The platform bus binds a driver registered under the device's own
    /// name (`platform_match`: no id table needed).
    NameMatch {
        /// The device (and driver) name.
        name: String,
    },
    /// The listing shows it loaded (lsmod, /proc/modules, a module list).
    Loaded {
        /// The name the listing gives (when this tree renamed it, the old one).
        listed: String,
    },
    /// The listing's `Kernel modules:` line names it (lspci matched the
    /// device's real modalias), and the IDs to match are not in the listing.
    Listed,
    /// Runtime companion of another module.
    Companion {
        /// The module that needs it.
        of: String,
        /// Why, with the source line.
        because: String,
    },
}

impl How {
    /// The evidence of an alias match: pattern and table location.
    fn from_match(m: &kfit_kbuild::Match<'_>) -> How {
        How::Alias {
            pattern: m.alias.pattern.clone(),
            at: format!("{}:{}", m.alias.file, m.alias.line),
            declared_by: m.alias.declared_by.clone(),
        }
    }
}

/// One module a device needs.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleNeed {
    /// KBUILD_MODNAME.
    pub module: String,
    /// Object path in the tree.
    pub path: String,
    /// How it was chosen.
    pub how: How,
    /// What must be `y` to build it in.
    pub requires: Vec<Requirement>,
}

/// The verdict for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Modules found.
    Resolved,
    /// The listing shows no driver and nothing in this kernel matches: a
    /// host bridge or similar that no driver binds.
    NoDriverNeeded,
    /// The listing shows a driver but this kernel has no such driver or module.
    DriverNotInKernel,
    /// The listing gives no IDs (or only ones that identify nothing) and no
    /// driver this kernel has: which driver it needs cannot be told.
    NoIdentity,
}

/// Resolution of one device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceResolution {
    /// Index into `Machine::devices`.
    pub index: usize,
    /// `bus address [vvvv:dddd]`.
    pub label: String,
    /// Bound driver in the listing.
    pub driver: Option<String>,
    /// Status.
    pub status: DeviceStatus,
    /// Modules, the device's own first, then companions.
    pub modules: Vec<ModuleNeed>,
    /// Notes for the report (ambiguities, hints ignored, ...).
    pub notes: Vec<String>,
    /// For a device no driver is bound to: the less specific matches, most
    /// specific first (at most [`MAX_FALLBACKS`]). The kernel binds any
    /// matching driver that is built in, so these drive the device when
    /// none of `modules` can be enabled (a boot keyboard matches usbkbd
    /// before usbhid, but usbkbd `depends on USB_HID != y`). Not part of
    /// [`Resolution::requirements`]: a caller falls back to them.
    pub fallbacks: Vec<ModuleNeed>,
    /// Drivers that match as well as the chosen one but that the kernel
    /// would not bind first (link order): listed, not enabled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// Device-tree devices that need this one before their driver can
    /// probe (`provider of clocks for /soc/i2c@1000`, `provider of i2c bus
    /// for /soc/i2c@1000/codec@1b`): why it is wanted besides itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<String>,
}

/// Which loaded modules of a listing are wanted built in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadedModules {
    /// Every loaded module (what `make localyesconfig` keeps).
    #[default]
    All,
    /// Only device drivers (modules with a device ID table, see [`is_device_driver`]).
    DeviceDrivers,
    /// None: loaded modules are only evidence.
    Ignore,
}

/// What became of one module the listing shows loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoadedStatus {
    /// This tree has it (under that name).
    Found,
    /// This tree has it under another name or object: the successor.
    Successor {
        /// The module of this tree.
        module: String,
        /// How it was found (driver name, MODULE_ALIAS, with its source).
        because: String,
    },
    /// This tree has no such module.
    NotInKernel,
    /// Not a device driver, and only device drivers were asked for.
    Skipped,
}

/// One module the listing shows loaded.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedResolution {
    /// The name in the listing.
    pub listed: String,
    /// What was found.
    pub status: LoadedStatus,
    /// The module to build in (none when not in this kernel or skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<ModuleNeed>,
}

/// A module with a device ID table (an alias on a device bus: `pci:`,
/// `usb:`, `acpi:`, `of:`, `platform:`, `hid:`, ... as file2alias and
/// MODULE_ALIAS write them), as opposed to infrastructure (filesystems,
/// protocols, crypto, libraries) whose aliases, if any, name no device.
pub fn is_device_driver(m: &Module) -> bool {
    device_buses(m).next().is_some()
}

/// The device buses of a module's aliases (`pci`, `usb`, `acpi`, `platform`
/// for `of:`...), one per device alias. Early-init provider declarations
/// (`IRQCHIP_DECLARE`, ...: [`kfit_kbuild::Alias::is_modalias`]) do not
/// count: they make no module a device driver to trim or to count, they
/// only let a device tree's provider node name its code.
pub fn device_buses(m: &Module) -> impl Iterator<Item = Bus> + '_ {
    m.aliases.iter().filter(|a| a.is_modalias()).filter_map(|a| {
        let (prefix, _) = a.pattern.split_once(':')?;
        match Bus::from_modalias(&format!("{}:", prefix.trim_end_matches('*'))) {
            Bus::Other(_) | Bus::Cpu => None,
            b => Some(b),
        }
    })
}

/// Fallback drivers kept per unbound device.
pub const MAX_FALLBACKS: usize = 3;

/// The resolution of a whole machine.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    /// One per device of the machine, in its order.
    pub devices: Vec<DeviceResolution>,
    /// One per module the listings show loaded, in their order.
    pub loaded: Vec<LoadedResolution>,
}

impl Resolution {
    /// Every requirement, with a reason naming the device and module.
    pub fn requirements(&self) -> Vec<(usize, &ModuleNeed, &Requirement)> {
        let mut out = Vec::new();
        for d in &self.devices {
            for m in &d.modules {
                for r in &m.requires {
                    out.push((d.index, m, r));
                }
            }
        }
        out
    }

    /// The requirements of the loaded modules wanted built in.
    pub fn loaded_requirements(&self) -> Vec<(&ModuleNeed, &Requirement)> {
        self.loaded
            .iter()
            .filter_map(|l| l.need.as_ref())
            .flat_map(|m| m.requires.iter().map(move |r| (m, r)))
            .collect()
    }
}

/// Options for [`resolve`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Skip devices on these buses entirely (e.g. `cpu`, `workqueue`).
    pub ignore_buses: Vec<String>,
    /// Modules the base config already builds in: among drivers matching a
    /// device equally, one of these is kept (nothing to change).
    pub built_in: BTreeSet<String>,
    /// Which loaded modules become wishes.
    pub loaded: LoadedModules,
}

/// Buses whose "devices" are kernel-internal objects, not hardware; a config
/// needs nothing for them beyond what the base has.
const INTERNAL_BUSES: &[&str] = &[
    "workqueue",
    "clockevents",
    "clocksource",
    "event_source",
    "memory",
    "memory_tiering",
    "node",
    "machinecheck",
    "container",
    "edac",
    "nvmem",
    "snd_seq",
    "cpu",
    // DMI "devices" are the platform's identity; dmi: aliases are quirk
    // tables of platform drivers, not devices to drive.
    "dmi",
];

/// Buses whose devices are services of another device, which a kernel may
/// or may not create and bind: the PCIe port services (`pci_express`:
/// AER, PME, DPC and native hotplug of a root or downstream port,
/// drivers/pci/pcie/portdrv.c). A service bound to a driver (`pciehp` on
/// a hotplug-capable port) needs that driver; an unbound one needs nothing
/// (q35's ports list a hotplug service no kernel binds, firmware owns it).
const SERVICE_BUSES: &[&str] = &["pci_express"];

struct Ctx<'a> {
    idx: &'a KernelIndex,
    tree: PathBuf,
    machine: &'a Machine,
    files: RefCell<HashMap<String, Option<std::rc::Rc<String>>>>,
    has_bus: BTreeSet<String>,
    opts: &'a Options,
}

impl<'a> Ctx<'a> {
    fn source(&self, rel: &str) -> Option<std::rc::Rc<String>> {
        if let Some(v) = self.files.borrow().get(rel) {
            return v.clone();
        }
        let text = std::fs::read(self.tree.join(rel))
            .ok()
            .map(|b| std::rc::Rc::new(String::from_utf8_lossy(&b).into_owned()));
        self.files.borrow_mut().insert(rel.to_string(), text.clone());
        text
    }

    fn need(&self, m: &Module, how: How, dev_id: Option<u32>) -> ModuleNeed {
        let mut requires: Vec<Requirement> = m
            .symbols
            .iter()
            .enumerate()
            .map(|(i, g)| Requirement {
                any_of: g.clone(),
                why: if i < m.own {
                    format!("builds {} ({})", m.path, m.makefile)
                } else {
                    format!("directory of {}", m.path)
                },
            })
            .collect();
        if let Some(a) = entry_alias(m, &how, dev_id) {
            let (file, line) = (&a.file, a.entry_line);
            for f in &a.conditions {
                if !requires.iter().any(|r| r.any_of == [f.name.clone()]) {
                    requires.push(Requirement {
                        any_of: vec![f.name.clone()],
                        why: format!(
                            "ID entry at {file}:{line} is inside #if on CONFIG_{} ({file}:{})",
                            f.name, f.line
                        ),
                    });
                }
            }
        }
        ModuleNeed {
            module: m.name.clone(),
            path: m.path.clone(),
            how,
            requires,
        }
    }
}

/// Resolve every device of `machine` against the index of the tree at `tree`
/// (sources are read for the runtime rules).
pub fn resolve(machine: &Machine, idx: &KernelIndex, tree: &Path, opts: &Options) -> Resolution {
    let has_bus: BTreeSet<String> = machine
        .devices
        .iter()
        .map(|d| d.bus.as_str().to_string())
        .collect();
    let cx = Ctx {
        idx,
        tree: tree.to_path_buf(),
        machine,
        files: RefCell::new(HashMap::new()),
        has_bus,
        opts,
    };
    let mut devices = Vec::new();
    for (i, d) in machine.devices.iter().enumerate() {
        let bus = d.bus.as_str();
        if INTERNAL_BUSES.contains(&bus) || opts.ignore_buses.iter().any(|b| b == bus) {
            continue;
        }
        if SERVICE_BUSES.contains(&bus) && d.driver.is_none() {
            continue;
        }
        // USB interfaces are resolved on their own; their device is only
        // resolved for a device-level driver.
        devices.push(resolve_device(&cx, i, d));
    }
    // Companions of every resolved module (once per module per device).
    for dr in &mut devices {
        let own: Vec<ModuleNeed> = dr.modules.clone();
        let dev = &machine.devices[dr.index];
        for m in &own {
            for c in companions(&cx, dev, m) {
                if !dr.modules.iter().any(|x| x.module == c.module) {
                    dr.modules.push(c);
                }
            }
        }
    }
    let loaded = resolve_loaded(&cx, opts.loaded);
    registering_code(&cx, &mut devices, &loaded);
    dt_suppliers(machine, &mut devices);
    Resolution { devices, loaded }
}

/// Device-tree suppliers ([`kfit_hw::Device::suppliers`]: the bus
/// controller and the providers a node's phandles name, as fw_devlink
/// links them): the supplier's device is told whom it provides for
/// ([`DeviceResolution::provides`]), so that its driver is a goal with that
/// reason; a supplier that is no device of the machine is a note on the
/// consumer. The supplier's device is the one whose `of_node` is the
/// supplier node (of several, the one highest in /sys: a UART's
/// serial-base children share its node).
fn dt_suppliers(machine: &Machine, devices: &mut [DeviceResolution]) {
    let depth = |d: &Device| d.sysfs_path.as_deref().map_or(0, str::len);
    let mut by_node: HashMap<&str, usize> = HashMap::new();
    for (k, dr) in devices.iter().enumerate() {
        let d = &machine.devices[dr.index];
        let Some(n) = d.attrs.get("of_node") else { continue };
        match by_node.get(n.as_str()) {
            Some(&j) if depth(&machine.devices[devices[j].index]) <= depth(d) => {}
            _ => {
                by_node.insert(n.as_str(), k);
            }
        }
    }
    for k in 0..devices.len() {
        let d = &machine.devices[devices[k].index];
        let consumer = d.attrs.get("of_node").unwrap_or(&d.address).clone();
        for s in &d.suppliers {
            match by_node.get(s.node.as_str()) {
                Some(&j) if j != k => {
                    let why = format!("provider of {} for {consumer}", s.prop);
                    if !devices[j].provides.contains(&why) {
                        devices[j].provides.push(why);
                    }
                }
                Some(_) => {}
                None => devices[k].notes.push(format!(
                    "its {} supplier {} is not a device of the machine",
                    s.prop, s.node
                )),
            }
        }
    }
    for dr in devices.iter_mut() {
        if !dr.provides.is_empty() && dr.modules.is_empty() {
            dr.notes.push(format!(
                "{}, but no driver or early-init declaration (IRQCHIP_DECLARE, CLK_OF_DECLARE, ...) of this kernel matches it",
                dr.provides[0]
            ));
        }
    }
}

/// A platform device named by code (modalias `platform:NAME`: no ACPI or
/// device-tree node behind it) exists only when code that registers NAME is
/// built: `dmi-ipmi-si.0` is registered by drivers/char/ipmi/ipmi_dmi.c from
/// the DMI tables, not by ipmi_si, which only binds it. The registering
/// module ([`kfit_kbuild::KernelIndex::spawners_of`]) is needed unless one
/// already is: a module of this device or of any other device of the
/// machine, or a module the listings show loaded (`iTCO_wdt` comes from
/// lpc_ich, which the ISA bridge needs; `serial8250` from the 8250 core
/// itself). When several modules could
/// register it and none is needed otherwise, the listing does not say which
/// one did, and none is added.
fn registering_code(cx: &Ctx<'_>, devices: &mut [DeviceResolution], loaded: &[LoadedResolution]) {
    let needed: BTreeSet<String> = devices
        .iter()
        .flat_map(|dr| dr.modules.iter().map(|m| m.module.clone()))
        .chain(
            loaded
                .iter()
                .filter_map(|l| l.need.as_ref().map(|n| n.module.clone())),
        )
        .collect();
    for dr in devices.iter_mut() {
        let d = &cx.machine.devices[dr.index];
        if d.bus != Bus::Platform || dr.modules.is_empty() {
            continue;
        }
        let Some(name) = d.modalias.as_deref().and_then(|a| a.strip_prefix("platform:")) else {
            continue;
        };
        let mut spawners: Vec<_> = cx.idx.spawners_of(name).collect();
        spawners.dedup_by(|a, b| a.0.name == b.0.name);
        if spawners.is_empty() || spawners.iter().any(|(m, _)| needed.contains(&m.name)) {
            continue;
        }
        if let [(m, f)] = spawners[..] {
            let of = dr.modules[0].module.clone();
            dr.modules.push(cx.need(
                m,
                How::Companion {
                    of,
                    because: format!("registers the platform device {name:?} at {}:{}", f.file, f.line),
                },
                None,
            ));
        }
    }
}

/// The loaded modules of the listings, each mapped through the index to the
/// module of this tree (or its successor) that builds it.
fn resolve_loaded(cx: &Ctx<'_>, scope: LoadedModules) -> Vec<LoadedResolution> {
    if scope == LoadedModules::Ignore {
        return Vec::new();
    }
    let idx = cx.idx;
    let mut out = Vec::new();
    for listed in &cx.machine.loaded_modules {
        let (status, module) = match idx.module(listed) {
            Some(m) => (LoadedStatus::Found, Some(m)),
            None => match successor(idx, listed) {
                Some((m, because)) => (
                    LoadedStatus::Successor {
                        module: m.name.clone(),
                        because,
                    },
                    Some(m),
                ),
                None => (LoadedStatus::NotInKernel, None),
            },
        };
        let (status, module) = match module {
            Some(m) if scope == LoadedModules::DeviceDrivers && !is_device_driver(m) => {
                (LoadedStatus::Skipped, None)
            }
            m => (status, m),
        };
        let need = module.map(|m| {
            cx.need(
                m,
                How::Loaded {
                    listed: listed.clone(),
                },
                None,
            )
        });
        out.push(LoadedResolution {
            listed: listed.clone(),
            status,
            need,
        });
    }
    out
}

/// The module of this tree that took over a module name it lacks: one that
/// registers a driver of that name (the object was renamed or merged, the
/// driver kept its name), else one with `MODULE_ALIAS("name")`.
fn successor<'a>(idx: &'a KernelIndex, name: &str) -> Option<(&'a Module, String)> {
    let under = name.replace('-', "_");
    let dash = name.replace('_', "-");
    for n in [name, under.as_str(), dash.as_str()] {
        if let Some(m) = idx
            .module_by_driver_name(n)
            .into_iter()
            .find(|m| m.driver_names.iter().any(|d| d == n))
        {
            return Some((m, format!("registers the driver {n:?} ({})", m.path)));
        }
    }
    idx.aliases()
        .find(|(_, a)| a.pattern == name || a.pattern == under || a.pattern == dash)
        .map(|(m, a)| {
            (
                m,
                format!("MODULE_ALIAS(\"{}\") at {}:{}", a.pattern, a.file, a.line),
            )
        })
}

fn label(d: &Device) -> String {
    let mut s = format!("{} {}", d.bus, d.address);
    if let Some(ids) = d.ids() {
        s.push_str(&format!(" [{ids}]"));
    } else if let Some(m) = &d.modalias {
        s.push_str(&format!(" {m}"));
    }
    s
}

fn resolve_device(cx: &Ctx<'_>, index: usize, d: &Device) -> DeviceResolution {
    let mut out = DeviceResolution {
        index,
        label: label(d),
        driver: d.driver.clone(),
        status: DeviceStatus::Resolved,
        modules: Vec::new(),
        notes: Vec::new(),
        fallbacks: Vec::new(),
        alternatives: Vec::new(),
        provides: Vec::new(),
    };
    let idx = cx.idx;
    let modalias = d.modalias_or_synth();
    let matches = modalias
        .as_deref()
        .map(|m| idx.match_modalias(m))
        .unwrap_or_default();

    // 1. bound module
    if let Some(m) = d.driver_module.as_deref().filter(|m| !m.starts_with('-')) {
        if let Some(module) = idx.module(m) {
            let how = alias_of(&matches, &module.name).unwrap_or(How::BoundModule);
            out.modules.push(cx.need(module, how, d.device));
            return out;
        }
        out.notes
            .push(format!("module {m} named by the listing is not in this kernel"));
    }
    // 2. bound driver
    if let Some(drv) = d.driver.as_deref() {
        let cands = idx.module_by_driver_name(drv);
        let chosen: Vec<&Module> = if cands.len() > 1 {
            let by_alias: Vec<&Module> = cands
                .iter()
                .copied()
                .filter(|c| matches.iter().any(|m| m.module.name == c.name))
                .collect();
            if by_alias.is_empty() {
                let bus_dir: Vec<&Module> = cands
                    .iter()
                    .copied()
                    .filter(|c| c.aliases.iter().any(|a| a.pattern.starts_with(d.bus.as_str())))
                    .collect();
                if bus_dir.is_empty() {
                    cands.clone()
                } else {
                    bus_dir
                }
            } else {
                by_alias
            }
        } else {
            cands.clone()
        };
        if !chosen.is_empty() {
            if chosen.len() > 1 {
                out.notes.push(format!(
                    "driver {drv} is registered by several modules: {}",
                    chosen
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for module in chosen {
                let how = alias_of(&matches, &module.name).unwrap_or(How::BoundDriver {
                    driver: drv.to_string(),
                });
                out.modules.push(cx.need(module, how, d.device));
            }
            return out;
        }
        out.notes.push(format!(
            "no module of this kernel registers a driver named {drv:?}"
        ));
    }
    // 3. alias match, on what the listing's IDs genuinely support (see
    // support.rs: no vendor's table for a device without IDs, no interface
    // class driver for a USB device seen without its interfaces).
    let hints: Vec<String> = d.modules.iter().map(|m| m.replace('-', "_")).collect();
    let matches: Vec<kfit_kbuild::Match<'_>> = match modalias.as_deref() {
        Some(ma) => matches
            .into_iter()
            .filter(|m| support::support(&m.alias.pattern, ma).genuine())
            .collect(),
        None => matches,
    };
    // A name that fits several ids (plain lspci, pci.ids): what each
    // candidate would bind, all of them when they differ (few, listed).
    let candidates = candidate_modaliases(d);
    let mut by_candidate: Vec<kfit_kbuild::Match<'_>> = Vec::new();
    let pick = if candidates.is_empty() {
        pick_matches(cx, &matches, &hints, d.revision)
    } else {
        let mut per = Vec::new();
        for (ids, ma) in &candidates {
            let ms: Vec<kfit_kbuild::Match<'_>> = idx
                .match_modalias(ma)
                .into_iter()
                .filter(|m| support::support(&m.alias.pattern, ma).genuine())
                .collect();
            let p = pick_matches(cx, &ms, &hints, d.revision);
            per.push(format!(
                "{ids} → {}",
                if p.chosen.is_empty() {
                    "no driver".to_string()
                } else {
                    module_names(&p.chosen)
                }
            ));
            for m in p.chosen {
                if !by_candidate.iter().any(|b| b.module.name == m.module.name) {
                    by_candidate.push(m.clone());
                }
            }
        }
        let same = per
            .iter()
            .all(|p| p.split(" → ").nth(1) == per[0].split(" → ").nth(1));
        let names = match by_candidate.len() {
            0 => None,
            // Only the subsystem was ambiguous and it changes nothing.
            _ if same && !d.attrs.contains_key("id_candidates") => None,
            _ if same => Some(format!(
                "its name fits several ids, each driven by {}: {}",
                module_names(&by_candidate.iter().collect::<Vec<_>>()),
                per.join("; ")
            )),
            1 => Some(format!(
                "its name fits several ids; {} is the only driver among them: {}",
                by_candidate[0].module.name,
                per.join("; ")
            )),
            n if n <= MAX_CANDIDATE_DRIVERS => Some(format!(
                "its name fits several ids with different drivers, all built in: {}",
                per.join("; ")
            )),
            _ => {
                by_candidate.clear();
                out.notes.push(format!(
                    "its name fits too many ids with different drivers to build them in: {}",
                    per.join("; ")
                ));
                None
            }
        };
        Pick {
            chosen: by_candidate.iter().collect(),
            alternatives: Vec::new(),
            note: names,
        }
    };
    let best = pick.chosen;
    // The listing's own kernel had every matching module loaded and still
    // left the device unbound: those drivers decline it (nvdimm pfn/dax
    // seeds under nd_pmem/dax_pmem, for instance). Nothing to add for it.
    let loaded = &cx.machine.loaded_modules;
    if !best.is_empty()
        && d.driver.is_none()
        && !loaded.is_empty()
        && best
            .iter()
            .all(|m| loaded.iter().any(|l| l.replace('-', "_") == m.module.name))
    {
        out.status = DeviceStatus::NoDriverNeeded;
        out.notes.push(format!(
            "{} was loaded on the listed machine and left this device unbound",
            module_names(&best)
        ));
        return out;
    }
    if best.is_empty() && !d.is_bound() {
        // A codec no vendor driver claims: the generic parser binds it.
        if d.bus == Bus::HdAudio {
            if let Some((module, because)) = hda_generic_codecs(cx, true).into_iter().next() {
                let how = How::Companion {
                    of: "snd_hda_codec".into(),
                    because,
                };
                out.modules.push(cx.need(module, how, None));
                return out;
            }
        }
        // platform_match falls back to comparing names: a built-in driver
        // without MODULE_ALIAS (reg-dummy) binds a device of its name.
        let platform_name = modalias.as_deref().and_then(|m| m.strip_prefix("platform:"));
        if let Some(name) = platform_name.filter(|_| d.bus == Bus::Platform) {
            let cands = idx.module_by_driver_name(name);
            if !cands.is_empty() {
                for module in cands {
                    let how = How::NameMatch {
                        name: name.to_string(),
                    };
                    out.modules.push(cx.need(module, how, None));
                }
                return out;
            }
        }
    }
    if best.is_empty() {
        // No IDs to match, but lspci's `Kernel modules:` line (computed
        // from the real modalias) names the candidates.
        let listed: Vec<&Module> = hints.iter().filter_map(|h| idx.module(h)).collect();
        if let Some(first) = first_in_link_order(cx, &listed) {
            out.modules.push(cx.need(first, How::Listed, d.device));
            out.alternatives = listed
                .iter()
                .filter(|m| m.name != first.name)
                .map(|m| m.name.clone())
                .collect();
            if !out.alternatives.is_empty() {
                out.notes.push(format!(
                    "Kernel modules: line also names {} (not enabled: {} comes first in link order)",
                    out.alternatives.join(", "),
                    first.name
                ));
            }
            return out;
        }
        out.status = if !has_identity(d) {
            match &d.driver {
                Some(drv) => {
                    // One line says it all (not also "no module registers ...").
                    out.notes
                        .retain(|n| !n.starts_with("no module of this kernel registers a driver named"));
                    out.notes.push(format!(
                    "bound to {drv}, which this kernel does not have, and the listing gives no IDs to find an in-tree driver by"
                ))
                }
                None => out
                    .notes
                    .push("the listing gives no IDs and no driver: cannot tell which driver it needs".into()),
            }
            DeviceStatus::NoIdentity
        } else if d.is_bound() {
            DeviceStatus::DriverNotInKernel
        } else {
            DeviceStatus::NoDriverNeeded
        };
        return out;
    }
    if let Some(n) = pick.note {
        out.notes.push(n);
    }
    for m in &best {
        out.modules.push(cx.need(m.module, How::from_match(m), d.device));
    }
    out.alternatives = pick.alternatives.iter().map(|m| m.module.name.clone()).collect();
    // Less specific matches of an unbound device (never when the listing's
    // hints chose the driver); the equally matching alternatives first.
    let hinted = best.iter().any(|m| hints.contains(&m.module.name));
    if !d.is_bound() && !hinted {
        let mut seen: BTreeSet<&str> = best.iter().map(|m| m.module.name.as_str()).collect();
        for m in pick.alternatives.iter().copied().chain(&matches) {
            if out.fallbacks.len() == MAX_FALLBACKS {
                break;
            }
            if seen.insert(m.module.name.as_str()) {
                out.fallbacks
                    .push(cx.need(m.module, How::from_match(m), d.device));
            }
        }
    }
    out
}

/// At most this many different drivers are built in for a device whose
/// name fits several ids (more is no identity: reported, not enabled).
const MAX_CANDIDATE_DRIVERS: usize = 3;

/// The modaliases of the ids a device's name fits (`id_candidates`,
/// `subsystem_candidates` of kfit-hw's pci.ids lookup), each with its ids;
/// empty when the device has its own modalias or no candidates.
pub fn candidate_modaliases(d: &Device) -> Vec<(String, String)> {
    if d.modalias.is_some() {
        return Vec::new();
    }
    let pairs = |k: &str| -> Vec<Option<(u32, u32)>> {
        d.attrs
            .get(k)
            .map(|s| {
                s.split(' ')
                    .filter_map(|x| {
                        let (a, b) = x.split_once(':')?;
                        Some(Some((
                            u32::from_str_radix(a, 16).ok()?,
                            u32::from_str_radix(b, 16).ok()?,
                        )))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (ids, subs) = (pairs("id_candidates"), pairs("subsystem_candidates"));
    if ids.is_empty() && subs.is_empty() {
        return Vec::new();
    }
    let or_none = |v: Vec<Option<(u32, u32)>>| if v.is_empty() { vec![None] } else { v };
    let mut out = Vec::new();
    for id in or_none(ids) {
        for sub in or_none(subs.clone()) {
            let mut c = d.clone();
            let mut label = Vec::new();
            if let Some((v, x)) = id {
                (c.vendor, c.device) = (Some(v), Some(x));
                label.push(format!("{v:04x}:{x:04x}"));
            }
            if let Some((v, x)) = sub {
                (c.subvendor, c.subdevice) = (Some(v), Some(x));
                label.push(format!("subsystem {v:04x}:{x:04x}"));
            }
            if let Some(ma) = c.synth_modalias() {
                out.push((label.join(" "), ma));
            }
        }
    }
    out
}

/// The device shows IDs that identify it (PCI/USB vendor and device, or
/// for other buses any id or modalias at all).
fn has_identity(d: &Device) -> bool {
    match d.bus {
        Bus::Pci | Bus::Usb => d.vendor.is_some() && d.device.is_some() || d.modalias.is_some(),
        _ => true,
    }
}

/// The module the kernel registers first (link order, see linkorder.rs).
fn first_in_link_order<'m>(cx: &Ctx<'_>, mods: &[&'m Module]) -> Option<&'m Module> {
    let read = |f: &str| cx.source(f);
    mods.iter().copied().min_by_key(|m| linkorder::key(&read, m))
}

/// `a, b, c`: the modules of some matches.
fn module_names(matches: &[&kfit_kbuild::Match<'_>]) -> String {
    matches
        .iter()
        .map(|m| m.module.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn alias_of(matches: &[kfit_kbuild::Match<'_>], module: &str) -> Option<How> {
    matches
        .iter()
        .find(|m| m.module.name == module)
        .map(How::from_match)
}

/// The matches chosen for a device, and the equally good ones left out.
struct Pick<'b, 'a> {
    chosen: Vec<&'b kfit_kbuild::Match<'a>>,
    alternatives: Vec<&'b kfit_kbuild::Match<'a>>,
    note: Option<String>,
}

/// The matches to use for an unbound device: the listing's module hints
/// first, else the most specific match. When drivers tie on one ID entry,
/// their probes decide from what no ID shows (AMD's ACP drivers all claim
/// 1022:15e2 and each accepts one revision; 8139too declines what 8139cp
/// takes; tpm_tis and tpm_crb both claim MSFT0101 and check the TPM2
/// table's start method): all are kept. Other ties: the one the base
/// already builds in, else the one the kernel registers first (link order).
fn pick_matches<'b, 'a>(
    cx: &Ctx<'_>,
    matches: &'b [kfit_kbuild::Match<'a>],
    hints: &[String],
    revision: Option<u32>,
) -> Pick<'b, 'a> {
    let mut seen = BTreeSet::new();
    let uniq: Vec<&kfit_kbuild::Match<'a>> = matches
        .iter()
        .filter(|m| seen.insert(m.module.name.clone()))
        .collect();
    let none = Pick {
        chosen: Vec::new(),
        alternatives: Vec::new(),
        note: None,
    };
    if !hints.is_empty() {
        let hinted: Vec<_> = uniq
            .iter()
            .copied()
            .filter(|m| hints.contains(&m.module.name))
            .collect();
        if !hinted.is_empty() {
            // The first hint that matches (lspci lists them in kmod's order).
            return Pick {
                chosen: hinted.into_iter().take(1).collect(),
                ..none
            };
        }
    }
    let Some(top) = uniq.first().map(|m| m.specificity) else {
        return none;
    };
    let tied: Vec<&kfit_kbuild::Match<'a>> = uniq.into_iter().filter(|m| m.specificity == top).collect();
    if tied.len() == 1 {
        return Pick { chosen: tied, ..none };
    }
    let one_entry = tied.iter().all(|m| m.alias.pattern == tied[0].alias.pattern);
    if one_entry {
        // The listing shows the revision: the probes that check it decide.
        if let Some(rev) = revision {
            let checks: Vec<Option<(BTreeSet<u32>, String)>> =
                tied.iter().map(|m| revision_check(m.module)).collect();
            let (fit, other): (Vec<_>, Vec<_>) = tied
                .iter()
                .zip(&checks)
                .partition(|(_, c)| c.as_ref().is_none_or(|(set, _)| set.contains(&rev)));
            if !fit.is_empty() && !other.is_empty() {
                let chosen: Vec<_> = fit.iter().map(|(m, _)| **m).collect();
                let said: Vec<String> = other
                    .iter()
                    .filter_map(|(m, c)| {
                        let (set, at) = c.as_ref()?;
                        let revs: Vec<String> = set.iter().map(|r| format!("{r:02x}")).collect();
                        Some(format!("{} takes rev {} ({at})", m.module.name, revs.join("/")))
                    })
                    .collect();
                let note = format!(
                    "{} claim the same ID entry; their probes check the revision ({rev:02x}): {} kept; not the others: {}",
                    module_names(&tied),
                    module_names(&chosen),
                    said.join(", ")
                );
                return Pick {
                    chosen,
                    alternatives: other.iter().map(|(m, _)| **m).collect(),
                    note: Some(note),
                };
            }
        }
        let note = format!(
            "{} claim the same ID entry; their probes decide which binds (by what no ID shows, such as the revision): all built in",
            module_names(&tied)
        );
        return Pick {
            chosen: tied,
            alternatives: Vec::new(),
            note: Some(note),
        };
    }
    let on: Vec<_> = tied
        .iter()
        .copied()
        .filter(|m| cx.opts.built_in.contains(&m.module.name))
        .collect();
    if !on.is_empty() {
        let alternatives = tied
            .iter()
            .copied()
            .filter(|m| !on.iter().any(|o| o.module.name == m.module.name))
            .collect();
        return Pick {
            chosen: on,
            alternatives,
            note: None,
        };
    }
    let mods: Vec<&Module> = tied.iter().map(|m| m.module).collect();
    let first = first_in_link_order(cx, &mods).map(|m| m.name.clone());
    let (chosen, alternatives): (Vec<_>, Vec<_>) = tied
        .into_iter()
        .partition(|m| Some(&m.module.name) == first.as_ref());
    let note = format!(
        "{} match as well; not enabled: {} comes first in link order",
        module_names(&alternatives),
        module_names(&chosen)
    );
    Pick {
        chosen,
        alternatives,
        note: Some(note),
    }
}

/// The revisions `m`'s probe accepts (see [`kfit_kbuild::revision::accepted`]),
/// found at index time.
fn revision_check(m: &Module) -> Option<(BTreeSet<u32>, String)> {
    m.revisions
        .as_ref()
        .map(|(v, at)| (v.iter().copied().collect(), at.to_string()))
}

/// The generic HDA codec drivers that `codec_bind_generic`
/// (sound/pci/hda/hda_bind.c) binds every codec no vendor driver claims
/// to: the `HDA_CODEC_ID_GENERIC*` ids of include/sound/hda_codec.h,
/// resolved through the index like any codec modalias. `plain_only` keeps
/// HDA_CODEC_ID_GENERIC alone (not the HDMI one).
fn hda_generic_codecs<'a>(cx: &Ctx<'a>, plain_only: bool) -> Vec<(&'a Module, String)> {
    let idx = cx.idx;
    let mut out = Vec::new();
    let facts = &idx.facts;
    let bind = kfit_kbuild::srcfacts::HDA_BIND_C;
    let at = match facts.hda_bind_generic {
        Some(l) => format!("{bind}:{l}"),
        None => bind.to_string(),
    };
    let hdr = kfit_kbuild::srcfacts::HDA_CODEC_H;
    for (name, id, line) in &facts.hda_generic_ids {
        if plain_only && name != "HDA_CODEC_ID_GENERIC" {
            continue;
        }
        let ma = format!("hdaudio:v{id:08X}r*a01*");
        for mm in idx.match_modalias(&ma).into_iter().take(1) {
            out.push((
                mm.module,
                format!("codecs fall back to {name} ({hdr}:{line}) in codec_bind_generic ({at})"),
            ));
        }
    }
    out
}

/// Companion modules of `m` for device `d`.
fn companions(cx: &Ctx<'_>, d: &Device, m: &ModuleNeed) -> Vec<ModuleNeed> {
    let idx = cx.idx;
    let mut out: Vec<ModuleNeed> = Vec::new();
    let Some(module) = idx.module_by_path(&m.path) else {
        return out;
    };
    let push = |out: &mut Vec<ModuleNeed>, target: &Module, because: String| {
        if target.name != module.name && !out.iter().any(|x| x.module == target.name) {
            out.push(cx.need(
                target,
                How::Companion {
                    of: module.name.clone(),
                    because,
                },
                None,
            ));
        }
    };
    // Soft dependencies and child devices, found in the module's sources
    // at index time.
    for f in &module.companions {
        let src = &f.file;
        match f.kind {
            CompanionKind::Softdep => {
                if let Some(t) = idx.module(&f.name) {
                    push(&mut out, t, format!("MODULE_SOFTDEP at {src}:{}", f.line));
                }
            }
            CompanionKind::Spawns if !cx.has_bus.contains("platform") => {
                for t in idx.module_by_driver_name(&f.name) {
                    if t.driver_names.iter().any(|n| n == &f.name)
                        && t.aliases
                            .iter()
                            .any(|a| a.pattern == format!("platform:{}", f.name))
                    {
                        push(
                            &mut out,
                            t,
                            format!("registers platform device {:?} at {src}:{}", f.name, f.line),
                        );
                    }
                }
            }
            CompanionKind::Spawns => {}
        }
    }
    // Second-level buses the listing does not show.
    if d.bus == Bus::Pci {
        let class = (d.class, d.subclass);
        // Mass storage other than NVMe: disks appear as SCSI devices (libata,
        // SCSI HBAs); sd binds them through its scsi:t-0x00 alias.
        if class.0 == Some(0x01) && class.1 != Some(0x08) && !cx.has_bus.contains("scsi") {
            for mm in idx.match_modalias("scsi:t-0x00") {
                push(
                    &mut out,
                    mm.module,
                    format!(
                        "disks behind a storage controller bind by {} ({}:{})",
                        mm.alias.pattern, mm.alias.file, mm.alias.line
                    ),
                );
            }
        }
        // HD audio controller without codec information: hda_bind.c binds
        // every codec that no vendor driver claims to the generic parser
        // (codec_bind_generic: HDA_CODEC_ID_GENERIC, and
        // HDA_CODEC_ID_GENERIC_HDMI for HDMI codecs). Those ids are read from
        // include/sound/hda_codec.h and resolved through the index like any
        // codec modalias. Vendor codec drivers only add quirks; they are
        // found from hdaudio modaliases when the listing has them.
        if class == (Some(0x04), Some(0x03)) && !cx.has_bus.contains("hdaudio") {
            for (module, because) in hda_generic_codecs(cx, false) {
                push(&mut out, module, because);
            }
        }
        // Virtio PCI function: the virtio device behind it.
        if d.vendor == Some(0x1af4) && !cx.has_bus.contains("virtio") {
            if let Some(id) = virtio_id(d) {
                let ma = format!("virtio:d{id:08X}v*");
                for mm in idx.match_modalias(&ma).into_iter().take(1) {
                    push(
                        &mut out,
                        mm.module,
                        format!(
                            "virtio device {id} behind {} (drivers/virtio/virtio_pci_modern_dev.c)",
                            d.address
                        ),
                    );
                }
            }
        }
    }
    if d.bus == Bus::Usb && d.class == Some(0x03) && !cx.has_bus.contains("hid") {
        if let (Some(v), Some(p)) = (d.vendor, d.device) {
            let ma = format!("hid:b0003g*v{v:08X}p{p:08X}");
            if let Some(mm) = idx.match_modalias(&ma).into_iter().next() {
                push(
                    &mut out,
                    mm.module,
                    format!(
                        "HID device behind USB HID interface {} ({}:{})",
                        d.address, mm.alias.file, mm.alias.line
                    ),
                );
            }
        }
    }
    if d.bus == Bus::Usb && d.class == Some(0x08) && !cx.has_bus.contains("scsi") {
        for mm in idx.match_modalias("scsi:t-0x00") {
            push(
                &mut out,
                mm.module,
                format!(
                    "disks behind USB mass storage bind by {} ({}:{})",
                    mm.alias.pattern, mm.alias.file, mm.alias.line
                ),
            );
        }
    }
    out
}

/// The alias of `m` whose entry an alias match stands for: the matched
/// alias itself, or, when its pattern names no device ID (a class or
/// wildcard match), the alias of the same table that names the device's
/// own ID, whose entry the kernel's table lists for it.
fn entry_alias<'m>(m: &'m Module, how: &How, dev_id: Option<u32>) -> Option<&'m kfit_kbuild::Alias> {
    let How::Alias { pattern, .. } = how else {
        return None;
    };
    let a = m.aliases.iter().find(|a| &a.pattern == pattern)?;
    if kfit_kbuild::srcfacts::pattern_device(&a.pattern).is_some() || dev_id.is_none() {
        return Some(a);
    }
    let same_table = m.aliases.iter().find(|b| {
        b.file == a.file && b.line == a.line && kfit_kbuild::srcfacts::pattern_device(&b.pattern) == dev_id
    });
    Some(same_table.unwrap_or(a))
}

/// The virtio device id of a virtio PCI function, as
/// drivers/virtio/virtio_pci_modern_dev.c (`vp_modern_probe`) computes it:
/// devices 0x1040.. are modern (`id = device - 0x1040`); transitional devices
/// 0x1000..0x103f use the PCI subsystem device id.
pub fn virtio_id(d: &Device) -> Option<u32> {
    let dev = d.device?;
    match dev {
        0x1040..=0x107f => Some(dev - 0x1040),
        0x1000..=0x103f => d.subdevice,
        _ => None,
    }
}

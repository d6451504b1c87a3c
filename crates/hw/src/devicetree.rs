//! Device trees as listings: the flattened blob (`.dtb`, `/sys/firmware/fdt`),
//! dtc's source output (`dtc -I fs`, `dtc -I dtb -O dts`, plain `.dts`
//! without preprocessor directives) and the live
//! `/sys/firmware/devicetree/base`, read into one node tree, and the
//! devices the kernel makes of its nodes.
//!
//! What the kernel does with a tree, and where this module follows it (Linux
//! 6.12):
//! - Which nodes become devices: `of_platform_populate` with
//!   `of_default_bus_match_table` (drivers/of/platform.c:27-35, 328-398):
//!   the root's and `/firmware`'s children with a `compatible` that are
//!   available, and recursively the children of `simple-bus`, `simple-mfd`,
//!   `isa`, `arm,amba-bus` nodes; `arm,primecell` nodes are amba devices
//!   (platform.c:371). Children of other device nodes are created by their
//!   parent's driver: on i2c (children of an `i2c` node, dt-schema's
//!   `i2c-controller.yaml` node name `^i2c(@.+|-[a-z0-9]+)?$`), spi (`^spi(@.*|-[0-9]+)?$`),
//!   else platform (mfd cells). Nodes of probed buses (`pciVVVV,DDDD`,
//!   `usbVVVV,PPPP` compatibles, children of `device_type = "pci"`) are
//!   left to the bus's own enumeration.
//! - The device name: `of_device_make_bus_id` (drivers/of/device.c:288):
//!   `<translated reg address>.<node name>`, else the node's name prefixed
//!   to its parent's; i2c `<adapter>-<addr %04x>` and spi `spi<bus>.<cs>`
//!   with the bus number from `/aliases` (`of_alias_get_id`), else the node path.
//! - The modalias: `of_modalias` (drivers/of/module.c:11-51):
//!   `of:N<name>T<device_type or (null)>` then `C<compatible>` for each
//!   compatible string, spaces turned into `_`.
//! - The suppliers a device needs before its driver probes: fw_devlink's
//!   `of_supplier_bindings` (drivers/of/property.c:1291-1324, 1434-1480):
//!   `clocks`, `resets`, `dmas`, `phys`, `iommus`, `power-domains`,
//!   `pinctrl-N`, `*-supply`, `*-gpios`, `interrupts` (the interrupt
//!   parent, `of_irq_find_parent`), `interrupts-extended`, `interrupt-map`,
//!   `iommu-map`, `msi-parent`, ...; each phandle resolved to the nearest
//!   available node with a `compatible` (`of_get_compat_node`), read from
//!   the device's node and the nodes below it that are no device.

use crate::model::{Bus, Device, Supplier};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A device tree that cannot be read: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DtError {
    /// Byte offset (blob) or line (source), see `at_line`.
    pub at: usize,
    /// True when `at` is a 1-based line of a source text.
    pub at_line: bool,
    pub message: String,
}

impl fmt::Display for DtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at_line {
            write!(f, "line {}: {}", self.at, self.message)
        } else {
            write!(f, "offset {:#x}: {}", self.at, self.message)
        }
    }
}

fn err_at(at: usize, message: impl Into<String>) -> DtError {
    DtError {
        at,
        at_line: false,
        message: message.into(),
    }
}

fn err_line(at: usize, message: impl Into<String>) -> DtError {
    DtError {
        at,
        at_line: true,
        message: message.into(),
    }
}

/// Deepest nesting accepted (real trees are < 10 deep).
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, Default)]
struct Node {
    /// `name@unit` (empty for the root).
    name: String,
    parent: Option<usize>,
    children: Vec<usize>,
    props: Vec<(String, Vec<u8>)>,
}

/// A device tree: nodes with their properties.
#[derive(Debug, Clone)]
pub struct DeviceTree {
    nodes: Vec<Node>,
}

/// The FDT magic (`d0 0d fe ed`), the first bytes of a `.dtb`.
pub const FDT_MAGIC: [u8; 4] = [0xd0, 0x0d, 0xfe, 0xed];

fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn cells(v: &[u8]) -> Vec<u32> {
    v.chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The strings of a string-list property (NUL-separated).
fn strings(v: &[u8]) -> Vec<String> {
    let v = v.strip_suffix(&[0]).unwrap_or(v);
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

impl DeviceTree {
    fn root() -> DeviceTree {
        DeviceTree {
            nodes: vec![Node::default()],
        }
    }

    fn add_child(&mut self, parent: usize, name: &str) -> usize {
        if let Some(&c) = self.nodes[parent]
            .children
            .iter()
            .find(|&&c| self.nodes[c].name == name)
        {
            return c;
        }
        self.nodes.push(Node {
            name: name.to_string(),
            parent: Some(parent),
            ..Node::default()
        });
        let i = self.nodes.len() - 1;
        self.nodes[parent].children.push(i);
        i
    }

    fn set_prop(&mut self, node: usize, name: &str, value: Vec<u8>) {
        let props = &mut self.nodes[node].props;
        match props.iter_mut().find(|p| p.0 == name) {
            Some(p) => p.1 = value,
            None => props.push((name.to_string(), value)),
        }
    }

    /// Read a flattened device tree (the `.dtb` format of the devicetree
    /// specification, chapter 5: header, structure block, strings block;
    /// versions 16 and 17).
    pub fn from_dtb(b: &[u8]) -> Result<DeviceTree, DtError> {
        if b.len() < 40 {
            return Err(err_at(
                0,
                format!("{} bytes: too short for an FDT header", b.len()),
            ));
        }
        if b[..4] != FDT_MAGIC {
            return Err(err_at(0, "no FDT magic (d00dfeed)"));
        }
        let h = |i: usize| be32(b, i * 4).unwrap_or(0) as usize;
        let (total, off_struct, off_strings, version) = (h(1), h(2), h(3), h(5));
        if total > b.len() {
            return Err(err_at(
                4,
                format!(
                    "totalsize {total} is past the end of the data ({} bytes)",
                    b.len()
                ),
            ));
        }
        if version < 16 {
            return Err(err_at(
                20,
                format!("FDT version {version} (only 16 and 17 are read)"),
            ));
        }
        let size_strings = h(8);
        let size_struct = if version >= 17 {
            h(9)
        } else {
            total.saturating_sub(off_struct)
        };
        let struct_end = off_struct
            .checked_add(size_struct)
            .filter(|&e| e <= total)
            .ok_or_else(|| err_at(8, "structure block past totalsize"))?;
        let strings_end = off_strings
            .checked_add(size_strings)
            .filter(|&e| e <= total)
            .ok_or_else(|| err_at(12, "strings block past totalsize"))?;
        let strs = &b[off_strings..strings_end];
        let mut t = DeviceTree { nodes: Vec::new() };
        let mut stack: Vec<usize> = Vec::new();
        let mut off = off_struct;
        let align = |o: usize| (o + 3) & !3;
        loop {
            let tok = be32(&b[..struct_end], off)
                .ok_or_else(|| err_at(off, "structure block ends without FDT_END"))?;
            let at = off;
            off += 4;
            match tok {
                1 => {
                    // FDT_BEGIN_NODE: the name, NUL-terminated, padded.
                    let rest = &b[off..struct_end];
                    let n = rest
                        .iter()
                        .position(|&c| c == 0)
                        .ok_or_else(|| err_at(off, "node name without NUL"))?;
                    let name = String::from_utf8_lossy(&rest[..n]).into_owned();
                    off = align(off + n + 1);
                    if stack.len() >= MAX_DEPTH {
                        return Err(err_at(at, format!("nodes nested deeper than {MAX_DEPTH}")));
                    }
                    let i = match stack.last() {
                        None if t.nodes.is_empty() => {
                            t.nodes.push(Node::default());
                            0
                        }
                        None => return Err(err_at(at, "a second root node")),
                        Some(&p) => {
                            t.nodes.push(Node {
                                name,
                                parent: Some(p),
                                ..Node::default()
                            });
                            let i = t.nodes.len() - 1;
                            t.nodes[p].children.push(i);
                            i
                        }
                    };
                    stack.push(i);
                }
                2 => {
                    // FDT_END_NODE
                    if stack.pop().is_none() {
                        return Err(err_at(at, "FDT_END_NODE outside any node"));
                    }
                }
                3 => {
                    // FDT_PROP: len, nameoff, value.
                    let len = be32(&b[..struct_end], off).ok_or_else(|| err_at(off, "property header cut"))?
                        as usize;
                    let nameoff = be32(&b[..struct_end], off + 4)
                        .ok_or_else(|| err_at(off, "property header cut"))?
                        as usize;
                    off += 8;
                    let value = off
                        .checked_add(len)
                        .filter(|&e| e <= struct_end)
                        .map(|e| b[off..e].to_vec())
                        .ok_or_else(|| {
                            err_at(
                                at,
                                format!("property value of {len} bytes past the structure block"),
                            )
                        })?;
                    let name = strs
                        .get(nameoff..)
                        .and_then(|s| s.iter().position(|&c| c == 0).map(|n| &s[..n]))
                        .ok_or_else(|| {
                            err_at(
                                at + 8,
                                format!("property name offset {nameoff} outside the strings block"),
                            )
                        })?;
                    let &node = stack
                        .last()
                        .ok_or_else(|| err_at(at, "property outside any node"))?;
                    t.nodes[node]
                        .props
                        .push((String::from_utf8_lossy(name).into_owned(), value));
                    off = align(off + len);
                }
                4 => {} // FDT_NOP
                9 => {
                    // FDT_END
                    if !stack.is_empty() {
                        return Err(err_at(at, format!("FDT_END with {} node(s) open", stack.len())));
                    }
                    break;
                }
                x => return Err(err_at(at, format!("unknown structure token {x:#x}"))),
            }
        }
        if t.nodes.is_empty() {
            return Err(err_at(off_struct, "no root node"));
        }
        Ok(t)
    }

    /// Read a live tree (`/sys/firmware/devicetree/base`, `/proc/device-tree`):
    /// one directory per node, one file per property. The `name` files
    /// (the node name again) are skipped, as `dtc -I fs` does.
    pub fn from_dir(dir: &Path) -> std::io::Result<DeviceTree> {
        let mut t = DeviceTree::root();
        let mut todo = vec![(0usize, dir.to_path_buf(), 0usize)];
        while let Some((node, path, depth)) = todo.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&path)?.filter_map(|e| e.ok()).collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let name = e.file_name().to_string_lossy().into_owned();
                let ft = e.file_type()?;
                if ft.is_dir() {
                    if depth < MAX_DEPTH {
                        let c = t.add_child(node, &name);
                        todo.push((c, e.path(), depth + 1));
                    }
                } else if ft.is_file() && name != "name" {
                    let v = crate::input::read_bytes_limited(&e.path(), 1 << 20)?;
                    t.set_prop(node, &name, v);
                }
            }
        }
        Ok(t)
    }

    /// Read dtc's source form. Phandle references (`<&label>`,
    /// `&{/path}`) get the `phandle` of their node (one is assigned where
    /// the node has none, as dtc does).
    pub fn from_dts(text: &str) -> Result<DeviceTree, DtError> {
        dts::parse(text)
    }

    /// The full path of a node (`/`, `/soc/i2c@1000`).
    pub fn path(&self, i: usize) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            if self.nodes[c].parent.is_some() {
                parts.push(self.nodes[c].name.as_str());
            }
            cur = self.nodes[c].parent;
            if parts.len() > MAX_DEPTH {
                break;
            }
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    /// The node at a full path.
    pub fn find(&self, path: &str) -> Option<usize> {
        let mut cur = 0;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur = *self.nodes[cur]
                .children
                .iter()
                .find(|&&c| self.nodes[c].name == part)?;
        }
        Some(cur)
    }

    fn prop(&self, i: usize, name: &str) -> Option<&[u8]> {
        self.nodes[i]
            .props
            .iter()
            .find(|p| p.0 == name)
            .map(|p| p.1.as_slice())
    }

    fn u32_prop(&self, i: usize, name: &str) -> Option<u32> {
        self.prop(i, name).and_then(|v| be32(v, 0))
    }

    fn base_name(&self, i: usize) -> &str {
        let n = &self.nodes[i].name;
        n.split('@').next().unwrap_or(n)
    }

    /// The node's `compatible` strings.
    pub fn compatible(&self, i: usize) -> Vec<String> {
        self.prop(i, "compatible").map(strings).unwrap_or_default()
    }

    /// `of_device_is_available`: no `status`, or `okay`/`ok`.
    fn available(&self, i: usize) -> bool {
        match self.prop(i, "status") {
            None => true,
            Some(v) => matches!(strings(v).first().map(String::as_str), Some("okay" | "ok")),
        }
    }

    /// The node and all its ancestors are available.
    fn available_path(&self, i: usize) -> bool {
        let mut cur = Some(i);
        let mut n = 0;
        while let Some(c) = cur {
            if !self.available(c) || n > MAX_DEPTH {
                return false;
            }
            n += 1;
            cur = self.nodes[c].parent;
        }
        true
    }

    /// `of_modalias` (drivers/of/module.c:29-51).
    pub fn modalias(&self, i: usize) -> String {
        let ty = self
            .prop(i, "device_type")
            .and_then(|v| strings(v).into_iter().next())
            .unwrap_or_else(|| "(null)".into());
        let mut s = format!("of:N{}T{ty}", self.base_name(i));
        for c in self.compatible(i) {
            s.push('C');
            s.push_str(&c.replace(' ', "_"));
        }
        s
    }

    fn phandles(&self) -> HashMap<u32, usize> {
        let mut m = HashMap::new();
        for i in 0..self.nodes.len() {
            for p in ["phandle", "linux,phandle"] {
                if let Some(v) = self.u32_prop(i, p) {
                    m.entry(v).or_insert(i);
                }
            }
        }
        m
    }

    /// `#address-cells`/`#size-cells` a node's children use (defaults 2
    /// and 1 as the specification says for a missing property... the
    /// kernel's OF_ROOT_NODE_{ADDR,SIZE}_CELLS_DEFAULT are 1 and 1).
    fn child_cells(&self, i: usize) -> (usize, usize) {
        (
            self.u32_prop(i, "#address-cells").unwrap_or(1) as usize,
            self.u32_prop(i, "#size-cells").unwrap_or(1) as usize,
        )
    }

    /// The CPU address of a node's first `reg` entry, translated through
    /// its ancestors' `ranges` (`of_translate_address`); `None` where the
    /// kernel gets OF_BAD_ADDR (no `reg`, a parent without `ranges`).
    fn translated_reg(&self, i: usize) -> Option<u64> {
        let parent = self.nodes[i].parent?;
        let (ac, _) = self.child_cells(parent);
        let reg = cells(self.prop(i, "reg")?);
        if ac == 0 || ac > 4 || reg.len() < ac {
            return None;
        }
        let mut addr: u128 = reg[..ac].iter().fold(0u128, |a, &c| (a << 32) | c as u128);
        let mut bus = parent;
        // Up through each bus that is not the root.
        while let Some(up) = self.nodes[bus].parent {
            let (cac, csc) = self.child_cells(bus);
            let (pac, _) = self.child_cells(up);
            let ranges = self.prop(bus, "ranges")?;
            if !ranges.is_empty() {
                let r = cells(ranges);
                let n = cac + pac + csc;
                if n == 0 || cac > 4 || pac > 4 || csc > 4 {
                    return None;
                }
                let num = |s: &[u32]| s.iter().fold(0u128, |a, &c| (a << 32) | c as u128);
                let hit = r.chunks_exact(n).find_map(|e| {
                    let (c, p, s) = (num(&e[..cac]), num(&e[cac..cac + pac]), num(&e[cac + pac..]));
                    (addr >= c && addr - c < s.max(1)).then(|| p + (addr - c))
                });
                addr = hit?;
            }
            bus = up;
        }
        u64::try_from(addr).ok()
    }

    /// `of_device_make_bus_id` (drivers/of/device.c:288-318).
    fn platform_name(&self, i: usize) -> String {
        let mut name: Option<String> = None;
        let mut node = i;
        let mut n = 0;
        while self.nodes[node].parent.is_some() && n <= MAX_DEPTH {
            n += 1;
            let base = self.base_name(node);
            if let Some(addr) = self.translated_reg(node) {
                let head = match self.u32_prop(node, "mask") {
                    Some(mask) => format!("{addr:x}.{}.{base}", mask.trailing_zeros()),
                    None => format!("{addr:x}.{base}"),
                };
                return match name {
                    Some(n) => format!("{head}:{n}"),
                    None => head,
                };
            }
            let full = &self.nodes[node].name;
            name = Some(match name {
                Some(n) => format!("{full}:{n}"),
                None => full.clone(),
            });
            node = self.nodes[node].parent.unwrap_or(0);
        }
        name.unwrap_or_default()
    }

    /// `of_alias_get_id(np, stem)`: N of the `/aliases` entry `<stem>N`
    /// naming the node.
    fn alias_id(&self, i: usize, stem: &str) -> Option<u32> {
        let aliases = self.find("/aliases")?;
        let path = self.path(i);
        self.nodes[aliases].props.iter().find_map(|(k, v)| {
            let n = k.strip_prefix(stem)?.parse::<u32>().ok()?;
            (strings(v).first()? == &path).then_some(n)
        })
    }

    /// The devices the kernel makes of this tree (see the module docs),
    /// with their suppliers.
    pub fn devices(&self, source: &str) -> Vec<Device> {
        let kinds = self.device_nodes();
        let kind_of: HashMap<usize, Bus> = kinds.iter().cloned().collect();
        let ph = self.phandles();
        let mut out = Vec::new();
        let mut address_of: HashMap<usize, String> = HashMap::new();
        for &(i, ref bus) in &kinds {
            let compat = self.compatible(i);
            let path = self.path(i);
            let parent_node = self.nodes[i].parent.unwrap_or(0);
            let address = match bus {
                Bus::I2c => match (self.alias_id(parent_node, "i2c"), self.u32_prop(i, "reg")) {
                    (Some(n), Some(r)) => format!("{n}-{:04x}", r & 0x3ff),
                    _ => path.clone(),
                },
                Bus::Spi => match (self.alias_id(parent_node, "spi"), self.u32_prop(i, "reg")) {
                    (Some(n), Some(r)) => format!("spi{n}.{r}"),
                    _ => path.clone(),
                },
                _ => self.platform_name(i),
            };
            address_of.insert(i, address.clone());
            let mut d = Device::new(bus.clone(), address);
            let of = self.modalias(i);
            if *bus == Bus::from_name("amba") {
                // amba devices match by peripheral id, read from the
                // hardware unless the node gives it (platform.c:248).
                if let Some(id) = self.u32_prop(i, "arm,primecell-periphid") {
                    d.modalias = Some(format!("amba:d{id:08X}"));
                }
                d.attrs.insert("of_modalias".into(), of);
            } else {
                d.modalias = Some(of);
            }
            d.attrs.insert("of_node".into(), path);
            d.attrs.insert("of_compatible".into(), compat.join(" "));
            d.sources.push(source.to_string());
            d.suppliers = self.suppliers(i, &kind_of, &ph);
            // The parent: the nearest ancestor that is a device.
            let mut up = self.nodes[i].parent;
            while let Some(p) = up {
                if let Some(a) = address_of.get(&p) {
                    d.parent = Some(a.clone());
                    break;
                }
                up = self.nodes[p].parent;
            }
            out.push(d);
        }
        out
    }

    /// (node, bus) of every node that is a device, parents first.
    fn device_nodes(&self) -> Vec<(usize, Bus)> {
        const BUS_MATCH: [&str; 4] = ["simple-bus", "simple-mfd", "isa", "arm,amba-bus"];
        let mut out = Vec::new();
        let mut is_dev = vec![false; self.nodes.len()];
        // (node, whether its children are populated as platform devices by
        // the core, whether the node is a device).
        let mut todo: Vec<usize> = vec![0];
        let mut n = 0;
        while let Some(p) = todo.pop() {
            n += 1;
            if n > self.nodes.len() {
                break;
            }
            let pc = self.compatible(p);
            let core_bus =
                p == 0 || self.path(p) == "/firmware" || pc.iter().any(|c| BUS_MATCH.contains(&c.as_str()));
            let pbase = self.base_name(p);
            let probed_bus = self
                .prop(p, "device_type")
                .is_some_and(|v| strings(v).first().is_some_and(|t| t == "pci"));
            let i2c = pbase == "i2c" || pbase.starts_with("i2c-");
            let spi = pbase == "spi" || pbase.starts_with("spi-");
            let mut kids = self.nodes[p].children.clone();
            kids.reverse();
            for c in kids {
                if !self.available(c) || probed_bus {
                    continue;
                }
                let cc = self.compatible(c);
                let enumerated = cc.iter().any(|x| probed_compatible(x));
                let bus = if i2c {
                    Bus::I2c
                } else if spi {
                    Bus::Spi
                } else if cc.iter().any(|x| x == "arm,primecell") && core_bus {
                    Bus::from_name("amba")
                } else {
                    Bus::Platform
                };
                let skipped = cc.iter().any(|x| x == "operating-points-v2");
                let child_ok = core_bus || is_dev[p] || i2c || spi;
                if !cc.is_empty() && !enumerated && !skipped && child_ok && self.available_path(c) {
                    is_dev[c] = true;
                    out.push((c, bus));
                    todo.push(c);
                } else if cc.is_empty() && (is_dev[p] || i2c || spi || p == 0) {
                    // Containers below a device (i2c mux channels, an
                    // `i2c-bus` node) or the root's (`/firmware`).
                    let b = self.base_name(c);
                    if b.starts_with("i2c") || b.starts_with("spi") || self.path(c) == "/firmware" {
                        todo.push(c);
                    }
                }
            }
        }
        // Parents first (the order nodes were found is breadth-ish; sort by path depth then tree order).
        out.sort_by_key(|&(i, _)| (self.depth(i), i));
        out
    }

    fn depth(&self, i: usize) -> usize {
        let mut n = 0;
        let mut cur = self.nodes[i].parent;
        while let Some(c) = cur {
            n += 1;
            if n > MAX_DEPTH {
                break;
            }
            cur = self.nodes[c].parent;
        }
        n
    }

    /// `of_get_compat_node`: the node or its nearest ancestor with a
    /// `compatible`, if available (not the root).
    fn compat_node(&self, i: usize) -> Option<usize> {
        let mut cur = Some(i);
        let mut n = 0;
        while let Some(c) = cur {
            n += 1;
            if c == 0 || !self.available(c) || n > MAX_DEPTH {
                return None;
            }
            if self.prop(c, "compatible").is_some() {
                return Some(c);
            }
            cur = self.nodes[c].parent;
        }
        None
    }

    /// `of_irq_find_parent`: `interrupt-parent`, else up the tree, until a
    /// node with `#interrupt-cells`.
    fn irq_parent(&self, i: usize, ph: &HashMap<u32, usize>) -> Option<usize> {
        let mut cur = i;
        for _ in 0..MAX_DEPTH {
            let next = match self.u32_prop(cur, "interrupt-parent") {
                Some(h) => *ph.get(&h)?,
                None => self.nodes[cur].parent?,
            };
            if self.prop(next, "#interrupt-cells").is_some() {
                return Some(next);
            }
            cur = next;
        }
        None
    }

    /// The phandles of a `phandle + args` list, each provider's argument
    /// count from its `cells` property (`of_parse_phandle_with_args`); a
    /// plain phandle list when `cells` is `None`.
    fn phandle_list(&self, v: &[u8], cells_name: Option<&str>, ph: &HashMap<u32, usize>) -> Vec<usize> {
        let c = cells(v);
        let mut out = Vec::new();
        let mut k = 0;
        while k < c.len() {
            let h = c[k];
            k += 1;
            if h == 0 {
                continue; // an empty entry
            }
            let Some(&n) = ph.get(&h) else { break };
            out.push(n);
            if let Some(name) = cells_name {
                k += self.u32_prop(n, name).unwrap_or(0) as usize;
            }
        }
        out
    }

    /// The supplier nodes named by one property, per of_supplier_bindings.
    fn supplier_prop(&self, i: usize, name: &str, v: &[u8], ph: &HashMap<u32, usize>) -> Vec<usize> {
        // drivers/of/property.c:1291-1324: DEFINE_SIMPLE_PROP(name, cells).
        const SIMPLE: [(&str, Option<&str>); 24] = [
            ("clocks", Some("#clock-cells")),
            ("interconnects", Some("#interconnect-cells")),
            ("iommus", Some("#iommu-cells")),
            ("mboxes", Some("#mbox-cells")),
            ("io-channels", Some("#io-channel-cells")),
            ("io-backends", Some("#io-backend-cells")),
            ("dmas", Some("#dma-cells")),
            ("power-domains", Some("#power-domain-cells")),
            ("hwlocks", Some("#hwlock-cells")),
            ("extcon", None),
            ("nvmem-cells", Some("#nvmem-cell-cells")),
            ("phys", Some("#phy-cells")),
            ("wakeup-parent", None),
            ("pwms", Some("#pwm-cells")),
            ("resets", Some("#reset-cells")),
            ("leds", None),
            ("backlight", None),
            ("panel", None),
            ("msi-parent", Some("#msi-cells")),
            ("post-init-providers", None),
            ("access-controllers", Some("#access-controller-cells")),
            ("pses", Some("#pse-cells")),
            ("power-supplies", None),
            ("interrupts-extended", Some("#interrupt-cells")),
        ];
        if let Some((_, c)) = SIMPLE.iter().find(|(n, _)| *n == name) {
            return self.phandle_list(v, *c, ph);
        }
        if name
            .strip_prefix("pinctrl-")
            .is_some_and(|n| n.parse::<u8>().is_ok_and(|n| n <= 8))
        {
            return self.phandle_list(v, None, ph);
        }
        if name.len() > "-supply".len() && name.ends_with("-supply") {
            return self.phandle_list(v, None, ph);
        }
        let gpio_suffix =
            (name.ends_with("-gpios") && !name.ends_with(",nr-gpios")) || name.ends_with("-gpio");
        let gpio_compat = (name == "gpio" || name == "gpios") && self.prop(i, "gpio-hog").is_none();
        if gpio_suffix || gpio_compat {
            return self.phandle_list(v, Some("#gpio-cells"), ph);
        }
        match name {
            "interrupts" => self.irq_parent(i, ph).into_iter().collect(),
            // of_map_id's 4-cell entries (rid-base, phandle, base, length).
            "iommu-map" => cells(v)
                .chunks_exact(4)
                .filter_map(|e| ph.get(&e[1]).copied())
                .collect(),
            "interrupt-map" => self.interrupt_map(i, v, ph),
            _ => Vec::new(),
        }
    }

    /// The parents of an `interrupt-map` (child unit address, child
    /// specifier, phandle, parent unit address, parent specifier).
    fn interrupt_map(&self, i: usize, v: &[u8], ph: &HashMap<u32, usize>) -> Vec<usize> {
        let Some(intc) = self.u32_prop(i, "#interrupt-cells") else {
            return Vec::new();
        };
        let ac = self.u32_prop(i, "#address-cells").unwrap_or(0) as usize;
        let c = cells(v);
        let mut k = 0;
        let mut out = Vec::new();
        while k + ac + (intc as usize) < c.len() {
            k += ac + intc as usize;
            let Some(&p) = ph.get(&c[k]) else { break };
            k += 1;
            let pac = self.u32_prop(p, "#address-cells").unwrap_or(0) as usize;
            let pic = self.u32_prop(p, "#interrupt-cells").unwrap_or(0) as usize;
            k += pac + pic;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The suppliers of a device node: every supplier property of it and
    /// of the nodes below it that are no device, each resolved to its
    /// device node; the parent device node is the bus.
    fn suppliers(&self, i: usize, kinds: &HashMap<usize, Bus>, ph: &HashMap<u32, usize>) -> Vec<Supplier> {
        let mut out: Vec<Supplier> = Vec::new();
        let mut push = |prop: String, node: String| {
            if !out.iter().any(|s| s.prop == prop && s.node == node) {
                out.push(Supplier { prop, node });
            }
        };
        if let Some(p) = self.nodes[i].parent.filter(|p| kinds.contains_key(p)) {
            let bus = match kinds.get(&i) {
                Some(b) if b.as_str() != "amba" => b.clone(),
                _ => Bus::Platform,
            };
            push(format!("{bus} bus"), self.path(p));
        }
        let mut todo = vec![i];
        let mut seen = 0;
        while let Some(n) = todo.pop() {
            seen += 1;
            if seen > self.nodes.len() {
                break;
            }
            for (name, v) in &self.nodes[n].props {
                for s in self.supplier_prop(n, name, v, ph) {
                    let Some(s) = self.compat_node(s) else { continue };
                    if self.is_ancestor_or_self(s, i) {
                        continue;
                    }
                    push(name.clone(), self.path(s));
                }
            }
            for &c in &self.nodes[n].children {
                if !kinds.contains_key(&c) {
                    todo.push(c);
                }
            }
        }
        // Property order differs between a blob and dtc's sorted output.
        out.sort_by(|a, b| (&a.prop, &a.node).cmp(&(&b.prop, &b.node)));
        out
    }

    fn is_ancestor_or_self(&self, a: usize, i: usize) -> bool {
        let mut cur = Some(i);
        let mut n = 0;
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            n += 1;
            if n > MAX_DEPTH {
                return false;
            }
            cur = self.nodes[c].parent;
        }
        false
    }
}

/// A compatible of a node on a probed bus (`pci8086,1234`, `usb1d6b,0002`,
/// `pciclass,0c03`): the bus's enumeration makes that device.
fn probed_compatible(c: &str) -> bool {
    for p in ["pci", "usb"] {
        if let Some(rest) = c.strip_prefix(p) {
            if let Some((a, _)) = rest.split_once(',') {
                if a == "class" || (!a.is_empty() && a.bytes().all(|b| b.is_ascii_hexdigit())) {
                    return true;
                }
            }
        }
    }
    false
}

/// Source text of dtc (`dtc -O dts`).
mod dts {
    use super::{err_line, DeviceTree, DtError, MAX_DEPTH};
    use std::collections::HashMap;

    #[derive(Debug, Clone, PartialEq)]
    enum Tok {
        Word(String),
        Str(Vec<u8>),
        Bytes(Vec<u8>),
        Ref(String),
        Label(String),
        P(char),
    }

    fn lex(text: &str) -> Result<Vec<(usize, Tok)>, DtError> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let (mut i, mut line) = (0usize, 1usize);
        let word_char = |c: u8| c.is_ascii_alphanumeric() || b",._+*#?@-/".contains(&c);
        let mut line_start = true;
        while i < b.len() {
            let c = b[i];
            if c == b'\n' {
                line += 1;
                i += 1;
                line_start = true;
                continue;
            }
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if line_start && c == b'#' {
                let rest = &text[i..];
                for d in ["#include", "#define", "#if", "#else", "#endif", "#undef"] {
                    if rest.starts_with(d) {
                        return Err(err_line(
                            line,
                            format!("preprocessor directive {d}: run the source through cpp (or dtc) first"),
                        ));
                    }
                }
            }
            line_start = false;
            if b[i..].starts_with(b"//") {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            if b[i..].starts_with(b"/*") {
                let start = line;
                i += 2;
                loop {
                    if i + 1 >= b.len() {
                        return Err(err_line(start, "comment not closed"));
                    }
                    if b[i] == b'*' && b[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                continue;
            }
            match c {
                b'"' => {
                    let start = line;
                    i += 1;
                    let mut s = Vec::new();
                    loop {
                        let Some(&c) = b.get(i) else {
                            return Err(err_line(start, "string not closed"));
                        };
                        i += 1;
                        match c {
                            b'"' => break,
                            b'\n' => return Err(err_line(start, "string not closed on its line")),
                            b'\\' => {
                                let Some(&e) = b.get(i) else { continue };
                                i += 1;
                                match e {
                                    b'n' => s.push(b'\n'),
                                    b't' => s.push(b'\t'),
                                    b'r' => s.push(b'\r'),
                                    b'a' => s.push(7),
                                    b'b' => s.push(8),
                                    b'v' => s.push(11),
                                    b'f' => s.push(12),
                                    b'x' => {
                                        let h: String = b[i..]
                                            .iter()
                                            .take(2)
                                            .take_while(|c| c.is_ascii_hexdigit())
                                            .map(|&c| c as char)
                                            .collect();
                                        i += h.len();
                                        s.push(u8::from_str_radix(&h, 16).unwrap_or(b'x'));
                                    }
                                    b'0'..=b'7' => {
                                        let o: String = b[i - 1..]
                                            .iter()
                                            .take(3)
                                            .take_while(|c| (b'0'..=b'7').contains(c))
                                            .map(|&c| c as char)
                                            .collect();
                                        i += o.len() - 1;
                                        s.push(u8::from_str_radix(&o, 8).unwrap_or(0));
                                    }
                                    x => s.push(x),
                                }
                            }
                            x => s.push(x),
                        }
                    }
                    out.push((start, Tok::Str(s)));
                }
                b'[' => {
                    let start = line;
                    let end = b[i..]
                        .iter()
                        .position(|&c| c == b']')
                        .ok_or_else(|| err_line(start, "byte string not closed"))?;
                    let inner: String = text[i + 1..i + end]
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    line += text[i..i + end].matches('\n').count();
                    if inner.len() % 2 != 0 || !inner.bytes().all(|c| c.is_ascii_hexdigit()) {
                        return Err(err_line(
                            start,
                            format!("bad byte string [{}]", inner.chars().take(40).collect::<String>()),
                        ));
                    }
                    let v = (0..inner.len())
                        .step_by(2)
                        .map(|k| u8::from_str_radix(&inner[k..k + 2], 16).unwrap_or(0))
                        .collect();
                    out.push((start, Tok::Bytes(v)));
                    i += end + 1;
                }
                b'&' => {
                    i += 1;
                    if b.get(i) == Some(&b'{') {
                        let end = b[i..]
                            .iter()
                            .position(|&c| c == b'}')
                            .ok_or_else(|| err_line(line, "&{ not closed"))?;
                        out.push((line, Tok::Ref(text[i + 1..i + end].to_string())));
                        i += end + 1;
                    } else {
                        let s = i;
                        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                            i += 1;
                        }
                        if s == i {
                            return Err(err_line(line, "& without a label"));
                        }
                        out.push((line, Tok::Ref(text[s..i].to_string())));
                    }
                }
                b'{' | b'}' | b';' | b'=' | b',' | b'<' | b'>' => {
                    out.push((line, Tok::P(c as char)));
                    i += 1;
                }
                c if word_char(c) => {
                    let s = i;
                    while i < b.len() && word_char(b[i]) {
                        i += 1;
                    }
                    let w = &text[s..i];
                    if b.get(i) == Some(&b':') {
                        i += 1;
                        out.push((line, Tok::Label(w.to_string())));
                    } else {
                        out.push((line, Tok::Word(w.to_string())));
                    }
                }
                _ => {
                    let ch = text[i..].chars().next().unwrap_or('?');
                    return Err(err_line(line, format!("unexpected character {ch:?}")));
                }
            }
        }
        Ok(out)
    }

    /// A reference waiting for its node's phandle: (node, property, byte offset, target).
    struct Fix {
        node: usize,
        prop: String,
        at: usize,
        target: String,
        line: usize,
    }

    struct P<'a> {
        toks: &'a [(usize, Tok)],
        k: usize,
        t: DeviceTree,
        labels: HashMap<String, usize>,
        fixes: Vec<Fix>,
        /// Path references in a string position (`prop = &label;`).
        path_refs: Vec<(usize, String, usize, String, usize)>,
    }

    impl P<'_> {
        fn line(&self) -> usize {
            self.toks
                .get(self.k)
                .or(self.toks.last())
                .map(|t| t.0)
                .unwrap_or(1)
        }
        fn peek(&self) -> Option<&Tok> {
            self.toks.get(self.k).map(|t| &t.1)
        }
        fn next(&mut self) -> Result<Tok, DtError> {
            let t = self
                .toks
                .get(self.k)
                .map(|t| t.1.clone())
                .ok_or_else(|| err_line(self.line(), "unexpected end of the source"))?;
            self.k += 1;
            Ok(t)
        }
        fn expect(&mut self, c: char) -> Result<(), DtError> {
            let line = self.line();
            match self.next()? {
                Tok::P(x) if x == c => Ok(()),
                t => Err(err_line(line, format!("expected {c:?}, found {}", show(&t)))),
            }
        }

        fn top(&mut self) -> Result<(), DtError> {
            while let Some(t) = self.peek().cloned() {
                let line = self.line();
                match t {
                    Tok::Word(w) if w == "/dts-v1/" || w == "/plugin/" => {
                        self.k += 1;
                        self.expect(';')?;
                    }
                    Tok::Word(w) if w == "/memreserve/" => while self.next()? != Tok::P(';') {},
                    Tok::Word(w) if w == "/" => {
                        self.k += 1;
                        self.body(0, 1)?;
                    }
                    Tok::Label(l) => {
                        self.k += 1;
                        self.labels.insert(l, 0);
                    }
                    Tok::Ref(r) => {
                        self.k += 1;
                        let n = self
                            .resolve(&r)
                            .ok_or_else(|| err_line(line, format!("no node for &{r}")))?;
                        self.body(n, 1)?;
                    }
                    Tok::Word(w) if w == "/delete-node/" => {
                        self.k += 1;
                        match self.next()? {
                            Tok::Ref(r) => {
                                if let Some(n) = self.resolve(&r) {
                                    self.delete(n);
                                }
                            }
                            t => return Err(err_line(line, format!("/delete-node/ {}", show(&t)))),
                        }
                        self.expect(';')?;
                    }
                    t => return Err(err_line(line, format!("expected a node, found {}", show(&t)))),
                }
            }
            Ok(())
        }

        fn resolve(&self, r: &str) -> Option<usize> {
            if r.starts_with('/') {
                self.t.find(r)
            } else {
                self.labels.get(r).copied()
            }
        }

        fn delete(&mut self, n: usize) {
            if let Some(p) = self.t.nodes[n].parent {
                self.t.nodes[p].children.retain(|&c| c != n);
            }
        }

        /// `{ ... };` of node `n`.
        fn body(&mut self, n: usize, depth: usize) -> Result<(), DtError> {
            if depth > MAX_DEPTH {
                return Err(err_line(
                    self.line(),
                    format!("nodes nested deeper than {MAX_DEPTH}"),
                ));
            }
            self.expect('{')?;
            loop {
                let line = self.line();
                let mut labels = Vec::new();
                while let Some(Tok::Label(l)) = self.peek().cloned() {
                    labels.push(l);
                    self.k += 1;
                }
                match self.next()? {
                    Tok::P('}') => break,
                    Tok::Word(w) if w == "/delete-property/" => {
                        if let Tok::Word(p) = self.next()? {
                            self.t.nodes[n].props.retain(|x| x.0 != p);
                        }
                        self.expect(';')?;
                    }
                    Tok::Word(w) if w == "/delete-node/" => {
                        if let Tok::Word(c) = self.next()? {
                            if let Some(&ci) = self.t.nodes[n]
                                .children
                                .iter()
                                .find(|&&ci| self.t.nodes[ci].name == c)
                            {
                                self.delete(ci);
                            }
                        }
                        self.expect(';')?;
                    }
                    Tok::Word(w) => match self.peek() {
                        Some(Tok::P('{')) => {
                            let c = self.t.add_child(n, &w);
                            for l in labels {
                                self.labels.insert(l, c);
                            }
                            self.body(c, depth + 1)?;
                        }
                        Some(Tok::P(';')) => {
                            self.k += 1;
                            self.t.set_prop(n, &w, Vec::new());
                        }
                        Some(Tok::P('=')) => {
                            self.k += 1;
                            let v = self.value(n, &w)?;
                            self.t.set_prop(n, &w, v);
                        }
                        _ => {
                            let t = self.next().map(|t| show(&t)).unwrap_or_default();
                            return Err(err_line(
                                line,
                                format!("after {w:?}: expected '{{', '=' or ';', found {t}"),
                            ));
                        }
                    },
                    t => {
                        return Err(err_line(
                            line,
                            format!("expected a property or node, found {}", show(&t)),
                        ))
                    }
                }
            }
            self.expect(';')
        }

        /// A property value up to its `;`.
        fn value(&mut self, n: usize, prop: &str) -> Result<Vec<u8>, DtError> {
            let mut v = Vec::new();
            loop {
                let line = self.line();
                match self.next()? {
                    Tok::Str(s) => {
                        v.extend_from_slice(&s);
                        v.push(0);
                    }
                    Tok::Bytes(b) => v.extend_from_slice(&b),
                    Tok::Ref(r) => {
                        self.path_refs.push((n, prop.to_string(), v.len(), r, line));
                    }
                    Tok::Word(w) if w == "/bits/" => {
                        let bits = match self.next()? {
                            Tok::Word(b) => {
                                parse_num(&b).ok_or_else(|| err_line(line, format!("/bits/ {b}")))?
                            }
                            t => return Err(err_line(line, format!("/bits/ {}", show(&t)))),
                        };
                        if ![8, 16, 32, 64].contains(&bits) {
                            return Err(err_line(line, format!("/bits/ {bits}: 8, 16, 32 or 64")));
                        }
                        self.expect('<')?;
                        self.cells(n, prop, &mut v, bits as usize / 8)?;
                    }
                    Tok::P('<') => self.cells(n, prop, &mut v, 4)?,
                    t => return Err(err_line(line, format!("in the value of {prop:?}: {}", show(&t)))),
                }
                match self.next()? {
                    Tok::P(',') => continue,
                    Tok::P(';') => return Ok(v),
                    t => {
                        return Err(err_line(
                            line,
                            format!(
                                "in the value of {prop:?}: expected ',' or ';', found {}",
                                show(&t)
                            ),
                        ))
                    }
                }
            }
        }

        fn cells(&mut self, n: usize, prop: &str, v: &mut Vec<u8>, width: usize) -> Result<(), DtError> {
            loop {
                let line = self.line();
                match self.next()? {
                    Tok::P('>') => return Ok(()),
                    Tok::Word(w) => {
                        let x = parse_num(&w).ok_or_else(|| {
                            err_line(line, format!("{w:?} in <...>: numbers only (expressions and macros need cpp/dtc first)"))
                        })?;
                        if width < 8 && x >> (width * 8) != 0 {
                            return Err(err_line(line, format!("{w} does not fit in {} bits", width * 8)));
                        }
                        v.extend_from_slice(&x.to_be_bytes()[8 - width..]);
                    }
                    Tok::Ref(r) if width == 4 => {
                        self.fixes.push(Fix {
                            node: n,
                            prop: prop.to_string(),
                            at: v.len(),
                            target: r,
                            line,
                        });
                        v.extend_from_slice(&[0xff; 4]);
                    }
                    t => return Err(err_line(line, format!("in <...> of {prop:?}: {}", show(&t)))),
                }
            }
        }

        fn finish(mut self) -> Result<DeviceTree, DtError> {
            let mut next_ph = self.t.phandles().keys().copied().max().unwrap_or(0) + 1;
            for f in std::mem::take(&mut self.fixes) {
                let target = self
                    .resolve(&f.target)
                    .ok_or_else(|| err_line(f.line, format!("no node for &{}", f.target)))?;
                let ph = match self.t.u32_prop(target, "phandle") {
                    Some(p) => p,
                    None => {
                        let p = next_ph;
                        next_ph += 1;
                        self.t.set_prop(target, "phandle", p.to_be_bytes().to_vec());
                        p
                    }
                };
                if let Some(p) = self.t.nodes[f.node].props.iter_mut().find(|p| p.0 == f.prop) {
                    if let Some(s) = p.1.get_mut(f.at..f.at + 4) {
                        s.copy_from_slice(&ph.to_be_bytes());
                    }
                }
            }
            // `prop = &label;`: the node's path as a string, inserted from
            // the last so earlier offsets stay valid.
            for (node, prop, at, r, line) in std::mem::take(&mut self.path_refs).into_iter().rev() {
                let target = self
                    .resolve(&r)
                    .ok_or_else(|| err_line(line, format!("no node for &{r}")))?;
                let mut s = self.t.path(target).into_bytes();
                s.push(0);
                if let Some(p) = self.t.nodes[node].props.iter_mut().find(|p| p.0 == prop) {
                    let at = at.min(p.1.len());
                    p.1.splice(at..at, s);
                }
            }
            Ok(self.t)
        }
    }

    fn parse_num(w: &str) -> Option<u64> {
        let w = w.trim_end_matches(['U', 'L', 'u', 'l']);
        if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
            u64::from_str_radix(h, 16).ok()
        } else if w.len() > 1 && w.starts_with('0') {
            u64::from_str_radix(&w[1..], 8).ok()
        } else {
            w.parse().ok()
        }
    }

    fn show(t: &Tok) -> String {
        match t {
            Tok::Word(w) => format!("{w:?}"),
            Tok::Str(_) => "a string".into(),
            Tok::Bytes(_) => "a byte string".into(),
            Tok::Ref(r) => format!("&{r}"),
            Tok::Label(l) => format!("label {l}:"),
            Tok::P(c) => format!("{c:?}"),
        }
    }

    pub(super) fn parse(text: &str) -> Result<DeviceTree, DtError> {
        let toks = lex(text)?;
        let mut p = P {
            toks: &toks,
            k: 0,
            t: DeviceTree::root(),
            labels: HashMap::new(),
            fixes: Vec::new(),
            path_refs: Vec::new(),
        };
        p.top()?;
        if p.k == 0 {
            return Err(err_line(1, "no device tree in the text"));
        }
        p.finish()
    }
}

/// A dts listing as parsed devices; a source that cannot be read is one
/// bad line (its line and message), which makes the listing an error.
pub(crate) fn parse_dts_listing(text: &str, src: &str) -> crate::parse::Parsed {
    let mut p = crate::parse::Parsed::default();
    match DeviceTree::from_dts(text) {
        Ok(t) => {
            p.devices = t.devices(&format!("{src} (device tree)"));
            p.meaningful = p.devices.len();
        }
        Err(e) => {
            p.meaningful = 1;
            p.bad.push((e.at, e.message));
        }
    }
    p
}

/// A device name `of_device_make_bus_id` gives a node with a translatable
/// `reg`: `<address in lower-case hex>.<node name>` (`9000000.pl011`,
/// `4010000000.pcie`). Such a device is on the platform or the amba bus;
/// a kernel log names it without saying which.
pub(crate) fn is_bus_id(name: &str) -> bool {
    let Some((a, n)) = name.split_once('.') else {
        return false;
    };
    !a.is_empty()
        && a.len() <= 16
        && a.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        && n.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
        && n.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_,.-+".contains(&c))
}

/// The first meaningful line of dtc's source form.
pub(crate) fn is_dts_start(line: &str) -> bool {
    let t = line.trim();
    t == "/dts-v1/;" || t == "/ {" || t == "/dts-v1/; /plugin/;"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modalias_and_names() {
        let t = DeviceTree::from_dts(
            "/dts-v1/;\n/ {\n #address-cells = <2>;\n #size-cells = <2>;\n\
             fw-cfg@9020000 { compatible = \"qemu,fw-cfg-mmio\"; reg = <0 0x9020000 0 0x18>; };\n\
             pcie@10000000 { compatible = \"pci-host-ecam-generic\"; device_type = \"pci\"; reg = <0x40 0x10000000 0 0x10000000>; };\n\
             bus@c000000 { compatible = \"simple-bus\"; #address-cells = <1>; #size-cells = <1>; ranges = <0 0 0xc000000 0x2000000>;\n\
               tpm@0 { compatible = \"tcg,tpm-tis-mmio\", \"x y\"; reg = <0 0x5000>; }; };\n\
             gpio-keys { compatible = \"gpio-keys\"; };\n\
             off { compatible = \"x\"; status = \"disabled\"; };\n};\n",
        )
        .unwrap();
        let d = t.devices("t");
        let names: Vec<_> = d
            .iter()
            .map(|d| (d.address.as_str(), d.modalias.as_deref().unwrap()))
            .collect();
        assert_eq!(
            names,
            [
                ("9020000.fw-cfg", "of:Nfw-cfgT(null)Cqemu,fw-cfg-mmio"),
                ("4010000000.pcie", "of:NpcieTpciCpci-host-ecam-generic"),
                ("bus@c000000", "of:NbusT(null)Csimple-bus"),
                ("gpio-keys", "of:Ngpio-keysT(null)Cgpio-keys"),
                ("c000000.tpm", "of:NtpmT(null)Ctcg,tpm-tis-mmioCx_y"),
            ]
        );
        assert_eq!(d[4].parent.as_deref(), Some("bus@c000000"));
    }

    #[test]
    fn dtb_errors_name_offsets() {
        assert_eq!(
            DeviceTree::from_dtb(&[0; 8]).unwrap_err().to_string(),
            "offset 0x0: 8 bytes: too short for an FDT header"
        );
        let mut h = vec![0u8; 40];
        h[..4].copy_from_slice(&FDT_MAGIC);
        h[4..8].copy_from_slice(&1000u32.to_be_bytes());
        assert!(DeviceTree::from_dtb(&h)
            .unwrap_err()
            .to_string()
            .starts_with("offset 0x4: totalsize 1000"));
    }

    #[test]
    fn dts_errors_name_lines() {
        let e = DeviceTree::from_dts("/dts-v1/;\n#include <x.h>\n").unwrap_err();
        assert_eq!(e.at, 2);
        let e = DeviceTree::from_dts("/ {\n a = <GIC_SPI 1>;\n};\n").unwrap_err();
        assert!(e.to_string().starts_with("line 2:"), "{e}");
        let e = DeviceTree::from_dts("/ {\n a = <&nope>;\n};\n").unwrap_err();
        assert!(e.to_string().contains("no node for &nope"), "{e}");
    }
}

//! Device-ID tables: C initializer → struct fields → alias patterns in the
//! exact format of the kernel's `scripts/mod/file2alias.c` (6.x).

use crate::cpp::{Eval, Tok, Val, K};
use std::collections::HashMap;

/// A parsed C initializer.
#[derive(Debug, Clone)]
pub enum Init {
    List(Vec<(Vec<Desig>, Init)>),
    Expr(Vec<Tok>),
}

/// One designator step: `.field` or `[index]`.
#[derive(Debug, Clone)]
pub enum Desig {
    Field(String),
    Index(Vec<Tok>),
}

/// Parse an initializer starting at `toks[*pos]`.
pub fn parse_init(toks: &[Tok], pos: &mut usize) -> Init {
    if toks.get(*pos).is_some_and(|t| t.is("{")) {
        *pos += 1;
        let mut items = Vec::new();
        while *pos < toks.len() && !toks[*pos].is("}") {
            let mut desig = Vec::new();
            while let Some(t) = toks.get(*pos) {
                if t.is(".") && toks.get(*pos + 1).is_some_and(|n| n.k == K::Ident) {
                    desig.push(Desig::Field(toks[*pos + 1].s.to_string()));
                    *pos += 2;
                } else if t.is("[") && !desig.is_empty() || t.is("[") && items_allow_index(toks, *pos) {
                    let mut d = 0;
                    let s = *pos + 1;
                    while *pos < toks.len() {
                        if toks[*pos].is("[") {
                            d += 1;
                        } else if toks[*pos].is("]") {
                            d -= 1;
                            if d == 0 {
                                break;
                            }
                        }
                        *pos += 1;
                    }
                    desig.push(Desig::Index(toks[s..(*pos).min(toks.len())].to_vec()));
                    *pos += 1;
                } else {
                    break;
                }
            }
            if !desig.is_empty() && toks.get(*pos).is_some_and(|t| t.is("=")) {
                *pos += 1;
            }
            let v = parse_init(toks, pos);
            items.push((desig, v));
            if toks.get(*pos).is_some_and(|t| t.is(",")) {
                *pos += 1;
            } else if !toks.get(*pos).is_some_and(|t| t.is("}")) {
                // Garbage: skip to the next ',' or '}' at this level.
                let mut d = 0;
                while *pos < toks.len() {
                    let t = &toks[*pos];
                    if t.is("{") || t.is("(") || t.is("[") {
                        d += 1;
                    } else if t.is("}") || t.is(")") || t.is("]") {
                        if d == 0 {
                            break;
                        }
                        d -= 1;
                    } else if t.is(",") && d == 0 {
                        *pos += 1;
                        break;
                    }
                    *pos += 1;
                }
            }
        }
        *pos += 1;
        Init::List(items)
    } else {
        let s = *pos;
        let mut d = 0i32;
        while *pos < toks.len() {
            let t = &toks[*pos];
            if t.k == K::Punct {
                match t.s.as_str() {
                    "(" | "[" | "{" => d += 1,
                    ")" | "]" | "}" => {
                        if d == 0 {
                            break;
                        }
                        d -= 1;
                    }
                    "," if d == 0 => break,
                    _ => {}
                }
            }
            *pos += 1;
        }
        Init::Expr(toks[s..*pos].to_vec())
    }
}

fn items_allow_index(toks: &[Tok], pos: usize) -> bool {
    // `[N] = ...` designator (array index) vs expression starting with '['.
    let mut d = 0;
    let mut i = pos;
    while i < toks.len() {
        if toks[i].is("[") {
            d += 1;
        } else if toks[i].is("]") {
            d -= 1;
            if d == 0 {
                return toks
                    .get(i + 1)
                    .is_some_and(|t| t.is("=") || t.is(".") || t.is("["));
            }
        }
        i += 1;
    }
    false
}

/// Struct field order, from include/linux/mod_devicetable.h.
pub type Layouts = HashMap<String, Vec<String>>;

/// Parse struct definitions (field names in order).
pub fn parse_layouts(toks: &[Tok]) -> Layouts {
    let mut out = Layouts::new();
    let mut i = 0;
    while i + 2 < toks.len() {
        if toks[i].s == "enum" && toks[i + 1].k == K::Ident && toks[i + 2].is("{") {
            let name = format!("enum {}", toks[i + 1].s);
            let mut names = Vec::new();
            let mut j = i + 3;
            let mut expect = true;
            while j < toks.len() && !toks[j].is("}") {
                if expect && toks[j].k == K::Ident {
                    names.push(toks[j].s.to_string());
                    expect = false;
                } else if toks[j].is(",") {
                    expect = true;
                }
                j += 1;
            }
            out.entry(name).or_insert(names);
            i = j;
            continue;
        }
        if toks[i].s == "struct" && toks[i + 1].k == K::Ident && toks[i + 2].is("{") {
            let name = toks[i + 1].s.to_string();
            let mut j = i + 3;
            let mut fields = Vec::new();
            let mut cur: Vec<&Tok> = Vec::new();
            let mut d = 0;
            while j < toks.len() {
                let t = &toks[j];
                if t.is("{") {
                    d += 1;
                } else if t.is("}") {
                    if d == 0 {
                        break;
                    }
                    d -= 1;
                } else if t.is(";") && d == 0 {
                    // Declarators split by ','; name: last identifier
                    // before '[' or ':'.
                    for decl in cur.split(|t| t.is(",")) {
                        let end = decl
                            .iter()
                            .position(|t| t.is("[") || t.is(":"))
                            .unwrap_or(decl.len());
                        if let Some(n) = decl[..end].iter().rev().find(|t| t.k == K::Ident) {
                            fields.push(n.s.to_string());
                        }
                    }
                    cur.clear();
                    j += 1;
                    continue;
                }
                if d == 0 {
                    cur.push(t);
                }
                j += 1;
            }
            out.entry(name).or_insert(fields);
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// One table entry with its fields by name.
pub struct Entry<'a> {
    pub f: HashMap<String, &'a Init>,
}

#[derive(Debug)]
pub struct Bad(pub String);

impl<'a> Entry<'a> {
    pub fn new(init: &'a Init, fields: &[String]) -> Entry<'a> {
        let mut f = HashMap::new();
        if let Init::List(items) = init {
            let mut pos = 0usize;
            for (d, v) in items {
                match d.first() {
                    Some(Desig::Field(n)) => {
                        pos = fields.iter().position(|x| x == n).map_or(usize::MAX, |p| p + 1);
                        if d.len() == 1 {
                            f.insert(n.clone(), v);
                        } else {
                            // nested: keep as "a.b"/"a[]"
                            let key = d
                                .iter()
                                .map(|x| match x {
                                    Desig::Field(s) => s.clone(),
                                    Desig::Index(_) => "[]".into(),
                                })
                                .collect::<Vec<_>>()
                                .join(".");
                            f.insert(key, v);
                        }
                    }
                    _ => {
                        if let Some(n) = fields.get(pos) {
                            f.insert(n.clone(), v);
                        }
                        pos = pos.saturating_add(1);
                    }
                }
            }
        }
        Entry { f }
    }

    /// True if the entry is all zero/empty (a terminator).
    pub fn is_empty(&self) -> bool {
        self.f.values().all(|v| is_zero(v))
    }

    pub fn int(&self, n: &str, bits: u32) -> Result<u64, Bad> {
        match self.f.get(n) {
            None => Ok(0),
            Some(v) => int_of(v, bits).ok_or_else(|| Bad(format!("field {n}: {}", show(v)))),
        }
    }

    pub fn str(&self, n: &str) -> Result<String, Bad> {
        match self.f.get(n) {
            None => Ok(String::new()),
            Some(v) => str_of(v).ok_or_else(|| Bad(format!("field {n}: {}", show(v)))),
        }
    }

    /// Array of sub-initializers.
    pub fn arr(&self, n: &str) -> Vec<&'a Init> {
        match self.f.get(n) {
            Some(Init::List(items)) => items.iter().map(|(_, v)| v).collect(),
            _ => Vec::new(),
        }
    }
}

fn show(v: &Init) -> String {
    match v {
        Init::Expr(t) => t.iter().map(|t| t.s.as_str()).collect::<Vec<_>>().join(" "),
        Init::List(_) => "{...}".into(),
    }
}

fn is_zero(v: &Init) -> bool {
    match v {
        Init::List(items) => items.iter().all(|(_, v)| is_zero(v)),
        Init::Expr(t) => {
            t.is_empty()
                || matches!(Eval::eval(t, false), Some(Val::Int(0)))
                || (t.len() == 1 && t[0].s == "NULL")
        }
    }
}

pub fn int_of(v: &Init, bits: u32) -> Option<u64> {
    match v {
        Init::Expr(t) => match Eval::eval(t, false)? {
            Val::Int(i) => Some((i as u128 & mask(bits)) as u64),
            Val::Str(_) => None,
        },
        Init::List(items) => match items.first() {
            Some((_, v)) => int_of(v, bits),
            None => Some(0),
        },
    }
}

fn mask(bits: u32) -> u128 {
    if bits >= 64 {
        u64::MAX as u128
    } else {
        (1u128 << bits) - 1
    }
}

pub fn str_of(v: &Init) -> Option<String> {
    match v {
        Init::Expr(t) => {
            if t.is_empty() {
                return Some(String::new());
            }
            match Eval::eval(t, false)? {
                Val::Str(s) => Some(s),
                Val::Int(0) => Some(String::new()),
                Val::Int(_) => None,
            }
        }
        Init::List(items) => match items.first() {
            Some((_, v)) => str_of(v),
            None => Some(String::new()),
        },
    }
}

/// Flatten all integer leaves of an initializer (for guid_t and friends).
fn bytes_of(v: &Init, out: &mut Vec<u64>) -> Option<()> {
    match v {
        Init::List(items) => {
            for (_, x) in items {
                bytes_of(x, out)?;
            }
        }
        Init::Expr(t) => {
            // Compound literal ((guid_t){...}): find the braces.
            if let Some(s) = t.iter().position(|x| x.is("{")) {
                let mut p = s;
                let inner = parse_init(t, &mut p);
                return bytes_of(&inner, out);
            }
            out.push(int_of(v, 8)?);
        }
    }
    Some(())
}

/// `ADD()` of file2alias: a separator, then the value in 2/4/8 hex digits or '*'.
fn add(a: &mut String, sep: &str, cond: bool, v: u64, bytes: u32) {
    a.push_str(sep);
    if cond {
        match bytes {
            1 => a.push_str(&format!("{v:02X}")),
            2 => a.push_str(&format!("{v:04X}")),
            _ => a.push_str(&format!("{v:08X}")),
        }
    } else {
        a.push('*');
    }
}

fn wild(a: &mut String) {
    if !a.ends_with('*') {
        a.push('*');
    }
}

/// file2alias's name for a device_id struct (the MODULE_DEVICE_TABLE type).
pub fn struct_for_type(ty: &str) -> String {
    match ty {
        "vmbus" => "hv_vmbus_device_id".into(),
        "dmi" => "dmi_system_id".into(),
        "amba" => "amba_id".into(),
        "x86cpu" => "x86_cpu_id".into(),
        "cpu" => "cpu_feature".into(),
        "rapidio" => "rio_device_id".into(),
        "hdaudio" => "hda_device_id".into(),
        "fslmc" => "fsl_mc_device_id".into(),
        "tbsvc" => "tb_service_id".into(),
        "tee" => "tee_client_device_id".into(),
        "mei" => "mei_cl_device_id".into(),
        "mhi_ep" => "mhi_device_id".into(),
        "mipscdmm" => "mips_cdmm_device_id".into(),
        "pnp_card" => "pnp_card_device_id".into(),
        _ => format!("{ty}_device_id"),
    }
}

/// file2alias's dmi_fields: alias prefix and `enum dmi_field` constant.
const DMI_FIELDS: &[(&str, &str)] = &[
    ("bvn", "DMI_BIOS_VENDOR"),
    ("bvr", "DMI_BIOS_VERSION"),
    ("bd", "DMI_BIOS_DATE"),
    ("br", "DMI_BIOS_RELEASE"),
    ("efr", "DMI_EC_FIRMWARE_RELEASE"),
    ("svn", "DMI_SYS_VENDOR"),
    ("pn", "DMI_PRODUCT_NAME"),
    ("pvr", "DMI_PRODUCT_VERSION"),
    ("rvn", "DMI_BOARD_VENDOR"),
    ("rn", "DMI_BOARD_NAME"),
    ("rvr", "DMI_BOARD_VERSION"),
    ("cvn", "DMI_CHASSIS_VENDOR"),
    ("ct", "DMI_CHASSIS_TYPE"),
    ("cvr", "DMI_CHASSIS_VERSION"),
];

fn uuid_le(b: &[u64]) -> Option<String> {
    if b.len() < 16 {
        return None;
    }
    Some(format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    ))
}

/// Produce the alias lines of one entry of a table of MODULE_DEVICE_TABLE
/// type `ty` (e.g. "pci"). `dmi_enum` gives the values of DMI_* slots.
/// Returns `Ok(vec![])` for entries file2alias skips.
pub fn aliases(ty: &str, e: &Entry, layouts: &Layouts) -> Result<Vec<String>, Bad> {
    let mut a = String::new();
    match ty {
        "pci" => {
            let ov = e.int("override_only", 32)?;
            match ov {
                0 => a.push_str("pci:"),
                1 => a.push_str("vfio_pci:"),
                _ => return Ok(vec![]),
            }
            let any = 0xFFFF_FFFF;
            let v = e.int("vendor", 32)?;
            let d = e.int("device", 32)?;
            let sv = e.int("subvendor", 32)?;
            let sd = e.int("subdevice", 32)?;
            let class = e.int("class", 32)?;
            let cm = e.int("class_mask", 32)?;
            add(&mut a, "v", v != any, v, 4);
            add(&mut a, "d", d != any, d, 4);
            add(&mut a, "sv", sv != any, sv, 4);
            add(&mut a, "sd", sd != any, sd, 4);
            let (bc, bm) = ((class >> 16) & 0xff, (cm >> 16) & 0xff);
            let (sc, sm) = ((class >> 8) & 0xff, (cm >> 8) & 0xff);
            let (pi, pm) = (class & 0xff, cm & 0xff);
            if (bm != 0 && bm != 0xff) || (sm != 0 && sm != 0xff) || (pm != 0 && pm != 0xff) {
                return Ok(vec![]);
            }
            add(&mut a, "bc", bm == 0xff, bc, 1);
            add(&mut a, "sc", sm == 0xff, sc, 1);
            add(&mut a, "i", pm == 0xff, pi, 1);
            wild(&mut a);
        }
        "usb" => return usb(e),
        "of" => {
            let name = e.str("name")?;
            let typ = e.str("type")?;
            let compat = e.str("compatible")?;
            let mut s = format!(
                "of:N{}T{}",
                if name.is_empty() { "*" } else { &name },
                if typ.is_empty() { "*" } else { &typ }
            );
            if !compat.is_empty() {
                s.push_str(if typ.is_empty() { "" } else { "*" });
                s.push('C');
                s.push_str(&compat);
            }
            let s: String = s
                .chars()
                // C's isspace(): the ASCII blanks and \v.
                .map(|c| {
                    if c.is_ascii_whitespace() || c == '\x0b' {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            let mut s2 = format!("{s}C");
            wild(&mut s2);
            return Ok(vec![s, s2]);
        }
        "hid" => {
            let bus = e.int("bus", 16)?;
            let group = e.int("group", 16)?;
            let v = e.int("vendor", 32)?;
            let p = e.int("product", 32)?;
            a.push_str("hid:");
            add(&mut a, "b", bus != 0xffff, bus, 2);
            add(&mut a, "g", group != 0, group, 2);
            add(&mut a, "v", v != 0xFFFF_FFFF, v, 4);
            add(&mut a, "p", p != 0xFFFF_FFFF, p, 4);
        }
        "ieee1394" => {
            let mf = e.int("match_flags", 32)?;
            a.push_str("ieee1394:");
            add(&mut a, "ven", mf & 1 != 0, e.int("vendor_id", 32)?, 4);
            add(&mut a, "mo", mf & 2 != 0, e.int("model_id", 32)?, 4);
            add(&mut a, "sp", mf & 4 != 0, e.int("specifier_id", 32)?, 4);
            add(&mut a, "ver", mf & 8 != 0, e.int("version", 32)?, 4);
            wild(&mut a);
        }
        "serio" => {
            a.push_str("serio:");
            for (sep, f) in [("ty", "type"), ("pr", "proto"), ("id", "id"), ("ex", "extra")] {
                let v = e.int(f, 8)?;
                add(&mut a, sep, v != 0xff, v, 1);
            }
        }
        "acpi" => {
            let id = e.str("id")?;
            if !id.is_empty() {
                a = format!("acpi*:{id}:*");
            } else {
                let cls = e.int("cls", 32)?;
                let msk = e.int("cls_msk", 32)?;
                a.push_str("acpi*:");
                for i in 1..=3 {
                    let sh = 8 * (3 - i);
                    if (msk >> sh) & 0xff != 0 {
                        a.push_str(&format!("{:02x}", (cls >> sh) & 0xff));
                    } else {
                        a.push_str("??");
                    }
                }
                a.push_str(":*");
            }
        }
        "pnp" => {
            let id = e.str("id")?;
            return Ok(vec![
                format!("pnp:d{id}*"),
                format!("acpi*:{}:*", id.to_ascii_uppercase()),
            ]);
        }
        "pcmcia" => {
            let mf = e.int("match_flags", 16)?;
            // PCMCIA_DEV_ID_MATCH_ANONYMOUS (mod_devicetable.h) matches only
            // cards without a CIS (drivers/pcmcia/ds.c pcmcia_devmatch);
            // file2alias ignores the flag and would emit a catch-all.
            if mf == 0x400 {
                return Ok(vec![]);
            }
            a.push_str("pcmcia:");
            add(&mut a, "m", mf & 0x1 != 0, e.int("manf_id", 16)?, 2);
            add(&mut a, "c", mf & 0x2 != 0, e.int("card_id", 16)?, 2);
            add(&mut a, "f", mf & 0x4 != 0, e.int("func_id", 8)?, 1);
            add(&mut a, "fn", mf & 0x8 != 0, e.int("function", 8)?, 1);
            add(&mut a, "pfn", mf & 0x100 != 0, e.int("device_no", 8)?, 1);
            let h = e.arr("prod_id_hash");
            for (k, sep) in ["pa", "pb", "pc", "pd"].iter().enumerate() {
                let v = match h.get(k) {
                    Some(x) => int_of(x, 32).ok_or_else(|| Bad("prod_id_hash".into()))?,
                    None => 0,
                };
                add(&mut a, sep, mf & (0x10 << k) != 0, v, 4);
            }
            wild(&mut a);
        }
        "sdio" => {
            a.push_str("sdio:");
            let c = e.int("class", 8)?;
            let v = e.int("vendor", 16)?;
            let d = e.int("device", 16)?;
            add(&mut a, "c", c != 0xff, c, 1);
            add(&mut a, "v", v != 0xffff, v, 2);
            add(&mut a, "d", d != 0xffff, d, 2);
            wild(&mut a);
        }
        "ssb" => {
            a.push_str("ssb:");
            let v = e.int("vendor", 16)?;
            let c = e.int("coreid", 16)?;
            let r = e.int("revision", 8)?;
            add(&mut a, "v", v != 0xffff, v, 2);
            add(&mut a, "id", c != 0xffff, c, 2);
            add(&mut a, "rev", r != 0xff, r, 1);
            wild(&mut a);
        }
        "bcma" => {
            a.push_str("bcma:");
            let m = e.int("manuf", 16)?;
            let i = e.int("id", 16)?;
            let r = e.int("rev", 8)?;
            let c = e.int("class", 8)?;
            add(&mut a, "m", m != 0xffff, m, 2);
            add(&mut a, "id", i != 0xffff, i, 2);
            add(&mut a, "rev", r != 0xff, r, 1);
            add(&mut a, "cl", c != 0xff, c, 1);
            wild(&mut a);
        }
        "virtio" => {
            a.push_str("virtio:");
            let d = e.int("device", 32)?;
            let v = e.int("vendor", 32)?;
            add(&mut a, "d", d != 0xFFFF_FFFF, d, 4);
            add(&mut a, "v", v != 0xFFFF_FFFF, v, 4);
            wild(&mut a);
        }
        "vmbus" => {
            let mut b = Vec::new();
            if let Some(g) = e.f.get("guid") {
                bytes_of(g, &mut b).ok_or_else(|| Bad("guid".into()))?;
            }
            b.resize(16, 0);
            a.push_str("vmbus:");
            for x in &b[..16] {
                a.push_str(&format!("{x:02x}"));
            }
        }
        "rpmsg" => a = format!("rpmsg:{}", e.str("name")?),
        "i2c" => a = format!("i2c:{}", e.str("name")?),
        "spi" => a = format!("spi:{}", e.str("name")?),
        "platform" => a = format!("platform:{}", e.str("name")?),
        "auxiliary" => a = format!("auxiliary:{}", e.str("name")?),
        "mhi" => a = format!("mhi:{}", e.str("chan")?),
        "mhi_ep" => a = format!("mhi_ep:{}", e.str("chan")?),
        "vchiq" => a = format!("vchiq:{}", e.str("name")?),
        "eisa" => a = format!("eisa:s{}*", e.str("sig")?),
        "i3c" => {
            let mf = e.int("match_flags", 8)?;
            a.push_str("i3c:");
            add(&mut a, "dcr", mf & 1 != 0, e.int("dcr", 8)?, 1);
            add(&mut a, "manuf", mf & 2 != 0, e.int("manuf_id", 16)?, 2);
            add(&mut a, "part", mf & 4 != 0, e.int("part_id", 16)?, 2);
            add(&mut a, "ext", mf & 8 != 0, e.int("extra_info", 16)?, 2);
        }
        "slim" => a = format!("slim:{:x}:{:x}:*", e.int("manf_id", 16)?, e.int("prod_code", 16)?),
        "dmi" => {
            a.push_str("dmi*");
            let m = e.arr("matches");
            let mut ms: Vec<(u64, String)> = Vec::new();
            for x in m.iter().take(4) {
                let sub = Entry::new(x, &["slot".into(), "exact_match".into(), "substr".into()]);
                let slot = sub.int("slot", 8)? & 0x7f;
                let s = sub.str("substr")?;
                ms.push((slot, s));
            }
            // enum dmi_field values = their position (no explicit values).
            let order = layouts.get("enum dmi_field").map(|v| v.as_slice()).unwrap_or(&[]);
            for (pre, name) in DMI_FIELDS {
                let Some(field) = order.iter().position(|n| n == name) else {
                    continue;
                };
                for (slot, s) in &ms {
                    if *slot != 0 && *slot == field as u64 {
                        a.push_str(&format!(":{pre}*"));
                        for c in s.chars() {
                            if c > ' ' && (c as u32) < 127 && c != ':' {
                                a.push(c);
                            }
                        }
                        a.push('*');
                    }
                }
            }
            a.push(':');
        }
        "mdio" => {
            let id = e.int("phy_id", 32)?;
            let m = e.int("phy_id_mask", 32)?;
            a.push_str("mdio:");
            for i in 0..32 {
                let bit = 31 - i;
                a.push(if (m >> bit) & 1 == 0 {
                    '?'
                } else if (id >> bit) & 1 == 1 {
                    '1'
                } else {
                    '0'
                });
            }
        }
        "zorro" => {
            let id = e.int("id", 32)?;
            a.push_str("zorro:");
            add(&mut a, "i", id != 0xFFFF_FFFF, id, 4);
        }
        "isapnp" => {
            let v = e.int("vendor", 16)?;
            let f = e.int("function", 16)?;
            let ch = |x: u64| ((b'A' as u64 + x).wrapping_sub(1) as u8) as char;
            a = format!(
                "pnp:d{}{}{}{:x}{:x}{:x}{:x}*",
                ch((v >> 2) & 0x3f),
                ch(((v & 3) << 3) | ((v >> 13) & 7)),
                ch((v >> 8) & 0x1f),
                (f >> 4) & 0xf,
                f & 0xf,
                (f >> 12) & 0xf,
                (f >> 8) & 0xf
            );
        }
        "x86cpu" => {
            let f = e.int("feature", 16)?;
            let fam = e.int("family", 16)?;
            let m = e.int("model", 16)?;
            let v = e.int("vendor", 16)?;
            a.push_str("cpu:type:x86,");
            add(&mut a, "ven", v != 0xffff, v, 2);
            add(&mut a, "fam", fam != 0, fam, 2);
            add(&mut a, "mod", m != 0, m, 2);
            a.push_str(":feature:*");
            if f != 0 {
                a.push_str(&format!("{f:04X}*"));
            }
        }
        "cpu" => a = format!("cpu:type:*:feature:*{:04X}*", e.int("feature", 16)?),
        "amba" => {
            let id = e.int("id", 32)?;
            let m = e.int("mask", 32)?;
            a.push_str("amba:d");
            for digit in 0..8 {
                let sh = 4 * (7 - digit);
                let (nib, mk) = ((id >> sh) & 0xf, (m >> sh) & 0xf);
                match mk {
                    0 => a.push('?'),
                    0xf => a.push_str(&format!("{nib:X}")),
                    _ => {
                        a.push('[');
                        for i in 0..16u64 {
                            if i & mk == nib {
                                a.push_str(&format!("{i:X}"));
                            }
                        }
                        a.push(']');
                    }
                }
            }
        }
        "mei" => {
            let name = e.str("name")?;
            let mut b = Vec::new();
            if let Some(g) = e.f.get("uuid") {
                bytes_of(g, &mut b).ok_or_else(|| Bad("uuid".into()))?;
            }
            b.resize(16, 0);
            let ver = e.int("version", 8)?;
            a = format!(
                "mei:{}:{}",
                if name.is_empty() { "*" } else { &name },
                uuid_le(&b).unwrap_or_default()
            );
            add(&mut a, ":", ver != 0xff, ver, 1);
            a.push_str(":*");
        }
        "ulpi" => a = format!("ulpi:v{:04x}p{:04x}", e.int("vendor", 16)?, e.int("product", 16)?),
        "hdaudio" => {
            a.push_str("hdaudio:");
            let v = e.int("vendor_id", 32)?;
            let r = e.int("rev_id", 32)?;
            let ap = e.int("api_version", 8)?;
            add(&mut a, "v", v != 0, v, 4);
            add(&mut a, "r", r != 0, r, 4);
            add(&mut a, "a", ap != 0, ap, 1);
            wild(&mut a);
        }
        "sdw" => {
            a.push_str("sdw:");
            let m = e.int("mfg_id", 16)?;
            let p = e.int("part_id", 16)?;
            let v = e.int("sdw_version", 8)?;
            let c = e.int("class_id", 8)?;
            add(&mut a, "m", m != 0, m, 2);
            add(&mut a, "p", p != 0, p, 2);
            add(&mut a, "v", v != 0, v, 1);
            add(&mut a, "c", c != 0, c, 1);
            wild(&mut a);
        }
        "typec" => {
            let m = e.int("mode", 8)?;
            a = format!("typec:id{:04X}", e.int("svid", 16)?);
            add(&mut a, "m", m != 0xff, m, 1);
        }
        "wmi" => {
            let g = e.str("guid_string")?;
            if g.len() != 36 {
                return Ok(vec![]);
            }
            a = format!("wmi:{g}");
        }
        "ssam" => {
            let mf = e.int("match_flags", 8)?;
            a = format!("ssam:d{:02X}c{:02X}", e.int("domain", 8)?, e.int("category", 8)?);
            add(&mut a, "t", mf & 1 != 0, e.int("target", 8)?, 1);
            add(&mut a, "i", mf & 2 != 0, e.int("instance", 8)?, 1);
            add(&mut a, "f", mf & 4 != 0, e.int("function", 8)?, 1);
        }
        "dfl" => a = format!("dfl:t{:04X}f{:04X}", e.int("type", 16)?, e.int("feature_id", 16)?),
        "ishtp" => {
            let mut b = Vec::new();
            if let Some(g) = e.f.get("guid") {
                bytes_of(g, &mut b).ok_or_else(|| Bad("guid".into()))?;
            }
            b.resize(16, 0);
            a = format!(
                "ishtp:{{{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
                b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
            );
        }
        "tee" => {
            let mut b = Vec::new();
            if let Some(g) = e.f.get("uuid") {
                bytes_of(g, &mut b).ok_or_else(|| Bad("uuid".into()))?;
            }
            b.resize(16, 0);
            a = format!(
                "tee:{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
            );
        }
        "coreboot" => a = format!("coreboot:t{:08X}", e.int("tag", 32)?),
        "ipack" => {
            a.push_str("ipack:");
            let f = e.int("format", 8)?;
            let v = e.int("vendor", 32)?;
            let d = e.int("device", 32)?;
            add(&mut a, "f", f != 0xff, f, 1);
            add(&mut a, "v", v != 0xFFFF_FFFF, v, 4);
            add(&mut a, "d", d != 0xFFFF_FFFF, d, 4);
            wild(&mut a);
        }
        "rapidio" => {
            a.push_str("rapidio:");
            let any = 0xffff;
            let vid = e.int("vid", 16)?;
            let did = e.int("did", 16)?;
            let avid = e.int("asm_vid", 16)?;
            let adid = e.int("asm_did", 16)?;
            add(&mut a, "v", vid != any, vid, 2);
            add(&mut a, "d", did != any, did, 2);
            add(&mut a, "av", avid != any, avid, 2);
            add(&mut a, "ad", adid != any, adid, 2);
            wild(&mut a);
        }
        "tbsvc" => {
            let mf = e.int("match_flags", 32)?;
            a.push_str("tbsvc:");
            if mf & 1 != 0 {
                a.push_str(&format!("k{}", e.str("protocol_key")?));
            } else {
                a.push_str("k*");
            }
            add(&mut a, "p", mf & 2 != 0, e.int("protocol_id", 32)?, 4);
            add(&mut a, "v", mf & 4 != 0, e.int("protocol_version", 32)?, 4);
            add(&mut a, "r", mf & 8 != 0, e.int("protocol_revision", 32)?, 4);
            wild(&mut a);
        }
        _ => return Err(Bad(format!("unsupported table type {ty}"))),
    }
    Ok(vec![a])
}

fn incbcd(bcd: &mut u32, inc: i32, max: u32, chars: u32) -> u32 {
    let init = *bcd;
    if max > 9 {
        *bcd = (*bcd as i64 + inc as i64) as u32;
        return init;
    }
    let mut dec: i64 = 0;
    for i in 0..chars {
        let mut c = ((*bcd >> (i << 2)) & 0xf) as i64;
        if c > 9 {
            c = 9;
        }
        for _ in 0..i {
            c *= 10;
        }
        dec += c;
    }
    dec += inc as i64;
    *bcd = 0;
    for i in 0..chars {
        let mut c: i64 = 1;
        for _ in 0..i {
            c *= 10;
        }
        let c = (dec / c) % 10;
        *bcd += (c as u32) << (i << 2);
    }
    init
}

struct UsbF {
    mf: u64,
    vendor: u64,
    product: u64,
    dc: u64,
    dsc: u64,
    dp: u64,
    ic: u64,
    isc: u64,
    ip: u64,
    inum: u64,
}

fn usb_one(u: &UsbF, initial: u32, digits: i32, lo: u32, hi: u32, max: u32) -> String {
    let mut a = String::from("usb:");
    add(&mut a, "v", u.mf & 0x1 != 0, u.vendor, 2);
    add(&mut a, "p", u.mf & 0x2 != 0, u.product, 2);
    a.push('d');
    if digits > 0 {
        a.push_str(&format!("{:0w$X}", initial, w = digits as usize));
    }
    if lo == hi {
        a.push_str(&format!("{lo:X}"));
    } else if lo > 0 || hi < max {
        if lo > 0x9 || hi < 0xA {
            a.push_str(&format!("[{lo:X}-{hi:X}]"));
        } else {
            if lo < 0x9 {
                a.push_str(&format!("[{lo:X}-9"));
            } else {
                a.push_str(&format!("[{lo:X}"));
            }
            if hi > 0xA {
                a.push_str(&format!("A-{hi:X}]"));
            } else {
                a.push_str(&format!("{hi:X}]"));
            }
        }
    }
    if digits < 3 {
        a.push('*');
    }
    add(&mut a, "dc", u.mf & 0x10 != 0, u.dc, 1);
    add(&mut a, "dsc", u.mf & 0x20 != 0, u.dsc, 1);
    add(&mut a, "dp", u.mf & 0x40 != 0, u.dp, 1);
    add(&mut a, "ic", u.mf & 0x80 != 0, u.ic, 1);
    add(&mut a, "isc", u.mf & 0x100 != 0, u.isc, 1);
    add(&mut a, "ip", u.mf & 0x200 != 0, u.ip, 1);
    add(&mut a, "in", u.mf & 0x400 != 0, u.inum, 1);
    wild(&mut a);
    a
}

fn usb(e: &Entry) -> Result<Vec<String>, Bad> {
    let u = UsbF {
        mf: e.int("match_flags", 16)?,
        vendor: e.int("idVendor", 16)?,
        product: e.int("idProduct", 16)?,
        dc: e.int("bDeviceClass", 8)?,
        dsc: e.int("bDeviceSubClass", 8)?,
        dp: e.int("bDeviceProtocol", 8)?,
        ic: e.int("bInterfaceClass", 8)?,
        isc: e.int("bInterfaceSubClass", 8)?,
        ip: e.int("bInterfaceProtocol", 8)?,
        inum: e.int("bInterfaceNumber", 8)?,
    };
    let bcd_lo = e.int("bcdDevice_lo", 16)? as u32;
    let bcd_hi = e.int("bcdDevice_hi", 16)? as u32;
    let mut devlo: u32 = if u.mf & 0x4 != 0 { bcd_lo } else { 0 };
    let mut devhi: u32 = if u.mf & 0x8 != 0 { bcd_hi } else { !0 };
    let mut max: u32 = 9;
    for nd in 0..4 {
        let clo = (devlo >> (nd << 2)) & 0xf;
        let chi = ((if devhi > 0x9999 { 0x9999 } else { devhi }) >> (nd << 2)) & 0xf;
        if clo > max || chi > max {
            max = 0xf;
            break;
        }
    }
    if (u.vendor | u.product | u.dc | u.ic) == 0 {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    let mut nd: i32 = 3;
    while devlo <= devhi {
        let clo = devlo & 0xf;
        let mut chi = devhi & 0xf;
        if chi > max {
            chi = max;
        }
        devlo >>= 4;
        devhi >>= 4;
        if devlo == devhi || nd == 0 {
            out.push(usb_one(&u, devlo, nd, clo, chi, max));
            break;
        }
        if clo > 0 {
            let v = incbcd(&mut devlo, 1, max, 4);
            out.push(usb_one(&u, v, nd, clo, max, max));
        }
        if chi < max {
            let v = incbcd(&mut devhi, -1, max, 4);
            out.push(usb_one(&u, v, nd, 0, chi, max));
        }
        nd -= 1;
        if nd < 0 {
            break;
        }
    }
    Ok(out)
}

//! Directive handling: comment stripping, `#if` evaluation, local header
//! inclusion, the per-file macro timeline and the global header macro map.

use crate::cpp::{parse_define, tokenize, Eval, Expander, Macro, MacroSource, Pos, Tok, FALSE_CONFIGS, K};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A preprocessing directive.
#[derive(Debug, Clone)]
pub enum Dir {
    Define(String, Arc<Macro>),
    Undef(String),
    Include { quoted: bool, path: String },
    If(Vec<Tok>),
    Ifdef(String),
    Ifndef(String),
    Elif(Vec<Tok>),
    Else,
    Endif,
}

/// A file split into directives (with their line) and code.
#[derive(Debug, Default)]
pub struct Parsed {
    pub dirs: Vec<(u32, Dir)>,
    /// Comment-free text where directive lines are blanked (same line count).
    pub code: Vec<u8>,
    /// Brace depth at the start of each line (index = line).
    pub depth_at: Vec<u32>,
    /// enum constants defined in the file.
    pub enums: Vec<(String, Arc<Macro>)>,
    /// The file has a MODULE_DEVICE_TABLE.
    pub has_table: bool,
}

/// Replace comments by spaces (keeping newlines), respecting literals.
pub fn strip_comments(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let n = src.len();
    let mut i = 0;
    while i < n {
        let c = src[i];
        if c == b'/' && i + 1 < n && src[i + 1] == b'/' {
            // Line comment: to end of line, honouring backslash continuation.
            while i < n && src[i] != b'\n' {
                if src[i] == b'\\' && i + 1 < n && src[i + 1] == b'\n' {
                    out.push(b'\\');
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                i += 1;
            }
            out.push(b' ');
        } else if c == b'/' && i + 1 < n && src[i + 1] == b'*' {
            i += 2;
            out.push(b' ');
            while i < n && !(src[i] == b'*' && i + 1 < n && src[i + 1] == b'/') {
                if src[i] == b'\n' {
                    out.push(b'\n');
                }
                i += 1;
            }
            i = (i + 2).min(n);
        } else if c == b'"' || c == b'\'' {
            out.push(c);
            i += 1;
            while i < n && src[i] != c && src[i] != b'\n' {
                if src[i] == b'\\' && i + 1 < n {
                    out.push(src[i]);
                    i += 1;
                }
                out.push(src[i]);
                i += 1;
            }
            if i < n && src[i] == c {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Split a file into directives and code.
pub fn parse_file(src: &[u8], keep_code: bool) -> Parsed {
    let text = strip_comments(src);
    let mut p = Parsed::default();
    let mut code = if keep_code { text.clone() } else { Vec::new() };
    let mut pos = 0;
    let mut line: u32 = 1;
    let n = text.len();
    while pos < n {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(n, |e| pos + e);
        let l = &text[pos..end];
        let first = l.iter().position(|c| !c.is_ascii_whitespace());
        if first.is_some_and(|f| l[f] == b'#') {
            // Logical line with continuations.
            let mut e = end;
            let mut lines = 1u32;
            let mut logical: Vec<u8> = l.to_vec();
            while logical.last().is_some_and(|c| *c == b'\\' || *c == b'\r') && e < n {
                while logical.last().is_some_and(|c| *c == b'\\' || *c == b'\r') {
                    logical.pop();
                }
                logical.push(b' ');
                let s = e + 1;
                let ne = memchr::memchr(b'\n', &text[s..]).map_or(n, |x| s + x);
                logical.extend_from_slice(&text[s..ne]);
                e = ne;
                lines += 1;
            }
            if keep_code {
                for b in &mut code[pos..e] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
            }
            if let Some(d) = parse_directive(&logical) {
                p.dirs.push((line, d));
            }
            line += lines;
            pos = e + 1;
        } else {
            line += 1;
            pos = end + 1;
        }
    }
    p.code = code;
    p
}

fn parse_directive(l: &[u8]) -> Option<Dir> {
    let s = String::from_utf8_lossy(l);
    let s = s.trim_start();
    let s = s.strip_prefix('#')?.trim_start();
    let (kw, rest) = match s.find(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let word = |r: &str| {
        r.trim()
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .next()
            .unwrap_or("")
            .to_string()
    };
    Some(match kw {
        "define" => {
            let (n, m) = parse_define(rest)?;
            Dir::Define(n, Arc::new(m))
        }
        "undef" => Dir::Undef(word(rest)),
        "include" => {
            let r = rest.trim();
            if let Some(q) = r.strip_prefix('"') {
                Dir::Include {
                    quoted: true,
                    path: q.split('"').next()?.to_string(),
                }
            } else if let Some(q) = r.strip_prefix('<') {
                Dir::Include {
                    quoted: false,
                    path: q.split('>').next()?.to_string(),
                }
            } else {
                return None;
            }
        }
        "if" => Dir::If(tokenize(rest.as_bytes(), 0)),
        "elif" => Dir::Elif(tokenize(rest.as_bytes(), 0)),
        "ifdef" => Dir::Ifdef(word(rest)),
        "ifndef" => Dir::Ifndef(word(rest)),
        "else" => Dir::Else,
        "endif" => Dir::Endif,
        _ => return None,
    })
}

/// Macros defined in the headers that `<...>` includes reach (include/ and
/// arch/x86/include), first definition wins in path order.
#[derive(Default)]
pub struct Global {
    pub map: crate::cpp::MacroMap,
}

/// Macros every translation unit starts with (compiler and kbuild).
pub fn predefined() -> Vec<(String, Arc<Macro>)> {
    [
        ("__KERNEL__", "1"),
        ("MODULE", "1"),
        ("__x86_64__", "1"),
        ("__GNUC__", "12"),
        ("__LP64__", "1"),
        ("__CHAR_BIT__", "8"),
        ("__SIZEOF_LONG__", "8"),
        ("__LITTLE_ENDIAN", "1234"),
        ("__LITTLE_ENDIAN_BITFIELD", "1"),
        ("BITS_PER_LONG", "64"),
    ]
    .iter()
    .filter_map(|(n, v)| parse_define(&format!("{n} {v}")))
    .map(|(n, m)| (n, Arc::new(m)))
    .collect()
}

/// Never taken as defined from the global map (wrong arch/endianness).
const NOT_DEFINED: &[&str] = &[
    "__BIG_ENDIAN",
    "__BIG_ENDIAN_BITFIELD",
    "__ASSEMBLY__",
    "__ASSEMBLER__",
    "__CHECKER__",
    "__GENKSYMS__",
    "__DISABLE_EXPORTS",
    "BUILD_VDSO",
    "__i386__",
];

fn collect_headers(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    let mut ents: Vec<_> = rd.flatten().collect();
    ents.sort_by_key(|e| e.file_name());
    for e in ents {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            collect_headers(&p, out);
        } else if p.extension().is_some_and(|x| x == "h") {
            let name = p.file_name().unwrap().to_string_lossy();
            if name == "big_endian.h" {
                continue;
            }
            out.push(p);
        }
    }
}

impl Global {
    /// Scan include/ and arch/x86/include of `tree`.
    pub fn build(tree: &Path) -> Global {
        let mut files = Vec::new();
        collect_headers(&tree.join("arch/x86/include"), &mut files);
        collect_headers(&tree.join("include"), &mut files);
        let per: Vec<Vec<(String, Arc<Macro>)>> = files
            .par_iter()
            .map(|f| {
                let Ok(src) = std::fs::read(f) else {
                    return Vec::new();
                };
                if memchr::memmem::find(&src, b"define").is_none() {
                    return Vec::new();
                }
                let want_enums = memchr::memmem::find(&src, b"enum").is_some();
                let parsed = parse_file(&src, want_enums);
                let mut empty = Global::default();
                for (n, m) in predefined() {
                    empty.map.insert(n, m);
                }
                let mut local = Local::default();
                let mut st = CondStack::default();
                let mut defs = Vec::new();
                // The include guard is not a macro anyone uses; recording it
                // would make the header look already included.
                let guard = match (parsed.dirs.first(), parsed.dirs.get(1)) {
                    (Some((_, Dir::Ifndef(g))), Some((_, Dir::Define(d, _)))) if g == d => Some(g.clone()),
                    _ => None,
                };
                for (line, d) in &parsed.dirs {
                    if st.handle(d, &local, &empty) {
                        continue;
                    }
                    if !st.active() {
                        continue;
                    }
                    match d {
                        Dir::Define(n, m) => {
                            local.define(n, *line as Pos, Some(m.clone()));
                            if guard.as_ref() != Some(n) {
                                defs.push((n.clone(), m.clone()));
                            }
                        }
                        Dir::Undef(n) => local.define(n, *line as Pos, None),
                        _ => {}
                    }
                }
                if want_enums {
                    // enum constants, as object-like macros
                    let toks = tokenize(&parsed.code, 1);
                    let mut en = crate::cpp::MacroMap::default();
                    crate::scan::enum_consts(&toks, &mut en);
                    let mut en: Vec<_> = en.into_iter().collect();
                    en.sort_by(|a, b| a.0.cmp(&b.0));
                    defs.extend(en);
                }
                defs
            })
            .collect();
        let mut map = crate::cpp::MacroMap::default();
        for defs in per {
            for (n, m) in defs {
                map.entry(n).or_insert(m);
            }
        }
        for (n, m) in predefined() {
            map.insert(n, m);
        }
        Global { map }
    }
}

/// Definitions (`Some`) and `#undef`s (`None`) of one name, in order.
pub type Timeline = Vec<(Pos, Option<Arc<Macro>>)>;

/// Timeline of the macros a translation unit defines.
#[derive(Default)]
pub struct Local {
    pub map: crate::cpp::FxMap<String, Timeline>,
}

impl Local {
    pub fn define(&mut self, name: &str, line: Pos, m: Option<Arc<Macro>>) {
        self.map.entry(name.to_string()).or_default().push((line, m));
    }
    /// State of `name` for code at `line` (definitions on earlier lines).
    /// `Some(None)`: explicitly undefined.
    pub fn at(&self, name: &str, line: Pos) -> Option<Option<&Arc<Macro>>> {
        let v = self.map.get(name)?;
        let mut r = None;
        for (l, m) in v {
            if *l < line {
                r = Some(m.as_ref());
            } else {
                break;
            }
        }
        r
    }
}

/// Macro view for code at a given line.
pub struct View<'a> {
    pub local: &'a Local,
    pub global: &'a Global,
    /// Fixed line for lookups (`#if`), else the token's own line.
    pub line: Option<Pos>,
    pub extra: &'a crate::cpp::MacroMap,
}

impl MacroSource for View<'_> {
    fn get(&self, name: &str, line: Pos) -> Option<&Macro> {
        if let Some(m) = self.extra.get(name) {
            return Some(m);
        }
        match self.local.at(name, self.line.unwrap_or(line)) {
            Some(Some(m)) => Some(m),
            Some(None) => None,
            None => self.global.map.get(name).map(|a| a.as_ref()),
        }
    }
}

/// `#if` nesting state.
#[derive(Default)]
pub struct CondStack {
    /// (parent active, this branch active, some branch taken)
    st: Vec<(bool, bool, bool)>,
}

impl CondStack {
    pub fn active(&self) -> bool {
        self.st.last().is_none_or(|s| s.0 && s.1)
    }
    /// Handle a conditional directive; true if `d` was one.
    pub fn handle(&mut self, d: &Dir, local: &Local, global: &Global) -> bool {
        let act = self.active();
        match d {
            Dir::If(t) => {
                let v = act && eval_if(t, local, global);
                self.st.push((act, v, v));
            }
            Dir::Ifdef(n) => {
                let v = act && is_defined(n, local, global);
                self.st.push((act, v, v));
            }
            Dir::Ifndef(n) => {
                let v = act && !is_defined(n, local, global);
                self.st.push((act, v, v));
            }
            Dir::Elif(t) => {
                if let Some(top) = self.st.last().copied() {
                    let v = top.0 && !top.2 && eval_if(t, local, global);
                    *self.st.last_mut().unwrap() = (top.0, v, top.2 || v);
                }
            }
            Dir::Else => {
                if let Some(top) = self.st.last().copied() {
                    *self.st.last_mut().unwrap() = (top.0, !top.2, true);
                }
            }
            Dir::Endif => {
                self.st.pop();
            }
            _ => return false,
        }
        true
    }
}

fn config_true(n: &str) -> bool {
    !FALSE_CONFIGS.contains(&n)
}

fn is_defined(n: &str, local: &Local, global: &Global) -> bool {
    match local.at(n, Pos::MAX) {
        Some(Some(_)) => return true,
        Some(None) => return false,
        None => {}
    }
    if let Some(c) = n.strip_prefix("CONFIG_") {
        let _ = c;
        return config_true(n);
    }
    if NOT_DEFINED.contains(&n) {
        return false;
    }
    global.map.contains_key(n)
}

/// Evaluate a `#if` expression.
pub fn eval_if(toks: &[Tok], local: &Local, global: &Global) -> bool {
    // 1. defined / IS_ENABLED & co, before expansion.
    let mut pre: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    let one = |v: bool, like: &Tok| {
        let mut t = like.clone();
        t.k = K::Num;
        t.s = if v { "1".into() } else { "0".into() };
        t
    };
    while i < toks.len() {
        let t = &toks[i];
        if t.k == K::Ident && t.s == "defined" {
            if i + 1 < toks.len() && toks[i + 1].is("(") && i + 3 < toks.len() {
                pre.push(one(is_defined(&toks[i + 2].s, local, global), t));
                i += 4;
                continue;
            } else if i + 1 < toks.len() {
                pre.push(one(is_defined(&toks[i + 1].s, local, global), t));
                i += 2;
                continue;
            }
        }
        if t.k == K::Ident
            && matches!(
                t.s.as_str(),
                "IS_ENABLED" | "IS_BUILTIN" | "IS_MODULE" | "IS_REACHABLE"
            )
            && i + 3 < toks.len()
            && toks[i + 1].is("(")
            && toks[i + 3].is(")")
        {
            pre.push(one(config_true(&toks[i + 2].s), t));
            i += 4;
            continue;
        }
        pre.push(t.clone());
        i += 1;
    }
    let extra = crate::cpp::MacroMap::default();
    let view = View {
        local,
        global,
        line: Some(Pos::MAX),
        extra: &extra,
    };
    let mut ex = Expander::new(&view, &[]);
    let mut e = ex.expand(&pre);
    for t in &mut e {
        if t.k == K::Ident && t.s.starts_with("CONFIG_") {
            t.s = if config_true(&t.s) { "1" } else { "0" }.into();
            t.k = K::Num;
        }
    }
    Eval::eval(&e, true).is_some_and(|v| crate::cpp::truthy(&v))
}

/// Cache of parsed local headers, shared by all translation units.
#[derive(Default)]
pub struct HeaderCache {
    map: Mutex<HashMap<PathBuf, Option<Arc<Parsed>>>>,
    /// Top-level names under include/ and arch/x86/include (for `<...>`).
    pub global_roots: std::collections::HashSet<String>,
}

impl HeaderCache {
    pub fn new(tree: &Path) -> HeaderCache {
        let mut roots = std::collections::HashSet::new();
        for d in [
            "include",
            "arch/x86/include",
            "include/uapi",
            "arch/x86/include/uapi",
        ] {
            if let Ok(rd) = std::fs::read_dir(tree.join(d)) {
                for e in rd.flatten() {
                    roots.insert(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        HeaderCache {
            map: Mutex::default(),
            global_roots: roots,
        }
    }

    pub fn get(&self, p: &Path) -> Option<Arc<Parsed>> {
        if let Some(v) = self.map.lock().unwrap().get(p) {
            return v.clone();
        }
        // The code is dropped (memory): the rare header whose code is
        // inlined is parsed again by `Run::run`.
        let v = std::fs::read(p).ok().map(|s| {
            let mut h = parse_full(&s);
            h.code = Vec::new();
            Arc::new(h)
        });
        self.map.lock().unwrap().insert(p.to_path_buf(), v.clone());
        v
    }
}

/// Parse with code, brace depth per line and enum constants.
pub fn parse_full(src: &[u8]) -> Parsed {
    let mut p = parse_file(src, true);
    // Brace depth at the start of each line (1-based; index 0 unused).
    let mut depth = vec![0u32; 1];
    let mut d: i64 = 0;
    depth.push(0);
    let c = &p.code;
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            b'\n' => depth.push(d.max(0) as u32),
            b'{' => d += 1,
            b'}' => d -= 1,
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < c.len() && c[i] != q && c[i] != b'\n' {
                    if c[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    p.depth_at = depth;
    p.has_table = memchr::memmem::find(src, b"MODULE_DEVICE_TABLE").is_some();
    if memchr::memmem::find(src, b"enum").is_some() {
        let toks = tokenize(&p.code, 1);
        let mut en = crate::cpp::MacroMap::default();
        crate::scan::enum_consts(&toks, &mut en);
        let mut en: Vec<_> = en.into_iter().collect();
        en.sort_by(|a, b| a.0.cmp(&b.0));
        p.enums = en;
    }
    p
}

/// Result of preprocessing one C file.
pub struct Unit {
    pub local: Local,
    /// Active code tokens (inactive branches removed).
    pub toks: Vec<Tok>,
    /// A local header it includes has a MODULE_DEVICE_TABLE.
    pub header_table: bool,
}

struct Run<'a> {
    global: &'a Global,
    cache: &'a HeaderCache,
    tree: &'a Path,
    tu_dir: PathBuf,
    inline_all: bool,
    budget: usize,
    local: Local,
    includes: Vec<PathBuf>,
    header_table: bool,
    /// Tables not found in a first pass (their names).
    want: Vec<String>,
}

/// Preprocess a C file: run its directives (descending into local includes,
/// whose code is inlined when the include sits inside braces, as tables
/// built from `#include "unusual_devs.h"` do, or always if `inline_all`),
/// and tokenize the active code.
#[allow(clippy::too_many_arguments)]
pub fn preprocess(
    tree: &Path,
    path: &Path,
    src: &[u8],
    global: &Global,
    cache: &HeaderCache,
    includes: &[String],
    inline_all: bool,
    want: &[String],
) -> Unit {
    let parsed = parse_full(src);
    let mut r = Run {
        global,
        cache,
        tree,
        tu_dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        inline_all,
        budget: 600_000,
        local: Local::default(),
        includes: includes.iter().map(PathBuf::from).collect(),
        header_table: false,
        want: want.to_vec(),
    };
    let dir = r.tu_dir.clone();
    for (n, m) in &parsed.enums {
        r.local.define(n, 0, Some(m.clone()));
    }
    let toks = r.run(&parsed, &dir, None, 0, true);
    Unit {
        local: r.local,
        toks,
        header_table: r.header_table,
    }
}

impl Run<'_> {
    fn resolve(&self, dir: &Path, quoted: bool, path: &str) -> Option<PathBuf> {
        if quoted {
            let cands = [dir.join(path), self.tu_dir.join(path)];
            if let Some(p) = cands.into_iter().find(|p| p.is_file()) {
                return Some(p);
            }
        }
        for i in &self.includes {
            let c = i.join(path);
            if c.is_file() {
                return Some(c);
            }
        }
        let first = path.split('/').next().unwrap_or("");
        if self.cache.global_roots.contains(first) {
            return None;
        }
        // <foo.h> from a driver's own -I directory: look up the ancestors.
        let mut a = Some(self.tu_dir.as_path());
        for _ in 0..4 {
            let Some(d) = a else { break };
            if !d.starts_with(self.tree) || d == self.tree {
                break;
            }
            for c in [d.join(path), d.join("include").join(path)] {
                if c.is_file() {
                    return Some(c);
                }
            }
            a = d.parent();
        }
        None
    }

    /// Run one file's directives; return its active code tokens. With
    /// `at = Some(L)` (an inlined header) every token gets line L+1 and every
    /// definition line L.
    fn run(&mut self, p: &Parsed, dir: &Path, at: Option<Pos>, depth: u32, want_code: bool) -> Vec<Tok> {
        let mut st = CondStack::default();
        let mut code = p.code.clone();
        let mut inactive_from: Option<u32> = None;
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut inserts: Vec<(Pos, Vec<Tok>)> = Vec::new();
        for (line, d) in &p.dirs {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            let was = st.active();
            if st.handle(d, &self.local, self.global) {
                let now = st.active();
                if was && !now {
                    inactive_from = Some(*line);
                } else if !was && now {
                    if let Some(f) = inactive_from.take() {
                        ranges.push((f, *line));
                    }
                }
                continue;
            }
            if !st.active() {
                continue;
            }
            let dl: Pos = match at {
                Some(b) => b + *line as Pos,
                None => (*line as Pos) << 20,
            };
            match d {
                Dir::Define(n, m) => self.local.define(n, dl, Some(m.clone())),
                Dir::Undef(n) => self.local.define(n, dl, None),
                Dir::Include { quoted, path } => {
                    if depth > 12 {
                        continue;
                    }
                    let Some(hp) = self.resolve(dir, *quoted, path).or_else(|| {
                        // Full pass: a global header defining a wanted table
                        // (include/linux/input/elan-i2c-ids.h).
                        if *quoted || self.want.is_empty() {
                            return None;
                        }
                        let hp = self.tree.join("include").join(path);
                        let h = std::fs::read(&hp).ok()?;
                        self.want
                            .iter()
                            .any(|w| memchr::memmem::find(&h, w.as_bytes()).is_some())
                            .then_some(hp)
                    }) else {
                        continue;
                    };
                    let Some(h) = self.cache.get(&hp) else { continue };
                    let hdir = hp.parent().unwrap_or(dir).to_path_buf();
                    self.header_table |= h.has_table;
                    for (n, m) in &h.enums {
                        if self.local.at(n, Pos::MAX).is_none() {
                            self.local.define(n, dl, Some(m.clone()));
                        }
                    }
                    // Inside braces, or nested in a header whose code is inlined.
                    let inside = at.is_some() || p.depth_at.get(*line as usize).is_some_and(|d| *d > 0);
                    let want = want_code && (inside || self.inline_all);
                    let base = at.unwrap_or(dl);
                    let h = if want {
                        match std::fs::read(&hp) {
                            Ok(src) => Arc::new(parse_full(&src)),
                            Err(_) => continue,
                        }
                    } else {
                        h
                    };
                    let t = self.run(&h, &hdir, Some(base), depth + 1, want);
                    if want {
                        inserts.push((dl, t));
                    }
                }
                _ => {}
            }
        }
        if let Some(f) = inactive_from {
            ranges.push((f, u32::MAX));
        }
        if !ranges.is_empty() {
            let mut line = 1u32;
            let mut ri = 0;
            for b in code.iter_mut() {
                if *b == b'\n' {
                    line += 1;
                    continue;
                }
                while ri < ranges.len() && line > ranges[ri].1 {
                    ri += 1;
                }
                if ri < ranges.len() && line > ranges[ri].0 && line < ranges[ri].1 {
                    *b = b' ';
                }
            }
        }
        if !want_code {
            return Vec::new();
        }
        let mut toks = tokenize(&code, 1);
        for t in &mut toks {
            t.line = match at {
                Some(b) => b + t.line,
                None => t.line << 20,
            };
        }
        if inserts.is_empty() {
            return toks;
        }
        let mut out = Vec::with_capacity(toks.len());
        let mut ii = 0;
        for t in toks {
            while ii < inserts.len() && inserts[ii].0 < t.line {
                out.append(&mut inserts[ii].1);
                ii += 1;
            }
            out.push(t);
        }
        while ii < inserts.len() {
            out.append(&mut inserts[ii].1);
            ii += 1;
        }
        out
    }
}

//! Kbuild Makefile reader: which object builds which module, under which
//! `CONFIG_` symbols.
//!
//! Not a make implementation: it evaluates the subset kbuild Makefiles use,
//! keeping `$(CONFIG_X)` symbolic. Handled: variables (`:=`, `=`, `+=`,
//! `?=`, `define`), conditional variable names (`foo-$(CONFIG_X) := a.o`
//! then `$(foo-y)`: a word carries X along), `$(subst)`, `$(patsubst)`,
//! `$(addprefix)`, `$(addsuffix)`, `$(foreach)`, `$(if)`, `$(call)`,
//! `$(eval)`, `$(filter)`, `$(strip)`, `$(sort)`, `ifeq/ifneq/ifdef/ifndef`
//! (a CONFIG_ symbol in the test becomes a condition of what is inside),
//! `include`, objects in subdirectories (`amd/fmpm.o`), composite objects
//! (`foo-y`, `foo-objs`, `foo-$(CONFIG_Y)`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// AND of OR-sets of symbol names (no `CONFIG_` prefix).
pub type Cond = Vec<Vec<String>>;

/// A reference `obj-<cond> += word` in a directory.
#[derive(Debug, Clone)]
pub struct ObjRef {
    /// Object relative to the directory, without `.o` (`foo`, `amd/fmpm`).
    pub rel: String,
    pub cond: Cond,
    /// `obj-y` (or `obj-m`) with no symbol at all.
    pub literal: Option<char>,
    pub line: u32,
}

/// What one directory's Makefile says.
#[derive(Debug, Default, Clone)]
pub struct DirInfo {
    pub objs: Vec<ObjRef>,
    /// Subdirectories (relative, without trailing '/') and their conditions.
    pub subdirs: Vec<(String, Cond)>,
    /// Composite object name → parts (relative, without `.o`).
    pub composites: BTreeMap<String, Vec<String>>,
    /// Problems met (skipped constructs).
    pub diags: Vec<String>,
    /// `-I` directories of ccflags (absolute).
    pub includes: Vec<String>,
    /// Makefiles it pulled in with `include`/`-include`/`sinclude` inside
    /// the tree, read or looked for (absolute): inputs of the index, like
    /// the Makefile itself (e.g. virt/kvm/Makefile.kvm, nouveau's
    /// nvkm/*/Kbuild).
    pub included: Vec<PathBuf>,
}

const MARK: char = '\u{1}';

/// One `ifeq`/`ifdef` level.
struct Frame {
    outer: bool,
    /// Literal (non-CONFIG) test value.
    lit: Option<bool>,
    if_syms: Vec<String>,
    else_syms: Vec<String>,
    in_else: bool,
    /// Opened by `else ifeq`: closed by the same `endif` as its parent.
    chained: bool,
}

impl Frame {
    fn active(&self) -> bool {
        self.outer
            && match self.lit {
                Some(v) => v != self.in_else,
                None => true,
            }
    }
    fn syms(&self) -> &[String] {
        if self.in_else {
            &self.else_syms
        } else {
            &self.if_syms
        }
    }
}

struct Parser<'a> {
    tree: &'a Path,
    dir: &'a str,
    vars: HashMap<String, String>,
    ifs: Vec<Frame>,
    info: DirInfo,
    evals: Vec<String>,
    depth: u32,
}

/// Parse the Kbuild/Makefile text of directory `dir` (relative to the
/// tree), as `make ARCH=<arch>` reads it.
pub fn parse_dir(tree: &Path, arch: &kfit_arch::Arch, dir: &str, text: &str) -> DirInfo {
    let mut p = Parser {
        tree,
        dir,
        vars: HashMap::new(),
        ifs: Vec::new(),
        info: DirInfo::default(),
        evals: Vec::new(),
        depth: 0,
    };
    p.vars.insert("srctree".into(), tree.display().to_string());
    p.vars.insert("src".into(), tree.join(dir).display().to_string());
    p.vars.insert("obj".into(), dir.to_string());
    p.vars.insert("SRCARCH".into(), arch.srcarch().into());
    p.vars.insert("ARCH".into(), arch.name().into());
    p.vars.insert("BITS".into(), "64".into());
    p.run(text);
    p.info
}

pub(crate) fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0u32;
    for (i, raw) in text.lines().enumerate() {
        if cur.is_empty() {
            start = i as u32 + 1;
        }
        let l = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(s) = l.strip_suffix('\\') {
            cur.push_str(s);
            cur.push(' ');
            continue;
        }
        cur.push_str(l);
        out.push((start, std::mem::take(&mut cur)));
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    out
}

pub(crate) fn strip_comment(l: &str) -> &str {
    let b = l.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'#' && (i == 0 || b[i - 1] != b'\\') {
            return &l[..i];
        }
    }
    l
}

/// Split at top-level commas of a function's argument text.
fn split_args(s: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | '{' => depth += 1,
            ')' | '}' => depth -= 1,
            ',' if depth == 0 && out.len() + 1 < max => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

/// Find the matching close paren for the opener at `open`.
fn matching(b: &[u8], open: usize) -> Option<usize> {
    let (o, c) = if b[open] == b'(' {
        (b'(', b')')
    } else {
        (b'{', b'}')
    };
    let mut d = 0;
    for (i, &x) in b.iter().enumerate().skip(open) {
        if x == o {
            d += 1;
        } else if x == c {
            d -= 1;
            if d == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Symbolic CONFIG references `$(CONFIG_X)` left in an expanded string.
pub fn config_syms(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("$(CONFIG_") {
        let r = &rest[i + 9..];
        let e = r.find(')').unwrap_or(r.len());
        let n = r[..e].to_string();
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
        rest = &r[e.min(r.len())..];
    }
    out
}

fn strip_syms(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("$(CONFIG_") {
        out.push_str(&rest[..i]);
        let r = &rest[i..];
        let e = r.find(')').map_or(r.len(), |e| e + 1);
        rest = &r[e..];
    }
    out.push_str(rest);
    out
}

/// Split a word into (marker symbols, bare word).
fn unmark(w: &str) -> (Vec<String>, &str) {
    let mut syms = Vec::new();
    let mut w = w;
    while let Some(r) = w.strip_prefix(MARK) {
        let e = r.find(MARK).unwrap_or(r.len());
        for s in r[..e].split(',') {
            if !s.is_empty() && !syms.iter().any(|x: &String| x == s) {
                syms.push(s.to_string());
            }
        }
        w = &r[(e + 1).min(r.len())..];
    }
    (syms, w)
}

fn mark(syms: &[String], w: &str) -> String {
    if syms.is_empty() {
        w.to_string()
    } else {
        format!("{MARK}{}{MARK}{w}", syms.join(","))
    }
}

impl Parser<'_> {
    fn active(&self) -> bool {
        self.ifs.iter().all(|f| f.active())
    }
    fn if_syms(&self) -> Vec<String> {
        let mut v = Vec::new();
        for f in &self.ifs {
            for s in f.syms() {
                if !v.contains(s) {
                    v.push(s.clone());
                }
            }
        }
        v
    }

    fn run(&mut self, text: &str) {
        self.depth += 1;
        if self.depth > 8 {
            return;
        }
        let lines = logical_lines(text);
        let mut i = 0;
        while i < lines.len() {
            let (ln, raw) = &lines[i];
            i += 1;
            if raw.starts_with('\t') {
                continue; // recipe
            }
            let l = strip_comment(raw).trim();
            if l.is_empty() {
                continue;
            }
            let (kw, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            let rest = rest.trim();
            match kw {
                "define" => {
                    let name = rest.split_whitespace().next().unwrap_or("").to_string();
                    let mut body = Vec::new();
                    while i < lines.len() && lines[i].1.trim() != "endef" {
                        body.push(lines[i].1.clone());
                        i += 1;
                    }
                    i += 1;
                    if self.active() {
                        self.vars.insert(name, body.join("\n"));
                    }
                    continue;
                }
                "ifeq" | "ifneq" | "ifdef" | "ifndef" => {
                    self.push_if(kw, rest);
                    continue;
                }
                "else" => {
                    if let Some(top) = self.ifs.last_mut() {
                        top.in_else = true;
                    }
                    if rest.starts_with("if") {
                        let (k2, r2) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                        self.push_if(k2, r2.trim());
                        if let Some(t) = self.ifs.last_mut() {
                            t.chained = true;
                        }
                    }
                    continue;
                }
                "endif" => {
                    while let Some(f) = self.ifs.pop() {
                        if !f.chained {
                            break;
                        }
                    }
                    continue;
                }
                _ => {}
            }
            if !self.active() {
                continue;
            }
            if kw == "include" || kw == "-include" || kw == "sinclude" {
                let p = self.expand(rest, 0);
                for f in p.split_whitespace() {
                    let (_, f) = unmark(f);
                    let path = if Path::new(f).is_absolute() {
                        Path::new(f).to_path_buf()
                    } else {
                        self.tree.join(self.dir).join(f)
                    };
                    if path.starts_with(self.tree) {
                        let t = std::fs::read_to_string(&path);
                        if !self.info.included.contains(&path) {
                            self.info.included.push(path);
                        }
                        if let Ok(t) = t {
                            self.run(&t);
                        }
                    }
                }
                continue;
            }
            if kw == "export" || kw == "override" || kw == "unexport" {
                // treat "export X := y" as an assignment
                if rest.contains('=') {
                    self.statement(*ln, rest);
                }
                continue;
            }
            self.statement(*ln, l);
        }
        self.depth -= 1;
    }

    fn push_if(&mut self, kw: &str, rest: &str) {
        let outer = self.active();
        let (syms, lit): (Vec<String>, Option<bool>) = match kw {
            "ifdef" | "ifndef" => {
                let e = self.expand(rest, 0);
                let name = e.trim().to_string();
                if let Some(s) = name.strip_prefix("CONFIG_") {
                    (vec![s.to_string()], None)
                } else {
                    let def = self.vars.get(&name).is_some_and(|v| !v.trim().is_empty());
                    (vec![], Some(def))
                }
            }
            _ => {
                // ifeq (a,b) | ifeq "a" "b" | ifeq 'a' 'b'
                let (a, b) = if let Some(r) = rest.strip_prefix('(') {
                    let r = r.strip_suffix(')').unwrap_or(r);
                    let v = split_args(r, 2);
                    (v[0].clone(), v.get(1).cloned().unwrap_or_default())
                } else {
                    let parts: Vec<&str> = rest
                        .split(['"', '\''])
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty())
                        .collect();
                    (
                        parts.first().unwrap_or(&"").to_string(),
                        parts.get(1).unwrap_or(&"").to_string(),
                    )
                };
                let ea = self.expand(&a, 0);
                let eb = self.expand(&b, 0);
                let mut syms = config_syms(&ea);
                for s in config_syms(&eb) {
                    if !syms.contains(&s) {
                        syms.push(s);
                    }
                }
                if syms.is_empty() {
                    (vec![], Some(ea.trim() == eb.trim()))
                } else {
                    (syms, None)
                }
            }
        };
        let negated = kw == "ifneq" || kw == "ifndef";
        let mut f = Frame {
            outer,
            lit: None,
            if_syms: vec![],
            else_syms: vec![],
            in_else: false,
            chained: false,
        };
        match lit {
            Some(v) => f.lit = Some(v != negated),
            None => {
                // Symbolic: both branches are read. A test against the empty
                // string means "set" for ifneq/ifdef and "unset" for
                // ifeq/ifndef; a test against y/m means "set" for ifeq.
                let empty_cmp = kw == "ifdef"
                    || kw == "ifndef"
                    || rest.replace(' ', "").contains(",)")
                    || rest.replace(' ', "").contains("(,");
                let if_gets = if empty_cmp {
                    matches!(kw, "ifdef" | "ifneq")
                } else {
                    !negated
                };
                if if_gets {
                    f.if_syms = syms;
                } else {
                    f.else_syms = syms;
                }
            }
        }
        self.ifs.push(f);
    }

    /// Expand make references. CONFIG_ variables stay as `$(CONFIG_X)`.
    fn expand(&mut self, s: &str, depth: u32) -> String {
        if depth > 30 || !s.contains('$') {
            return s.to_string();
        }
        let b = s.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                let ch = s[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
                continue;
            }
            if i + 1 >= b.len() {
                break;
            }
            let c = b[i + 1];
            if c == b'$' {
                out.push('$');
                i += 2;
                continue;
            }
            if c != b'(' && c != b'{' {
                // $@, $1 ...
                let name = (c as char).to_string();
                if let Some(v) = self.vars.get(&name).cloned() {
                    out.push_str(&self.expand(&v, depth + 1));
                }
                i += 2;
                continue;
            }
            let Some(close) = matching(b, i + 1) else {
                break;
            };
            let inner = &s[i + 2..close];
            i = close + 1;
            // Function call?
            let fname_end = inner.find(|c: char| c.is_whitespace() || c == ',');
            if let Some(fe) = fname_end {
                let fname = &inner[..fe];
                if inner.as_bytes()[fe] != b',' && is_func(fname) {
                    let args = inner[fe..].trim_start();
                    let r = self.func(fname, args, depth);
                    out.push_str(&r);
                    continue;
                }
            }
            let name = self.expand(inner, depth + 1);
            if name.starts_with("CONFIG_") {
                out.push_str("$(");
                out.push_str(&name);
                out.push(')');
                continue;
            }
            let name = name.trim();
            if name.contains("$(CONFIG_") {
                // $(foo-$(CONFIG_X)): look at foo-y, mark with X.
                let syms = config_syms(name);
                let key = format!("{}y", strip_syms(name));
                if let Some(v) = self.vars.get(&key).cloned() {
                    let e = self.expand(&v, depth + 1);
                    let words: Vec<String> = e.split_whitespace().map(|w| mark(&syms, w)).collect();
                    out.push_str(&words.join(" "));
                }
                continue;
            }
            if let Some(v) = self.vars.get(name).cloned() {
                out.push_str(&self.expand(&v, depth + 1));
            }
        }
        out
    }

    fn func(&mut self, f: &str, args: &str, depth: u32) -> String {
        let d = depth + 1;
        match f {
            "subst" => {
                let a = split_args(args, 3);
                if a.len() < 3 {
                    return String::new();
                }
                let from = self.expand(&a[0], d);
                let to = self.expand(&a[1], d);
                let text = self.expand(&a[2], d);
                if text.contains("$(CONFIG_") || to.contains("$(CONFIG_") {
                    // Keep every symbol: obj-$(subst y,$(CONFIG_A),$(CONFIG_B)).
                    let mut s = String::new();
                    for x in config_syms(&format!("{to}{text}")) {
                        s.push_str(&format!("$(CONFIG_{x})"));
                    }
                    return s;
                }
                if from.is_empty() {
                    return text;
                }
                text.replace(&from, &to)
            }
            "patsubst" => {
                let a = split_args(args, 3);
                if a.len() < 3 {
                    return String::new();
                }
                let pat = self.expand(a[0].trim(), d);
                let rep = self.expand(a[1].trim(), d);
                let text = self.expand(&a[2], d);
                text.split_whitespace()
                    .map(|w| {
                        let (syms, bare) = unmark(w);
                        mark(&syms, &patsubst(&pat, &rep, bare))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "addprefix" | "addsuffix" => {
                let a = split_args(args, 2);
                if a.len() < 2 {
                    return String::new();
                }
                let p = self.expand(a[0].trim(), d);
                let text = self.expand(&a[1], d);
                text.split_whitespace()
                    .map(|w| {
                        let (syms, bare) = unmark(w);
                        if f == "addprefix" {
                            mark(&syms, &format!("{p}{bare}"))
                        } else {
                            mark(&syms, &format!("{bare}{p}"))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "foreach" => {
                let a = split_args(args, 3);
                if a.len() < 3 {
                    return String::new();
                }
                let var = self.expand(a[0].trim(), d);
                let list = self.expand(&a[1], d);
                let saved = self.vars.get(&var).cloned();
                let mut out = Vec::new();
                for w in list.split_whitespace() {
                    self.vars.insert(var.clone(), w.to_string());
                    out.push(self.expand(&a[2], d));
                }
                match saved {
                    Some(v) => self.vars.insert(var, v),
                    None => self.vars.remove(&var),
                };
                out.join(" ")
            }
            "if" => {
                let a = split_args(args, 3);
                let c = self.expand(a[0].trim(), d);
                let syms = config_syms(&c);
                if !syms.is_empty() {
                    let t = self.expand(a.get(1).map_or("", |s| s.as_str()), d);
                    // Inside an obj-$(...) name keep the symbols symbolic.
                    if t.trim() == "y" || t.trim() == "m" || t.trim().is_empty() {
                        return syms.iter().map(|s| format!("$(CONFIG_{s})")).collect();
                    }
                    return t
                        .split_whitespace()
                        .map(|w| {
                            let (mut s0, bare) = unmark(w);
                            s0.extend(syms.iter().cloned());
                            mark(&s0, bare)
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                }
                if !c.trim().is_empty() {
                    self.expand(a.get(1).map_or("", |s| s.as_str()), d)
                } else {
                    self.expand(a.get(2).map_or("", |s| s.as_str()), d)
                }
            }
            "filter" | "filter-out" => {
                let a = split_args(args, 2);
                let text = self.expand(a.get(1).map_or("", |s| s.as_str()), d);
                if f == "filter-out" {
                    let pats = self.expand(&a[0], d);
                    let pats: Vec<&str> = pats.split_whitespace().collect();
                    return text
                        .split_whitespace()
                        .filter(|w| !pats.iter().any(|p| patmatch(p, unmark(w).1)))
                        .collect::<Vec<_>>()
                        .join(" ");
                }
                let pats = self.expand(&a[0], d);
                let pats: Vec<&str> = pats.split_whitespace().collect();
                let sym = text.contains("$(CONFIG_");
                if sym {
                    return text;
                }
                text.split_whitespace()
                    .filter(|w| pats.iter().any(|p| patmatch(p, unmark(w).1)))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "strip" | "sort" | "firstword" | "lastword" | "words" => {
                let t = self.expand(args, d);
                let mut w: Vec<&str> = t.split_whitespace().collect();
                match f {
                    "sort" => {
                        w.sort();
                        w.dedup();
                    }
                    "firstword" => w.truncate(1),
                    "lastword" => {
                        let l = w.last().copied();
                        w = l.into_iter().collect();
                    }
                    "words" => return w.len().to_string(),
                    _ => {}
                }
                w.join(" ")
            }
            "notdir" | "basename" | "dir" => {
                let t = self.expand(args, d);
                t.split_whitespace()
                    .map(|w| match f {
                        "notdir" => w.rsplit('/').next().unwrap_or(w).to_string(),
                        "dir" => match w.rfind('/') {
                            Some(i) => w[..=i].to_string(),
                            None => "./".into(),
                        },
                        _ => match w.rfind('.') {
                            Some(i) if !w[i..].contains('/') => w[..i].to_string(),
                            _ => w.to_string(),
                        },
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "call" => {
                let a = split_args(args, usize::MAX);
                let name = self.expand(a[0].trim(), d);
                let Some(body) = self.vars.get(&name).cloned() else {
                    return String::new();
                };
                let mut saved = Vec::new();
                for (k, arg) in a.iter().enumerate().skip(1) {
                    let v = self.expand(arg, d);
                    let key = k.to_string();
                    saved.push((key.clone(), self.vars.insert(key, v)));
                }
                let r = self.expand(&body, d);
                for (k, v) in saved {
                    match v {
                        Some(v) => self.vars.insert(k, v),
                        None => self.vars.remove(&k),
                    };
                }
                r
            }
            "eval" => {
                let t = self.expand(args, d);
                self.evals.push(t);
                String::new()
            }
            _ => String::new(), // shell, wildcard, info, warning, error, origin ...
        }
    }

    fn statement(&mut self, line: u32, l: &str) {
        // Find an assignment operator at top level.
        let b = l.as_bytes();
        let mut depth = 0;
        let mut op = None;
        for i in 0..b.len() {
            match b[i] {
                b'(' | b'{' => depth += 1,
                b')' | b'}' => depth -= 1,
                b'=' if depth == 0 => {
                    let (s, o) = if i >= 2 && &b[i - 2..i] == b"::" {
                        (i - 2, "::=")
                    } else if i >= 1 && matches!(b[i - 1], b':' | b'+' | b'?' | b'!') {
                        (i - 1, &l[i - 1..=i])
                    } else {
                        (i, "=")
                    };
                    op = Some((s, o, i + 1));
                    break;
                }
                b':' if depth == 0 && b.get(i + 1) != Some(&b'=') && b.get(i + 1) != Some(&b':') => {
                    // a rule
                    break;
                }
                _ => {}
            }
        }
        let Some((s, o, rs)) = op else {
            // Bare function call line ($(foreach ... $(eval ...))).
            if l.starts_with('$') {
                self.expand(l, 0);
                self.flush_evals();
            }
            return;
        };
        let lhs_raw = l[..s].trim();
        let rhs_raw = l[rs..].trim();
        let lhs = self.expand(lhs_raw, 0);
        let lhs = lhs.trim().to_string();
        let rhs = self.expand(rhs_raw, 0);
        self.flush_evals();
        let mut syms = config_syms(&lhs);
        let base = strip_syms(&lhs);
        for s in self.if_syms() {
            if !syms.contains(&s) {
                syms.push(s);
            }
        }
        let words: Vec<String> = rhs.split_whitespace().map(|w| w.to_string()).collect();
        // Store the variable (conditional names under "-y").
        let key = if lhs.contains("$(CONFIG_") {
            format!("{base}y")
        } else {
            base.clone()
        };
        let cond_syms = config_syms(&lhs);
        let val: Vec<String> = words
            .iter()
            .map(|w| {
                let (mut s0, bare) = unmark(w);
                for c in &cond_syms {
                    if !s0.contains(c) {
                        s0.push(c.clone());
                    }
                }
                mark(&s0, bare)
            })
            .collect();
        let val = val.join(" ");
        match o {
            "+=" => {
                let e = self.vars.entry(key.clone()).or_default();
                if !e.is_empty() {
                    e.push(' ');
                }
                e.push_str(&val);
            }
            "?=" => {
                self.vars.entry(key.clone()).or_insert(val);
            }
            _ => {
                self.vars.insert(key.clone(), val);
            }
        }
        // Classify.
        if base.starts_with("ccflags-")
            || base.starts_with("CFLAGS_")
            || base == "EXTRA_CFLAGS"
            || base.starts_with("subdir-ccflags-")
        {
            let mut it = words.iter().map(|w| unmark(w).1);
            while let Some(w) = it.next() {
                let p = if w == "-I" {
                    it.next().unwrap_or("")
                } else if let Some(p) = w.strip_prefix("-I") {
                    p
                } else {
                    continue;
                };
                if p.is_empty() {
                    continue;
                }
                let abs = if Path::new(p).is_absolute() {
                    p.to_string()
                } else {
                    self.tree.join(p).display().to_string()
                };
                if !self.info.includes.contains(&abs) {
                    self.info.includes.push(abs);
                }
            }
            return;
        }
        if let Some(cond) = base.strip_prefix("obj-") {
            let literal = match cond {
                "y" => Some('y'),
                "m" => Some('m'),
                "" if !config_syms(&lhs).is_empty() => None,
                _ => return,
            };
            for w in &words {
                let (wsyms, bare) = unmark(w);
                let mut all = syms.clone();
                for x in wsyms {
                    if !all.contains(&x) {
                        all.push(x);
                    }
                }
                let c: Cond = all.iter().map(|s| vec![s.clone()]).collect();
                let lit = if c.is_empty() { literal } else { None };
                if let Some(d) = bare.strip_suffix('/') {
                    let d = d.trim_start_matches("./").to_string();
                    self.info.subdirs.push((d, c));
                } else if let Some(o) = bare.strip_suffix(".o") {
                    let o = o.trim_start_matches("./");
                    let o = o.strip_prefix(&format!("{}/", self.dir)).unwrap_or(o);
                    self.info.objs.push(ObjRef {
                        rel: o.to_string(),
                        cond: c,
                        literal: lit,
                        line,
                    });
                }
            }
            return;
        }
        // Composite parts: name-y, name-objs, name-m, name-$(CONFIG_X)
        let name = if let Some(n) = base.strip_suffix("-objs") {
            n
        } else if let Some(n) = base.strip_suffix("-y").or_else(|| base.strip_suffix("-m")) {
            n
        } else if let Some(n) = base.strip_suffix('-') {
            if cond_syms.is_empty() {
                return;
            }
            n
        } else {
            return;
        };
        if name.is_empty() || NOT_COMPOSITE.contains(&name) || name.contains('$') {
            return;
        }
        let parts = self.info.composites.entry(name.to_string()).or_default();
        for w in &words {
            let (_, bare) = unmark(w);
            if let Some(o) = bare.strip_suffix(".o") {
                let o = o.trim_start_matches("./").to_string();
                if !parts.contains(&o) {
                    parts.push(o);
                }
            }
        }
    }

    fn flush_evals(&mut self) {
        let ev = std::mem::take(&mut self.evals);
        for t in ev {
            if self.depth < 8 {
                self.run(&t);
            }
        }
    }
}

const NOT_COMPOSITE: &[&str] = &[
    "obj",
    "lib",
    "always",
    "extra",
    "targets",
    "hostprogs",
    "subdir",
    "ccflags",
    "asflags",
    "ldflags",
    "cflags",
    "userprogs",
    "userccflags",
    "header-test",
    "clean-files",
    "clean-dirs",
    "core",
    "drivers",
    "libs",
    "net",
    "head",
    "init",
    "virt",
    "KBUILD_CFLAGS",
    "always-y",
    "hostprogs-always",
    "dtb",
    "dtbo",
    "no-clean-files",
    "quiet_cmd",
    "real-obj",
    "multi-obj",
    "subdir-ccflags",
    "OBJECT_FILES_NON_STANDARD",
    "KASAN_SANITIZE",
    "UBSAN_SANITIZE",
    "KCOV_INSTRUMENT",
    "GCOV_PROFILE",
    "KCSAN_SANITIZE",
    "obj-y",
];

fn patsubst(pat: &str, rep: &str, w: &str) -> String {
    if let Some((pre, suf)) = pat.split_once('%') {
        if w.len() >= pre.len() + suf.len() && w.starts_with(pre) && w.ends_with(suf) {
            let stem = &w[pre.len()..w.len() - suf.len()];
            return rep.replacen('%', stem, 1);
        }
        w.to_string()
    } else if w == pat {
        rep.to_string()
    } else {
        w.to_string()
    }
}

fn patmatch(p: &str, w: &str) -> bool {
    if let Some((pre, suf)) = p.split_once('%') {
        w.len() >= pre.len() + suf.len() && w.starts_with(pre) && w.ends_with(suf)
    } else {
        p == w
    }
}

fn is_func(f: &str) -> bool {
    matches!(
        f,
        "subst"
            | "patsubst"
            | "addprefix"
            | "addsuffix"
            | "foreach"
            | "if"
            | "filter"
            | "filter-out"
            | "strip"
            | "sort"
            | "firstword"
            | "lastword"
            | "words"
            | "notdir"
            | "basename"
            | "dir"
            | "call"
            | "eval"
            | "shell"
            | "wildcard"
            | "info"
            | "warning"
            | "error"
            | "origin"
            | "or"
            | "and"
            | "word"
            | "wordlist"
            | "join"
            | "realpath"
            | "abspath"
            | "suffix"
            | "findstring"
            | "value"
            | "flavor"
            | "file"
            | "cc-option"
    )
}

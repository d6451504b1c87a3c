//! On-disk cache of the parsed and finalized model.
//!
//! Parsing the ~1600 Kconfig files of an x86 tree and propagating their
//! dependencies is about two thirds of a load; the result depends only on
//! the files, the preprocessor environment (compiler identity, `ARCH`,
//! `KERNELVERSION`, ...) and this crate's parser. So the finished
//! [`Model`] is stored once per environment and reused while every Kconfig
//! file it was read from keeps its size and modification time.
//!
//! * **Key**: the same toolchain/environment identity the probe cache uses,
//!   plus dialect, top file and shell switch, plus a hash of this crate's
//!   parser and model sources (`include_str!`), so a changed parser never
//!   reads an old model.
//! * **Validity**: the header lists every parsed file with its size and
//!   mtime (nanoseconds), checked before anything else is decoded; one
//!   differing `stat` and the tree is parsed again.
//!   Probe results are cached under the same identity, so this is exactly
//!   as fresh as the probe cache.
//! * **Format**: bincode 1 (already used by the kernel index) in three
//!   parts: header, expression table, model. Expressions are a DAG
//!   (dependency propagation shares subtrees through `Arc`), so they are
//!   written once each into a table in post-order and referred to by index;
//!   loading rebuilds the same sharing.
//! * Writes go to a temporary file renamed into place; any read or decode
//!   failure is a cache miss, never an error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::expr::{CmpOp, Expr, ExprRef};
use crate::model::{Model, SymbolId};
use crate::parse::ParseWarning;

/// Bumped by hand only for changes the source hash below cannot see.
const FORMAT: u32 = 1;

/// The sources whose change must invalidate every cached model.
const SCHEMA_SOURCES: &[&str] = &[
    include_str!("model.rs"),
    include_str!("expr.rs"),
    include_str!("parse.rs"),
    include_str!("preprocess.rs"),
    include_str!("finalize.rs"),
    include_str!("cache.rs"),
];

/// Cache file name for an environment identity.
pub(crate) fn file_name(identity: &str) -> String {
    let mut h = crate::fnv(identity);
    h ^= FORMAT as u64;
    for s in SCHEMA_SOURCES {
        h = h.wrapping_mul(0x100000001b3) ^ crate::fnv(s);
    }
    format!("{h:016x}.model")
}

#[derive(Serialize, Deserialize)]
struct Header {
    identity: String,
    /// Every parsed file (`model.files`, relative to the tree) with its
    /// size and mtime in ns.
    stamps: Vec<(String, u64, u64)>,
}

/// What a cache hit gives back (the last part of the file).
#[derive(Deserialize)]
pub(crate) struct Cached {
    pub model: Model,
    pub warnings: Vec<ParseWarning>,
    pub messages: Vec<String>,
}

fn stamp(path: &Path) -> Option<(u64, u64)> {
    let md = std::fs::metadata(path).ok()?;
    let mtime = md.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((md.len(), mtime.as_nanos() as u64))
}

/// The cached model for `identity`, if present and every file is unchanged.
pub(crate) fn load(dir: &Path, identity: &str, srctree: &Path) -> Option<Cached> {
    let bytes = std::fs::read(dir.join(file_name(identity))).ok()?;
    let mut rd: &[u8] = &bytes;
    let header: Header = bincode::deserialize_from(&mut rd).ok()?;
    if header.identity != identity {
        return None;
    }
    for (name, size, mtime) in &header.stamps {
        if stamp(&srctree.join(name)) != Some((*size, *mtime)) {
            return None;
        }
    }
    let table: Vec<Node> = bincode::deserialize_from(&mut rd).ok()?;
    let exprs = build_table(&table)?;
    DECODE.with(|d| *d.borrow_mut() = exprs);
    let body: Result<Cached, _> = bincode::deserialize_from(&mut rd);
    DECODE.with(|d| d.borrow_mut().clear());
    body.ok()
}

/// Store a model (best effort: failures are ignored, the next load parses).
pub(crate) fn save(
    dir: &Path,
    identity: &str,
    srctree: &Path,
    model: &Model,
    warnings: &[ParseWarning],
    messages: &[String],
) {
    let Some(stamps) = model
        .files
        .iter()
        .map(|f| stamp(&srctree.join(f)).map(|(size, mtime)| (f.clone(), size, mtime)))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    #[derive(Serialize)]
    struct BodyRef<'a> {
        model: &'a Model,
        warnings: &'a [ParseWarning],
        messages: &'a [String],
    }
    ENCODE.with(|e| *e.borrow_mut() = Some(Encoder::default()));
    let body = bincode::serialize(&BodyRef {
        model,
        warnings,
        messages,
    });
    let table = ENCODE.with(|e| e.borrow_mut().take()).map(|e| e.nodes);
    let (Ok(body), Some(table)) = (body, table) else {
        return;
    };
    let header = Header {
        identity: identity.to_string(),
        stamps,
    };
    let (Ok(h), Ok(t)) = (bincode::serialize(&header), bincode::serialize(&table)) else {
        return;
    };
    let dest = dir.join(file_name(identity));
    let mut all = Vec::with_capacity(h.len() + t.len() + body.len());
    for part in [&h, &t, &body] {
        all.extend_from_slice(part);
    }
    if kfit_util::write_cache(&dest, &all).is_err() {
        return;
    }
    prune(dir, KEEP);
}

/// Models kept per cache directory: one per tree, toolchain and kfit build
/// in use; older ones (another kfit version, a removed tree) are deleted.
const KEEP: usize = 8;

/// Delete all but the `keep` most recently written `.model` files (best
/// effort).
fn prune(dir: &Path, keep: usize) {
    let _ = kfit_util::prune(dir, keep, |p| p.extension().is_some_and(|x| x == "model"));
}

/// One expression node; children are indices of earlier nodes.
#[derive(Serialize, Deserialize)]
enum Node {
    Sym(SymbolId),
    Cmp(CmpOp, SymbolId, SymbolId),
    Not(u32),
    And(u32, u32),
    Or(u32, u32),
}

#[derive(Default)]
struct Encoder {
    index: HashMap<*const Expr, u32>,
    nodes: Vec<Node>,
}

impl Encoder {
    fn intern(&mut self, e: &ExprRef) -> u32 {
        let key = Arc::as_ptr(e);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let node = match &**e {
            Expr::Symbol(s) => Node::Sym(*s),
            Expr::Cmp(op, a, b) => Node::Cmp(*op, *a, *b),
            Expr::Not(x) => Node::Not(self.intern(x)),
            Expr::And(a, b) => {
                let (a, b) = (self.intern(a), self.intern(b));
                Node::And(a, b)
            }
            Expr::Or(a, b) => {
                let (a, b) = (self.intern(a), self.intern(b));
                Node::Or(a, b)
            }
        };
        let i = self.nodes.len() as u32;
        self.nodes.push(node);
        self.index.insert(key, i);
        i
    }
}

fn build_table(nodes: &[Node]) -> Option<Vec<ExprRef>> {
    let mut out: Vec<ExprRef> = Vec::with_capacity(nodes.len());
    for n in nodes {
        let get = |i: u32| out.get(i as usize).cloned();
        let e = match *n {
            Node::Sym(s) => Expr::Symbol(s),
            Node::Cmp(op, a, b) => Expr::Cmp(op, a, b),
            Node::Not(x) => Expr::Not(get(x)?),
            Node::And(a, b) => Expr::And(get(a)?, get(b)?),
            Node::Or(a, b) => Expr::Or(get(a)?, get(b)?),
        };
        out.push(Arc::new(e));
    }
    Some(out)
}

thread_local! {
    static ENCODE: RefCell<Option<Encoder>> = const { RefCell::new(None) };
    static DECODE: RefCell<Vec<ExprRef>> = const { RefCell::new(Vec::new()) };
}

/// `#[serde(with = "expr_opt")]` for `Option<ExprRef>` fields: an index into
/// the expression table (`u32::MAX` for `None`). Only meaningful inside
/// [`save`]/[`load`], which set up the table.
pub(crate) mod expr_opt {
    use super::*;

    pub fn serialize<S: Serializer>(e: &Option<ExprRef>, s: S) -> Result<S::Ok, S::Error> {
        let i = match e {
            None => u32::MAX,
            Some(e) => ENCODE
                .with(|enc| enc.borrow_mut().as_mut().map(|enc| enc.intern(e)))
                .ok_or_else(|| serde::ser::Error::custom("expression outside a model cache write"))?,
        };
        s.serialize_u32(i)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ExprRef>, D::Error> {
        let i = u32::deserialize(d)?;
        if i == u32::MAX {
            return Ok(None);
        }
        DECODE
            .with(|t| t.borrow().get(i as usize).cloned())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expression index out of range"))
    }
}

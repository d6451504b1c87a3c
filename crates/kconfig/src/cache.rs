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
//!   plus dialect, top file and shell switch, plus the build identity
//!   (`kfit_util::build_id!`: this crate's sources and those of the crates
//!   it depends on), so a changed parser, or another build of kfit, never
//!   reads an old model.
//! * **Integrity**: the file ends with a checksum (`kfit_util::stable_hash`) of everything
//!   before it; a file cut short or with a flipped bit is a miss.
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
//! * Writes go through `kfit_util::write_cache` (a temporary file renamed
//!   into place); any read or decode
//!   failure is a cache miss, never an error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::expr::{CmpOp, Expr, ExprRef};
use crate::model::{Model, SymbolId};
use crate::parse::ParseWarning;

/// Bumped by hand only for changes the build identity cannot see.
/// 2: the file name is one `kfit_util::stable_hash_parts` of identity, format and
/// sources (was a hand-made combination of per-part hashes).
const FORMAT: u32 = 2;

/// Cache file name for an environment identity: with the build identity
/// (`kfit_util::build_id!`, a hash of this crate's sources and of those it
/// depends on), so that another build of kfit never reads it.
pub(crate) fn file_name(identity: &str) -> String {
    let format = FORMAT.to_le_bytes();
    let parts: [&[u8]; 3] = [identity.as_bytes(), &format, kfit_util::build_id!().as_bytes()];
    format!("{:016x}.model", kfit_util::stable_hash_parts(&parts))
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Header {
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

/// The stamp of a parsed file (`name` relative to the tree, or absolute).
fn stamp(st: &mut kfit_util::Stamper, srctree: &Path, name: &str) -> Option<(u64, u64)> {
    if Path::new(name).is_absolute() {
        kfit_util::stamp(&srctree.join(name))
    } else {
        st.stamp(name)
    }
}

/// The cached model for `identity`, if present and every file is unchanged.
pub(crate) fn load(dir: &Path, identity: &str, srctree: &Path) -> Option<Cached> {
    let bytes = std::fs::read(dir.join(file_name(identity))).ok()?;
    let mut st = kfit_util::Stamper::new(srctree);
    decode(&bytes, |header| {
        // In path order, so that the Stamper opens each directory once
        // (the files are listed in parse order, which alternates).
        let mut stamps: Vec<&(String, u64, u64)> = header.stamps.iter().collect();
        stamps.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        header.identity == identity
            && stamps
                .into_iter()
                .all(|(name, size, mtime)| stamp(&mut st, srctree, name) == Some((*size, *mtime)))
    })
}

/// Decodes a cache file's bytes: the trailing checksum must match (a file
/// cut short or with a flipped bit is a miss, never a model), `fresh` must
/// accept the header, and every part must decode.
pub(crate) fn decode(bytes: &[u8], fresh: impl FnOnce(&Header) -> bool) -> Option<Cached> {
    let (payload, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if kfit_util::stable_hash(payload).to_le_bytes() != sum {
        return None;
    }
    // bincode 1's defaults (fixed-size integers, trailing bytes allowed),
    // bounded by what is left: a length prefix larger than the file is an
    // error before anything is allocated for it.
    use bincode::Options;
    let opts = |rest: &[u8]| {
        bincode::DefaultOptions::new()
            .with_fixint_encoding()
            .allow_trailing_bytes()
            .with_limit(rest.len() as u64)
    };
    let mut rd: &[u8] = payload;
    let header: Header = opts(rd).deserialize_from(&mut rd).ok()?;
    if !fresh(&header) {
        return None;
    }
    let table: Vec<Node> = opts(rd).deserialize_from(&mut rd).ok()?;
    let exprs = build_table(&table)?;
    DECODE.with(|d| *d.borrow_mut() = exprs);
    let body: Result<Cached, _> = opts(rd).deserialize_from(&mut rd);
    DECODE.with(|d| d.borrow_mut().clear());
    body.ok()
}

/// The fuzz entry point (crates/kconfig/fuzz, target `model_cache`): decode
/// arbitrary bytes as a cache file, header checks aside. Returns whether a
/// model came out; with `sum`, the checksum is computed over `bytes` and
/// appended first, so that the fuzzer reaches the decoder behind it.
#[doc(hidden)]
pub fn fuzz_decode(bytes: &[u8], sum: bool) -> bool {
    let mut owned;
    let b = if sum {
        owned = bytes.to_vec();
        owned.extend_from_slice(&kfit_util::stable_hash(bytes).to_le_bytes());
        &owned[..]
    } else {
        bytes
    };
    decode(b, |_| true).is_some()
}

/// A valid cache file's bytes for `model` (fuzz seeds).
#[doc(hidden)]
pub fn fuzz_encode(model: &Model) -> Option<Vec<u8>> {
    let header = Header {
        identity: String::new(),
        stamps: Vec::new(),
    };
    encode_with(&header, model, &[], &[])
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
    let mut st = kfit_util::Stamper::new(srctree);
    let Some(stamps) = model
        .files
        .iter()
        .map(|f| stamp(&mut st, srctree, f).map(|(size, mtime)| (f.clone(), size, mtime)))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let header = Header {
        identity: identity.to_string(),
        stamps,
    };
    let Some(bytes) = encode_with(&header, model, warnings, messages) else {
        return;
    };
    if kfit_util::write_cache(&dir.join(file_name(identity)), &bytes).is_err() {
        return;
    }
    prune(dir, KEEP);
}

/// A cache file's bytes: header, expression table, body, checksum.
fn encode_with(
    header: &Header,
    model: &Model,
    warnings: &[ParseWarning],
    messages: &[String],
) -> Option<Vec<u8>> {
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
        return None;
    };
    let mut out = bincode::serialize(header).ok()?;
    out.extend(bincode::serialize(&table).ok()?);
    out.extend(body);
    let sum = kfit_util::stable_hash(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Some(out)
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

#[cfg(test)]
mod tests {
    /// A cache file with one flipped bit, cut short or extended is a miss;
    /// the file as written decodes.
    #[test]
    fn a_damaged_cache_file_is_a_miss() {
        let text = "config A\n\tbool \"a\"\n\tdefault y\nconfig B\n\ttristate \"b\"\n\tdepends on A\n";
        let good = crate::fuzzing::model_cache_seed(text).unwrap();
        assert!(super::fuzz_decode(&good, false));
        for at in [0, good.len() / 3, good.len() / 2, good.len() - 9, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x04;
            assert!(!super::fuzz_decode(&bad, false), "bit flipped at {at}");
        }
        assert!(!super::fuzz_decode(&good[..good.len() - 1], false));
        assert!(!super::fuzz_decode(&[&good[..], b"x"].concat(), false));
        assert!(!super::fuzz_decode(&[], false));
        // found by fuzzing: a length prefix of 2^49 with a valid checksum
        // was allocated before it was read (now bounded by the file size)
        let mut huge = vec![0u8; 8];
        huge[6] = 2;
        assert!(!super::fuzz_decode(&huge, true));
    }
}

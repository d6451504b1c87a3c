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
//! * **Integrity**: the file ends with a checksum (`kfit_util::checksum`) of everything
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
//! * **Evaluated configs** (`.eval`, [`load_evaluated`]): the state a
//!   `.config` leaves when read into a cached model (values, visibility,
//!   choices, warnings), keyed by the model file's checksum, the config's
//!   name and text and the evaluator's sources, with its own checksum; a
//!   warm `kfit fit` or `olddefconfig` of the same base evaluates it once.
//!   Every index in it is checked against the model before use.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::eval::State;
use crate::expr::{CmpOp, Expr, ExprRef, Tristate};
use crate::model::{Model, SymbolId};
use crate::parse::ParseWarning;

/// Bumped by hand only for changes the build identity cannot see.
/// 2: the file name is one `kfit_util::stable_hash_parts` of identity, format and
/// sources (was a hand-made combination of per-part hashes).
/// 3: the checksum is `kfit_util::checksum` (four lanes); the file is read
/// in place, and the states of configs read into the model are cached
/// beside it (`.eval`, keyed by this file's checksum).
const FORMAT: u32 = 3;

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
    /// The file's checksum: what the model is, for the evaluated configs
    /// cached beside it ([`load_evaluated`]).
    #[serde(skip)]
    pub sum: u64,
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
    // In place: decoded straight from the page cache (no copy into fresh
    // memory); the checksum below decides whether it is trusted.
    let bytes = kfit_util::read_cache(&dir.join(file_name(identity))).ok()?;
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
    let (payload, stored) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    let sum = kfit_util::checksum(payload);
    if sum.to_le_bytes() != stored {
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
    body.ok().map(|c| Cached { sum, ..c })
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
        owned.extend_from_slice(&kfit_util::checksum(bytes).to_le_bytes());
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
    let sum = kfit_util::checksum(&out);
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

// ---------------------------------------------------------------- evaluated configs

/// Bumped when [`Evaluated`] or what it is derived from changes in a way
/// the model's checksum cannot see (the evaluator's sources, `eval.rs` and
/// `dotconfig.rs`, are hashed into the key besides).
const EVAL_FORMAT: u32 = 1;

/// Evaluated configs kept per cache directory (`.eval` files).
const EVAL_KEEP: usize = 16;

/// A `.config` read into a cached model: the state `dotconfig::read` and
/// `settle` leave and the reader's warnings. Keyed by the model file's
/// checksum (the model is exactly that file's), the config's name and
/// text: a fit of the same base evaluates it once ([`load_evaluated`]).
#[derive(Serialize, Deserialize)]
struct Evaluated {
    /// The distinct symbol values (most are `n`, `y`, `m` or empty).
    strings: Vec<String>,
    /// Per symbol: `[tri, visible, dir_dep, rev_dep, implied, user_tri,
    /// flags]`, the value (an index into `strings`), the user value and
    /// the legacy choice's user and current members (each index + 1, 0
    /// for none).
    syms: Vec<([u8; 7], u32, u32, u32, u32)>,
    prop_vis: Vec<u8>,
    modules_val: u8,
    choice_order: Vec<Vec<SymbolId>>,
    changed: bool,
    unmet: Vec<SymbolId>,
    warnings: Vec<crate::ConfigWarning>,
}

/// The cache file of a config `text` named `name` read into the model
/// whose cache file's checksum is `model_sum`.
fn eval_file(dir: &Path, model_sum: u64, name: &str, text: &str) -> std::path::PathBuf {
    let format = EVAL_FORMAT.to_le_bytes();
    let sum = model_sum.to_le_bytes();
    // The build identity: a changed evaluator (eval.rs, dotconfig.rs), or
    // another build of kfit, never reads an old state.
    let parts: [&[u8]; 5] = [
        &format,
        &sum,
        name.as_bytes(),
        text.as_bytes(),
        kfit_util::build_id!().as_bytes(),
    ];
    dir.join(format!("{:016x}.eval", kfit_util::stable_hash_parts(&parts)))
}

fn tri(b: u8) -> Option<Tristate> {
    match b {
        0 => Some(Tristate::No),
        1 => Some(Tristate::Mod),
        2 => Some(Tristate::Yes),
        _ => None,
    }
}

/// The state and warnings of `text` read into `m` (the model of the cache
/// file whose checksum is `model_sum`), if cached: the file's checksum
/// must match and every index must fit the model (else a miss, never a
/// state).
pub(crate) fn load_evaluated(
    dir: &Path,
    model_sum: u64,
    name: &str,
    text: &str,
    m: &Model,
) -> Option<(State, Vec<crate::ConfigWarning>)> {
    let bytes = kfit_util::read_cache(&eval_file(dir, model_sum, name, text)).ok()?;
    let (payload, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if kfit_util::checksum(payload).to_le_bytes() != sum {
        return None;
    }
    use bincode::Options;
    let e: Evaluated = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_limit(payload.len() as u64)
        .deserialize(payload)
        .ok()?;
    let n = m.symbols.len();
    let sym = |i: u32| (i as usize) < n;
    if e.syms.len() != n
        || e.prop_vis.len() != m.props.len()
        || e.choice_order.len() != m.choices.len()
        || !e.choice_order.iter().flatten().all(|id| sym(id.0))
        || !e.unmet.iter().all(|id| sym(id.0))
    {
        return None;
    }
    let strings: Vec<Arc<str>> = e.strings.iter().map(|s| Arc::from(s.as_str())).collect();
    let string = |i: u32| strings.get(i as usize).cloned();
    let opt_id = |i: u32| match i {
        0 => Some(None),
        i if sym(i - 1) => Some(Some(SymbolId(i - 1))),
        _ => None,
    };
    let syms = e
        .syms
        .iter()
        .map(|&(t, val, user_val, choice_user, choice_cur)| {
            Some(crate::eval::SymState {
                tri: tri(t[0])?,
                visible: tri(t[1])?,
                dir_dep: tri(t[2])?,
                rev_dep: tri(t[3])?,
                implied: tri(t[4])?,
                user_tri: tri(t[5])?,
                flags: t[6],
                val: string(val)?,
                user_val: match user_val {
                    0 => None,
                    i => Some(string(i - 1)?),
                },
                choice_user: opt_id(choice_user)?,
                choice_cur: opt_id(choice_cur)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let state = State {
        syms,
        prop_vis: e.prop_vis.iter().map(|&b| tri(b)).collect::<Option<_>>()?,
        modules_val: tri(e.modules_val)?,
        choice_order: e.choice_order,
        changed: e.changed,
        unmet: e.unmet,
        debug: false,
        stack: Vec::new(),
    };
    Some((state, e.warnings))
}

/// Store the state and warnings of `text` read into the model of the
/// cache file whose checksum is `model_sum` (best effort, like the model).
pub(crate) fn save_evaluated<'s>(
    dir: &Path,
    model_sum: u64,
    name: &str,
    text: &str,
    s: &'s State,
    warnings: &[crate::ConfigWarning],
) {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut strings: Vec<String> = Vec::new();
    let mut intern = |v: &'s str| {
        *index.entry(v).or_insert_with(|| {
            strings.push(v.to_string());
            strings.len() as u32 - 1
        })
    };
    let opt_id = |id: Option<SymbolId>| id.map_or(0, |i| i.0 + 1);
    let syms = s
        .syms
        .iter()
        .map(|x| {
            let t = [
                x.tri as u8,
                x.visible as u8,
                x.dir_dep as u8,
                x.rev_dep as u8,
                x.implied as u8,
                x.user_tri as u8,
                x.flags,
            ];
            let val = intern(&x.val);
            let user_val = x.user_val.as_deref().map_or(0, |v| intern(v) + 1);
            (t, val, user_val, opt_id(x.choice_user), opt_id(x.choice_cur))
        })
        .collect();
    let e = Evaluated {
        strings,
        syms,
        prop_vis: s.prop_vis.iter().map(|&t| t as u8).collect(),
        modules_val: s.modules_val as u8,
        choice_order: s.choice_order.clone(),
        changed: s.changed,
        unmet: s.unmet.clone(),
        warnings: warnings.to_vec(),
    };
    use bincode::Options;
    let Ok(mut bytes) = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .serialize(&e)
    else {
        return;
    };
    bytes.extend_from_slice(&kfit_util::checksum(&bytes).to_le_bytes());
    if kfit_util::write_cache(&eval_file(dir, model_sum, name, text), &bytes).is_ok() {
        let _ = kfit_util::prune(dir, EVAL_KEEP, |p| p.extension().is_some_and(|x| x == "eval"));
    }
}

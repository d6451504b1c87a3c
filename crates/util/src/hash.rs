//! The one stable hash (see [`stable_hash`]). Std only: the build scripts
//! of the crates that key caches with [`crate::build_id!`] compile this file
//! too (`#[path]`, with `buildid.rs`).

/// The one hash of everything kfit persists: cache file names and keys,
/// checksums, the index's lookup maps (stable across runs, builds, machines
/// and crate versions; a change of what a cache's key hashes bumps that
/// cache's format, so old files are rebuilt, never mistrusted). In-memory
/// maps use `rustc_hash` instead.
///
/// FNV-1a's xor-multiply step over 8-byte little-endian words (the tail
/// bytes one by one, then the length): an eighth of byte-wise FNV-1a's
/// steps (an 8.8 MB Kconfig model: ~1 ms instead of ~9). Each step is a
/// bijection of the state, so a change of any one word always changes the
/// result.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf29ce484222325;
    const PRIME: u64 = 0x100000001b3;
    let mut words = bytes.chunks_exact(8);
    let mut h = OFFSET;
    for w in &mut words {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h ^ w).wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        h = (h ^ b as u64).wrapping_mul(PRIME);
    }
    (h ^ bytes.len() as u64).wrapping_mul(PRIME)
}

/// [`stable_hash`] of a key made of several fields: of each field with its
/// length, so that `("ab", "c")` and `("a", "bc")` differ.
pub fn stable_hash_parts(parts: &[&[u8]]) -> u64 {
    let mut all = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for p in parts {
        all.extend_from_slice(&(p.len() as u64).to_le_bytes());
        all.extend_from_slice(p);
    }
    stable_hash(&all)
}

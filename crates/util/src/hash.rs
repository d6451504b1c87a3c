//! The one stable hash (see [`stable_hash`]). Std only: the build scripts
//! of the crates that key caches with [`crate::build_id!`] compile this file
//! too (`#[path]`, with `buildid.rs`).

/// The one hash of everything kfit persists: cache file names and keys,
/// the index's lookup maps (a cache file's checksum is [`checksum`], the
/// same step in four lanes) (stable across runs, builds, machines
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

/// The checksum of a cache file's bytes (is it the file that was
/// written?), stable as [`stable_hash`] is. [`stable_hash`]'s step in four
/// lanes over interleaved words (word `i` goes to lane `i % 4`; the lanes'
/// multiplies do not wait for each other: ~4x faster on a multi-MB cache,
/// ~2 ms less per warm fit), the lanes, the tail and the length folded
/// with the same step. Each step is a bijection of its lane and of the
/// fold, so a change of any one word always changes the result.
pub fn checksum(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x100000001b3;
    let mut lanes = [
        0xcbf29ce484222325_u64,
        0x84222325cbf29ce4,
        0x9ce484222325cbf2,
        0x2325cbf29ce48422,
    ];
    let mut blocks = bytes.chunks_exact(32);
    for b in &mut blocks {
        for (i, h) in lanes.iter_mut().enumerate() {
            let w = &b[8 * i..8 * i + 8];
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            *h = (*h ^ w).wrapping_mul(PRIME);
        }
    }
    let mut h = stable_hash(blocks.remainder());
    for l in lanes {
        h = (h ^ l).wrapping_mul(PRIME);
    }
    (h ^ bytes.len() as u64).wrapping_mul(PRIME)
}

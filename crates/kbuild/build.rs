//! Sets `KFIT_BUILD_ID`, the build identity this crate's cache keys include
//! (`kfit_util::build_id!`; see crates/util/src/buildid.rs).

#[path = "../util/src/buildid.rs"]
mod buildid;
// Only the hash the identity needs is used here.
#[allow(dead_code)]
#[path = "../util/src/hash.rs"]
mod hash;

fn main() {
    buildid::emit();
}

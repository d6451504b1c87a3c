//! `kfit`: fit a statically linked Linux kernel to a machine (see the
//! library: `kfit::main` is the whole program).

/// The cached index and Kconfig model are many small allocations (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kfit::main(std::env::args_os())
}

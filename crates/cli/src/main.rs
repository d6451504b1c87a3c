//! `kfit`: fit a statically linked Linux kernel to a machine.
//!
//! This crate only parses arguments, calls the libraries and prints. Each
//! subcommand lives in `cmd/<name>.rs`.

mod cmd;

/// See Cargo.toml: the cached index and model are many small allocations.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kfit",
    version,
    about = "Fit a statically linked Linux kernel to a machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Kconfig engine: olddefconfig, show a symbol.
    #[command(subcommand)]
    Kconfig(cmd::kconfig::KconfigCmd),
    /// Hardware inventory: the live machine (/sys) or saved listings.
    Hw(cmd::hw::HwArgs),
    /// Build (or load) the kernel tree index.
    Index(cmd::index::IndexArgs),
    /// What the index knows about a module.
    Modinfo(cmd::index::ModinfoArgs),
    /// Match modaliases against the index.
    Match(cmd::index::MatchArgs),
    /// Fit a kernel config to a machine.
    Fit(cmd::fit::FitArgs),
    /// Why is a symbol on?
    Explain(cmd::fit::ExplainArgs),
    /// Which devices does a config leave without a driver?
    Audit(cmd::fit::AuditArgs),
    /// Print (or run) ix's menuconfig review step on a fitted config.
    Menuconfig(cmd::fit::MenuconfigArgs),
    /// Carry a config (and a machine) to another kernel tree: renames,
    /// removals and changed values, each with its evidence.
    Migrate(cmd::migrate::MigrateArgs),
    /// The requirement profiles (--profile NAME): list them, or show one.
    Profiles(cmd::profiles::ProfilesArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Kconfig(c) => cmd::kconfig::run(c),
        Command::Hw(a) => cmd::hw::run(a),
        Command::Index(a) => cmd::index::run_index(a),
        Command::Modinfo(a) => cmd::index::run_modinfo(a),
        Command::Match(a) => cmd::index::run_match(a),
        Command::Fit(a) => cmd::fit::run_fit(a),
        Command::Explain(a) => cmd::fit::run_explain(a),
        Command::Audit(a) => cmd::fit::run_audit(a),
        Command::Menuconfig(a) => cmd::fit::run_menuconfig(a),
        Command::Migrate(a) => cmd::migrate::run_migrate(a),
        Command::Profiles(a) => cmd::profiles::run(a),
    };
    match res {
        Ok(code) => code,
        Err(err) => {
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("kfit: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

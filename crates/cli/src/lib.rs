//! `kfit`: fit a statically linked Linux kernel to a machine.
//!
//! This crate only parses arguments, calls the libraries and prints. Each
//! subcommand lives in `cmd/<name>.rs`; [`parse`] is the whole argument
//! layer (clap plus the checks clap cannot express), kept in the library so
//! that it can be fuzzed and so that `kfit completions` and `kfit man` are
//! generated from the same definitions as `--help`.

mod cmd;
pub mod out;

use clap::{CommandFactory, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line.
#[derive(Parser)]
#[command(
    name = "kfit",
    version,
    about = "Fit a statically linked Linux kernel to a machine",
    after_help = "Exit status: 0 ok, 1 some device could not be driven (the report says why), 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bars (they are shown only on a terminal anyway).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Root of every cache kfit uses: DIR/index (the tree index),
    /// DIR/kconfig and DIR/probes (the parsed Kconfig model, the toolchain
    /// probes), DIR/src (downloaded sources), DIR/backups (ix backups),
    /// DIR/menuconfig (review build directories) [default: $KFIT_CACHE, else
    /// $XDG_CACHE_HOME/kfit, else ~/.cache/kfit]. A DIR that holds index
    /// files (*.bin) itself and no index/ (what --cache-dir named before)
    /// stays the index directory.
    #[arg(long, global = true, value_name = "DIR", value_parser = path_arg())]
    cache_dir: Option<PathBuf>,
}

/// `--cache-dir`, once [`main`] has parsed it.
static CACHE_DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// `--cache-dir` (the root of every cache; `None`: the default policy,
/// [`kfit_util::cache_dir`]).
pub(crate) fn cache_dir() -> Option<&'static std::path::Path> {
    CACHE_DIR.get().and_then(|d| d.as_deref())
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
    /// The requirement profiles (--profile NAME): list them, or show one.
    Profiles(cmd::profiles::ProfilesArgs),
    /// Carry a config (and a machine) to another kernel tree: renames,
    /// removals and changed values, each with its evidence.
    Migrate(cmd::migrate::MigrateArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `kfit man | man -l -`.
    Man,
}

/// The clap definition (for completions, the man page and tests).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses and checks the arguments: clap's rules, then what clap cannot say
/// (an option that does not apply, a value that selects nothing). Returns
/// the warnings about ignored options; an error is a usage error (exit 2).
pub fn parse<I, T>(args: I) -> Result<(Cli, Vec<String>), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    let warnings = cli.check()?;
    Ok((cli, warnings))
}

impl Cli {
    fn check(&self) -> Result<Vec<String>, clap::Error> {
        let mut warnings = Vec::new();
        match &self.command {
            Command::Fit(a) => a.check(&mut warnings)?,
            Command::Explain(a) => a.c.check(&mut warnings)?,
            Command::Audit(a) => a.c.check(&mut warnings)?,
            Command::Hw(a) => a.check(&mut warnings),
            _ => {}
        }
        if self.cache_dir.is_some() {
            let cmd = match &self.command {
                Command::Hw(_) => Some("hw"),
                Command::Profiles(_) => Some("profiles"),
                Command::Completions { .. } => Some("completions"),
                Command::Man => Some("man"),
                _ => None,
            };
            if let Some(c) = cmd {
                warnings.push(format!("--cache-dir is ignored: kfit {c} uses no cache"));
            }
        }
        Ok(warnings)
    }
}

/// Value parser: a path that is not empty (`--base ''`, an unset variable).
pub(crate) fn path_arg() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser;
    clap::builder::OsStringValueParser::new().try_map(|s| {
        if s.is_empty() {
            Err("empty path (an unset variable?)")
        } else {
            Ok(PathBuf::from(s))
        }
    })
}

/// Value parser: a non-empty string.
pub(crate) fn text_arg() -> impl clap::builder::TypedValueParser<Value = String> {
    use clap::builder::TypedValueParser;
    clap::builder::StringValueParser::new().try_map(|s| {
        if s.trim().is_empty() {
            Err("empty value (an unset variable?)")
        } else {
            Ok(s)
        }
    })
}

/// An `ARCH` value (`--arch`: x86, x86_64, arm64, ...).
pub(crate) fn arch_arg() -> impl clap::builder::TypedValueParser<Value = kfit_kconfig::Arch> {
    use clap::builder::TypedValueParser;
    text_arg().try_map(|s| s.parse::<kfit_kconfig::Arch>())
}

/// The toolchain of Kconfig's probes, as `make` takes it: the one set of
/// toolchain flags (`kfit kconfig`, `fit`, `explain`, `audit`,
/// `menuconfig`, `migrate`).
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct ToolchainArgs {
    /// C compiler for Kconfig's toolchain probes ($(cc-option) etc.), like
    /// `make CC=`; a clang compiler behaves like `make LLVM=1` [default:
    /// what make uses: $(CROSS_COMPILE)gcc; clang with --llvm].
    #[arg(long, value_parser = text_arg())]
    pub cc: Option<String>,
    /// Use the LLVM toolchain, like `make LLVM=1` (clang with
    /// scripts/Makefile.clang's --target for the arch, ld.lld) [default:
    /// $LLVM, as make takes it].
    #[arg(long)]
    pub llvm: bool,
    /// The prefix of the cross gcc and binutils, like `make
    /// CROSS_COMPILE=aarch64-linux-gnu-` [default: $CROSS_COMPILE, as make
    /// takes it].
    #[arg(long, value_name = "PREFIX")]
    pub cross_compile: Option<String>,
}

impl ToolchainArgs {
    /// The toolchain these flags and the environment select.
    pub(crate) fn toolchain(&self) -> kfit_kconfig::Toolchain {
        kfit_kconfig::Toolchain::from_make_vars(self.cc.clone(), self.llvm, self.cross_compile.clone())
    }

    /// [`toolchain`](Self::toolchain), warning on stderr when its probes
    /// would describe the host's compiler for a foreign `arch`.
    pub(crate) fn resolve(
        &self,
        arch: &kfit_kconfig::Arch,
        tree: Option<&std::path::Path>,
    ) -> kfit_kconfig::Toolchain {
        let tc = self.toolchain();
        let host = kfit_kconfig::Arch::host();
        if let Some(w) = tc.host_compiler_warning(arch, &host, tree.unwrap_or("/nonexistent".as_ref())) {
            out::warn(&w);
        }
        tc
    }
}

/// Runs `kfit` with these arguments (the first is the program name).
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    out::restore_sigpipe();
    kfit_util::clean_temps_on_signals();
    let (cli, warnings) = match parse(args) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    for w in &warnings {
        out::warn(w);
    }
    out::set_quiet(cli.quiet);
    let _ = CACHE_DIR.set(cli.cache_dir.clone());
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
        Command::Profiles(a) => cmd::profiles::run(a),
        Command::Migrate(a) => cmd::migrate::run_migrate(a),
        Command::Completions { shell } => out::with_stdout(|o| {
            clap_complete::generate(shell, &mut command(), "kfit", o);
            Ok(())
        }),
        Command::Man => out::with_stdout(|o| clap_mangen::Man::new(command()).render(o)),
    };
    match res {
        Ok(code) => code,
        Err(err) => out::fail(&err),
    }
}

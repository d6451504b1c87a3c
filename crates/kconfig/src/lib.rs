//! # kfit-kconfig: the Kconfig engine
//!
//! This crate reads a Linux source tree's `Kconfig` files, evaluates symbol
//! values with the semantics of the tree's own `scripts/kconfig` (`symbol.c`,
//! `menu.c`, `confdata.c`), and reads and writes `.config` files
//! byte-for-byte like `conf`. Nothing from the tree is executed except the
//! Kconfig preprocessor's `$(shell,...)` probes, with the compiler you name.
//!
//! ```no_run
//! use kfit_kconfig::{Kconfig, LoadOptions, Tristate};
//! let mut kc = Kconfig::load("/usr/src/linux".as_ref(), &LoadOptions::default())?;
//! kc.read_config("/usr/src/linux/.config".as_ref())?;   // like `conf --olddefconfig`
//! let id = kc.lookup("MODULES").expect("defined");
//! assert!(kc.tristate(id) >= Tristate::No);
//! std::fs::write("/tmp/new.config", kc.write_config())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Intro to symbol values
//!
//! Every `config FOO` defines a *symbol* ([`Symbol`], addressed by a
//! [`SymbolId`]). `bool` and `tristate` symbols have a [`Tristate`] value:
//! `n`, `m`, `y`, ordered `n < m < y` and represented as 0, 1, 2. `int`,
//! `hex` and `string` symbols have a string value. Look values up with
//! [`Kconfig::value`], [`Kconfig::tristate`], [`Kconfig::string_value`].
//!
//! A tristate symbol's value is computed (`sym_calc_value`) as:
//!
//! 1. its *visibility* ([`Kconfig::visibility`]) is the OR of its prompt
//!    conditions; an invisible symbol ignores the user's value;
//! 2. a visible symbol with a user value (from `.config` or
//!    [`Kconfig::set_user_value`]) takes `min(user, visibility)`;
//! 3. otherwise the first `default` whose condition is not `n`, then
//!    `imply` (weak reverse dependencies, limited by the direct dependencies);
//! 4. finally `select` (reverse dependencies, `rev_dep`) raises the value:
//!    select wins over `depends on`;
//! 5. `m` becomes `y` for `bool` symbols, and for every symbol when
//!    `MODULES` (the symbol with the `modules` option) is `n`.
//!
//! The values a user may give a tristate lie in `[rev_dep, visibility]`
//! ([`Kconfig::assignable`]): that interval is each symbol's domain for a
//! solver.
//!
//! ## Intro to the menu tree
//!
//! The entries of the Kconfig files form a tree of [`MenuNode`]s: `menu`,
//! `if`, `choice`, `comment` and the symbol definitions. A symbol defined in
//! several places has one node per definition; prompts, defaults and other
//! properties ([`Property`]) remember which node they came from. After
//! parsing, `menu_finalize` *propagates dependencies*: the conditions of
//! every enclosing `menu`/`if` and of `depends on` are AND'ed into each
//! property's [`Property::cond`], so evaluation never walks the tree. The
//! same step builds [`Symbol::dir_dep`], [`Symbol::rev_dep`] and
//! [`Symbol::implied`]. The tree order is the order of `.config`.
//!
//! ## Intro to expressions
//!
//! | Kconfig             | [`Expr`]                          |
//! |---------------------|-----------------------------------|
//! | `A`                 | `Symbol(A)`                       |
//! | `A = "foo"`         | `Cmp(Eq, A, <const "foo">)`       |
//! | `!A`                | `Not(Symbol(A))`                  |
//! | `A && B && C`       | `And(And(A, B), C)`               |
//! | `A \|\| B`          | `Or(A, B)`                        |
//!
//! Constants (`y`, `m`, `n`, quoted strings, numbers) are symbols too, so
//! the only leaves are symbols. `&&` is min, `||` is max, `!x` is `2 - x`.
//! Relations compare numerically when both sides parse as numbers of their
//! type, and as strings otherwise (`expr.c`).
//!
//! ## Choices
//!
//! A `choice` block is a [`Choice`] with a nameless symbol carrying its
//! prompt and defaults. [`Kconfig::choice_of`] gives a member's choice,
//! [`Kconfig::choice_selection`] the selected member, and
//! [`Kconfig::select_choice_member`] selects one (Linux 6.12's
//! `choice_set_value`). Linux 6.1 still has tristate and `optional` choices;
//! the [`Dialect`] is detected from the tree.
//!
//! ## The preprocessor and toolchain probes
//!
//! `$(cc-option,...)`, `$(as-instr,...)`, `$(ld-option,...)` and friends from
//! `scripts/Kconfig.include` end up in `$(shell,...)`, which runs `/bin/sh -c`
//! with the tools of [`LoadOptions::toolchain`] (`CC`, `LD`, the binutils,
//! `CLANG_FLAGS` set the way the top Makefile sets them for `ARCH`,
//! `CROSS_COMPILE` and `LLVM`: see [`Toolchain`]). Results are cached on
//! disk per toolchain identity (every tool's resolved path, size and mtime,
//! the compiler's `--version` and the environment). A first *speculative* pass
//! over the tree collects unknown probes and runs them in parallel; later
//! passes hit the cache, so only the last pass's result is used.
//!
//! ## Why not nom-kconfig?
//!
//! We evaluated `nom-kconfig` 0.13.0 on the whole Linux 6.12 x86 tree (1606
//! files) before writing this parser. It parses everything correctly, but:
//! it takes 1.66 s single-threaded (about 9x the 0.19 s of CPU that C `conf`
//! needs to parse, evaluate *and* write); it is only a parser (no symbol
//! table, no semantics, no `.config` I/O); it does not evaluate macros
//! (`$(shell)`, `$(cc-option)` stay as AST nodes; conf runs ~107 probes);
//! it drops entry line numbers, so errors and `show` could not point at
//! `file:line`; it has an `empty :=` bug (an empty right-hand side swallows the
//! next line); and with default features a missing `source` silently becomes
//! an empty file. Verdict: write our own lexer/parser, mirroring `lexer.l`
//! and `parser.y` (fast, line numbers on every entry, exact preprocessor).
//!
//! ## API summary (what the solver uses)
//!
//! * Loading: [`Kconfig::load`]`(srctree, &`[`LoadOptions`]`)`,
//!   [`Kconfig::load_with_config`] (load + read without evaluating defaults
//!   first), [`Kconfig::from_text`] (in-memory, for tests and fuzzing).
//! * Symbols: [`Kconfig::lookup`]`(name) -> Option<SymbolId>`,
//!   [`Kconfig::symbol`]`(id) -> &Symbol` (name, type, props, menus,
//!   `dir_dep`, `rev_dep`, `implied`, `choice`), [`Kconfig::symbols`],
//!   [`Kconfig::prompts`], [`Kconfig::properties`]`(id, PropKind::Default |
//!   Select | Imply | Range)`, [`Kconfig::selected_by`],
//!   [`Kconfig::implied_by`], [`Kconfig::locations`], [`Kconfig::help`].
//! * Values: [`Kconfig::value`], [`Kconfig::tristate`],
//!   [`Kconfig::string_value`], [`Kconfig::visibility`],
//!   [`Kconfig::dir_dep_value`], [`Kconfig::rev_dep_value`],
//!   [`Kconfig::implied_value`], [`Kconfig::assignable`],
//!   [`Kconfig::effective_type`], [`Kconfig::is_written`],
//!   [`Kconfig::has_user_value`], [`Kconfig::eval_expr`],
//!   [`Kconfig::eval_cond`], [`Kconfig::string_default`],
//!   [`Kconfig::unmet_dependencies`].
//! * Changing: [`Kconfig::read_config`]/[`Kconfig::read_config_str`]
//!   (returns [`ConfigWarning`]s with file:line), [`Kconfig::set_user_value`],
//!   [`Kconfig::unset_user_value`], [`Kconfig::select_choice_member`]. Every
//!   change re-evaluates all symbols (a few ms).
//! * Choices: [`Kconfig::choice_of`], [`Kconfig::choice`] (members, menu,
//!   nameless symbol with prompt/defaults), [`Kconfig::choice_selection`],
//!   [`Kconfig::choice_default`], [`Kconfig::choices`].
//! * Output: [`Kconfig::write_config`] (`.config`, byte-identical to conf),
//!   [`Kconfig::write_min_config`] (`savedefconfig`),
//!   [`Kconfig::diff_configs`], [`parse_values`], [`Kconfig::expr_to_string`].
//!
//! ## Not supported
//!
//! `transitional` (exists in neither 6.1 nor 6.12), `option env=` and other
//! pre-5.x syntax. `osource`/`rsource`/`orsource` and globs are accepted as
//! Kconfiglib extensions; Linux itself only has `source`. There is no
//! `$(if,...)` function: the kernel's preprocessor has none (only
//! `error-if`, `filename`, `info`, `lineno`, `shell`, `warning-if`; the
//! `if-success`/`success`/`cc-option` family are macros from
//! `scripts/Kconfig.include`). Recursive-dependency checks
//! (`sym_check_deps`) are not performed: Linux trees have no loops, and
//! evaluation of a looping tree follows C's "value is n while being
//! computed" rule. Choices are evaluated for a fresh process on every
//! `read_config` (C's state after several reads in one process may differ).

#![deny(missing_docs)]

mod arch;
mod cache;
mod dotconfig;
mod error;
mod eval;
mod expr;
mod finalize;
mod model;
mod parse;
mod preprocess;
mod toolchain;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use arch::{foreign_arch_symbol, ForeignArch};
pub use dotconfig::{ConfigWarning, ConfigWarningKind};
pub use error::Error;
pub use expr::{CmpOp, Expr, ExprRef, Place, Tristate};
pub use kfit_arch::{srcarch, Arch};
pub use model::{
    Choice, ChoiceId, Dialect, FileId, Location, MenuId, MenuNode, PropId, PropKind, Property, Symbol,
    SymbolId, SymbolType, SYM_MOD, SYM_NO, SYM_YES,
};
pub use parse::ParseWarning;
pub use toolchain::Toolchain;

use eval::{Ev, State, DEF_USER, WRITE};
use model::Model;
use preprocess::{Preprocessor, ProbeCache, ShellRunner};

/// How to load a tree.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// `ARCH` (default `x86`); `SRCARCH` is derived (`x86_64`/`i386` → `x86`).
    pub arch: Arch,
    /// The toolchain the probes run (default: what `make` uses with nothing
    /// set, `gcc` and binutils; see [`Toolchain`]).
    pub toolchain: Toolchain,
    /// `KERNELVERSION`; default: read from the tree's Makefile.
    pub kernelversion: Option<String>,
    /// Directory for the probe cache (default `$XDG_CACHE_HOME/kfit/probes`
    /// or `~/.cache/kfit/probes`); `None` disables the on-disk cache.
    pub probe_cache_dir: Option<PathBuf>,
    /// Directory for the parsed-model cache (default `$XDG_CACHE_HOME/kfit/kconfig`
    /// or `~/.cache/kfit/kconfig`); `None` parses the tree on every load.
    /// A cached model is used only while every Kconfig file it came from
    /// keeps its size and mtime (see the `cache` module).
    pub model_cache_dir: Option<PathBuf>,
    /// Extra variables for the preprocessor and the probes (override the
    /// defaults above).
    pub extra_env: Vec<(String, String)>,
    /// Force a dialect instead of detecting it from the tree.
    pub dialect: Option<Dialect>,
    /// Top Kconfig file, relative to the tree (default `Kconfig`).
    pub kconfig: String,
    /// Run `$(shell,...)` commands (default true). When false they expand to
    /// the empty string and nothing is ever executed.
    pub allow_shell: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            arch: Arch::default(),
            toolchain: Toolchain::default(),
            kernelversion: None,
            probe_cache_dir: None,
            model_cache_dir: None,
            extra_env: Vec::new(),
            dialect: None,
            kconfig: "Kconfig".into(),
            allow_shell: true,
        }
        .cache_in(&kfit_util::cache_dir(None))
    }
}

impl LoadOptions {
    /// Both on-disk caches under the cache root `root` (kfit's cache
    /// directory, [`kfit_util::cache_dir`]): `root/probes` and
    /// `root/kconfig`.
    pub fn cache_in(mut self, root: &Path) -> Self {
        self.probe_cache_dir = Some(root.join("probes"));
        self.model_cache_dir = Some(root.join("kconfig"));
        self
    }
}

/// A symbol's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `bool`/`tristate` value.
    Tri(Tristate),
    /// `int`/`hex`/`string` value (unescaped).
    Str(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Tri(t) => f.write_str(t.as_str()),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// Statistics about a load.
#[derive(Clone, Debug, Default)]
pub struct LoadStats {
    /// Kconfig files parsed.
    pub files: usize,
    /// Parser passes (1 when all probes were cached).
    pub passes: usize,
    /// Probes executed (not served from the cache).
    pub probes_run: usize,
    /// The parsed model came from the on-disk model cache (no file parsed).
    pub cached: bool,
}

/// A loaded Kconfig tree plus the current configuration.
#[derive(Clone, Debug)]
pub struct Kconfig {
    m: Model,
    s: State,
    srctree: PathBuf,
    warnings: Vec<ParseWarning>,
    messages: Vec<String>,
    stats: LoadStats,
    /// The checksum of the model cache file it was loaded from, with that
    /// directory: where evaluated configs are cached
    /// ([`Self::load_with_config_text`]). `None` when parsed.
    model_file: Option<(PathBuf, u64)>,
}

/// `KERNELVERSION` as the top Makefile computes it.
pub fn kernel_version(srctree: &Path) -> Result<String, Error> {
    let p = srctree.join("Makefile");
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    let mut vars: HashMap<&str, String> = HashMap::new();
    for line in text.lines().take(50) {
        for k in ["VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION"] {
            if let Some(rest) = line.strip_prefix(k) {
                if let Some(v) = rest.trim_start().strip_prefix('=') {
                    vars.entry(k).or_insert_with(|| v.trim().to_string());
                }
            }
        }
    }
    let get = |k| vars.get(k).cloned().unwrap_or_default();
    let (v, p, s, e) = (
        get("VERSION"),
        get("PATCHLEVEL"),
        get("SUBLEVEL"),
        get("EXTRAVERSION"),
    );
    if v.is_empty() {
        return Err(Error::Other(format!(
            "{}: no VERSION",
            srctree.join("Makefile").display()
        )));
    }
    let mut out = v;
    if !p.is_empty() {
        out.push('.');
        out.push_str(&p);
        if !s.is_empty() {
            out.push('.');
            out.push_str(&s);
        }
    }
    out.push_str(&e);
    Ok(out)
}

fn detect_dialect(srctree: &Path) -> Dialect {
    match std::fs::read_to_string(srctree.join("scripts/kconfig/lexer.l")) {
        Ok(t) if t.contains("\"optional\"") => Dialect::Legacy,
        Ok(_) => Dialect::Modern,
        Err(_) => Dialect::Modern,
    }
}

fn which(cmd: &str) -> Option<PathBuf> {
    let first = cmd.split_whitespace().next()?;
    if first.contains('/') {
        return Some(PathBuf::from(first));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(first))
        .find(|p| p.is_file())
}

fn file_identity(p: &Option<PathBuf>) -> String {
    let Some(p) = p else { return "-".into() };
    let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
    match std::fs::metadata(&real) {
        Ok(md) => {
            let mt = md
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            format!(
                "{}:{}:{}",
                real.display(),
                md.len(),
                mt.map_or(0, |d| d.as_nanos())
            )
        }
        Err(_) => format!("{}:missing", p.display()),
    }
}

/// Builds the variables `make` would export to `conf`.
fn cc_version_text(cc: &str, opts: &LoadOptions, scratch: &Path, env: &[(String, String)]) -> String {
    if !opts.allow_shell {
        return String::new();
    }
    let cmd = format!("LC_ALL=C {cc} --version 2>/dev/null | head -n 1");
    let key = format!("{cmd}|{}|{}", file_identity(&which(cc)), kfit_util::build_id!());
    let file = opts
        .probe_cache_dir
        .as_ref()
        .map(|d| d.join(format!("ccver-{:016x}", kfit_util::stable_hash(key.as_bytes()))));
    // The file holds the key it was made for, then the text; anything else
    // (another key, more lines, control bytes: a corrupted or edited file)
    // means probing again.
    if let Some(Ok(cached)) = file.as_ref().map(std::fs::read_to_string) {
        if let Some(v) = cached
            .strip_prefix(&key)
            .and_then(|r| r.strip_prefix('\n'))
            .and_then(|r| r.strip_suffix('\n'))
            .filter(|v| is_version_text(v))
        {
            return v.to_string();
        }
    }
    let v = preprocess::exec_shell(&cmd, scratch, env).replace('#', "");
    if let Some(f) = file {
        // not cached when it cannot be written: probed again next time
        let _ = kfit_util::write_cache(&f, format!("{key}\n{v}\n").as_bytes());
        if let Some(dir) = f.parent() {
            let ccver = |p: &Path| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("ccver-"))
            };
            let _ = kfit_util::prune(dir, preprocess::PROBES_KEEP, ccver);
        }
    }
    v
}

/// What `$(CC) --version | head -n 1` with `#` removed can give (see
/// `exec_shell`): one line of printable text without `#` (it becomes
/// `CONFIG_CC_VERSION_TEXT`).
fn is_version_text(v: &str) -> bool {
    v.len() <= 4095 && !v.chars().any(|c| c.is_control() || c == '#')
}

/// `$(srctree)` as the probes see it. Kconfig pastes it unquoted into shell
/// commands (`$(shell,$(srctree)/scripts/cc-version.sh $(CC))`,
/// scripts/Kconfig.include:44), so a tree path with spaces or shell
/// metacharacters would split or run; such a tree is probed from inside, as
/// an in-tree kernel build does (`srctree := .`, Makefile), with `.` and the
/// tree as working directory. Other paths keep the absolute path and a
/// scratch directory (nothing runs inside the tree).
fn probe_srctree(srctree: &Path, scratch: &Path) -> (String, PathBuf) {
    let s = srctree.display().to_string();
    let plain = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._+-,@".contains(&b));
    if plain {
        (s, scratch.to_path_buf())
    } else {
        (".".into(), srctree.to_path_buf())
    }
}

fn make_env(srctree: &Path, opts: &LoadOptions, kver: &str, scratch: &Path) -> Vec<(String, String)> {
    let tc = &opts.toolchain;
    let mut env: Vec<(String, String)> = vec![
        ("srctree".into(), probe_srctree(srctree, scratch).0),
        ("ARCH".into(), opts.arch.name().to_string()),
        ("SRCARCH".into(), opts.arch.srcarch().to_string()),
        ("KERNELVERSION".into(), kver.to_string()),
    ];
    env.extend(tc.vars());
    env.extend([
        ("RUSTC".into(), "rustc".into()),
        ("BINDGEN".into(), "bindgen".into()),
        ("PAHOLE".into(), "pahole".into()),
    ]);
    for (k, v) in &opts.extra_env {
        if ["CC", "LD"].contains(&k.as_str()) {
            env.retain(|(a, _)| a != k);
            env.push((k.clone(), v.clone()));
        }
    }
    // CC_VERSION_TEXT = $(subst $(pound),,$(shell LC_ALL=C $(CC) --version 2>/dev/null | head -n 1))
    let cc = env
        .iter()
        .find(|(k, _)| k == "CC")
        .map_or_else(|| tc.cc(), |(_, v)| v.clone());
    let ver = cc_version_text(&cc, opts, scratch, &env);
    // ifneq ($(findstring clang,$(CC_VERSION_TEXT)),) include scripts/Makefile.clang
    // (Makefile:682-684), or a compiler named clang whose version cannot be read
    if ver.contains("clang") || (ver.is_empty() && tc.is_llvm()) {
        let flags = tc.clang_flags(srctree, opts.arch.srcarch(), kfit_arch::Arch::host().srcarch());
        env.push(("CLANG_FLAGS".into(), flags));
    }
    env.push(("CC_VERSION_TEXT".into(), ver));
    for (k, v) in &opts.extra_env {
        env.retain(|(a, _)| a != k);
        env.push((k.clone(), v.clone()));
    }
    env
}

/// The identity of every tool of `env` (CC, LD, the binutils, HOSTCC): its
/// resolved path, size and mtime, so that a probe cache is never shared by
/// two toolchains, even ones with the same command names.
fn tools_identity(env: &[(String, String)]) -> String {
    const TOOLS: &[&str] = &[
        "CC", "LD", "HOSTCC", "OBJCOPY", "OBJDUMP", "READELF", "STRIP", "NM", "AR",
    ];
    env.iter()
        .filter(|(k, _)| TOOLS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={}", file_identity(&which(v))))
        .collect::<Vec<_>>()
        .join("|")
}

impl Kconfig {
    /// Parses and finalizes the tree at `srctree` (probes run or come from
    /// the cache), with no `.config` applied yet (all defaults).
    pub fn load(srctree: &Path, opts: &LoadOptions) -> Result<Kconfig, Error> {
        Self::load_inner(srctree, opts, true, None)
    }

    /// Parses one Kconfig text held in memory (its `source` statements refer
    /// to `srctree`, which need not exist), finalizes and evaluates it. With
    /// `opts.allow_shell == false` nothing is executed: this is what the
    /// fuzzer drives.
    pub fn from_text(srctree: &Path, text: &str, opts: &LoadOptions) -> Result<Kconfig, Error> {
        Self::load_inner(srctree, opts, true, Some(text))
    }

    /// [`load`](Self::load) followed by [`read_config`](Self::read_config),
    /// without evaluating the all-defaults configuration in between (the
    /// fast path of `olddefconfig`).
    pub fn load_with_config(
        srctree: &Path,
        opts: &LoadOptions,
        config: &Path,
    ) -> Result<(Kconfig, Vec<ConfigWarning>), Error> {
        let bytes = std::fs::read(config).map_err(|e| Error::io(config, e))?;
        Self::load_with_config_text(
            srctree,
            opts,
            &String::from_utf8_lossy(&bytes),
            &config.display().to_string(),
        )
    }

    /// [`load_with_config`](Self::load_with_config) with the `.config` text
    /// already in memory (`name` is used in its warnings).
    pub fn load_with_config_text(
        srctree: &Path,
        opts: &LoadOptions,
        config: &str,
        name: &str,
    ) -> Result<(Kconfig, Vec<ConfigWarning>), Error> {
        let mut kc = Self::load_inner(srctree, opts, false, None)?;
        let w = kc.read_first_config(config, name);
        Ok((kc, w))
    }

    /// [`Self::read_config_str`] into a model just loaded: with a cached
    /// model, the state this text and name leave is cached beside it (keyed
    /// by the model file's checksum, the name and the text), so the same
    /// base is evaluated once (`KFIT_KCONFIG_DEBUG` evaluates always).
    fn read_first_config(&mut self, text: &str, name: &str) -> Vec<ConfigWarning> {
        let cache = self.model_file.clone().filter(|_| !self.s.debug);
        if let Some((dir, sum)) = &cache {
            if let Some((s, w)) = cache::load_evaluated(dir, *sum, name, text, &self.m) {
                self.s = s;
                return w;
            }
        }
        let w = self.read_config_str(text, name);
        if let Some((dir, sum)) = &cache {
            cache::save_evaluated(dir, *sum, name, text, &self.s, &w);
        }
        w
    }

    fn load_inner(
        srctree: &Path,
        opts: &LoadOptions,
        evaluate: bool,
        root_text: Option<&str>,
    ) -> Result<Kconfig, Error> {
        let timing = std::env::var_os("KFIT_KCONFIG_TIMING").is_some();
        let t0 = std::time::Instant::now();
        let lap = |what: &str| {
            if timing {
                eprintln!("  [{:>7.1} ms] {what}", t0.elapsed().as_secs_f64() * 1000.0);
            }
        };
        let srctree = match root_text {
            Some(_) => std::fs::canonicalize(srctree).unwrap_or_else(|_| srctree.to_path_buf()),
            None => std::fs::canonicalize(srctree).map_err(|e| Error::io(srctree, e))?,
        };
        let kver = match (&opts.kernelversion, root_text) {
            (Some(v), _) => v.clone(),
            (None, Some(_)) => "0".to_string(),
            (None, None) => kernel_version(&srctree)?,
        };
        let dialect = opts.dialect.unwrap_or_else(|| detect_dialect(&srctree));
        let scratch = std::env::temp_dir();
        let env = make_env(&srctree, opts, &kver, &scratch);
        let get = |k: &str| {
            env.iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let identity = format!(
            "v2|{}|{}|{}|{}|{}",
            kfit_util::build_id!(),
            srctree.display(),
            tools_identity(&env),
            get("CC_VERSION_TEXT"),
            env.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\x01"),
        );
        let cache_file = opts.probe_cache_dir.as_ref().map(|d| {
            d.join(format!(
                "{:016x}.probes",
                kfit_util::stable_hash(identity.as_bytes())
            ))
        });
        let shell = ShellRunner {
            cwd: probe_srctree(&srctree, &scratch).1,
            env: env.clone(),
            cache: ProbeCache::open(cache_file),
            speculative: true,
            pending: Vec::new(),
            executed: 0,
            disabled: !opts.allow_shell,
            used: Default::default(),
        };
        lap("environment");
        let model_identity = format!("{identity}|{:?}|{}|{}", dialect, opts.kconfig, opts.allow_shell);
        let model_cache = opts.model_cache_dir.as_deref().filter(|_| root_text.is_none());
        if let Some(hit) = model_cache.and_then(|d| cache::load(d, &model_identity, &srctree)) {
            lap("model cache");
            let stats = LoadStats {
                files: hit.model.files.len(),
                passes: 0,
                probes_run: 0,
                cached: true,
            };
            let s = State::new(&hit.model);
            let mut kc = Kconfig {
                m: hit.model,
                s,
                srctree,
                warnings: hit.warnings,
                messages: hit.messages,
                stats,
                model_file: model_cache.map(|d| (d.to_path_buf(), hit.sum)),
            };
            if evaluate {
                dotconfig::clear_all_valid(&kc.m, &mut kc.s);
                dotconfig::settle(&kc.m, &mut kc.s);
                lap("evaluate defaults");
            }
            return Ok(kc);
        }
        let mut pp = Preprocessor::new(env.into_iter().collect(), shell);
        let mut passes = 0;
        let (mut m, warnings) = loop {
            passes += 1;
            pp.reset();
            pp.shell.used.clear();
            pp.shell.speculative = passes < 10;
            let speculative = pp.shell.speculative;
            let mut p = parse::Parser::new(dialect, &srctree, &mut pp);
            p.tolerate_missing = speculative;
            let r = match root_text {
                Some(t) => p.parse_root_text(&opts.kconfig, t),
                None => p.parse_root(&opts.kconfig),
            };
            let missing = std::mem::take(&mut p.missing);
            let (m, w) = (p.m, p.warnings);
            if pp.shell.speculative && !pp.shell.pending.is_empty() {
                if timing {
                    eprintln!(
                        "  pass {passes}: running {} new probes in parallel",
                        pp.shell.pending.len()
                    );
                }
                pp.shell.run_pending();
                continue;
            }
            if let Some(e) = pp.deferred_error.take() {
                pp.shell.cache.save();
                return Err(e);
            }
            if let Some(e) = missing {
                pp.shell.cache.save();
                return Err(e);
            }
            if let Err(e) = r {
                pp.shell.cache.save();
                return Err(e);
            }
            break (m, w);
        };
        if passes > 1 {
            let used = std::mem::take(&mut pp.shell.used);
            pp.shell.cache.retain(&used);
        }
        pp.shell.cache.save();
        lap("parse");
        if m.menus[m.root.index()].prompt.is_none() {
            let id = PropId(m.props.len() as u32);
            m.props.push(Property {
                kind: PropKind::Menu,
                text: Some("Main menu".into()),
                expr: None,
                target: None,
                range: None,
                cond: None,
                menu: m.root,
                loc: Location {
                    file: FileId(0),
                    line: 0,
                },
            });
            let r = m.root;
            m.menus[r.index()].prompt = Some(id);
        }
        finalize::menu_finalize(&mut m);
        m.choice_menu = (0..m.symbols.len())
            .map(|i| eval::compute_choice_menu(&m, SymbolId(i as u32)))
            .collect();
        lap("finalize");
        let messages = std::mem::take(&mut pp.messages);
        if let Some(d) = model_cache {
            cache::save(d, &model_identity, &srctree, &m, &warnings, &messages);
            lap("model cache write");
        }
        let stats = LoadStats {
            files: m.files.len(),
            passes,
            probes_run: pp.shell.executed,
            cached: false,
        };
        let s = State::new(&m);
        let mut kc = Kconfig {
            m,
            s,
            srctree,
            warnings,
            messages,
            stats,
            model_file: None,
        };
        if evaluate {
            dotconfig::clear_all_valid(&kc.m, &mut kc.s);
            dotconfig::settle(&kc.m, &mut kc.s);
            lap("evaluate defaults");
        }
        Ok(kc)
    }

    /// The tree this was loaded from (canonical path).
    pub fn srctree(&self) -> &Path {
        &self.srctree
    }
    /// Which `scripts/kconfig` generation the tree uses.
    pub fn dialect(&self) -> Dialect {
        self.m.dialect
    }
    /// Parser warnings (ignored characters, type redefinitions, ...).
    pub fn parse_warnings(&self) -> &[ParseWarning] {
        &self.warnings
    }
    /// Output of `$(info,...)` and `$(warning-if,...)`.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
    /// Load statistics.
    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }
    /// All Kconfig files, in the order they were first sourced.
    pub fn files(&self) -> &[String] {
        &self.m.files
    }
    /// Name of a Kconfig file (relative to the tree, as `source` named it).
    pub fn file_name(&self, f: FileId) -> &str {
        self.m.files.get(f.index()).map_or("?", |s| s.as_str())
    }
    /// `file:line`.
    pub fn location_string(&self, l: Location) -> String {
        format!("{}:{}", self.file_name(l.file), l.line)
    }

    /// Looks a symbol up by name (without `CONFIG_`). Symbols that are only
    /// referenced, never defined, are found too (their type is `Unknown`).
    pub fn lookup(&self, name: &str) -> Option<SymbolId> {
        let name = name.strip_prefix("CONFIG_").unwrap_or(name);
        self.m.names.get(name).copied()
    }
    /// The symbol.
    pub fn symbol(&self, id: SymbolId) -> &Symbol {
        &self.m.symbols[id.index()]
    }
    /// Every named, defined symbol (has at least one `config` entry), in
    /// order of first appearance.
    pub fn symbols(&self) -> impl Iterator<Item = SymbolId> + '_ {
        self.m.symbols.iter().enumerate().filter_map(|(i, s)| {
            (!s.is_const && !s.name.is_empty() && !s.menus.is_empty()).then_some(SymbolId(i as u32))
        })
    }
    /// A property.
    pub fn property(&self, id: PropId) -> &Property {
        &self.m.props[id.index()]
    }
    /// The properties of `sym` of one kind, in definition order.
    pub fn properties(&self, sym: SymbolId, kind: PropKind) -> impl Iterator<Item = &Property> + '_ {
        self.m.symbols[sym.index()]
            .props
            .iter()
            .map(|p| &self.m.props[p.index()])
            .filter(move |p| p.kind == kind)
    }
    /// Prompts (`prompt`, and `menu` for `menuconfig`) with their conditions.
    pub fn prompts(&self, sym: SymbolId) -> impl Iterator<Item = &Property> + '_ {
        self.m.symbols[sym.index()]
            .props
            .iter()
            .map(|p| &self.m.props[p.index()])
            .filter(|p| p.text.is_some())
    }
    /// Definition locations (one per `config` entry).
    pub fn locations(&self, sym: SymbolId) -> Vec<Location> {
        self.m.symbols[sym.index()]
            .menus
            .iter()
            .filter_map(|mm| self.m.menus[mm.index()].loc)
            .collect()
    }
    /// Help texts of all definitions.
    pub fn help(&self, sym: SymbolId) -> Vec<&str> {
        self.m.symbols[sym.index()]
            .menus
            .iter()
            .filter_map(|mm| self.m.menus[mm.index()].help.as_deref())
            .collect()
    }
    /// Symbols that `select` `sym`, with the condition (after propagation).
    pub fn selected_by(&self, sym: SymbolId) -> Vec<(SymbolId, Option<ExprRef>)> {
        self.reverse(sym, PropKind::Select)
    }
    /// Symbols that `imply` `sym`, with the condition (after propagation).
    pub fn implied_by(&self, sym: SymbolId) -> Vec<(SymbolId, Option<ExprRef>)> {
        self.reverse(sym, PropKind::Imply)
    }
    fn reverse(&self, sym: SymbolId, kind: PropKind) -> Vec<(SymbolId, Option<ExprRef>)> {
        self.m
            .props
            .iter()
            .filter(|p| p.kind == kind && p.target == Some(sym))
            .filter_map(|p| self.m.menus[p.menu.index()].sym.map(|s| (s, p.cond.clone())))
            .collect()
    }
    /// A menu node.
    pub fn menu(&self, id: MenuId) -> &MenuNode {
        &self.m.menus[id.index()]
    }
    /// The root of the menu tree.
    pub fn root_menu(&self) -> MenuId {
        self.m.root
    }
    /// The symbol with the `modules` option (`n` if none).
    pub fn modules_symbol(&self) -> SymbolId {
        self.m.modules_sym
    }

    /// A choice.
    pub fn choice(&self, id: ChoiceId) -> &Choice {
        &self.m.choices[id.index()]
    }
    /// All choices.
    pub fn choices(&self) -> impl Iterator<Item = ChoiceId> + '_ {
        (0..self.m.choices.len()).map(|i| ChoiceId(i as u32))
    }
    /// The choice `sym` is a member of.
    pub fn choice_of(&self, sym: SymbolId) -> Option<ChoiceId> {
        self.m.symbols[sym.index()].choice
    }
    /// The selected (`y`) member of a choice.
    pub fn choice_selection(&self, c: ChoiceId) -> Option<SymbolId> {
        self.m.choices[c.index()]
            .members
            .iter()
            .copied()
            .find(|s| self.s.syms[s.index()].tri == Tristate::Yes)
    }
    /// The member the choice selects when the user says nothing
    /// (`sym_choice_default`: first visible `default`, else first visible member).
    pub fn choice_default(&self, c: ChoiceId) -> Option<SymbolId> {
        self.choice_default_pure(c)
    }

    // ------------------------------------------------------------ values

    /// Current value.
    pub fn value(&self, id: SymbolId) -> Value {
        match self.m.symbols[id.index()].ty {
            SymbolType::Bool | SymbolType::Tristate => Value::Tri(self.s.syms[id.index()].tri),
            _ => Value::Str(self.s.syms[id.index()].val.to_string()),
        }
    }
    /// Tristate value (`n` for non-tristate symbols, like C).
    pub fn tristate(&self, id: SymbolId) -> Tristate {
        self.s.syms[id.index()].tri
    }
    /// String value as written in `.config` (`sym_get_string_value`).
    pub fn string_value(&self, id: SymbolId) -> String {
        eval::string_value(&self.m, &self.s, id).to_string()
    }
    /// Visibility: OR of the prompt conditions (`m` promoted as in C).
    pub fn visibility(&self, id: SymbolId) -> Tristate {
        self.s.syms[id.index()].visible
    }
    /// Value of the direct dependencies.
    pub fn dir_dep_value(&self, id: SymbolId) -> Tristate {
        self.s.syms[id.index()].dir_dep
    }
    /// Value of the reverse dependencies (what `select` forces).
    pub fn rev_dep_value(&self, id: SymbolId) -> Tristate {
        self.s.syms[id.index()].rev_dep
    }
    /// Value of the weak reverse dependencies (`imply`).
    pub fn implied_value(&self, id: SymbolId) -> Tristate {
        self.s.syms[id.index()].implied
    }
    /// The interval of tristate values a user value can take effect in:
    /// `[rev_dep, visibility]` (`sym_tristate_within_range`); `None` when
    /// the symbol cannot be changed.
    pub fn assignable(&self, id: SymbolId) -> Option<(Tristate, Tristate)> {
        let st = &self.s.syms[id.index()];
        let ty = self.effective_type(id);
        if st.visible == Tristate::No || !ty.is_tristate_like() || st.visible <= st.rev_dep {
            return None;
        }
        let hi = if ty == SymbolType::Bool {
            Tristate::Yes
        } else {
            st.visible
        };
        Some((st.rev_dep, hi))
    }
    /// Type after `MODULES=n` turns tristates into bools (`sym_get_type`).
    pub fn effective_type(&self, id: SymbolId) -> SymbolType {
        eval::effective_type(&self.m, &self.s, id)
    }
    /// Does the symbol appear in `.config` (`SYMBOL_WRITE`)?
    pub fn is_written(&self, id: SymbolId) -> bool {
        self.s.syms[id.index()].flags & WRITE != 0
    }
    /// Does the symbol have a user value?
    pub fn has_user_value(&self, id: SymbolId) -> bool {
        self.s.syms[id.index()].flags & DEF_USER != 0
    }
    /// Symbols selected past their direct dependencies ("unmet direct
    /// dependencies" warnings of the last evaluation).
    pub fn unmet_dependencies(&self) -> &[SymbolId] {
        &self.s.unmet
    }
    /// Evaluates an expression against the current values.
    pub fn eval_expr(&self, e: &Expr) -> Tristate {
        eval::eval_pure(&self.m, &self.s, e)
    }
    /// Evaluates an optional condition (`None` is `y`).
    pub fn eval_cond(&self, e: Option<&ExprRef>) -> Tristate {
        e.map_or(Tristate::Yes, |e| self.eval_expr(e))
    }

    // ------------------------------------------------------------ changing values

    /// Applies a `.config` file (replacing all user values) and evaluates,
    /// like `conf --olddefconfig` before writing.
    pub fn read_config(&mut self, path: &Path) -> Result<Vec<ConfigWarning>, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8_lossy(&bytes);
        Ok(self.read_config_str(&text, &path.display().to_string()))
    }
    /// [`read_config`](Self::read_config) from a string; `name` is used in warnings.
    pub fn read_config_str(&mut self, text: &str, name: &str) -> Vec<ConfigWarning> {
        let w = dotconfig::read(&self.m, &mut self.s, text, name);
        dotconfig::settle(&self.m, &mut self.s);
        w
    }

    /// Sets a user value like `sym_set_string_value` (`"y"`, `"m"`, `"n"`
    /// for tristates; hex values get a `0x` prefix). Returns false when the
    /// value is not allowed (outside [`assignable`](Self::assignable), an
    /// invalid number, out of range). Setting a choice member to `y`
    /// selects it in its choice.
    pub fn set_user_value(&mut self, id: SymbolId, value: &str) -> bool {
        let ty = self.m.symbols[id.index()].ty;
        let ok = match ty {
            SymbolType::Bool | SymbolType::Tristate => match Tristate::parse(value) {
                Some(Tristate::Yes) if self.m.dialect == Dialect::Modern && self.choice_of(id).is_some() => {
                    return self.select_choice_member(id);
                }
                Some(t) => self.set_tristate(id, t),
                None => false,
            },
            SymbolType::Unknown => false,
            _ => {
                let mut ev = Ev {
                    m: &self.m,
                    s: &mut self.s,
                };
                if !ev.string_within_range(id, value) {
                    false
                } else {
                    let mut v = value.to_string();
                    if ty == SymbolType::Hex && !(v.starts_with("0x") || v.starts_with("0X")) {
                        v = format!("0x{v}");
                    }
                    let st = &mut self.s.syms[id.index()];
                    st.flags |= DEF_USER;
                    st.user_val = Some(Arc::from(v.as_str()));
                    dotconfig::reset_derived(&mut self.s);
                    dotconfig::clear_all_valid(&self.m, &mut self.s);
                    true
                }
            }
        };
        dotconfig::settle(&self.m, &mut self.s);
        ok
    }

    fn set_tristate(&mut self, id: SymbolId, val: Tristate) -> bool {
        let legacy = self.m.dialect == Dialect::Legacy;
        let oldval = self.s.syms[id.index()].tri;
        let within = self.tristate_within_range(id, val);
        if legacy {
            if oldval != val && !within {
                return false;
            }
        } else if !within {
            return false;
        }
        self.s.syms[id.index()].flags |= DEF_USER;
        if legacy && val == Tristate::Yes {
            if let Some(c) = self.m.symbols[id.index()].choice {
                let cs = self.m.choices[c.index()].sym;
                self.s.syms[cs.index()].choice_user = Some(id);
                self.s.syms[cs.index()].flags |= DEF_USER;
                for &mem in &self.m.choices[c.index()].members {
                    if self.s.syms[mem.index()].visible != Tristate::No {
                        self.s.syms[mem.index()].flags |= DEF_USER;
                    }
                }
            }
        }
        self.s.syms[id.index()].user_tri = val;
        if oldval != val {
            dotconfig::reset_derived(&mut self.s);
            dotconfig::clear_all_valid(&self.m, &mut self.s);
        }
        true
    }

    fn tristate_within_range(&self, id: SymbolId, val: Tristate) -> bool {
        let st = &self.s.syms[id.index()];
        let ty = self.effective_type(id);
        if st.visible == Tristate::No || !ty.is_tristate_like() {
            return false;
        }
        if ty == SymbolType::Bool && val == Tristate::Mod {
            return false;
        }
        if st.visible <= st.rev_dep {
            return false;
        }
        if self.m.dialect == Dialect::Legacy
            && self.m.symbols[id.index()].choice.is_some()
            && st.visible == Tristate::Yes
        {
            return val == Tristate::Yes;
        }
        val >= st.rev_dep && val <= st.visible
    }

    /// Selects `sym` in its choice (`choice_set_value`): every visible
    /// member gets a user value, `sym` gets `y`.
    pub fn select_choice_member(&mut self, sym: SymbolId) -> bool {
        let Some(c) = self.choice_of(sym) else {
            return false;
        };
        if self.m.dialect == Dialect::Legacy {
            let ok = self.set_tristate(sym, Tristate::Yes);
            dotconfig::settle(&self.m, &mut self.s);
            return ok;
        }
        let menu = self.m.choices[c.index()].menu;
        let mut cur = self.m.menu_next(menu, menu);
        let mut changed = false;
        while let Some(mm) = cur {
            if let Some(s) = self.m.menus[mm.index()].sym {
                if self.s.syms[s.index()].visible != Tristate::No {
                    let v = if s == sym { Tristate::Yes } else { Tristate::No };
                    let st = &mut self.s.syms[s.index()];
                    changed |= st.tri != v;
                    st.user_tri = v;
                    st.flags |= DEF_USER;
                    let order = &mut self.s.choice_order[c.index()];
                    if let Some(p) = order.iter().position(|&x| x == s) {
                        order.remove(p);
                    }
                    order.insert(0, s);
                }
            }
            cur = self.m.menu_next(mm, menu);
        }
        if changed {
            dotconfig::reset_derived(&mut self.s);
            dotconfig::clear_all_valid(&self.m, &mut self.s);
        }
        dotconfig::settle(&self.m, &mut self.s);
        true
    }

    /// Removes the user value of `id` (the symbol falls back to its default).
    pub fn unset_user_value(&mut self, id: SymbolId) {
        let st = &mut self.s.syms[id.index()];
        st.flags &= !DEF_USER;
        st.user_val = None;
        dotconfig::reset_derived(&mut self.s);
        dotconfig::clear_all_valid(&self.m, &mut self.s);
        dotconfig::settle(&self.m, &mut self.s);
    }

    // ------------------------------------------------------------ output

    /// The `.config` text `conf` would write for the current values.
    pub fn write_config(&self) -> String {
        dotconfig::write(&self.m, &self.s)
    }

    /// The minimal configuration `conf --savedefconfig` writes: only
    /// changeable symbols whose value differs from their default
    /// (`conf_write_defconfig`).
    pub fn write_min_config(&self) -> String {
        let (m, s) = (&self.m, &self.s);
        let modern = m.dialect == Dialect::Modern;
        let mut out = String::new();
        let mut seen = vec![false; m.symbols.len()];
        let mut cur = m.menus[m.root.index()].list;
        while let Some(mm) = cur {
            cur = m.menu_next(mm, m.root);
            let Some(sym) = m.menus[mm.index()].sym else {
                continue;
            };
            let st = &s.syms[sym.index()];
            if m.symbols[sym.index()].choice_block.is_some() || seen[sym.index()] || st.flags & WRITE == 0 {
                continue;
            }
            seen[sym.index()] = true;
            if st.visible <= st.rev_dep {
                continue;
            }
            if *eval::string_value(m, s, sym) == *self.string_default(sym) {
                continue;
            }
            let choice = if modern {
                m.choice_menu[sym.index()]
            } else {
                m.symbols[sym.index()].choice
            };
            if let Some(c) = choice {
                let ds = self.choice_default_pure(c);
                let cs = m.choices[c.index()].sym;
                let skip = if modern {
                    ds == Some(sym) && st.tri == Tristate::Yes
                } else {
                    !m.symbols[cs.index()].optional
                        && ds == Some(sym)
                        && m.symbols[sym.index()].ty == SymbolType::Bool
                        && st.tri == Tristate::Yes
                };
                if skip {
                    continue;
                }
            }
            dotconfig::print_symbol(m, s, sym, &mut out);
        }
        out
    }

    fn choice_default_pure(&self, c: ChoiceId) -> Option<SymbolId> {
        let (m, s) = (&self.m, &self.s);
        let ch = &m.choices[c.index()];
        for p in self.properties(ch.sym, PropKind::Default) {
            if self.eval_cond(p.cond.as_ref()) == Tristate::No {
                continue;
            }
            if let Some(t) = p.target {
                if s.syms[t.index()].visible != Tristate::No {
                    return Some(t);
                }
            }
        }
        if m.dialect == Dialect::Legacy {
            return ch
                .members
                .iter()
                .copied()
                .find(|x| s.syms[x.index()].visible != Tristate::No);
        }
        let mut cur = m.menu_next(ch.menu, ch.menu);
        while let Some(mm) = cur {
            if let Some(x) = m.menus[mm.index()].sym {
                if s.syms[x.index()].visible != Tristate::No {
                    return Some(x);
                }
            }
            cur = m.menu_next(mm, ch.menu);
        }
        None
    }

    /// The value `sym` would have without a user value
    /// (`sym_get_string_default`).
    pub fn string_default(&self, sym: SymbolId) -> String {
        let (m, s) = (&self.m, &self.s);
        let ty = m.symbols[sym.index()].ty;
        let st = &s.syms[sym.index()];
        let mut val = Tristate::No;
        let mut text = String::new();
        if let Some(p) = self
            .properties(sym, PropKind::Default)
            .find(|p| self.eval_cond(p.cond.as_ref()) != Tristate::No)
        {
            if ty.is_tristate_like() {
                let v = p.expr.as_ref().map_or(Tristate::No, |e| self.eval_expr(e));
                val = v.and(self.eval_cond(p.cond.as_ref()));
            } else if let Some(Expr::Symbol(ds)) = p.expr.as_deref() {
                text = eval::string_value(m, s, *ds).to_string();
            }
        }
        val = val.or(st.rev_dep);
        if val == Tristate::Mod
            && m.symbols[sym.index()].choice.is_none()
            && s.syms[m.modules_sym.index()].tri == Tristate::No
        {
            val = Tristate::Yes;
        }
        if ty == SymbolType::Bool && val == Tristate::Mod {
            val = Tristate::Yes;
        }
        if val < st.implied {
            val = st.implied;
        }
        match ty {
            SymbolType::Bool | SymbolType::Tristate => val.as_str().to_string(),
            SymbolType::Int if text.is_empty() && m.dialect == Dialect::Modern => "0".into(),
            SymbolType::Hex if text.is_empty() && m.dialect == Dialect::Modern => "0x0".into(),
            _ => text,
        }
    }

    /// Renders an expression in Kconfig syntax ([`Expr::print`]): names,
    /// constants other than `n`/`m`/`y` quoted, a choice as `<choice>`.
    pub fn expr_to_string(&self, e: &Expr) -> String {
        let mut out = String::new();
        e.print(&mut out, &mut |out, s, _| {
            let sym = &self.m.symbols[s.index()];
            if sym.is_const && s.index() > 2 {
                out.push('"');
                out.push_str(&sym.name);
                out.push('"');
            } else if sym.name.is_empty() {
                out.push_str("<choice>");
            } else {
                out.push_str(&sym.name);
            }
        });
        out
    }

    /// Symbol values that differ between two `.config` texts, as
    /// `(name, left, right)` with `None` for "not present".
    pub fn diff_configs(a: &str, b: &str) -> Vec<(String, Option<String>, Option<String>)> {
        let pa = parse_values(a);
        let pb = parse_values(b);
        let mut names: Vec<&String> = pa.keys().chain(pb.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|n| {
                let (x, y) = (pa.get(n), pb.get(n));
                (x != y).then(|| (n.clone(), x.cloned(), y.cloned()))
            })
            .collect()
    }
}

/// Symbol → value map of a `.config` text (`# ... is not set` is `n`).
pub fn parse_values(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# CONFIG_") {
            if let Some(name) = rest.strip_suffix(" is not set") {
                out.insert(name.to_string(), "n".to_string());
            }
        } else if let Some(rest) = line.strip_prefix("CONFIG_") {
            if let Some((k, v)) = rest.split_once('=') {
                out.insert(k.to_string(), v.to_string());
            }
        }
    }
    out
}

/// Fuzzing hooks (crates/kconfig/fuzz): not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    /// Decode arbitrary bytes as a model cache file (header checks aside);
    /// `sum`: append the right checksum first. True when a model came out.
    pub fn decode_model_cache(bytes: &[u8], sum: bool) -> bool {
        crate::cache::fuzz_decode(bytes, sum)
    }

    /// A valid model cache file of the model parsed from `text` (a seed).
    pub fn model_cache_seed(text: &str) -> Option<Vec<u8>> {
        let opts = crate::LoadOptions {
            kernelversion: Some("6.12.0".into()),
            probe_cache_dir: None,
            allow_shell: false,
            ..Default::default()
        };
        let kc = crate::Kconfig::from_text("/nonexistent-kfit-fuzz".as_ref(), text, &opts).ok()?;
        crate::cache::fuzz_encode(&kc.m)
    }
}

#[cfg(test)]
mod probe_tests {
    use super::*;

    #[test]
    fn version_text_is_one_printable_line() {
        assert!(is_version_text("gcc (Debian 12.2.0-14) 12.2.0"));
        assert!(!is_version_text("garbage\n\"more"));
        assert!(!is_version_text("a\x1b[31mred"));
    }

    #[test]
    fn a_tree_path_the_shell_would_split_is_probed_from_inside() {
        let scratch = Path::new("/tmp");
        assert_eq!(
            probe_srctree(Path::new("/src/linux-6.12"), scratch),
            ("/src/linux-6.12".to_string(), scratch.to_path_buf())
        );
        let odd = Path::new("/src/my linux;x");
        assert_eq!(probe_srctree(odd, scratch), (".".to_string(), odd.to_path_buf()));
    }

    #[test]
    fn corrupted_cached_version_text_is_probed_again() {
        let dir = std::env::temp_dir().join(format!("kfit-ccver-test-{}", std::process::id()));
        let opts = LoadOptions {
            probe_cache_dir: Some(dir.clone()),
            ..Default::default()
        };
        let cc = "sh -c 'echo fake-cc 1.0' --";
        let first = cc_version_text(cc, &opts, Path::new("/"), &[]);
        assert_eq!(first, "fake-cc 1.0");
        let f = std::fs::read_dir(&dir).unwrap().flatten().next().unwrap().path();
        std::fs::write(&f, "garbage\n\"").unwrap();
        assert_eq!(cc_version_text(cc, &opts, Path::new("/"), &[]), "fake-cc 1.0");
        std::fs::remove_dir_all(&dir).ok();
    }
}

//! The Kconfig preprocessor (`scripts/kconfig/preprocess.c`) and the
//! toolchain probe runner.
//!
//! A *macro reference* is `$(name)` or `$(name,arg,...)`. `name` is looked up
//! as a Kconfig variable (`:=` simple, `=` recursive, `+=` append), then as a
//! built-in function (`error-if`, `filename`, `info`, `lineno`, `shell`,
//! `warning-if`), then, without arguments, in the environment. Anything else
//! expands to the empty string. `$(shell,...)` is the only thing that ever
//! executes a program; its results are cached on disk (see [`ProbeCache`]).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    Recursive,
    Simple,
    Append,
}

#[derive(Clone, Debug)]
struct Var {
    value: String,
    flavor: Flavor,
    exp_count: u32,
}

/// On-disk cache of `$(shell,...)` results, one file per toolchain identity.
#[derive(Debug, Default)]
pub(crate) struct ProbeCache {
    file: Option<PathBuf>,
    map: HashMap<String, String>,
    dirty: bool,
}

impl ProbeCache {
    pub fn open(file: Option<PathBuf>) -> ProbeCache {
        let mut map = HashMap::new();
        if let Some(f) = &file {
            if let Ok(bytes) = std::fs::read(f) {
                // A file that does not check out (truncated, edited, another
                // format) is ignored as a whole: every probe runs again.
                if parse_cache(&bytes, &mut map).is_none() {
                    map.clear();
                }
            }
        }
        ProbeCache {
            file,
            map,
            dirty: false,
        }
    }
    pub fn get(&self, cmd: &str) -> Option<&String> {
        self.map.get(cmd)
    }
    pub fn insert(&mut self, cmd: String, out: String) {
        self.map.insert(cmd, out);
        self.dirty = true;
    }
    /// Forgets every entry not in `keep` (probes of speculative passes that
    /// the final pass did not need).
    pub fn retain(&mut self, keep: &std::collections::HashSet<String>) {
        let before = self.map.len();
        self.map.retain(|k, _| keep.contains(k));
        self.dirty |= self.map.len() != before;
    }

    pub fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let Some(f) = &self.file else { return };
        let mut body = Vec::new();
        let mut keys: Vec<_> = self.map.keys().collect();
        keys.sort();
        for k in keys {
            let v = &self.map[k];
            body.extend_from_slice(format!("{} {}\n", k.len(), v.len()).as_bytes());
            body.extend_from_slice(k.as_bytes());
            body.extend_from_slice(v.as_bytes());
            body.push(b'\n');
        }
        let mut buf = format!(
            "{CACHE_MAGIC} {} {:016x}\n",
            body.len(),
            kfit_util::stable_hash(&body)
        )
        .into_bytes();
        buf.extend_from_slice(&body);
        // Best effort: a probe cache that cannot be written only costs time.
        let _ = kfit_util::write_cache(f, &buf);
        if let Some(dir) = f.parent() {
            let _ = kfit_util::prune(dir, PROBES_KEEP, |p| p.extension().is_some_and(|x| x == "probes"));
        }
        self.dirty = false;
    }
}

/// Probe files kept (one per toolchain and environment identity; the
/// newest, by the one pruning rule).
pub(crate) const PROBES_KEEP: usize = 16;

/// First line of a probe cache file: magic, body length and stable hash of
/// the body, so that a truncated or edited file is detected as a whole.
/// v3: names and body hashes are `kfit_util::stable_hash` (were FNV-1a).
const CACHE_MAGIC: &str = "kfit-probes-v3";

/// Reads a probe cache file into `map`; `None` when it does not check out
/// (header, length, hash, or an entry that is not `klen vlen\nKV\n`).
fn parse_cache(bytes: &[u8], map: &mut HashMap<String, String>) -> Option<()> {
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let head = std::str::from_utf8(&bytes[..nl]).ok()?;
    let mut it = head.split(' ');
    if it.next()? != CACHE_MAGIC {
        return None;
    }
    let len: usize = it.next()?.parse().ok()?;
    let hash = u64::from_str_radix(it.next()?, 16).ok()?;
    let body = &bytes[nl + 1..];
    if body.len() != len || kfit_util::stable_hash(body) != hash {
        return None;
    }
    let mut pos = 0;
    while pos < body.len() {
        let nl = body[pos..].iter().position(|&b| b == b'\n')?;
        let header = std::str::from_utf8(&body[pos..pos + nl]).ok()?;
        let mut it = header.split(' ');
        let kl: usize = it.next()?.parse().ok()?;
        let vl: usize = it.next()?.parse().ok()?;
        let start = pos + nl + 1;
        let end = start.checked_add(kl)?.checked_add(vl)?;
        if end >= body.len() || body[end] != b'\n' {
            return None;
        }
        let k = std::str::from_utf8(&body[start..start + kl]).ok()?;
        let v = std::str::from_utf8(&body[start + kl..end]).ok()?;
        // A probe result is what `do_shell` keeps: one line, at most 4095 bytes.
        if v.len() > 4095 || v.contains('\n') {
            return None;
        }
        map.insert(k.to_string(), v.to_string());
        pos = end + 1;
    }
    Some(())
}

/// Runs `$(shell,...)` commands: from the cache, or with `/bin/sh -c` in a
/// scratch directory with the configured environment.
#[derive(Debug)]
pub(crate) struct ShellRunner {
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub cache: ProbeCache,
    /// When set, unknown commands are not run but queued in `pending` and
    /// expand to "" (a speculative pass that discovers probes to run in parallel).
    pub speculative: bool,
    pub pending: Vec<String>,
    /// Number of commands actually executed.
    pub executed: usize,
    /// Never execute anything: `$(shell,...)` expands to "".
    pub disabled: bool,
    /// Commands requested during the current pass.
    pub used: std::collections::HashSet<String>,
}

impl ShellRunner {
    pub fn run(&mut self, cmd: &str) -> String {
        if self.disabled {
            return String::new();
        }
        self.used.insert(cmd.to_string());
        if let Some(v) = self.cache.get(cmd) {
            return v.clone();
        }
        if self.speculative {
            if !self.pending.iter().any(|p| p == cmd) {
                self.pending.push(cmd.to_string());
            }
            // A placeholder that keeps `def_bool $(success,...)` and
            // friends syntactically valid, so that one pass finds as many
            // probes as possible. Results derived from it are never used:
            // the pass is repeated once the real results are in.
            return "n".to_string();
        }
        let out = exec_shell(cmd, &self.cwd, &self.env);
        self.executed += 1;
        self.cache.insert(cmd.to_string(), out.clone());
        out
    }

    /// Runs all pending commands in parallel and caches their results.
    pub fn run_pending(&mut self) {
        let cmds = std::mem::take(&mut self.pending);
        if cmds.is_empty() {
            return;
        }
        let results: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
        let next = AtomicUsize::new(0);
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) * 2;
        let (cwd, env) = (&self.cwd, &self.env);
        std::thread::scope(|s| {
            for _ in 0..workers.min(cmds.len()) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(cmd) = cmds.get(i) else { break };
                    let out = exec_shell(cmd, cwd, env);
                    if let Ok(mut r) = results.lock() {
                        r.push((cmd.clone(), out));
                    }
                });
            }
        });
        let results = results.into_inner().unwrap_or_default();
        self.executed += results.len();
        for (k, v) in results {
            self.cache.insert(k, v);
        }
    }
}

/// `do_shell`: popen, keep at most 4095 bytes, drop trailing newlines, turn
/// the remaining newlines into spaces.
pub(crate) fn exec_shell(cmd: &str, cwd: &Path, env: &[(String, String)]) -> String {
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return String::new();
    };
    let mut buf = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_end(&mut buf);
    }
    let _ = child.wait();
    buf.truncate(4095);
    while buf.last() == Some(&b'\n') {
        buf.pop();
    }
    for b in buf.iter_mut() {
        if *b == b'\n' {
            *b = b' ';
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Variables, environment and functions of the preprocessor.
#[derive(Debug)]
pub(crate) struct Preprocessor {
    vars: HashMap<String, Var>,
    pub env: HashMap<String, String>,
    pub use_process_env: bool,
    pub shell: ShellRunner,
    pub messages: Vec<String>,
    /// First error seen during a speculative pass.
    pub deferred_error: Option<Error>,
    pub file: String,
    pub line: u32,
}

type PResult<T> = Result<T, Error>;

impl Preprocessor {
    pub fn new(env: HashMap<String, String>, shell: ShellRunner) -> Preprocessor {
        Preprocessor {
            vars: HashMap::new(),
            env,
            use_process_env: true,
            shell,
            messages: Vec::new(),
            deferred_error: None,
            file: String::new(),
            line: 0,
        }
    }

    pub fn reset(&mut self) {
        self.vars.clear();
        self.messages.clear();
        self.deferred_error = None;
    }

    fn err(&self, msg: String) -> Error {
        Error::Preprocess {
            file: self.file.clone(),
            line: self.line,
            msg,
        }
    }

    /// `variable_add`.
    pub fn add_var(&mut self, name: &str, value: &str, flavor: Flavor) -> PResult<()> {
        let (flavor, append) = match (self.vars.get(name), flavor) {
            (Some(v), Flavor::Append) => (v.flavor, true),
            (None, Flavor::Append) => (Flavor::Recursive, false),
            (_, f) => (f, false),
        };
        let new_value = if flavor == Flavor::Simple {
            self.expand_string(value, &[])?
        } else {
            value.to_string()
        };
        let v = self.vars.entry(name.to_string()).or_insert(Var {
            value: String::new(),
            flavor,
            exp_count: 0,
        });
        v.flavor = flavor;
        if append {
            v.value.push(' ');
            v.value.push_str(&new_value);
        } else {
            v.value = new_value;
        }
        Ok(())
    }

    /// Expands a whole string (`expand_string`).
    pub fn expand_string(&mut self, s: &str, args: &[String]) -> PResult<String> {
        let (out, _) = self.expand_until(s, args, |_| false)?;
        Ok(out)
    }

    /// `expand_one_token`: expands from the start of `s` until a character
    /// that cannot be part of a symbol name; returns the expansion and how
    /// many bytes were consumed.
    pub fn expand_token(&mut self, s: &str) -> PResult<(String, usize)> {
        self.expand_until(s, &[], |c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-'))
    }

    /// Expands one `$...` reference; `s` starts right after the `$`.
    /// Returns the expansion and the bytes consumed.
    pub fn expand_dollar(&mut self, s: &str, args: &[String]) -> PResult<(String, usize)> {
        let b = s.as_bytes();
        if b.first() != Some(&b'(') {
            return Ok(("$".to_string(), 0));
        }
        let mut nest = 0i32;
        let mut q = 1;
        while q < b.len() {
            match b[q] {
                b'(' => nest += 1,
                b')' => {
                    if nest == 0 {
                        break;
                    }
                    nest -= 1;
                }
                _ => {}
            }
            q += 1;
        }
        if q >= b.len() {
            return Err(self.err(format!("unterminated reference to '{}': missing ')'", &s[1..])));
        }
        let r = self.eval_clause(&s[1..q], args)?;
        Ok((r, q + 1))
    }

    fn expand_until(
        &mut self,
        s: &str,
        args: &[String],
        is_end: impl Fn(u8) -> bool,
    ) -> PResult<(String, usize)> {
        let b = s.as_bytes();
        let mut out = String::new();
        let mut p = 0;
        let mut start = 0;
        while p < b.len() {
            if b[p] == b'$' {
                out.push_str(&s[start..p]);
                let (e, n) = self.expand_dollar(&s[p + 1..], args)?;
                out.push_str(&e);
                p += 1 + n;
                start = p;
                continue;
            }
            if is_end(b[p]) {
                break;
            }
            p += 1;
        }
        out.push_str(&s[start..p]);
        Ok((out, p))
    }

    fn eval_clause(&mut self, s: &str, args: &[String]) -> PResult<String> {
        // $(1), $(2), ...: arguments of a user-defined function.
        if let Ok(n) = s.parse::<usize>() {
            if n > 0 && n <= args.len() && s.bytes().all(|c| c.is_ascii_digit()) {
                return Ok(args[n - 1].clone());
            }
        }
        let mut parts: Vec<&str> = Vec::new();
        let b = s.as_bytes();
        let mut nest = 0i32;
        let mut prev = 0;
        for (i, &c) in b.iter().enumerate() {
            match c {
                b',' if nest == 0 => {
                    parts.push(&s[prev..i]);
                    prev = i + 1;
                }
                b'(' => nest += 1,
                b')' => nest -= 1,
                _ => {}
            }
        }
        parts.push(&s[prev..]);
        if parts.len() > 16 {
            return Err(self.err("too many function arguments".to_string()));
        }
        let name = self.expand_string(parts[0], args)?;
        let mut new_args = Vec::with_capacity(parts.len() - 1);
        for p in &parts[1..] {
            new_args.push(self.expand_string(p, args)?);
        }
        if let Some(r) = self.variable_expand(&name, &new_args)? {
            return Ok(r);
        }
        if let Some(r) = self.function_expand(&name, &new_args)? {
            return Ok(r);
        }
        if new_args.is_empty() {
            if let Some(v) = self.env.get(&name) {
                return Ok(v.clone());
            }
            if self.use_process_env {
                if let Ok(v) = std::env::var(&name) {
                    return Ok(v);
                }
            }
        }
        Ok(String::new())
    }

    fn variable_expand(&mut self, name: &str, args: &[String]) -> PResult<Option<String>> {
        let Some(v) = self.vars.get_mut(name) else {
            return Ok(None);
        };
        if args.is_empty() && v.exp_count > 0 {
            let msg = format!("Recursive variable '{name}' references itself (eventually)");
            return Err(self.err(msg));
        }
        if v.exp_count > 1000 {
            return Err(self.err("Too deep recursive expansion".to_string()));
        }
        v.exp_count += 1;
        let (value, flavor) = (v.value.clone(), v.flavor);
        let res = if flavor == Flavor::Recursive {
            self.expand_string(&value, args)
        } else {
            Ok(value)
        };
        if let Some(v) = self.vars.get_mut(name) {
            v.exp_count -= 1;
        }
        res.map(Some)
    }

    fn function_expand(&mut self, name: &str, args: &[String]) -> PResult<Option<String>> {
        let (min, max) = match name {
            "error-if" | "warning-if" => (2, 2),
            "filename" | "lineno" => (0, 0),
            "info" | "shell" => (1, 1),
            _ => return Ok(None),
        };
        if args.len() < min {
            return Err(self.err(format!("too few function arguments passed to '{name}'")));
        }
        if args.len() > max {
            return Err(self.err(format!("too many function arguments passed to '{name}'")));
        }
        let r = match name {
            "error-if" => {
                if args[0] == "y" {
                    let e = self.err(args[1].clone());
                    if self.shell.speculative {
                        if self.deferred_error.is_none() {
                            self.deferred_error = Some(e);
                        }
                    } else {
                        return Err(e);
                    }
                }
                String::new()
            }
            "filename" => self.file.clone(),
            "lineno" => self.line.to_string(),
            "info" => {
                self.messages.push(args[0].clone());
                String::new()
            }
            "warning-if" => {
                if args[0] == "y" {
                    self.messages
                        .push(format!("{}:{}: {}", self.file, self.line, args[1]));
                }
                String::new()
            }
            _ => self.shell.run(&args[0]),
        };
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(entries: &[(&str, &str)]) -> Vec<u8> {
        // One directory per call: the tests run in parallel.
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kfit-probe-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let f = dir.join("x.probes");
        let mut c = ProbeCache::open(Some(f.clone()));
        for (k, v) in entries {
            c.insert(k.to_string(), v.to_string());
        }
        c.save();
        let b = std::fs::read(&f).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        b
    }

    #[test]
    fn probe_cache_round_trips() {
        let b = saved(&[("echo a", "a"), ("gcc --version", "gcc 12")]);
        let mut m = HashMap::new();
        assert!(parse_cache(&b, &mut m).is_some());
        assert_eq!(m["gcc --version"], "gcc 12");
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn corrupted_probe_cache_is_rejected_whole() {
        let b = saved(&[("echo a", "a"), ("echo b", "b")]);
        // One byte of a value changed: same lengths, other hash.
        let mut edited = b.clone();
        let at = edited.len() - 2;
        edited[at] = b'X';
        assert!(parse_cache(&edited, &mut HashMap::new()).is_none());
        // Truncated.
        assert!(parse_cache(&b[..b.len() - 3], &mut HashMap::new()).is_none());
        // The previous format (no header).
        assert!(parse_cache(b"6 1\necho aa\n", &mut HashMap::new()).is_none());
        // Opening such a file gives an empty cache: everything is probed again.
        let dir = std::env::temp_dir().join(format!("kfit-probe-test-c-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.probes");
        std::fs::write(&f, &edited).unwrap();
        assert!(ProbeCache::open(Some(f)).get("echo a").is_none());
        std::fs::remove_dir_all(&dir).ok();
    }
}

//! What the system needs beyond its devices: named profiles (data in
//! `profiles/*.profile`, each line citing its source), `--require SYMBOL=VALUE`
//! and `merge_config.sh` fragments. All of them become solver goals next to
//! the device goals ([`kfit_solve::solve_with_values`]), so dependencies are
//! enabled, choices picked and what cannot be done is explained with the
//! blocking expression.
//!
//! A requirement is one symbol with one wanted value; the same symbol asked
//! for by several sources is one requirement listing every source. When two
//! sources want different values the later one wins (as in
//! `merge_config.sh`, where a later fragment overrides an earlier one) and a
//! warning says so.

use kfit_kconfig::{Kconfig, Tristate};
use kfit_solve::{Goal, GoalStatus, Outcome, ValueGoal, Want};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Errors in profiles, `--require` arguments and fragments (`file:line`).
#[derive(Debug, thiserror::Error)]
pub enum ReqError {
    /// A line that is not `CONFIG_X=value` / `# CONFIG_X is not set`.
    #[error("{file}:{line}: {msg}: {text:?}")]
    Syntax {
        /// File (or `--require`).
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        msg: &'static str,
        /// The line.
        text: String,
    },
    /// `--profile NAME` with a name no profile has.
    #[error("unknown profile {name:?} (known: {known})")]
    UnknownProfile {
        /// Asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// A fragment could not be read.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

/// The value a requirement wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Wanted {
    /// `y`.
    Yes,
    /// `m`: built in when MODULES is off, so solved as `y`; met by `m` too.
    Module,
    /// `n` (`# CONFIG_X is not set`).
    Off,
    /// A string, int or hex value (unquoted).
    Value(String),
}

impl std::fmt::Display for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wanted::Yes => f.write_str("y"),
            Wanted::Module => f.write_str("m"),
            Wanted::Off => f.write_str("n"),
            Wanted::Value(v) => write!(f, "{v}"),
        }
    }
}

/// One symbol the system needs, with every source that asks for it.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// Symbol name without `CONFIG_`.
    pub symbol: String,
    /// Wanted value.
    pub want: Wanted,
    /// Where it comes from: `profile ix: <citation>`, `--require`,
    /// `fragment f.config:3`, `mounts: ...`.
    pub sources: Vec<String>,
    /// The machine's own (filesystems, block stack, boot) or asked for
    /// (profiles, --require, fragments).
    pub section: Section,
}

/// Where a requirement comes from: the report's section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Derived from the machine: filesystems, block stack, boot.
    System,
    /// Profiles, `--require`, fragments.
    Requirement,
}

/// What the fit did about a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReqStatus {
    /// The base had it.
    Already,
    /// kfit set it.
    Set,
    /// It cannot be had (see `blocked`).
    Blocked,
}

/// A named requirement set (a `profiles/*.profile` file).
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// `--profile NAME`.
    pub name: String,
    /// One line on what it is for.
    pub about: String,
    /// The file it is kept in (repository-relative).
    pub file: String,
    /// Its requirements, in file order.
    pub requirements: Vec<Requirement>,
}

/// The profiles kept in the repository (`profiles/*.profile`), embedded.
const PROFILES: [(&str, &str); 4] = [
    (
        "profiles/ix.profile",
        include_str!("../../../profiles/ix.profile"),
    ),
    (
        "profiles/containers.profile",
        include_str!("../../../profiles/containers.profile"),
    ),
    (
        "profiles/kvm-host.profile",
        include_str!("../../../profiles/kvm-host.profile"),
    ),
    (
        "profiles/minimal-boot.profile",
        include_str!("../../../profiles/minimal-boot.profile"),
    ),
];

/// Every profile, in a fixed order.
pub fn profiles() -> Result<Vec<Profile>, ReqError> {
    PROFILES
        .iter()
        .map(|(file, text)| parse_profile(text, file))
        .collect()
}

/// The profile called `name`.
pub fn profile(name: &str) -> Result<Profile, ReqError> {
    let all = profiles()?;
    let known = all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
    all.into_iter()
        .find(|p| p.name == name)
        .ok_or(ReqError::UnknownProfile {
            name: name.to_string(),
            known,
        })
}

/// Parse a profile: `# name:` / `# about:` header comments, then
/// `SYMBOL=VALUE  citation` lines.
pub fn parse_profile(text: &str, file: &str) -> Result<Profile, ReqError> {
    let mut name = None;
    let mut about = String::new();
    let mut requirements = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(c) = t.strip_prefix('#') {
            let c = c.trim();
            if let Some(n) = c.strip_prefix("name:") {
                name = Some(n.trim().to_string());
            } else if let Some(a) = c.strip_prefix("about:") {
                about = a.trim().to_string();
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        let syntax = |msg| ReqError::Syntax {
            file: file.to_string(),
            line: i + 1,
            msg,
            text: line.to_string(),
        };
        let (assign, cite) = t
            .split_once(char::is_whitespace)
            .ok_or_else(|| syntax("no source given"))?;
        let (symbol, want) = parse_assignment(assign).ok_or_else(|| syntax("not SYMBOL=VALUE"))?;
        let name = name
            .as_deref()
            .ok_or_else(|| syntax("requirement before the '# name:' line"))?;
        requirements.push(Requirement {
            symbol,
            want,
            sources: vec![format!("profile {name}: {} ({file}:{})", cite.trim(), i + 1)],
            section: Section::Requirement,
        });
    }
    let name = name.ok_or(ReqError::Syntax {
        file: file.to_string(),
        line: 1,
        msg: "no '# name:' line",
        text: String::new(),
    })?;
    Ok(Profile {
        name,
        about,
        file: file.to_string(),
        requirements,
    })
}

/// `[CONFIG_]SYMBOL[=VALUE]` → symbol and wanted value (`y` without value;
/// quotes around a string value are removed, `\"` and `\\` unescaped).
fn parse_assignment(s: &str) -> Option<(String, Wanted)> {
    let s = s.trim();
    let (sym, val) = match s.split_once('=') {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => (s, None),
    };
    let sym = sym.strip_prefix("CONFIG_").unwrap_or(sym);
    if sym.is_empty() || !sym.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        return None;
    }
    let want = match val {
        None | Some("y") => Wanted::Yes,
        Some("m") => Wanted::Module,
        Some("n") => Wanted::Off,
        Some(v) => {
            let v = match v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                Some(inner) => unescape(inner),
                None if v.contains('"') => return None,
                None => v.to_string(),
            };
            Wanted::Value(v)
        }
    };
    Some((sym.to_string(), want))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One `--require SYMBOL[=y|m|n|value]` argument.
pub fn parse_require(arg: &str) -> Result<Requirement, ReqError> {
    let (symbol, want) = parse_assignment(arg).ok_or_else(|| ReqError::Syntax {
        file: "--require".into(),
        line: 1,
        msg: "not SYMBOL[=y|m|n|VALUE]",
        text: arg.to_string(),
    })?;
    Ok(Requirement {
        symbol,
        want,
        sources: vec![format!("--require {arg}")],
        section: Section::Requirement,
    })
}

/// A `merge_config.sh` fragment: `CONFIG_X=value` and `# CONFIG_X is not
/// set` lines; other comments and blank lines are skipped. A symbol set
/// twice keeps its last value (merge_config.sh's "Value ... is redefined").
pub fn parse_fragment(text: &str, name: &str) -> Result<Vec<Requirement>, ReqError> {
    let mut out: Vec<Requirement> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let source = format!("fragment {name}:{}", i + 1);
        let parsed = if let Some(c) = t.strip_prefix('#') {
            match c.trim().strip_suffix(" is not set") {
                Some(sym) if sym.starts_with("CONFIG_") => Some(
                    parse_assignment(sym)
                        .map(|(s, _)| (s, Wanted::Off))
                        .ok_or_else(|| syntax(name, i, "bad symbol name", line))?,
                ),
                _ => None,
            }
        } else if t.is_empty() {
            None
        } else if t.starts_with("CONFIG_") && t.contains('=') {
            Some(parse_assignment(t).ok_or_else(|| syntax(name, i, "bad assignment", line))?)
        } else {
            return Err(syntax(
                name,
                i,
                "not CONFIG_X=value or '# CONFIG_X is not set'",
                line,
            ));
        };
        if let Some((symbol, want)) = parsed {
            out.retain(|r| r.symbol != symbol);
            out.push(Requirement {
                symbol,
                want,
                sources: vec![source],
                section: Section::Requirement,
            });
        }
    }
    Ok(out)
}

fn syntax(file: &str, i: usize, msg: &'static str, line: &str) -> ReqError {
    ReqError::Syntax {
        file: file.to_string(),
        line: i + 1,
        msg,
        text: line.to_string(),
    }
}

/// [`parse_fragment`] of a file.
pub fn read_fragment(path: &Path) -> Result<Vec<Requirement>, ReqError> {
    let bytes = std::fs::read(path).map_err(|e| ReqError::Io(path.display().to_string(), e))?;
    parse_fragment(&String::from_utf8_lossy(&bytes), &path.display().to_string())
}

/// One requirement per symbol, in first-seen order, sources merged; a later
/// different value overrides an earlier one (with a warning).
pub fn merge(reqs: impl IntoIterator<Item = Requirement>) -> (Vec<Requirement>, Vec<String>) {
    let mut out: Vec<Requirement> = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    let mut warnings = Vec::new();
    for r in reqs {
        match at.get(&r.symbol) {
            Some(&i) => {
                let cur = &mut out[i];
                if cur.want != r.want {
                    warnings.push(format!(
                        "CONFIG_{} wanted {} by {} and {} by {}: the later one is used",
                        r.symbol,
                        cur.want,
                        cur.sources.join("; "),
                        r.want,
                        r.sources.join("; ")
                    ));
                    cur.want = r.want;
                    cur.sources = r.sources;
                } else {
                    for s in r.sources {
                        if !cur.sources.contains(&s) {
                            cur.sources.push(s);
                        }
                    }
                }
                if r.section == Section::System {
                    cur.section = Section::System;
                }
            }
            None => {
                at.insert(r.symbol.clone(), out.len());
                out.push(r);
            }
        }
    }
    (out, warnings)
}

/// The requirements of a fit: what its system needs, its profiles, then
/// its user requirements, merged (one per symbol) with warnings for
/// overridden values.
pub fn collect(
    opts: &crate::FitOptions,
    system: Vec<Requirement>,
) -> Result<(Vec<Requirement>, Vec<String>), ReqError> {
    let mut all = system;
    for name in &opts.profiles {
        all.extend(profile(name)?.requirements);
    }
    all.extend(opts.requirements.iter().cloned());
    Ok(merge(all))
}

/// How the requirements map onto the solver's goals.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Per requirement: `Ok(goal index)` for `y`/`m`, `Err(value goal index)`.
    slots: Vec<Result<usize, usize>>,
    /// The value goals (off, string/int/hex values).
    pub values: Vec<ValueGoal>,
}

impl Plan {
    /// Add the requirements' `y` goals to `goals` (sharing a goal with a
    /// device that needs the same single symbol) and collect the value goals.
    pub fn new(reqs: &[Requirement], goals: &mut Vec<Goal>) -> Plan {
        let mut plan = Plan::default();
        for r in reqs {
            let reason = format!("CONFIG_{}={} ({})", r.symbol, r.want, r.sources.join("; "));
            match &r.want {
                Wanted::Yes | Wanted::Module => {
                    let i = match goals.iter().position(|g| g.any_of == [r.symbol.clone()]) {
                        Some(i) => i,
                        None => {
                            goals.push(Goal {
                                any_of: vec![r.symbol.clone()],
                                reason,
                            });
                            goals.len() - 1
                        }
                    };
                    plan.slots.push(Ok(i));
                }
                Wanted::Off | Wanted::Value(_) => {
                    plan.slots.push(Err(plan.values.len()));
                    plan.values.push(ValueGoal {
                        symbol: r.symbol.clone(),
                        want: match &r.want {
                            Wanted::Value(v) => Want::Value(v.clone()),
                            _ => Want::Off,
                        },
                        reason,
                    });
                }
            }
        }
        plan
    }

    /// The report of every requirement after the solve. `base` and `after`
    /// are the configs before and after (for what an `n` forced off).
    pub fn report(
        &self,
        reqs: &[Requirement],
        outcome: &Outcome,
        kc: &Kconfig,
        changed: &[(String, String, String)],
    ) -> Vec<RequirementReport> {
        let mut out = Vec::new();
        for (r, slot) in reqs.iter().zip(&self.slots) {
            let st = match slot {
                Ok(i) => outcome.goals.get(*i),
                Err(k) => outcome.values.get(*k),
            };
            let (status, blocked) = match st {
                Some(GoalStatus::AlreadyOn(_)) => (ReqStatus::Already, Vec::new()),
                Some(GoalStatus::Enabled(_)) => (ReqStatus::Set, Vec::new()),
                Some(GoalStatus::Blocked(b)) => {
                    (ReqStatus::Blocked, b.iter().map(|b| b.to_string()).collect())
                }
                None => (ReqStatus::Blocked, vec!["not solved".to_string()]),
            };
            // Checked against the final configuration: a later pass (the
            // cleanup of default-on drivers, trimming) must not have undone it.
            let (status, blocked) = if status != ReqStatus::Blocked && !met(kc, r) {
                (
                    ReqStatus::Blocked,
                    vec![format!(
                        "CONFIG_{} was reached, then changed again by a later pass",
                        r.symbol
                    )],
                )
            } else {
                (status, blocked)
            };
            let value = kc
                .lookup(&r.symbol)
                .map(|id| kc.string_value(id))
                .unwrap_or_else(|| "(not in this kernel)".into());
            // What turning it off took with it: symbols that went from on to
            // off and depend on it directly.
            let mut forced_off = Vec::new();
            if r.want == Wanted::Off && status == ReqStatus::Set {
                if let Some(id) = kc.lookup(&r.symbol) {
                    for (name, before, after) in changed {
                        if name == &r.symbol || after != "n" || before == "n" {
                            continue;
                        }
                        let Some(other) = kc.lookup(name) else { continue };
                        let mentions = |e: &Option<kfit_kconfig::ExprRef>| {
                            e.as_ref().is_some_and(|e| e.contains_symbol(id))
                        };
                        let s = kc.symbol(other);
                        if mentions(&s.dir_dep) || mentions(&s.rev_dep) {
                            forced_off.push(name.clone());
                        }
                    }
                }
            }
            out.push(RequirementReport {
                symbol: r.symbol.clone(),
                want: r.want.to_string(),
                sources: r.sources.clone(),
                section: r.section,
                status,
                value,
                blocked,
                forced_off,
            });
        }
        out
    }
}

/// Does the configuration in `kc` have what `r` wants? (A symbol this
/// kernel lacks is off.)
fn met(kc: &Kconfig, r: &Requirement) -> bool {
    let tri = kc.lookup(&r.symbol).map(|id| kc.tristate(id));
    match &r.want {
        Wanted::Yes => tri == Some(Tristate::Yes),
        Wanted::Module => tri.is_some_and(|t| t != Tristate::No),
        Wanted::Off => tri.is_none_or(|t| t == Tristate::No),
        Wanted::Value(v) => kfit_solve::value_met(
            kc,
            &ValueGoal {
                symbol: r.symbol.clone(),
                want: Want::Value(v.clone()),
                reason: String::new(),
            },
        ),
    }
}

/// One requirement after the fit.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementReport {
    /// Symbol.
    pub symbol: String,
    /// Wanted value.
    pub want: String,
    /// Where it comes from (each source once).
    pub sources: Vec<String>,
    /// The machine's own or asked for.
    pub section: Section,
    /// Already in the base, set by kfit, or blocked.
    pub status: ReqStatus,
    /// Its value in the fitted config.
    pub value: String,
    /// Why it cannot be had (the blocking expressions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
    /// For an `n`: the symbols that depend on it and went off with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forced_off: Vec<String>,
}

/// A requirement an existing config misses.
#[derive(Debug, Clone, Serialize)]
pub struct AuditMiss {
    /// Symbol.
    pub symbol: String,
    /// Wanted value.
    pub want: String,
    /// Its value in the config (`n` when unset).
    pub have: String,
    /// Where the requirement comes from.
    pub sources: Vec<String>,
    /// Why the config does not have it: its dependencies as they stand,
    /// or the selector, or that the symbol is missing from the kernel.
    pub reason: String,
    /// What `kfit fit` with these requirements would do about it: the
    /// values it would set, or the blocking expression.
    pub fix: String,
}

/// Which of `reqs` the configuration loaded in `kc` misses, each with the
/// reason, and what solving would take (the solver runs on `kc`, which is
/// left with the solved configuration; `base` is its text).
pub fn audit(kc: &mut Kconfig, base: &str, reqs: &[Requirement]) -> Vec<AuditMiss> {
    let mut misses = Vec::new();
    let mut missing_reqs = Vec::new();
    for r in reqs {
        let Some(id) = kc.lookup(&r.symbol) else {
            if r.want != Wanted::Off {
                misses.push(AuditMiss {
                    symbol: r.symbol.clone(),
                    want: r.want.to_string(),
                    have: "-".into(),
                    sources: r.sources.clone(),
                    reason: format!("CONFIG_{} does not exist in this kernel", r.symbol),
                    fix: "none: the symbol does not exist".into(),
                });
            }
            continue;
        };
        let have = kc.string_value(id);
        if met(kc, r) {
            continue;
        }
        let s = kc.symbol(id);
        let dep = kc.dir_dep_value(id);
        let reason = if r.want == Wanted::Off {
            match &s.rev_dep {
                Some(rev) if kc.eval_expr(rev) != Tristate::No => {
                    format!("selected by {}", annotate(kc, rev))
                }
                _ => "set in the config".to_string(),
            }
        } else if dep == Tristate::No {
            format!(
                "depends on {}",
                s.dir_dep.as_ref().map(|d| annotate(kc, d)).unwrap_or_default()
            )
        } else if kc.prompts(id).next().is_none() {
            "has no prompt: only a select or its default turns it on, and neither does".to_string()
        } else if kc.visibility(id) == Tristate::No {
            let conds: Vec<String> = kc
                .prompts(id)
                .filter_map(|p| p.cond.as_ref().map(|c| annotate(kc, c)))
                .collect();
            format!("its prompt is hidden: {}", conds.join(" || "))
        } else {
            format!("left at {have} in the config (its prompt is visible)")
        };
        missing_reqs.push(r.clone());
        misses.push(AuditMiss {
            symbol: r.symbol.clone(),
            want: r.want.to_string(),
            have,
            sources: r.sources.clone(),
            reason,
            fix: String::new(),
        });
    }
    // What the solver would do about the misses.
    let mut goals = Vec::new();
    let plan = Plan::new(&missing_reqs, &mut goals);
    let outcome = kfit_solve::solve_with_values(kc, base, &goals, &plan.values);
    let rep = plan.report(&missing_reqs, &outcome, kc, &[]);
    for rr in rep {
        if let Some(m) = misses.iter_mut().find(|m| m.symbol == rr.symbol) {
            m.fix = if rr.status == ReqStatus::Blocked {
                format!("kfit fit cannot: {}", rr.blocked.join("; ").replace('\n', " "))
            } else {
                let chain: Vec<String> = outcome
                    .planned
                    .iter()
                    .filter(|p| p.via == kfit_solve::Via::User)
                    .filter(|p| {
                        outcome
                            .chain(&p.symbol)
                            .last()
                            .is_some_and(|g| chain_goal_is(g, &rr.symbol))
                    })
                    .map(|p| format!("{}={}", p.symbol, p.value))
                    .collect();
                if chain.is_empty() {
                    format!("kfit fit sets it ({})", rr.value)
                } else {
                    format!("kfit fit sets {}", chain.join(" "))
                }
            };
        }
    }
    misses
}

/// What [`audit_config`] found.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// The requirements checked (merged, one per symbol).
    pub requirements: Vec<Requirement>,
    /// Those the config misses.
    pub missing: Vec<AuditMiss>,
    /// Warnings (reading the config, overridden requirement values).
    pub warnings: Vec<String>,
}

/// [`audit`] of the config at `config` against the profiles and user
/// requirements.
pub fn audit_config(
    tree: &Path,
    config: &Path,
    load: &kfit_kconfig::LoadOptions,
    profile_names: &[String],
    user: &[Requirement],
) -> Result<AuditReport, crate::Error> {
    let opts = crate::FitOptions {
        profiles: profile_names.to_vec(),
        requirements: user.to_vec(),
        ..Default::default()
    };
    let (reqs, mut warnings) = collect(&opts, Vec::new())?;
    let (mut kc, w) = crate::load_kconfig(tree, config, load)?;
    warnings.extend(w);
    let text =
        std::fs::read_to_string(config).map_err(|e| crate::Error::Io(config.display().to_string(), e))?;
    let missing = audit(&mut kc, &text, &reqs);
    Ok(AuditReport {
        requirements: reqs,
        missing,
        warnings,
    })
}

/// Is the planned value `p` (the end of a reason chain) the goal for `symbol`?
fn chain_goal_is(p: &kfit_solve::Planned, symbol: &str) -> bool {
    matches!(p.why, kfit_solve::Why::Goal(_)) && p.symbol == symbol
}

/// `A && B [A=y B=n]`.
fn annotate(kc: &Kconfig, e: &kfit_kconfig::Expr) -> String {
    crate::annotate_sep(kc, e, " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_parses_and_cites_each_line() {
        let all = profiles().expect("profiles parse");
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ix", "containers", "kvm-host", "minimal-boot"]);
        for p in &all {
            assert!(!p.about.is_empty(), "{}", p.name);
            assert!(!p.requirements.is_empty(), "{}", p.name);
            for r in &p.requirements {
                assert_eq!(r.sources.len(), 1);
                assert!(r.sources[0].len() > 30, "{:?}", r.sources);
            }
        }
        let ix = profile("ix").unwrap();
        assert!(ix
            .requirements
            .iter()
            .any(|r| r.symbol == "MODULES" && r.want == Wanted::Off));
        assert!(matches!(profile("nope"), Err(ReqError::UnknownProfile { .. })));
    }

    #[test]
    fn require_arguments() {
        let r = parse_require("CONFIG_FOO").unwrap();
        assert_eq!((r.symbol.as_str(), &r.want), ("FOO", &Wanted::Yes));
        assert_eq!(parse_require("FOO=n").unwrap().want, Wanted::Off);
        assert_eq!(parse_require("FOO=m").unwrap().want, Wanted::Module);
        assert_eq!(
            parse_require("CMDLINE=\"a \\\"b\\\"\"").unwrap().want,
            Wanted::Value("a \"b\"".into())
        );
        assert_eq!(parse_require("HZ=300").unwrap().want, Wanted::Value("300".into()));
        assert!(parse_require("=y").is_err());
        assert!(parse_require("A B=y").is_err());
    }

    #[test]
    fn fragment_lines() {
        let text = "# a comment\nCONFIG_A=y\n# CONFIG_B is not set\n\nCONFIG_C=\"x\"\nCONFIG_A=m\n";
        let r = parse_fragment(text, "f.config").unwrap();
        let got: Vec<(String, String, String)> = r
            .iter()
            .map(|r| (r.symbol.clone(), r.want.to_string(), r.sources[0].clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("B".into(), "n".into(), "fragment f.config:3".into()),
                ("C".into(), "x".into(), "fragment f.config:5".into()),
                ("A".into(), "m".into(), "fragment f.config:6".into()),
            ]
        );
        let e = parse_fragment("CONFIG_A=y\nA=y\n", "f").unwrap_err().to_string();
        assert!(e.starts_with("f:2:"), "{e}");
    }

    #[test]
    fn merge_keeps_one_per_symbol_with_every_source() {
        let a = parse_require("X=y").unwrap();
        let mut b = parse_require("X").unwrap();
        b.sources = vec!["profile p".into()];
        let c = parse_require("Y=n").unwrap();
        let d = parse_require("Y=y").unwrap();
        let (m, w) = merge([a, b, c, d]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].sources, ["--require X=y", "profile p"]);
        assert_eq!(m[1].want, Wanted::Yes);
        assert_eq!(w.len(), 1, "{w:?}");
    }
}

//! kfit-solve: turn Kconfig symbols on, with their whole dependency closure,
//! the way a careful human would in menuconfig — and say why when it cannot.
//!
//! The solver knows only Kconfig ([`kfit_kconfig`]); what the goals mean
//! (devices, drivers) is the caller's business, carried as opaque reason text.
//!
//! # Model
//!
//! A *goal* is a set of alternatives (`any_of`): at least one of those symbols
//! must end at `y` (Kbuild sometimes builds a module from either of two
//! symbols). A goal of goals is an [`AnyOf`]: any one of several
//! candidates, each a set of goals, in the caller's preference order
//! ([`solve_any_of`] picks, and says which and why not the others). The
//! solver works on a loaded [`Kconfig`] whose base `.config` was
//! already read, and only ever adds *user values*, exactly what a user typing
//! in menuconfig does:
//!
//! * a symbol with a prompt is made **visible** (its prompt condition, which
//!   already includes every `depends on` and enclosing `if`/`menu`, is made
//!   true recursively) and then set to `y`;
//! * a symbol without a prompt is reached through one of its `default ... if`
//!   lines or through a **selector** (its reverse dependency, `rev_dep`, is an
//!   OR of `selector && cond`, solved like any expression);
//! * a choice member is picked by the engine's choice semantics;
//! * `!X` is satisfied by turning `X` off only when `X` is an ordinary
//!   visible, unselected symbol that no goal needs; that is reported.
//!
//! Planning reads the values of the current evaluation; the plan is applied as
//! user values, the configuration is re-evaluated by the engine (the same
//! code that gives `olddefconfig` results), and goals that did not reach `y`
//! are planned again against the new state. A goal counts as reached only when
//! the engine agrees. Every planned change keeps the chain that caused it, for
//! `kfit explain`.
//!
//! With `CONFIG_MODULES` off, `m` is promoted to `y` for every visible
//! tristate (symbol.c), so the solver always asks for `y`; symbols that are
//! module-only (`depends on m`, rewritten to `m && MODULES` by menu.c) are
//! reported as such.

mod off;
pub use off::{turn_off, LeftOn, OffOutcome, OffTarget, TurnedOff};

use kfit_kconfig::{CmpOp, Expr, ExprRef, Kconfig, Place, PropKind, SymbolId, SymbolType, Tristate};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

/// One thing the caller wants: at least one of `any_of` at `y`.
#[derive(Clone, Debug)]
pub struct Goal {
    /// Symbol names without `CONFIG_`; the first that can be reached wins,
    /// preferring one that is already on.
    pub any_of: Vec<String>,
    /// Why the caller wants it (e.g. "03:00.0 1002:1638 → amdgpu").
    pub reason: String,
}

/// Any one of several candidates, in preference order, each a set of goals
/// that must all be met (a driver: one goal per group of its Kbuild
/// condition). Solved by [`solve_any_of`].
#[derive(Clone, Debug, Default)]
pub struct AnyOf {
    /// Candidates among the goals (their indices), solved with every other
    /// goal from the start; while one of them has no blocked goal, nothing
    /// else is needed (a device's most specific matches: the kernel binds
    /// whichever probes first).
    pub first: Vec<Vec<usize>>,
    /// The candidates to fall back to once each of `first` has a blocked
    /// goal, in the caller's preference order (the kernel's: the equally
    /// specific matches, then the less specific ones).
    pub then: Vec<Vec<Goal>>,
}

/// The candidate of [`AnyOf::then`] an [`AnyOf`] came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FellBack {
    /// Its index in [`AnyOf::then`]: the first that is met, or, when none
    /// is, the first tried.
    pub candidate: usize,
    /// The index of each of its goals in the goal list.
    pub goals: Vec<usize>,
    /// The other candidates tried, all blocked (their index and goal
    /// indices: the goals' statuses say why).
    pub failed: Vec<(usize, Vec<usize>)>,
}

/// What a [`ValueGoal`] wants of its symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Want {
    /// `n` (a fragment's `# CONFIG_X is not set`, `--require X=n`).
    Off,
    /// This value for a `string`, `int` or `hex` symbol (unquoted text).
    Value(String),
}

/// A symbol to turn off or to give a value, solved together with the
/// [`Goal`]s (which only ever turn symbols on).
#[derive(Clone, Debug)]
pub struct ValueGoal {
    /// Symbol name without `CONFIG_`.
    pub symbol: String,
    /// What it must end as.
    pub want: Want,
    /// Why the caller wants it.
    pub reason: String,
}

/// Why a planned user value was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// Directly wanted by goal number `n` (value goal `k` is number
    /// `goals.len() + k`).
    Goal(usize),
    /// Needed so that `by` can be enabled: `by`'s `how` (e.g. "depends on").
    Needed { by: String, how: &'static str },
    /// Turned off because `by` requires it off (`depends on !X`).
    Conflict { by: String },
}

/// How a planned value comes about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A user value (what `menuconfig` would set).
    User,
    /// The symbol's own `default`, once its condition holds.
    Default,
    /// A `select` from a symbol that is on.
    Select,
}

/// A value the solver planned.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Symbol name.
    pub symbol: String,
    /// The value (`y` or `n`).
    pub value: Tristate,
    /// Why.
    pub why: Why,
    /// How it comes about.
    pub via: Via,
}

/// Why a symbol cannot be turned on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// No such symbol in this kernel.
    NotInKernel(String),
    /// Module-only (`depends on m`) while `MODULES` is off.
    ModuleOnly(String),
    /// An expression that could not be made true; `annotated` carries the
    /// current value of every symbol in it, conf style (`A [=n] && B [=y]`).
    Expr {
        /// The symbol whose property it is.
        symbol: String,
        /// "depends on", "select", "default", ...
        what: &'static str,
        /// The expression with values.
        annotated: String,
        /// What blocks the parts of it.
        because: Vec<Blocker>,
    },
    /// No prompt, no default that can become `y`, and no selector.
    NoWay(String),
    /// A symbol that must be off is forced on (selected or wanted).
    ForcedOn(String),
    /// A symbol that must be on is needed off by another goal.
    Conflict(String),
    /// A dependency cycle through this symbol.
    Loop(String),
    /// Value is not a tristate test we can satisfy (string/int relation).
    Unsupported(String),
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn go(b: &Blocker, f: &mut std::fmt::Formatter<'_>, depth: usize) -> std::fmt::Result {
            let pad = "  ".repeat(depth);
            match b {
                Blocker::NotInKernel(s) => write!(
                    f,
                    "{pad}{s} does not exist in this kernel (or not for this architecture)"
                ),
                Blocker::ModuleOnly(s) => write!(
                    f,
                    "{pad}{s} can only be built as a module (depends on m) and MODULES is off"
                ),
                Blocker::Expr {
                    symbol,
                    what,
                    annotated,
                    because,
                } => {
                    write!(f, "{pad}{symbol} {what} {annotated}")?;
                    for c in because.iter().take(4) {
                        writeln!(f)?;
                        go(c, f, depth + 1)?;
                    }
                    Ok(())
                }
                Blocker::NoWay(s) => write!(
                    f,
                    "{pad}{s} has no prompt, no usable default and nothing can select it"
                ),
                Blocker::ForcedOn(s) => {
                    write!(f, "{pad}{s} would have to be off, but it is selected or wanted")
                }
                Blocker::Conflict(s) => write!(f, "{pad}{s} is wanted on by one goal and off by another"),
                Blocker::Loop(s) => write!(f, "{pad}dependency loop through {s}"),
                Blocker::Unsupported(s) => write!(f, "{pad}cannot satisfy the relation {s}"),
            }
        }
        go(self, f, 0)
    }
}

/// What happened to one goal. For a [`ValueGoal`], `AlreadyOn` means the
/// base already had the wanted value and `Enabled` that the solver set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoalStatus {
    /// One of the alternatives was already `y` in the base.
    AlreadyOn(String),
    /// Turned on (the alternative that was used).
    Enabled(String),
    /// Could not be turned on.
    Blocked(Vec<Blocker>),
}

/// Everything the solver did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Per goal, in the caller's order.
    pub goals: Vec<GoalStatus>,
    /// Per value goal ([`solve_with_values`]), in the caller's order.
    pub values: Vec<GoalStatus>,
    /// The user values set, in order.
    pub planned: Vec<Planned>,
    /// Number of plan/evaluate rounds.
    pub rounds: usize,
    /// Per [`AnyOf`] ([`solve_any_of`]), in the caller's order: the
    /// fallback it came to, if its `first` candidates were all blocked.
    pub fell_back: Vec<Option<FellBack>>,
}

impl Outcome {
    /// The chain of reasons for a symbol the solver set: `[(symbol, why)]`
    /// from the symbol up to the goal.
    pub fn chain(&self, symbol: &str) -> Vec<&Planned> {
        let by: HashMap<&str, &Planned> = self.planned.iter().map(|p| (p.symbol.as_str(), p)).collect();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut cur = symbol;
        while let Some(p) = by.get(cur) {
            if !seen.insert(cur) {
                break;
            }
            out.push(*p);
            match &p.why {
                Why::Needed { by, .. } | Why::Conflict { by } => cur = by.as_str(),
                Why::Goal(_) => break,
            }
        }
        out
    }
}

/// Turn the goals on in `kc` (whose base config is already read).
///
/// On return `kc` holds the new configuration: write it with
/// [`Kconfig::write_config`].
pub fn solve(kc: &mut Kconfig, base_config: &str, goals: &[Goal]) -> Outcome {
    solve_with_values(kc, base_config, goals, &[])
}

/// [`solve`] with symbols to turn off or to set to a value as well: an off
/// symbol is never turned on for a goal (that goal is blocked instead), and
/// a value goal's prompt is made visible like a goal's.
pub fn solve_with_values(
    kc: &mut Kconfig,
    base_config: &str,
    goals: &[Goal],
    values: &[ValueGoal],
) -> Outcome {
    // A goal whose plan was applied but that still ends up off (another
    // change turned it off again) must not leave its changes behind: its
    // user values could switch on things no wanted symbol needs (EXPERT, to
    // show a driver that then conflicts). Such goals are dropped and the
    // rest is planned again from the base, a few times at most.
    let mut dropped: BTreeMap<usize, Vec<Blocker>> = BTreeMap::new();
    let mut rounds_total = 0;
    let mut attempts = 0;
    loop {
        let (mut outcome, failed_with_lines) = solve_once(kc, base_config, goals, values, &dropped);
        rounds_total += outcome.rounds;
        attempts += 1;
        if failed_with_lines.is_empty() || attempts == 4 {
            outcome.rounds = rounds_total;
            return outcome;
        }
        for i in failed_with_lines {
            let b = match &outcome.goals[i] {
                GoalStatus::Blocked(b) => b.clone(),
                _ => Vec::new(),
            };
            dropped.insert(i, b);
        }
        kc.read_config_str(base_config, "base config");
    }
}

/// [`solve_with_values`] with [`AnyOf`]s. Everything is solved first with
/// the `first` candidates alone. An [`AnyOf`] whose `first` candidates all
/// have a blocked goal then falls back: to the first candidate of `then`
/// whose goals are all on already (no change needed), else to its first
/// one; when that one stays blocked, to the next one not tried, in order,
/// until one is met or none is left. The goals of a fallback are appended
/// to `goals` (a goal equal to one already there, same `any_of`, is that
/// goal), and whenever goals were added, everything is solved again from
/// the base together, so that the fallbacks' needs are planned with
/// everyone else's. [`Outcome::fell_back`] says which candidate each
/// [`AnyOf`] came to and which were tried in vain.
pub fn solve_any_of(
    kc: &mut Kconfig,
    base_config: &str,
    goals: &mut Vec<Goal>,
    values: &[ValueGoal],
    any_of: &[AnyOf],
) -> Outcome {
    let mut outcome = solve_with_values(kc, base_config, goals, values);
    let blocked = |o: &Outcome, g: &[usize]| g.iter().any(|&i| matches!(o.goals[i], GoalStatus::Blocked(_)));
    // Per AnyOf, the candidates tried, in order, with their goal indices.
    let mut tried: Vec<Vec<(usize, Vec<usize>)>> = vec![Vec::new(); any_of.len()];
    loop {
        let before = goals.len();
        let mut moved = false;
        for (a, t) in any_of.iter().zip(&mut tried) {
            let next = match t.last() {
                None if a.then.is_empty() || a.first.is_empty() => continue,
                None if !a.first.iter().all(|g| blocked(&outcome, g)) => continue,
                None => a
                    .then
                    .iter()
                    .position(|c| c.iter().all(|g| is_met(kc, g)))
                    .unwrap_or(0),
                Some((_, g)) if !blocked(&outcome, g) => continue,
                Some(_) => match (0..a.then.len()).find(|k| t.iter().all(|(j, _)| j != k)) {
                    Some(k) => k,
                    None => continue,
                },
            };
            let idx = a.then[next]
                .iter()
                .map(|g| match goals.iter().position(|h| h.any_of == g.any_of) {
                    Some(i) => i,
                    None => {
                        goals.push(g.clone());
                        goals.len() - 1
                    }
                })
                .collect();
            t.push((next, idx));
            moved = true;
        }
        if !moved {
            break;
        }
        if goals.len() > before {
            kc.read_config_str(base_config, "base config");
            let rounds = outcome.rounds;
            outcome = solve_with_values(kc, base_config, goals, values);
            outcome.rounds += rounds;
        }
    }
    outcome.fell_back = tried
        .into_iter()
        .map(|mut t| {
            if t.is_empty() {
                return None;
            }
            // The one met, else the first tried.
            let k = t.iter().position(|(_, g)| !blocked(&outcome, g)).unwrap_or(0);
            let (candidate, goals) = t.remove(k);
            Some(FellBack {
                candidate,
                goals,
                failed: t,
            })
        })
        .collect();
    outcome
}

/// Is one of `g`'s alternatives `y` in `kc`'s current evaluation?
fn is_met(kc: &Kconfig, g: &Goal) -> bool {
    g.any_of
        .iter()
        .any(|n| kc.lookup(n).is_some_and(|id| kc.tristate(id) == Tristate::Yes))
}

/// One planning run; goals in `dropped` are not planned and are reported
/// blocked with the given blockers. Returns the outcome and the goals that
/// ended blocked although user values were set for them.
fn solve_once(
    kc: &mut Kconfig,
    base_config: &str,
    goals: &[Goal],
    values: &[ValueGoal],
    dropped: &BTreeMap<usize, Vec<Blocker>>,
) -> (Outcome, Vec<usize>) {
    let value_done = |kc: &Kconfig, v: &ValueGoal| value_met(kc, v);
    let mut vstatus: Vec<Option<GoalStatus>> = values
        .iter()
        .map(|v| value_done(kc, v).then(|| GoalStatus::AlreadyOn(v.symbol.clone())))
        .collect();
    let mut vblockers: Vec<Vec<Blocker>> = vec![Vec::new(); values.len()];
    // Symbols that must stay off: never turned on for a goal.
    let wanted_off: HashSet<SymbolId> = values
        .iter()
        .filter(|v| v.want == Want::Off)
        .filter_map(|v| kc.lookup(&v.symbol))
        .collect();
    // `CONFIG_X=value` lines for value goals.
    let mut value_lines: BTreeMap<String, String> = BTreeMap::new();
    let mut planned: Vec<Planned> = Vec::new();
    // Which goals each user value was set for.
    let mut line_goals: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut status: Vec<Option<GoalStatus>> = vec![None; goals.len()];
    // Goals already satisfied by the base.
    for (i, g) in goals.iter().enumerate() {
        if let Some(name) = g
            .any_of
            .iter()
            .find(|n| kc.lookup(n).is_some_and(|id| kc.tristate(id) == Tristate::Yes))
        {
            status[i] = Some(GoalStatus::AlreadyOn(name.clone()));
        }
    }
    // Symbols that must stay on: those that already satisfy a goal in the
    // base (a plan may not turn them off for another goal), plus every
    // symbol a round plans on.
    let mut wanted_on: HashSet<SymbolId> = status
        .iter()
        .filter_map(|st| match st {
            Some(GoalStatus::AlreadyOn(name)) => kc.lookup(name),
            _ => None,
        })
        .collect();
    let mut user_lines: BTreeMap<String, Tristate> = BTreeMap::new();
    let mut applied_values: BTreeMap<String, String> = BTreeMap::new();
    let mut rounds = 0;
    let mut last_blockers: Vec<Vec<Blocker>> = vec![Vec::new(); goals.len()];
    for (&i, b) in dropped {
        if status[i].is_none() {
            last_blockers[i] = b.clone();
        }
    }
    let skip = |i: usize| dropped.contains_key(&i);
    for _ in 0..8 {
        rounds += 1;
        let mut plan = Plan::new(kc, &wanted_on);
        plan.keep_off = &wanted_off;
        let mut any = false;
        let mut owner: Vec<usize> = Vec::new();
        // Value goals first: what must be off is off before goals plan
        // around it.
        for (k, v) in values.iter().enumerate() {
            if vstatus[k].is_some() {
                continue;
            }
            let snap = plan.snapshot();
            match plan.want_value(v, Why::Goal(goals.len() + k)) {
                Ok(line) => {
                    any = true;
                    if let Some(line) = line {
                        value_lines.insert(v.symbol.clone(), line);
                    }
                }
                Err(b) => {
                    plan.restore(snap);
                    vblockers[k] = vec![b];
                }
            }
            owner.resize(plan.steps.len(), usize::MAX);
        }
        for (i, g) in goals.iter().enumerate() {
            if status[i].is_some() || skip(i) {
                continue;
            }
            let mut errs = Vec::new();
            // Prefer alternatives that exist and are already planned or on.
            let mut alts: Vec<(usize, &String)> = g.any_of.iter().enumerate().collect();
            alts.sort_by_key(|(k, n)| (kc.lookup(n).is_none(), *k));
            let mut done = false;
            for (_, name) in alts {
                let Some(id) = kc.lookup(name) else {
                    errs.push(Blocker::NotInKernel(name.clone()));
                    continue;
                };
                let snap = plan.snapshot();
                match plan.enable(id, Why::Goal(i), 0) {
                    Ok(()) => {
                        done = true;
                        any = true;
                        break;
                    }
                    Err(b) => {
                        plan.restore(snap);
                        errs.push(b);
                    }
                }
            }
            if !done {
                last_blockers[i] = errs;
            }
            owner.resize(plan.steps.len(), i);
        }
        let steps = plan.steps;
        for s in &steps {
            if s.value == Tristate::Yes {
                wanted_on.insert(s.id);
            }
        }
        let mut changed = false;
        for (k, s) in steps.iter().enumerate() {
            if s.via == Via::User {
                let name = &kc.symbol(s.id).name;
                changed |= user_lines.insert(name.clone(), s.value) != Some(s.value);
                if owner[k] != usize::MAX {
                    line_goals.entry(name.clone()).or_default().insert(owner[k]);
                }
            }
            let name = kc.symbol(s.id).name.clone();
            if !planned.iter().any(|p| p.symbol == name && p.value == s.value) {
                planned.push(Planned {
                    symbol: name,
                    value: s.value,
                    why: s.why.clone(),
                    via: s.via,
                });
            }
        }
        for (name, line) in &value_lines {
            changed |= !applied_values.contains_key(name) || applied_values[name] != *line;
        }
        if changed {
            // Apply the plan the way `make olddefconfig` would see it: the
            // base config with our assignments appended (a later assignment
            // overrides an earlier one, as in conf_read). One evaluation.
            let mut text = with_assignments(base_config, &user_lines);
            for line in value_lines.values() {
                text.push_str(line);
                text.push('\n');
            }
            kc.read_config_str(&text, "base config + kfit");
            applied_values = value_lines.clone();
        }
        for (k, v) in values.iter().enumerate() {
            if vstatus[k].is_none() && value_done(kc, v) {
                vstatus[k] = Some(GoalStatus::Enabled(v.symbol.clone()));
            }
        }
        // Verify with the engine.
        let mut open = false;
        for (i, g) in goals.iter().enumerate() {
            if status[i].is_some() || skip(i) {
                continue;
            }
            if let Some(name) = g
                .any_of
                .iter()
                .find(|n| kc.lookup(n).is_some_and(|id| kc.tristate(id) == Tristate::Yes))
            {
                status[i] = Some(GoalStatus::Enabled(name.clone()));
            } else {
                open = true;
            }
        }
        open |= vstatus.iter().any(Option::is_none);
        if !open || !any || !changed {
            break;
        }
    }
    // A value goal another change undid, or that the engine did not take
    // (an int out of its range), is blocked.
    for (k, v) in values.iter().enumerate() {
        if !value_done(kc, v) && (vstatus[k].take().is_some() || vblockers[k].is_empty()) {
            vblockers[k] = vec![value_blocker(kc, v, &wanted_on)];
        }
    }
    let values_out: Vec<GoalStatus> = vstatus
        .into_iter()
        .zip(vblockers)
        .map(|(s, b)| s.unwrap_or(GoalStatus::Blocked(b)))
        .collect();
    // Final verification: a later change can turn an earlier goal off again
    // (e.g. `depends on !USB_HID` once USB_HID is on for another device).
    for (i, g) in goals.iter().enumerate() {
        if !is_met(kc, g) && status[i].is_some() {
            let because = g
                .any_of
                .iter()
                .filter_map(|n| kc.lookup(n))
                .map(|id| {
                    let plan = Plan::new(kc, &wanted_on);
                    let dep = kc.symbol(id).dir_dep.clone();
                    Blocker::Expr {
                        symbol: kc.symbol(id).name.clone(),
                        what: "is turned off again by other changes; it depends on",
                        annotated: dep.map(|d| plan.annotate(&d)).unwrap_or_default(),
                        because: Vec::new(),
                    }
                })
                .collect();
            status[i] = None;
            last_blockers[i] = because;
        }
    }
    // Goals that end blocked although user values were set for them.
    let failed_with_lines: Vec<usize> = (0..goals.len())
        .filter(|&i| status[i].is_none() && !skip(i))
        .filter(|i| line_goals.values().any(|g| g.contains(i)))
        .collect();
    let goals = status
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.unwrap_or_else(|| {
                let mut b = std::mem::take(&mut last_blockers[i]);
                if b.is_empty() {
                    b.push(Blocker::NoWay(goals[i].any_of.join(" or ")));
                }
                GoalStatus::Blocked(b)
            })
        })
        .collect();
    (
        Outcome {
            goals,
            values: values_out,
            planned,
            rounds,
            fell_back: Vec::new(),
        },
        failed_with_lines,
    )
}

#[derive(Clone, Debug)]
struct Step {
    id: SymbolId,
    value: Tristate,
    why: Why,
    /// How the value comes about: a user value is set only for `Via::User`.
    via: Via,
}

/// One planning pass over the current evaluation.
struct Plan<'a> {
    kc: &'a Kconfig,
    steps: Vec<Step>,
    on: HashMap<SymbolId, usize>,
    off: HashMap<SymbolId, usize>,
    /// Symbols being enabled up the stack (cycle guard).
    active: HashSet<SymbolId>,
    /// Symbols some earlier round or goal wanted on: never turned off.
    protected: &'a HashSet<SymbolId>,
    /// Symbols a value goal wants off: never turned on.
    keep_off: &'a HashSet<SymbolId>,
}

struct Snapshot(usize);

impl<'a> Plan<'a> {
    fn new(kc: &'a Kconfig, protected: &'a HashSet<SymbolId>) -> Self {
        Plan {
            kc,
            steps: Vec::new(),
            on: HashMap::new(),
            off: HashMap::new(),
            active: HashSet::new(),
            protected,
            keep_off: empty_set(),
        }
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot(self.steps.len())
    }

    fn restore(&mut self, s: Snapshot) {
        for st in self.steps.drain(s.0..) {
            if st.value == Tristate::Yes {
                self.on.remove(&st.id);
            } else {
                self.off.remove(&st.id);
            }
        }
    }

    fn is_on(&self, id: SymbolId) -> bool {
        self.on.contains_key(&id) || (!self.off.contains_key(&id) && self.kc.tristate(id) == Tristate::Yes)
    }

    /// The value of `e` under the current evaluation plus this plan.
    fn value(&self, e: &Expr) -> Tristate {
        match e {
            Expr::Symbol(s) => {
                if self.on.contains_key(s) {
                    Tristate::Yes
                } else if self.off.contains_key(s) {
                    Tristate::No
                } else {
                    self.kc.tristate(*s)
                }
            }
            Expr::Not(a) => self.value(a).not(),
            Expr::And(a, b) => self.value(a).and(self.value(b)),
            Expr::Or(a, b) => self.value(a).or(self.value(b)),
            Expr::Cmp(..) => {
                let mut touched = false;
                e.for_each_symbol(&mut |s| touched |= self.on.contains_key(&s) || self.off.contains_key(&s));
                if touched {
                    // Re-evaluate tristate comparisons with planned values.
                    if let Expr::Cmp(op, a, b) = e {
                        if let (Some(x), Some(y)) = (self.tri_of(*a), self.tri_of(*b)) {
                            return cmp(*op, x, y);
                        }
                    }
                }
                self.kc.eval_expr(e)
            }
        }
    }

    fn tri_of(&self, s: SymbolId) -> Option<Tristate> {
        let sym = self.kc.symbol(s);
        if sym.is_const {
            return Tristate::parse(&sym.name).filter(|_| sym.name.len() == 1);
        }
        if !sym.ty.is_tristate_like() {
            return None;
        }
        Some(self.value(&Expr::Symbol(s)))
    }

    fn push(&mut self, id: SymbolId, value: Tristate, why: Why, via: Via) {
        let idx = self.steps.len();
        self.steps.push(Step { id, value, why, via });
        if value == Tristate::Yes {
            self.on.insert(id, idx);
        } else {
            self.off.insert(id, idx);
        }
    }

    /// Plan `id = y`.
    fn enable(&mut self, id: SymbolId, why: Why, depth: usize) -> Result<(), Blocker> {
        if self.is_on(id) {
            return Ok(());
        }
        let kc = self.kc;
        let sym = kc.symbol(id);
        let name = sym.name.clone();
        if self.off.contains_key(&id) || self.keep_off.contains(&id) {
            return Err(Blocker::Conflict(name));
        }
        if sym.is_const {
            return Err(Blocker::NoWay(name));
        }
        if sym.ty == SymbolType::Unknown {
            // Referenced but never defined here (another architecture's).
            return Err(Blocker::NotInKernel(name));
        }
        if !sym.ty.is_tristate_like() {
            return Err(Blocker::Unsupported(format!("{name} is {}", sym.ty.name())));
        }
        if depth > 48 || !self.active.insert(id) {
            return Err(Blocker::Loop(name));
        }
        let r = self.enable_inner(id, &name, why, depth);
        self.active.remove(&id);
        r
    }

    fn enable_inner(&mut self, id: SymbolId, name: &str, why: Why, depth: usize) -> Result<(), Blocker> {
        let kc = self.kc;
        let sym = kc.symbol(id);
        let mut errs = Vec::new();
        // Module-only?
        if let Some(dep) = &sym.dir_dep {
            if mentions_mod_const(dep)
                && self.value(dep) == Tristate::No
                && kc.tristate(kc.modules_symbol()) == Tristate::No
            {
                return Err(Blocker::ModuleOnly(name.to_string()));
            }
        }
        // 1. Through a prompt.
        let prompts: Vec<Option<ExprRef>> = kc.prompts(id).map(|p| p.cond.clone()).collect();
        if !prompts.is_empty() {
            // The choice block around a member must be visible too.
            let mut cond: Option<ExprRef> = None;
            for c in prompts {
                match c {
                    None => {
                        cond = None;
                        break;
                    }
                    Some(c) => cond = Expr::or(cond, Some(c)),
                }
            }
            let snap = self.snapshot();
            let r = match &cond {
                None => Ok(()),
                Some(c) => self.make_true(c, name, "depends on", depth),
            };
            match r {
                Ok(()) => {
                    self.push(id, Tristate::Yes, why, Via::User);
                    return Ok(());
                }
                Err(b) => {
                    self.restore(snap);
                    errs.push(b);
                }
            }
        }
        // 2. Through a default (only when no prompt is visible, the default applies).
        for p in sym
            .props
            .iter()
            .map(|p| kc.property(*p))
            .filter(|p| p.kind == PropKind::Default)
        {
            let Some(val) = &p.expr else { continue };
            let snap = self.snapshot();
            let r = (|| {
                if let Some(c) = &p.cond {
                    self.make_true(c, name, "default ... if", depth)?;
                }
                self.make_true(val, name, "default", depth)
            })();
            match r {
                Ok(()) => {
                    // Defaults apply by themselves: nothing to set, but record
                    // it so planning sees it on and explain shows the chain.
                    self.push(id, Tristate::Yes, why, Via::Default);
                    return Ok(());
                }
                Err(b) => {
                    self.restore(snap);
                    errs.push(b);
                }
            }
        }
        // 3. Through a selector.
        if let Some(rev) = &sym.rev_dep {
            let snap = self.snapshot();
            match self.make_true(rev, name, "is selected by", depth) {
                Ok(()) => {
                    self.push(id, Tristate::Yes, why, Via::Select);
                    return Ok(());
                }
                Err(b) => {
                    self.restore(snap);
                    errs.push(b);
                }
            }
        }
        Err(match errs.len() {
            0 => Blocker::NoWay(name.to_string()),
            1 => errs.pop().expect("one element"),
            _ => {
                // Prefer the prompt's reason: it is what a user would see.
                errs.swap_remove(0)
            }
        })
    }

    /// Plan a value goal: `Ok(Some(line))` is the `.config` line to add for
    /// a string/int/hex value (its prompt made visible), `Ok(None)` when
    /// the plan holds the change (a symbol turned off).
    fn want_value(&mut self, v: &ValueGoal, why: Why) -> Result<Option<String>, Blocker> {
        let kc = self.kc;
        let Some(id) = kc.lookup(&v.symbol) else {
            return Err(Blocker::NotInKernel(v.symbol.clone()));
        };
        let sym = kc.symbol(id);
        let name = sym.name.clone();
        match &v.want {
            Want::Off => {
                if !sym.ty.is_tristate_like() {
                    return Err(Blocker::Unsupported(format!(
                        "{name} is {}, not bool or tristate",
                        sym.ty.name()
                    )));
                }
                if self.value(&Expr::Symbol(id)) == Tristate::No {
                    return Ok(None);
                }
                if self.protected.contains(&id) || self.on.contains_key(&id) {
                    return Err(Blocker::Conflict(name));
                }
                if let Some(rev) = &sym.rev_dep {
                    if self.value(rev) != Tristate::No {
                        return Err(Blocker::Expr {
                            symbol: name,
                            what: "is selected by",
                            annotated: self.annotate(rev),
                            because: Vec::new(),
                        });
                    }
                }
                if kc.prompts(id).next().is_none() || kc.visibility(id) == Tristate::No {
                    let dep = sym
                        .dir_dep
                        .as_ref()
                        .map(|d| self.annotate(d))
                        .unwrap_or_else(|| "y".into());
                    return Err(Blocker::Expr {
                        symbol: name,
                        what: "has no visible prompt to turn it off; it is on by its default and depends on",
                        annotated: dep,
                        because: Vec::new(),
                    });
                }
                self.push(id, Tristate::No, why, Via::User);
                Ok(None)
            }
            Want::Value(val) => {
                let rendered = match sym.ty {
                    SymbolType::String => format!("CONFIG_{name}=\"{}\"", escape(val)),
                    SymbolType::Int | SymbolType::Hex => format!("CONFIG_{name}={val}"),
                    _ => {
                        return Err(Blocker::Unsupported(format!(
                            "{name} is {}: ask for y, m or n",
                            sym.ty.name()
                        )))
                    }
                };
                let prompts: Vec<Option<ExprRef>> = kc.prompts(id).map(|p| p.cond.clone()).collect();
                if prompts.is_empty() {
                    return Err(Blocker::NoWay(name));
                }
                if prompts.iter().all(Option::is_some) {
                    let mut cond: Option<ExprRef> = None;
                    for c in prompts.into_iter().flatten() {
                        cond = Expr::or(cond, Some(c));
                    }
                    if let Some(c) = cond {
                        self.make_true(&c, &name, "depends on", 0)?;
                    }
                }
                Ok(Some(rendered))
            }
        }
    }

    /// Make `e` evaluate to `y`; `owner` and `what` describe where it comes from.
    fn make_true(&mut self, e: &Expr, owner: &str, what: &'static str, depth: usize) -> Result<(), Blocker> {
        if self.value(e) == Tristate::Yes {
            return Ok(());
        }
        let why = || Why::Needed {
            by: owner.to_string(),
            how: what,
        };
        let _ = &why;
        let fail = |me: &Self, because: Vec<Blocker>| Blocker::Expr {
            symbol: owner.to_string(),
            what,
            annotated: me.annotate(e),
            because,
        };
        match e {
            Expr::Symbol(s) => {
                let sym = self.kc.symbol(*s);
                if sym.is_const {
                    return Err(fail(self, Vec::new()));
                }
                self.enable(*s, why(), depth + 1).map_err(|b| fail(self, vec![b]))
            }
            Expr::And(a, b) => {
                self.make_true(a, owner, what, depth)?;
                self.make_true(b, owner, what, depth)
            }
            Expr::Or(a, b) => {
                // Try both; keep the one that needs fewer changes.
                let snap = self.snapshot();
                let ra = self.make_true(a, owner, what, depth);
                let cost_a = self.steps.len() - snap.0;
                let a_steps: Vec<Step> = self.steps[snap.0..].to_vec();
                self.restore(Snapshot(snap.0));
                let rb = self.make_true(b, owner, what, depth);
                let cost_b = self.steps.len() - snap.0;
                match (ra, rb) {
                    (Ok(()), Ok(())) if cost_a <= cost_b => {
                        self.restore(Snapshot(snap.0));
                        for s in a_steps {
                            self.push(s.id, s.value, s.why, s.via);
                        }
                        Ok(())
                    }
                    (_, Ok(())) => Ok(()),
                    (Ok(()), Err(_)) => {
                        self.restore(Snapshot(snap.0));
                        for s in a_steps {
                            self.push(s.id, s.value, s.why, s.via);
                        }
                        Ok(())
                    }
                    (Err(x), Err(y)) => {
                        self.restore(Snapshot(snap.0));
                        Err(fail(self, vec![x, y]))
                    }
                }
            }
            Expr::Not(a) => self.make_false(a, owner, depth).map_err(|b| fail(self, vec![b])),
            Expr::Cmp(op, a, b) => {
                let (sa, sb) = (self.kc.symbol(*a), self.kc.symbol(*b));
                // Normalize to (variable, constant).
                let (var, konst, op) = if sb.is_const {
                    (*a, sb, *op)
                } else if sa.is_const {
                    (*b, sa, flip(*op))
                } else {
                    return Err(fail(self, vec![Blocker::Unsupported(self.annotate(e))]));
                };
                let want = Tristate::parse(&konst.name).filter(|_| konst.name.len() == 1);
                match (op, want) {
                    (CmpOp::Eq, Some(Tristate::Yes))
                    | (CmpOp::Ne, Some(Tristate::No))
                    | (CmpOp::Eq, Some(Tristate::Mod)) => self
                        .enable(var, why(), depth + 1)
                        .map_err(|x| fail(self, vec![x])),
                    (CmpOp::Eq, Some(Tristate::No)) | (CmpOp::Ne, Some(Tristate::Yes)) => self
                        .make_false(&Expr::Symbol(var), owner, depth)
                        .map_err(|x| fail(self, vec![x])),
                    _ => Err(fail(self, vec![Blocker::Unsupported(self.annotate(e))])),
                }
            }
        }
    }

    /// Make `e` evaluate to `n`.
    fn make_false(&mut self, e: &Expr, owner: &str, depth: usize) -> Result<(), Blocker> {
        if self.value(e) == Tristate::No {
            return Ok(());
        }
        match e {
            Expr::Symbol(s) => {
                let id = *s;
                let sym = self.kc.symbol(id);
                let name = sym.name.clone();
                if sym.is_const || self.on.contains_key(&id) || self.protected.contains(&id) {
                    return Err(Blocker::ForcedOn(name));
                }
                let selected = sym
                    .rev_dep
                    .as_ref()
                    .is_some_and(|r| self.value(r) != Tristate::No);
                let has_prompt = self.kc.prompts(id).next().is_some();
                if selected
                    || !has_prompt
                    || self.kc.visibility(id) == Tristate::No
                    || sym.ty == SymbolType::Unknown
                {
                    return Err(Blocker::ForcedOn(name));
                }
                self.push(
                    id,
                    Tristate::No,
                    Why::Conflict {
                        by: owner.to_string(),
                    },
                    Via::User,
                );
                Ok(())
            }
            Expr::Not(a) => self.make_true(a, owner, "depends on", depth),
            Expr::Or(a, b) => {
                self.make_false(a, owner, depth)?;
                self.make_false(b, owner, depth)
            }
            Expr::And(a, b) => {
                let snap = self.snapshot();
                match self.make_false(a, owner, depth) {
                    Ok(()) => Ok(()),
                    Err(_) => {
                        self.restore(snap);
                        self.make_false(b, owner, depth)
                    }
                }
            }
            Expr::Cmp(..) => Err(Blocker::Unsupported(self.annotate(e))),
        }
    }

    /// `A [=y] && !B [=n]`, like conf's unmet-dependency warnings: the
    /// one expression printer ([`Expr::print`]) with each symbol's value.
    fn annotate(&self, e: &Expr) -> String {
        let mut s = String::new();
        e.print(&mut s, &mut |out, id, place| {
            let sym = self.kc.symbol(id);
            match (sym.is_const, place) {
                (true, Place::Alone) => out.push_str(&sym.name),
                (true, Place::Compared) if sym.ty == SymbolType::String || sym.name.is_empty() => {
                    let _ = write!(out, "\"{}\"", sym.name);
                }
                (true, Place::Compared) => out.push_str(&sym.name),
                // Undefined in this kernel: conf shows it as n.
                (false, Place::Alone) if sym.ty == SymbolType::Unknown => {
                    let _ = write!(out, "{} [=n]", sym.name);
                }
                (false, _) => {
                    let _ = write!(out, "{} [={}]", sym.name, self.kc.string_value(id));
                }
            }
        });
        s
    }
}

fn empty_set() -> &'static HashSet<SymbolId> {
    static EMPTY: std::sync::OnceLock<HashSet<SymbolId>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(HashSet::new)
}

/// `"` and `\\` escaped as conf writes string values.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Does the engine's value of `v`'s symbol match what it wants? A symbol
/// this kernel lacks is off; int and hex values compare as numbers.
pub fn value_met(kc: &Kconfig, v: &ValueGoal) -> bool {
    let id = kc.lookup(&v.symbol);
    match (&v.want, id) {
        (Want::Off, None) => true,
        (Want::Off, Some(id)) => kc.symbol(id).ty.is_tristate_like() && kc.tristate(id) == Tristate::No,
        (Want::Value(_), None) => false,
        (Want::Value(want), Some(id)) => {
            let have = kc.string_value(id);
            match kc.symbol(id).ty {
                SymbolType::Hex => {
                    let norm = |s: &str| {
                        let t = s.trim();
                        let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
                        t.trim_start_matches('0').to_ascii_lowercase()
                    };
                    norm(&have) == norm(want)
                }
                SymbolType::Int => have.trim().parse::<i64>().ok() == want.trim().parse::<i64>().ok(),
                _ => have == *want,
            }
        }
    }
}

/// Why a value goal did not end as wanted after the plan was applied.
fn value_blocker(kc: &Kconfig, v: &ValueGoal, wanted_on: &HashSet<SymbolId>) -> Blocker {
    let Some(id) = kc.lookup(&v.symbol) else {
        return Blocker::NotInKernel(v.symbol.clone());
    };
    let plan = Plan::new(kc, wanted_on);
    let sym = kc.symbol(id);
    let have = kc.string_value(id);
    if let (Want::Off, Some(rev)) = (&v.want, &sym.rev_dep) {
        if kc.eval_expr(rev) != Tristate::No {
            return Blocker::Expr {
                symbol: sym.name.clone(),
                what: "is selected by",
                annotated: plan.annotate(rev),
                because: Vec::new(),
            };
        }
    }
    let what = "ends as";
    let mut annotated = have.clone();
    if let Some((lo, hi)) = kc.properties(id, PropKind::Range).find_map(|r| r.range) {
        annotated = format!("{have} (range {} {})", kc.string_value(lo), kc.string_value(hi));
    }
    Blocker::Expr {
        symbol: sym.name.clone(),
        what,
        annotated,
        because: Vec::new(),
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

fn cmp(op: CmpOp, a: Tristate, b: Tristate) -> Tristate {
    let r = match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    };
    if r {
        Tristate::Yes
    } else {
        Tristate::No
    }
}

fn mentions_mod_const(e: &Expr) -> bool {
    e.contains_symbol(kfit_kconfig::SYM_MOD)
}

/// `base` with `CONFIG_X=y` / `# CONFIG_X is not set` lines appended.
pub fn with_assignments(base: &str, lines: &BTreeMap<String, Tristate>) -> String {
    let mut t = String::with_capacity(base.len() + lines.len() * 40);
    t.push_str(base);
    if !t.ends_with('\n') && !t.is_empty() {
        t.push('\n');
    }
    for (k, v) in lines {
        match v {
            Tristate::No => {
                let _ = writeln!(t, "# CONFIG_{k} is not set");
            }
            v => {
                let _ = writeln!(t, "CONFIG_{k}={v}");
            }
        }
    }
    t
}

/// Symbols whose value differs between two `.config` texts:
/// `(name, before, after)`, with `n` for absent ([`Kconfig::diff_configs`],
/// the one `.config` differ, where absent and `n` are the same).
pub fn config_diff(before: &str, after: &str) -> Vec<(String, String, String)> {
    let n = || "n".to_string();
    Kconfig::diff_configs(before, after)
        .into_iter()
        .map(|(k, a, b)| (k, a.unwrap_or_else(n), b.unwrap_or_else(n)))
        .filter(|(_, a, b)| a != b)
        .collect()
}

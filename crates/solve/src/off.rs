//! Turning things off without breaking goals: drivers that Kconfig switched
//! on by default as a side effect of a goal, and (`--trim`) drivers of a big
//! base config for hardware the machine does not have.
//!
//! The caller names *targets* (a label and the AND-of-OR symbol groups that
//! build it, as Kbuild says); a target is off when one of its groups has no
//! symbol at `y`. Only what a user could do in menuconfig is done: a
//! visible symbol is set to `n`; a symbol that is on because something
//! selects it is turned off through its (visible) selectors. A symbol a
//! goal needs — the goal's own symbol and, transitively, what keeps it at
//! `y` (its dependencies, its selectors and defaults when it has no
//! visible prompt) — is never touched, nor a symbol the caller keeps.
//!
//! The result is applied as `# CONFIG_X is not set` lines appended to the
//! current configuration and evaluated by the engine, as `make
//! olddefconfig` reads it. Every goal that was met must still be met; a
//! batch that breaks one is split until the culprits are found and kept.

use crate::Goal;
use kfit_kconfig::{Expr, Kconfig, PropKind, SymbolId, Tristate};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

/// Something to turn off.
#[derive(Clone, Debug)]
pub struct OffTarget {
    /// What it is (a module name), for the report.
    pub label: String,
    /// It is on while every group has a symbol at `y` (Kbuild's condition;
    /// pass the groups that are its own, not its directory's).
    pub groups: Vec<Vec<String>>,
}

/// A target turned off, and the user values that did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnedOff {
    /// The target's label.
    pub label: String,
    /// Symbols set to `n` for it.
    pub symbols: Vec<String>,
}

/// A target left on, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOn {
    /// The target's label.
    pub label: String,
    /// Why it cannot be turned off.
    pub reason: String,
}

/// What [`turn_off`] did.
#[derive(Clone, Debug, Default)]
pub struct OffOutcome {
    /// Targets now off.
    pub off: Vec<TurnedOff>,
    /// Targets still on.
    pub left_on: Vec<LeftOn>,
    /// Engine evaluations spent (one, plus bisection when a batch broke a goal).
    pub evaluations: usize,
}

/// Turn `targets` off in `kc` (holding the fitted configuration) without
/// turning any met goal off, never touching `keep` (symbol names).
pub fn turn_off(kc: &mut Kconfig, goals: &[Goal], targets: &[OffTarget], keep: &[String]) -> OffOutcome {
    let mut out = OffOutcome::default();
    let y = |kc: &Kconfig, n: &str| kc.lookup(n).is_some_and(|id| kc.tristate(id) == Tristate::Yes);
    let met: Vec<usize> = (0..goals.len())
        .filter(|&i| goals[i].any_of.iter().any(|n| y(kc, n)))
        .collect();
    let selectors = selector_map(kc);
    let mut protected: HashMap<SymbolId, String> = HashMap::new();
    // Goals with one way first; a goal with alternatives then keeps one
    // that is already kept, else its first on (mptbase is built by any of
    // FUSION_SPI, _FC, _SAS: the one another goal needs is enough).
    let mut order = met.clone();
    order.sort_by_key(|&i| goals[i].any_of.len() > 1);
    for i in order {
        let on: Vec<SymbolId> = goals[i]
            .any_of
            .iter()
            .filter_map(|n| kc.lookup(n))
            .filter(|&id| kc.tristate(id) == Tristate::Yes)
            .collect();
        if on.iter().any(|id| protected.contains_key(id)) {
            continue;
        }
        if let Some(&id) = on.first() {
            protect(kc, id, &goals[i].reason, &mut protected);
        }
    }
    for n in keep {
        if let Some(id) = kc.lookup(n.trim_start_matches("CONFIG_")) {
            protect(kc, id, &format!("kept ({n})"), &mut protected);
        }
    }
    protect_witnesses(kc, &selectors, &mut protected);
    // Plan every target against the current values.
    let mut plans: Vec<(usize, Vec<SymbolId>)> = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        match plan_target(kc, &selectors, &protected, t) {
            Ok(p) if p.is_empty() => {}
            Ok(p) => plans.push((ti, p)),
            Err(reason) => out.left_on.push(LeftOn {
                label: t.label.clone(),
                reason,
            }),
        }
    }
    let base = kc.write_config();
    let mut accepted: Vec<(usize, Vec<SymbolId>)> = Vec::new();
    let mut pending = vec![plans];
    while let Some(batch) = pending.pop() {
        if batch.is_empty() {
            continue;
        }
        let trial: Vec<&(usize, Vec<SymbolId>)> = accepted.iter().chain(&batch).collect();
        apply(kc, &base, trial.iter().flat_map(|p| &p.1));
        out.evaluations += 1;
        let broken = met.iter().find(|&&i| !goals[i].any_of.iter().any(|n| y(kc, n)));
        match broken {
            None => accepted.extend(batch),
            Some(&gi) if batch.len() == 1 => {
                let (ti, _) = &batch[0];
                out.left_on.push(LeftOn {
                    label: targets[*ti].label.clone(),
                    reason: format!("turning it off would turn off what {} needs", goals[gi].reason),
                });
            }
            Some(_) => {
                let mut a = batch;
                let b = a.split_off(a.len() / 2);
                // Second half last: the stack pops it first.
                pending.push(a);
                pending.push(b);
            }
        }
    }
    apply(kc, &base, accepted.iter().flat_map(|p| &p.1));
    out.evaluations += 1;
    for (ti, syms) in accepted {
        let t = &targets[ti];
        let still_on = t.groups.iter().all(|g| g.iter().any(|n| y(kc, n)));
        if still_on {
            out.left_on.push(LeftOn {
                label: t.label.clone(),
                reason: "stays on after its symbols were turned off (another path turns it on)".into(),
            });
        } else {
            out.off.push(TurnedOff {
                label: t.label.clone(),
                symbols: syms.iter().map(|&s| kc.symbol(s).name.clone()).collect(),
            });
        }
    }
    out
}

/// `select` edges, target → (selector, condition).
type Selectors = HashMap<SymbolId, Vec<(SymbolId, Option<kfit_kconfig::ExprRef>)>>;

fn selector_map(kc: &Kconfig) -> Selectors {
    let mut m: Selectors = HashMap::new();
    for s in kc.symbols() {
        for p in kc.properties(s, PropKind::Select) {
            if let Some(t) = p.target {
                m.entry(t).or_default().push((s, p.cond.clone()));
            }
        }
    }
    m
}

/// The symbols at `y` an expression mentions.
fn on_in(kc: &Kconfig, e: &Expr, out: &mut Vec<SymbolId>) {
    e.for_each_symbol(&mut |s| {
        if !kc.symbol(s).is_const && kc.tristate(s) == Tristate::Yes {
            out.push(s);
        }
    });
}

/// Protect `id` and what its value depends on (its dependencies and prompt
/// conditions), recording `why` for each. What keeps a symbol without a
/// visible prompt on (a selector, a default) is protected afterwards by
/// [`protect_witnesses`], one witness each.
fn protect(kc: &Kconfig, id: SymbolId, why: &str, p: &mut HashMap<SymbolId, String>) {
    let mut work = vec![id];
    while let Some(s) = work.pop() {
        if p.contains_key(&s) {
            continue;
        }
        p.insert(s, why.to_string());
        let sym = kc.symbol(s);
        let mut next = Vec::new();
        if let Some(d) = &sym.dir_dep {
            on_in(kc, d, &mut next);
        }
        for pr in kc.prompts(s) {
            if let Some(c) = &pr.cond {
                on_in(kc, c, &mut next);
            }
        }
        work.extend(next);
    }
}

/// Every protected symbol without a visible prompt (its value comes from a
/// selector or a default) keeps one thing that holds it on: an active
/// selector or default already protected, else the first active default,
/// else the first active selector. Protecting every selector instead would
/// keep every DRM driver because one needed module selects DRM_KMS_HELPER.
fn protect_witnesses(kc: &Kconfig, sel: &Selectors, p: &mut HashMap<SymbolId, String>) {
    loop {
        let mut todo: Vec<(SymbolId, Vec<SymbolId>)> = Vec::new();
        for (&s, _) in p.iter() {
            if kc.visibility(s) != Tristate::No || kc.tristate(s) == Tristate::No {
                continue;
            }
            let selectors: Vec<(SymbolId, Vec<SymbolId>)> = sel
                .get(&s)
                .into_iter()
                .flatten()
                .filter(|(by, c)| {
                    kc.tristate(*by) != Tristate::No && kc.eval_cond(c.as_ref()) != Tristate::No
                })
                .map(|(by, c)| {
                    let mut v = vec![*by];
                    if let Some(c) = c {
                        on_in(kc, c, &mut v);
                    }
                    (*by, v)
                })
                .collect();
            let defaults: Vec<Vec<SymbolId>> = kc
                .properties(s, PropKind::Default)
                .filter(|d| {
                    kc.eval_cond(d.cond.as_ref()) != Tristate::No
                        && d.expr.as_ref().is_some_and(|e| kc.eval_expr(e) != Tristate::No)
                })
                .map(|d| {
                    let mut v = Vec::new();
                    if let Some(e) = &d.expr {
                        on_in(kc, e, &mut v);
                    }
                    if let Some(c) = &d.cond {
                        on_in(kc, c, &mut v);
                    }
                    v
                })
                .collect();
            let held = selectors.iter().any(|(by, _)| p.contains_key(by))
                || defaults.iter().any(|v| v.iter().all(|x| p.contains_key(x)));
            if held {
                continue;
            }
            if let Some(w) = defaults
                .into_iter()
                .next()
                .or_else(|| selectors.into_iter().next().map(|x| x.1))
            {
                todo.push((s, w));
            }
        }
        if todo.is_empty() {
            return;
        }
        for (s, w) in todo {
            let why = p.get(&s).cloned().unwrap_or_default();
            for x in w {
                protect(kc, x, &why, p);
            }
        }
    }
}

/// The symbols to set to `n` to turn `t` off: for the first group that can
/// be emptied, each of its `y` symbols (through its selectors when selected).
fn plan_target(
    kc: &Kconfig,
    sel: &Selectors,
    protected: &HashMap<SymbolId, String>,
    t: &OffTarget,
) -> Result<Vec<SymbolId>, String> {
    let mut last = format!("{} has no own Kconfig symbol (built by its directory)", t.label);
    for g in &t.groups {
        let on: Vec<SymbolId> = g
            .iter()
            .filter_map(|n| kc.lookup(n))
            .filter(|&id| kc.tristate(id) == Tristate::Yes)
            .collect();
        if on.is_empty() {
            return Ok(Vec::new());
        }
        let mut plan = BTreeSet::new();
        let r: Result<(), String> = on
            .iter()
            .try_for_each(|&s| plan_off(kc, sel, protected, s, 0, &mut plan));
        match r {
            Ok(()) => return Ok(plan.into_iter().collect()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn plan_off(
    kc: &Kconfig,
    sel: &Selectors,
    protected: &HashMap<SymbolId, String>,
    s: SymbolId,
    depth: usize,
    plan: &mut BTreeSet<SymbolId>,
) -> Result<(), String> {
    let name = &kc.symbol(s).name;
    if let Some(why) = protected.get(&s) {
        return Err(format!("CONFIG_{name} is needed: {why}"));
    }
    if depth > 6 {
        return Err(format!("CONFIG_{name} is selected through too long a chain"));
    }
    if kc.choice_of(s).is_some() {
        return Err(format!("CONFIG_{name} is a choice member"));
    }
    let mut seen = HashSet::new();
    if kc.rev_dep_value(s) != Tristate::No {
        for (by, cond) in sel.get(&s).into_iter().flatten() {
            if kc.tristate(*by) != Tristate::No
                && kc.eval_cond(cond.as_ref()) != Tristate::No
                && seen.insert(*by)
            {
                plan_off(kc, sel, protected, *by, depth + 1, plan)
                    .map_err(|e| format!("CONFIG_{name} is selected: {e}"))?;
            }
        }
    }
    if kc.visibility(s) != Tristate::No {
        plan.insert(s);
        return Ok(());
    }
    if kc.rev_dep_value(s) != Tristate::No {
        // Off once its selectors are.
        return Ok(());
    }
    Err(format!(
        "CONFIG_{name} is on by default and has no prompt to turn it off"
    ))
}

/// `base` with every symbol of `off` set to `n`, read back into `kc`.
fn apply<'a>(kc: &mut Kconfig, base: &str, off: impl Iterator<Item = &'a SymbolId>) {
    let mut text = String::with_capacity(base.len() + 4096);
    text.push_str(base);
    let names: BTreeSet<String> = off.map(|&s| kc.symbol(s).name.clone()).collect();
    for n in names {
        let _ = writeln!(text, "# CONFIG_{n} is not set");
    }
    kc.read_config_str(&text, "fitted config + turned off");
}

//! The solver on small in-memory Kconfig trees: each test one rule of how
//! a wanted symbol is reached (or why not). Values are always read back
//! from the engine, which `tests/conformance.rs` of kfit-kconfig checks
//! against the kernel's own `conf`.

use kfit_kconfig::{Kconfig, LoadOptions, Tristate};
use kfit_solve::{
    solve, solve_any_of, solve_with_values, AnyOf, FellBack, Goal, GoalStatus, ValueGoal, Want,
};

fn load(text: &str, base: &str) -> Kconfig {
    let opts = LoadOptions {
        allow_shell: false,
        probe_cache_dir: None,
        model_cache_dir: None,
        kernelversion: Some("1.0".into()),
        ..Default::default()
    };
    let mut kc = Kconfig::from_text("/nonexistent".as_ref(), text, &opts).expect("parses");
    kc.read_config_str(base, "base");
    kc
}

fn goal(names: &[&str]) -> Goal {
    Goal {
        any_of: names.iter().map(|s| s.to_string()).collect(),
        reason: "test".into(),
    }
}

fn val(kc: &Kconfig, name: &str) -> Tristate {
    kc.tristate(kc.lookup(name).expect("symbol"))
}

const MODULES: &str = "config MODULES\n\tbool \"modules\"\n\tmodules\n";

#[test]
fn depends_chain_is_enabled() {
    let text = format!(
        "{MODULES}config A\n\tbool \"a\"\nconfig B\n\tbool \"b\"\n\tdepends on A\nconfig C\n\ttristate \"c\"\n\tdepends on B\n"
    );
    let base = "# CONFIG_MODULES is not set\n";
    let mut kc = load(&text, base);
    let out = solve(&mut kc, base, &[goal(&["C"])]);
    assert!(
        matches!(out.goals[0], GoalStatus::Enabled(ref s) if s == "C"),
        "{:?}",
        out.goals
    );
    for s in ["A", "B", "C"] {
        assert_eq!(val(&kc, s), Tristate::Yes, "{s}");
    }
}

#[test]
fn symbol_without_prompt_comes_from_a_selector() {
    let text = "config LIB\n\tbool\nconfig USER\n\tbool \"user\"\n\tselect LIB\n";
    let mut kc = load(text, "");
    let out = solve(&mut kc, "", &[goal(&["LIB"])]);
    assert!(matches!(out.goals[0], GoalStatus::Enabled(_)), "{:?}", out.goals);
    assert_eq!(val(&kc, "USER"), Tristate::Yes);
}

#[test]
fn choice_member_is_selected() {
    let text =
        "choice\n\tprompt \"pick\"\nconfig ONE\n\tbool \"one\"\nconfig TWO\n\tbool \"two\"\nendchoice\n";
    let mut kc = load(text, "");
    assert_eq!(val(&kc, "ONE"), Tristate::Yes);
    let out = solve(&mut kc, "", &[goal(&["TWO"])]);
    assert!(matches!(out.goals[0], GoalStatus::Enabled(_)), "{:?}", out.goals);
    assert_eq!(val(&kc, "TWO"), Tristate::Yes);
    assert_eq!(val(&kc, "ONE"), Tristate::No);
}

#[test]
fn unreachable_goal_is_blocked_with_the_expression() {
    let text = "config BROKEN\n\tbool\nconfig X\n\tbool \"x\"\n\tdepends on BROKEN\n";
    let mut kc = load(text, "");
    let before = kc.write_config();
    let out = solve(&mut kc, "", &[goal(&["X"])]);
    let GoalStatus::Blocked(b) = &out.goals[0] else {
        panic!("{:?}", out.goals)
    };
    let msg = b.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("\n");
    assert!(msg.contains("BROKEN"), "{msg}");
    assert_eq!(kc.write_config(), before, "a blocked goal changes nothing");
}

/// A symbol that already satisfies one goal is never turned off to make
/// room for another goal's `depends on !A`.
#[test]
fn already_on_goal_is_not_turned_off_for_another() {
    let text = "config A\n\tbool \"a\"\nconfig B\n\tbool \"b\"\n\tdepends on !A\n";
    let base = "CONFIG_A=y\n";
    let mut kc = load(text, base);
    let out = solve(&mut kc, base, &[goal(&["A"]), goal(&["B"])]);
    assert!(
        matches!(out.goals[0], GoalStatus::AlreadyOn(_)),
        "{:?}",
        out.goals
    );
    assert!(matches!(out.goals[1], GoalStatus::Blocked(_)), "{:?}", out.goals);
    assert_eq!(val(&kc, "A"), Tristate::Yes);
}

/// A goal whose plan is applied but then undone by another goal leaves
/// none of its changes behind (here: EXPERT, which only it needed).
#[test]
fn a_goal_turned_off_again_leaves_no_changes() {
    let text = "config EXPERT\n\tbool \"expert\"\nconfig H\n\tbool \"h\"\nconfig K\n\tbool \"k\"\n\tdepends on EXPERT && !H\n";
    let mut kc = load(text, "");
    let out = solve(&mut kc, "", &[goal(&["K"]), goal(&["H"])]);
    assert!(matches!(out.goals[0], GoalStatus::Blocked(_)), "{:?}", out.goals);
    assert!(matches!(out.goals[1], GoalStatus::Enabled(_)), "{:?}", out.goals);
    assert_eq!(val(&kc, "H"), Tristate::Yes);
    assert_eq!(
        val(&kc, "EXPERT"),
        Tristate::No,
        "EXPERT was only for the blocked K"
    );
}

#[test]
fn alternatives_prefer_the_one_already_on() {
    let text = "config P\n\tbool \"p\"\nconfig Q\n\tbool \"q\"\n";
    let base = "CONFIG_Q=y\n";
    let mut kc = load(text, base);
    let out = solve(&mut kc, base, &[goal(&["P", "Q"])]);
    assert!(
        matches!(out.goals[0], GoalStatus::AlreadyOn(ref s) if s == "Q"),
        "{:?}",
        out.goals
    );
    assert_eq!(val(&kc, "P"), Tristate::No);
}

fn off(name: &str) -> ValueGoal {
    ValueGoal {
        symbol: name.into(),
        want: Want::Off,
        reason: "test".into(),
    }
}

fn value(name: &str, v: &str) -> ValueGoal {
    ValueGoal {
        symbol: name.into(),
        want: Want::Value(v.into()),
        reason: "test".into(),
    }
}

fn blocked_text(s: &GoalStatus) -> String {
    match s {
        GoalStatus::Blocked(b) => b.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("\n"),
        other => panic!("not blocked: {other:?}"),
    }
}

/// `# CONFIG_A is not set` in a fragment: A goes off and what depends on
/// it follows (the engine's own evaluation).
#[test]
fn off_goal_turns_the_symbol_and_its_dependents_off() {
    let text = "config A\n\tbool \"a\"\n\tdefault y\nconfig B\n\tbool \"b\"\n\tdepends on A\n\tdefault y\n";
    let mut kc = load(text, "");
    assert_eq!(val(&kc, "B"), Tristate::Yes);
    let out = solve_with_values(&mut kc, "", &[], &[off("A")]);
    assert!(
        matches!(out.values[0], GoalStatus::Enabled(_)),
        "{:?}",
        out.values
    );
    assert_eq!(val(&kc, "A"), Tristate::No);
    assert_eq!(val(&kc, "B"), Tristate::No);
    assert!(kc.write_config().contains("# CONFIG_A is not set"));
}

#[test]
fn off_goal_already_off_or_absent_is_met() {
    let text = "config A\n\tbool \"a\"\n";
    let mut kc = load(text, "");
    let out = solve_with_values(&mut kc, "", &[], &[off("A"), off("NOT_HERE")]);
    assert!(
        matches!(out.values[0], GoalStatus::AlreadyOn(_)),
        "{:?}",
        out.values
    );
    assert!(
        matches!(out.values[1], GoalStatus::AlreadyOn(_)),
        "{:?}",
        out.values
    );
}

/// A selected symbol cannot be turned off by a user value: the selector
/// is named with its value.
#[test]
fn off_goal_of_a_selected_symbol_names_the_selector() {
    let text = "config LIB\n\tbool \"lib\"\nconfig USER\n\tbool \"user\"\n\tselect LIB\n";
    let base = "CONFIG_USER=y\n";
    let mut kc = load(text, base);
    let out = solve_with_values(&mut kc, base, &[], &[off("LIB")]);
    let msg = blocked_text(&out.values[0]);
    assert!(msg.contains("LIB is selected by USER [=y]"), "{msg}");
    assert_eq!(val(&kc, "LIB"), Tristate::Yes);
}

/// A goal that needs a symbol another requirement wants off is blocked;
/// the off requirement wins and is kept.
#[test]
fn goal_needing_a_symbol_wanted_off_is_blocked() {
    let text = "config A\n\tbool \"a\"\nconfig B\n\tbool \"b\"\n\tdepends on A\n";
    let mut kc = load(text, "");
    let out = solve_with_values(&mut kc, "", &[goal(&["B"])], &[off("A")]);
    let msg = blocked_text(&out.goals[0]);
    assert!(msg.contains("B depends on A [=n]"), "{msg}");
    assert!(
        matches!(out.values[0], GoalStatus::AlreadyOn(_)),
        "{:?}",
        out.values
    );
    assert_eq!(val(&kc, "B"), Tristate::No);
}

/// Off and on together: a goal wanted on cannot also be turned off.
#[test]
fn off_goal_conflicting_with_a_goal_is_blocked() {
    let text = "config A\n\tbool \"a\"\n";
    let base = "CONFIG_A=y\n";
    let mut kc = load(text, base);
    let out = solve_with_values(&mut kc, base, &[goal(&["A"])], &[off("A")]);
    assert!(
        matches!(out.goals[0], GoalStatus::AlreadyOn(_)),
        "{:?}",
        out.goals
    );
    let msg = blocked_text(&out.values[0]);
    assert!(msg.contains("wanted on by one goal and off by another"), "{msg}");
}

/// An int/string value: its prompt's dependencies are enabled first.
#[test]
fn value_goal_enables_the_prompt_and_sets_the_value() {
    let text = "config A\n\tbool \"a\"\nconfig N\n\tint \"n\"\n\tdepends on A\n\trange 1 64\n\tdefault 8\nconfig S\n\tstring \"s\"\n\tdefault \"x\"\n";
    let mut kc = load(text, "");
    let out = solve_with_values(&mut kc, "", &[], &[value("N", "32"), value("S", "hello \"w\"")]);
    assert!(
        matches!(out.values[0], GoalStatus::Enabled(_)),
        "{:?}",
        out.values
    );
    assert!(
        matches!(out.values[1], GoalStatus::Enabled(_)),
        "{:?}",
        out.values
    );
    assert_eq!(val(&kc, "A"), Tristate::Yes);
    assert_eq!(kc.string_value(kc.lookup("N").unwrap()), "32");
    assert_eq!(kc.string_value(kc.lookup("S").unwrap()), "hello \"w\"");
}

/// A value outside the symbol's range does not stick: blocked, with the range.
#[test]
fn value_goal_out_of_range_is_blocked_with_the_range() {
    let text = "config N\n\tint \"n\"\n\trange 1 64\n\tdefault 8\n";
    let mut kc = load(text, "");
    let out = solve_with_values(&mut kc, "", &[], &[value("N", "100")]);
    let msg = blocked_text(&out.values[0]);
    assert!(msg.contains("range 1 64"), "{msg}");
}

/// A dependency on a symbol this tree never defines (another
/// architecture's) is shown as `n`, like conf's warnings, and named.
#[test]
fn dependency_on_an_undefined_symbol_is_named() {
    let text = "config HVC\n\tbool \"hvc\"\n\tdepends on PPC_ONLY\n";
    let mut kc = load(text, "");
    let out = solve(&mut kc, "", &[goal(&["HVC"])]);
    let msg = blocked_text(&out.goals[0]);
    assert!(msg.contains("HVC depends on PPC_ONLY [=n]"), "{msg}");
    assert!(msg.contains("PPC_ONLY does not exist in this kernel"), "{msg}");
}

/// Drivers for one device: FIRST (its most specific match) and two
/// fallbacks, C1 and C2; FIRST and C1 depend on BROKEN, which nothing can
/// turn on; C2 can be turned on, C3 is on already.
const DRIVERS: &str = "config BROKEN\n\tbool\nconfig FIRST\n\tbool \"first\"\n\tdepends on BROKEN\nconfig C1\n\tbool \"c1\"\n\tdepends on BROKEN\nconfig C2\n\tbool \"c2\"\nconfig C3\n\tbool \"c3\"\n\tdefault y\n";

/// A blocked first candidate falls back to the first fallback that can be
/// met, in order: C1 is tried and blocked, C2 is used; the solver says
/// which and which failed.
#[test]
fn any_of_falls_back_to_the_first_candidate_that_can_be_met() {
    let mut kc = load(DRIVERS, "# CONFIG_C3 is not set\n");
    let mut goals = vec![goal(&["FIRST"])];
    let any = AnyOf {
        first: vec![vec![0]],
        then: vec![vec![goal(&["C1"])], vec![goal(&["C2"])]],
    };
    let out = solve_any_of(&mut kc, "# CONFIG_C3 is not set\n", &mut goals, &[], &[any]);
    let names: Vec<&str> = goals.iter().map(|g| g.any_of[0].as_str()).collect();
    assert_eq!(names, ["FIRST", "C1", "C2"]);
    assert_eq!(
        out.fell_back,
        [Some(FellBack {
            candidate: 1,
            goals: vec![2],
            failed: vec![(0, vec![1])],
        })]
    );
    assert!(matches!(out.goals[0], GoalStatus::Blocked(_)), "{:?}", out.goals);
    assert!(matches!(out.goals[1], GoalStatus::Blocked(_)), "{:?}", out.goals);
    assert_eq!(out.goals[2], GoalStatus::Enabled("C2".into()));
    assert_eq!(val(&kc, "C2"), Tristate::Yes);
}

/// A fallback that is on already wins over an earlier one that would need
/// changes; a goal equal to one already there is that goal.
#[test]
fn any_of_prefers_a_fallback_already_on_and_shares_equal_goals() {
    let mut kc = load(DRIVERS, "");
    let mut goals = vec![goal(&["FIRST"]), goal(&["C3"])];
    let any = AnyOf {
        first: vec![vec![0]],
        then: vec![vec![goal(&["C2"])], vec![goal(&["C3"])]],
    };
    let out = solve_any_of(&mut kc, "", &mut goals, &[], &[any]);
    assert_eq!(goals.len(), 2, "{goals:?}");
    assert_eq!(
        out.fell_back,
        [Some(FellBack {
            candidate: 1,
            goals: vec![1],
            failed: Vec::new(),
        })]
    );
    assert_eq!(val(&kc, "C2"), Tristate::No);
}

/// While a first candidate is met, no fallback is added; with none that
/// can be met, the first tried is reported, blocked.
#[test]
fn any_of_falls_back_only_when_needed() {
    let mut kc = load(DRIVERS, "");
    let mut goals = vec![goal(&["C2"])];
    let met = AnyOf {
        first: vec![vec![0]],
        then: vec![vec![goal(&["C3"])]],
    };
    let out = solve_any_of(&mut kc, "", &mut goals, &[], &[met]);
    assert_eq!(out.fell_back, [None]);
    assert_eq!(goals.len(), 1);
    let mut kc = load(DRIVERS, "");
    let mut goals = vec![goal(&["FIRST"])];
    let none = AnyOf {
        first: vec![vec![0]],
        then: vec![vec![goal(&["C1"])], vec![goal(&["BROKEN"])]],
    };
    let out = solve_any_of(&mut kc, "", &mut goals, &[], &[none]);
    let f = out.fell_back[0].as_ref().expect("fell back");
    assert_eq!((f.candidate, f.failed.len()), (0, 1), "{f:?}");
    assert!(matches!(out.goals[f.goals[0]], GoalStatus::Blocked(_)));
}

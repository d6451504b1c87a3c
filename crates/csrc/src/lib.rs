//! kfit-csrc: the one C-source reader of kfit. The index's preprocessor
//! (kfit-kbuild's `pp`, which adds `#include` resolution and the per-file
//! macro timeline), its source facts and the firmware narrowers all read C
//! through it:
//!
//! * [`lex`]: comment stripping (line count kept), tokens with their line,
//!   integer literals ([`parse_int`]) and string escapes;
//! * [`macros`]: `#define` parsing and macro expansion;
//! * [`eval`]: constant expressions (`#if`, initializers);
//! * [`cond`]: directive lines, the `#if` stack with kfit's configuration
//!   policy, and the `CONFIG_` symbols each open conditional requires;
//! * [`defines`]: a macro table read from whole texts, conditionals
//!   honoured (the firmware narrowers' reader);
//! * [`init`]: balanced brackets, call arguments, initializer elements and
//!   designated fields.

pub mod cond;
pub mod defines;
pub mod eval;
pub mod init;
pub mod lex;
pub mod macros;

pub use cond::{eval_if, CondStack, Dir, Policy, Requirements};
pub use defines::Defines;
pub use eval::{parse_int, truthy, unescape, Eval, Val};
pub use lex::{line_of, strip_comments, strip_comments_str, text, tokenize, tokenize_str, Pos, Tok, K};
pub use macros::{define_name, parse_define, Def, Expander, Macro, MacroMap, MacroSource};

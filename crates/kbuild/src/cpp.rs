//! The C reader the index uses is kfit-csrc (lexer, macros, constant
//! expressions, directives); this module names it for the rest of the
//! crate. `pp` adds what only the index needs: `#include` resolution
//! against the tree, the per-file macro timeline and the global header map.

pub use kfit_csrc::{
    define_name, line_of, parse_define, parse_int, tokenize, truthy, unescape, Eval, Expander, Macro,
    MacroMap, MacroSource, Pos, Tok, Val, K,
};

//! kfit-resolve (see ARCHITECTURE.md).

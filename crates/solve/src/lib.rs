//! kfit-solve (see ARCHITECTURE.md).

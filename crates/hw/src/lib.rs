//! kfit-hw (see ARCHITECTURE.md).

//! kfit-kbuild (see ARCHITECTURE.md).

//! kfit-kconfig (see ARCHITECTURE.md).

//! kfit-firmware (see ARCHITECTURE.md).

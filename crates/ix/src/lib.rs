//! kfit-ix (see ARCHITECTURE.md).

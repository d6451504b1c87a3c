//! kfit-resolve: from devices to the Kconfig symbols that drive them.
pub mod srcscan;

//! One module per subcommand group; each owns its clap args and printing.
pub mod fit;
pub mod hw;
pub mod index;
pub mod kconfig;
pub mod migrate;
pub mod profiles;

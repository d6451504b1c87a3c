use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KconfigCmd {
    /// Not implemented yet.
    Olddefconfig,
}

pub fn run(_c: KconfigCmd) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

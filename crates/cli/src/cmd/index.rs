use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct IndexArgs {}
#[derive(Args)]
pub struct ModinfoArgs {}
#[derive(Args)]
pub struct MatchArgs {}

pub fn run_index(_a: IndexArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
pub fn run_modinfo(_a: ModinfoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
pub fn run_match(_a: MatchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

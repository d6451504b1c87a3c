use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct HwArgs {}

pub fn run(_a: HwArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

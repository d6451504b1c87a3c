use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct FitArgs {}
#[derive(Args)]
pub struct ExplainArgs {}
#[derive(Args)]
pub struct AuditArgs {}
#[derive(Args)]
pub struct MenuconfigArgs {}

pub fn run_fit(_a: FitArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
pub fn run_explain(_a: ExplainArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
pub fn run_audit(_a: AuditArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
pub fn run_menuconfig(_a: MenuconfigArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}

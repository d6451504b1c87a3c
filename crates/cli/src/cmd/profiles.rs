//! `kfit profiles [NAME]`: the requirement profiles kept in `profiles/`.

use clap::Args;
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
pub struct ProfilesArgs {
    /// Show this profile's requirements with their sources.
    pub name: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: ProfilesArgs) -> anyhow::Result<ExitCode> {
    let list = match &a.name {
        Some(n) => vec![kfit_fit::requirements::profile(n)?],
        None => kfit_fit::requirements::profiles()?,
    };
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if a.json {
        serde_json::to_writer_pretty(&mut o, &list)?;
        writeln!(o)?;
        return Ok(ExitCode::SUCCESS);
    }
    for p in &list {
        writeln!(
            o,
            "{:<14} {:>3} requirements  {}  ({})",
            p.name,
            p.requirements.len(),
            p.about,
            p.file
        )?;
        if a.name.is_some() {
            for r in &p.requirements {
                writeln!(o, "  CONFIG_{}={}", r.symbol, r.want)?;
                for s in &r.sources {
                    writeln!(o, "      {s}")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `obsctl completions <shell>` and `obsctl man`: generated from the CLI
//! definition, so they can never disagree with it.

use std::io::Write;

use anyhow::{Context as _, Result};

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = crate::cli::command();
    // Generate into memory: clap_complete panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "obsctl", &mut script);
    write_stdout(&script).context("writing the completion script")
}

pub fn man(args: crate::cli::ManArgs) -> Result<()> {
    if let Some(dir) = args.out {
        if !dir.is_dir() {
            return crate::context::usage(format!(
                "man --out {}: not a directory: create it first",
                dir.display()
            ));
        }
        clap_mangen::generate_to(crate::cli::command(), &dir)
            .with_context(|| format!("writing the man pages into {}", dir.display()))?;
        return Ok(());
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(crate::cli::command())
        .render(&mut page)
        .context("rendering the man page")?;
    write_stdout(&page).context("writing the man page")
}

/// Write to stdout; a closed pipe (`obsctl man | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

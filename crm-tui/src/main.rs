//! `crm`: the terminal client for the crm engine, and its batch subcommands.

mod cli;
mod client;

use clap::Parser;
use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// When the process started (for the time-to-first-frame log line).
pub fn started() -> Instant {
    *STARTED.get_or_init(Instant::now)
}

fn main() -> std::process::ExitCode {
    use std::io::Write;
    started();
    let cli = cli::Cli::parse();
    let json = cli.wants_json();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Without a backtrace: this is for people (or, as JSON, for their scripts). A
            // closed standard error leaves only the exit code to tell.
            let _ = if json {
                writeln!(std::io::stderr(), "{}", cli::error_json(&e))
            } else {
                writeln!(std::io::stderr(), "error: {e:#}")
            };
            std::process::ExitCode::from(cli::exit_code(&e))
        }
    }
}

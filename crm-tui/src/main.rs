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
    started();
    match cli::Cli::parse().run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain of causes, one line, without a backtrace: this is for people.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

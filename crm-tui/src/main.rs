//! `crm`: the terminal client for the crm engine, and its batch subcommands.

mod app;
mod cli;
mod ui;
mod worker;

use anyhow::Result;
use clap::Parser;
use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// When the process started (for the time-to-first-frame log line).
pub fn started() -> Instant {
    *STARTED.get_or_init(Instant::now)
}

fn main() -> Result<()> {
    started();
    cli::Cli::parse().run()
}

#[cfg(test)]
mod tests;

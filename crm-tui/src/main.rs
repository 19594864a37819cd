//! `crm`: the terminal client for the crm engine, and its batch subcommands.

mod app;
mod cli;
mod ui;
mod worker;

use anyhow::Result;
use clap::Parser;

fn main() -> Result<()> {
    cli::Cli::parse().run()
}

#[cfg(test)]
mod tests;

//! The interactive client: the screens over one database, the worker that asks crm-core for
//! them, and the main loop (`app`). Nothing here is imported by the batch subcommands but the
//! way in, `app::run`, and the formatting of money and dates they share.

pub mod app;
mod field;
pub mod format;
mod keys;
mod remembered;
mod screens;
#[cfg(test)]
mod testing;
mod ui;
mod worker;

//! The client's screens, each a component in its own file (gitui's shape): it takes keys and the
//! worker's replies, says what should happen through [`Command`]s, draws itself, and declares
//! its keys as data ([`crate::client::keys::Keymap`]). The lists are the base; everything else is an
//! overlay on the app's stack, and the overlay on top takes the keys.

pub mod analytics;
pub mod board;
pub mod builder;
pub mod columns;
pub mod composer;
pub mod confirm;
pub mod detail;
pub mod document;
pub mod duplicates;
pub mod erase;
pub mod export;
pub mod help;
pub mod importer;
pub mod lists;
pub mod menu;
pub mod palette;
pub mod picker;
pub mod quotes;
pub mod review;
pub mod saved_views;
pub mod score;
pub mod segments;
pub mod timeline;
pub mod trash;
pub mod viewer;
pub mod why;

use crate::client::field::Field;
use crate::client::keys::KeyHelp;
pub use crate::client::ui::{Area, Areas};
use crate::client::worker::{Lookups, Reply, Request, Tab};
use crm_core::time::Timestamp;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use std::any::Any;

/// What every screen reads of the app, without owning it.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// Ticks of the main loop (~120 ms): spinners and the palette's debounce.
    pub tick: u64,
    /// The clock the timeline's time ranges count back from (set by tests).
    pub now: Timestamp,
    /// Rows a list shows at once (from the terminal size).
    pub rows: usize,
    /// User and stage names, once fetched.
    pub lookups: Option<&'a Lookups>,
}

/// What a screen asks of the app.
pub enum Command {
    /// Send a request to the worker.
    Ask(Request),
    /// Close the screen that says it.
    Close,
    /// Open an overlay on top.
    Push(Box<dyn Screen>),
    /// Show this in the status line until the next key.
    Notice(String),
    Quit,
    /// Open the help of the screen on top.
    Help,
    /// Open the search palette (the last one again, if a hit was opened from it).
    Search,
    /// Close every overlay and open a record in its tab, remembering the palette it came from.
    Show {
        tab: Tab,
        id: i64,
        from: Box<palette::Palette>,
    },
    /// The tab's rows changed: fetch its first page again.
    Reload(Tab),
    /// Change what a tab's list shows (filter, order, columns, view).
    Query(Tab, QueryChange),
    /// Turn the mouse's capture off (so text can be selected in the terminal) or on.
    ToggleMouse,
    /// Show another area (tab); the one left keeps its state for the next visit.
    Go(Area),
}

/// A change to what a tab's list shows.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryChange {
    /// Order by this field (or newest first).
    Sort(Option<crm_core::records::Sort>),
    /// Keep the records these criteria hold for (every one when `None`).
    Where(Option<serde_json::Value>),
    /// Show these columns, in order.
    Columns(Vec<String>),
    /// Show the list as a saved view says.
    View(Box<crm_core::views::View>),
    /// The plain list: no view, no filter, newest first, the tab's columns.
    Plain,
    /// The board (of Deals) shows this pipeline.
    Pipeline(crm_core::ids::PipelineId),
}

/// A screen of the client.
pub trait Screen: Any {
    /// Its keys, for dispatch's help overlay, the status line and the binding test.
    fn keymap(&self) -> KeyHelp;
    /// Takes a key press (the screen is on top).
    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>);
    /// Takes a reply meant for it, or gives it back for the screens under it.
    fn reply(&mut self, reply: Reply, _view: &View<'_>, _out: &mut Vec<Command>) -> Option<Reply> {
        Some(reply)
    }
    /// A click of the left button at (`x`, `y`) — `double` for the second of two quick ones —
    /// with the areas it was drawn in (the screen is on top). The wheel arrives as `↑`/`↓`.
    fn click(
        &mut self,
        _x: u16,
        _y: u16,
        _double: bool,
        _areas: Areas,
        _view: &View<'_>,
        _out: &mut Vec<Command>,
    ) {
    }
    /// A tick of the main loop passed.
    fn tick(&mut self, _view: &View<'_>, _out: &mut Vec<Command>) {}
    /// The area (tab) the screen is, for the screens that are one (segments, analytics).
    fn area(&self) -> Option<Area> {
        None
    }
    /// The screen is shown again after a visit elsewhere: its numbers may be stale.
    fn shown_again(&mut self, _out: &mut Vec<Command>) {}
    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>);
    /// The text field the editing keys go to, while it shows one (the shared field test reads
    /// it).
    fn field(&self) -> Option<&Field> {
        None
    }
    /// Whether it waits for the worker (drives the spinner).
    fn busy(&self) -> bool {
        false
    }
}

/// A list a screen fetches from the worker, drawn in `block` over `area` while it is not there:
/// a spinner and `loading` while it comes, `failed` and the error when it did not. Answers the
/// items once they came, for the screen to draw.
pub fn loaded<'a, T>(
    frame: &mut Frame<'_>,
    area: ratatui::layout::Rect,
    block: &ratatui::widgets::Block<'_>,
    state: Option<&'a Result<T, crate::client::worker::Failure>>,
    (loading, failed): (&str, &str),
    tick: u64,
) -> Option<&'a T> {
    use ratatui::style::Stylize;
    use ratatui::widgets::{Paragraph, Wrap};
    let text = match state {
        Some(Ok(items)) => return Some(items),
        None => Paragraph::new(format!(
            "{} {loading}",
            crate::client::format::spinner(tick)
        )),
        Some(Err(e)) => Paragraph::new(format!("{failed}: {e}"))
            .red()
            .wrap(Wrap { trim: true }),
    };
    frame.render_widget(text.block(block.clone()), area);
    None
}

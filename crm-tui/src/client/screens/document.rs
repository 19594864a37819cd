//! A quote's document as `crm quote render` prints it (`p` in the composer): what the customer
//! receives, as saved, over the composer; it scrolls when longer than the terminal.

use super::{Areas, Command, Screen, View};
use crate::client::format::spinner;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Reply};
use crm_core::ids::QuoteId;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Close,
    Up,
    Down,
    PageUp,
    PageDown,
}

const CLOSE: Binding<Action> = each(
    &[
        (KeyCode::Esc, Action::Close),
        (KeyCode::Char('q'), Action::Close),
        (KeyCode::Char('p'), Action::Close),
    ],
    "Esc q p",
    "back to the composer",
);

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in a quote's document",
    bindings: &[CLOSE],
    hints: &[hint(&[Action::Close], "Esc", "back")],
};

/// A document longer than the terminal scrolls.
const SCROLLING: Keymap<Action> = Keymap {
    title: "Keys in a quote's document",
    bindings: &[
        each(
            &[
                (KeyCode::Up, Action::Up),
                (KeyCode::Char('k'), Action::Up),
                (KeyCode::Down, Action::Down),
                (KeyCode::Char('j'), Action::Down),
            ],
            "↑↓ jk",
            "scroll",
        ),
        each(
            &[
                (KeyCode::PageUp, Action::PageUp),
                (KeyCode::PageDown, Action::PageDown),
            ],
            "PgUp PgDn",
            "a screen up / down",
        ),
        CLOSE,
    ],
    hints: &[
        hint(&[Action::Up, Action::Down], "↑↓", "scroll"),
        hint(&[Action::Close], "Esc", "back"),
    ],
};

/// The document of one quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: QuoteId,
    pub label: String,
    /// The text, once rendered.
    pub text: Option<Result<String, Failure>>,
    /// Rows shown at once (the terminal's, less the frame and the status line).
    pub height: usize,
    /// The first row shown.
    pub offset: usize,
}

impl Document {
    /// Waiting for quote `id`'s document, on a terminal `rows` rows high.
    pub fn loading(id: QuoteId, label: &str, rows: u16) -> Document {
        Document {
            id,
            label: label.to_owned(),
            text: None,
            height: usize::from(rows.saturating_sub(4)).max(1),
            offset: 0,
        }
    }

    fn lines(&self) -> usize {
        match &self.text {
            Some(Ok(text)) => text.lines().count(),
            _ => 1,
        }
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        if self.lines() > self.height {
            &SCROLLING
        } else {
            &KEYS
        }
    }
}

impl Screen for Document {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let last = self.lines().saturating_sub(self.height);
        match self.keymap_now().action(key) {
            Some(Action::Close) => out.push(Command::Close),
            Some(Action::Up) => self.offset = self.offset.saturating_sub(1),
            Some(Action::Down) => self.offset = (self.offset + 1).min(last),
            Some(Action::PageUp) => self.offset = self.offset.saturating_sub(self.height),
            Some(Action::PageDown) => self.offset = (self.offset + self.height).min(last),
            None => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, _out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::QuoteDocument { id, result } if id == self.id && self.text.is_none() => {
                self.text = Some(result);
                None
            }
            other => Some(other),
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let lines: Vec<Line<'static>> = match &self.text {
            None => vec![Line::from(format!("{} rendering…", spinner(view.tick))).dim()],
            Some(Err(e)) => vec![Line::from(format!("Could not render the quote: {e}")).red()],
            Some(Ok(text)) => text
                .lines()
                .skip(self.offset)
                .map(|l| Line::from(l.to_owned()))
                .collect(),
        };
        let title = format!(
            " {} · as the customer receives it (as saved; crm quote render) ",
            self.label
        );
        frame.render_widget(
            Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(title)),
            area,
        );
    }

    fn busy(&self) -> bool {
        self.text.is_none()
    }
}

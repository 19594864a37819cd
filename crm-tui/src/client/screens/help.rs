//! The help overlay: the keys of the screen it was opened over, from that screen's keymap.

use super::{Areas, Command, Screen, View};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Close,
    Up,
    Down,
}

const CLOSE: Binding<Action> = each(
    &[
        (KeyCode::Char('?'), Action::Close),
        (KeyCode::Esc, Action::Close),
        (KeyCode::Char('q'), Action::Close),
    ],
    "? Esc q",
    "close help",
);

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in the help",
    bindings: &[CLOSE],
    hints: &[hint(&[Action::Close], "? Esc q", "close help")],
};

/// A help longer than the terminal scrolls (the wheel too).
const SCROLLING: Keymap<Action> = Keymap {
    title: "Keys in the help",
    bindings: &[
        CLOSE,
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
    ],
    hints: &[
        hint(&[Action::Up, Action::Down], "↑↓", "scroll"),
        hint(&[Action::Close], "? Esc q", "close help"),
    ],
};

/// The overlay: it takes every key, and only its own close it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    /// The keys it lists.
    pub keys: KeyHelp,
    /// The terminal's height when it opened: what it can show at once.
    pub height: u16,
    /// The first row shown.
    pub offset: usize,
}

impl Help {
    pub fn new(keys: KeyHelp, height: u16) -> Help {
        Help {
            keys,
            height,
            offset: 0,
        }
    }

    /// Rows shown at once: the terminal's height less the frame, the title and a gap.
    fn shown(&self) -> usize {
        usize::from(self.height.saturating_sub(4)).max(1)
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        if self.keys.rows.len() > self.shown() {
            &SCROLLING
        } else {
            &KEYS
        }
    }
}

impl Screen for Help {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let last = self.keys.rows.len().saturating_sub(self.shown());
        match self.keymap_now().action(key) {
            Some(Action::Close) => out.push(Command::Close),
            Some(Action::Up) => self.offset = self.offset.saturating_sub(1),
            Some(Action::Down) => self.offset = (self.offset + 1).min(last),
            None => {}
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let area = areas.full;
        let rows = &self.keys.rows;
        let width = 86.min(area.width);
        let height = (rows.len() as u16 + 4)
            .min(area.height)
            .min(self.height.max(4));
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        let mut lines = vec![Line::from(self.keys.title).bold(), Line::default()];
        lines.extend(
            rows.iter()
                .skip(self.offset)
                .map(|(keys, what)| Line::from(format!("  {keys:<16} {what}"))),
        );
        let title = if rows.len() > self.shown() {
            format!(
                " Help · {}–{} of {} ",
                self.offset + 1,
                (self.offset + self.shown()).min(rows.len()),
                rows.len()
            )
        } else {
            " Help ".to_owned()
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(title)),
            popup,
        );
    }
}

#[cfg(test)]
mod tests;

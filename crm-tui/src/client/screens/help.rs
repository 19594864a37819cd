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
struct Close;

const KEYS: Keymap<Close> = Keymap {
    title: "Keys in the help",
    bindings: &[each(
        &[
            (KeyCode::Char('?'), Close),
            (KeyCode::Esc, Close),
            (KeyCode::Char('q'), Close),
        ],
        "? Esc q",
        "close help",
    )] as &[Binding<Close>],
    hints: &[hint(&[Close], "? Esc q", "close help")],
};

/// The overlay: it takes every key, and only its own close it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    /// The keys it lists.
    pub keys: KeyHelp,
}

impl Screen for Help {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        if KEYS.action(key).is_some() {
            out.push(Command::Close);
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let area = areas.full;
        let rows = &self.keys.rows;
        let width = 86.min(area.width);
        let height = (rows.len() as u16 + 4).min(area.height);
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + (area.height - height) / 2,
            width,
            height,
        };
        let mut lines = vec![Line::from(self.keys.title).bold(), Line::default()];
        lines.extend(
            rows.iter()
                .map(|(keys, what)| Line::from(format!("  {keys:<16} {what}"))),
        );
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(" Help ")),
            popup,
        );
    }
}

#[cfg(test)]
mod tests;

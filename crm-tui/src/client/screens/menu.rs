//! A list to pick one entry from: the sort field of a list, the owner leads go to. `Enter`
//! picks, and the screen that opened it said what a pick does.

use super::{Areas, Command, Screen, View};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Pick,
    Cancel,
}

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in a menu",
    bindings: &[
        each(
            &[(KeyCode::Up, Action::Up), (KeyCode::Char('k'), Action::Up)],
            "↑ k",
            "up",
        ),
        each(
            &[
                (KeyCode::Down, Action::Down),
                (KeyCode::Char('j'), Action::Down),
            ],
            "↓ j",
            "down",
        ),
        each(&[(KeyCode::Enter, Action::Pick)], "Enter", "pick"),
        each(&[(KeyCode::Esc, Action::Cancel)], "Esc", "cancel"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Up, Action::Down], "↑↓", "choose"),
        hint(&[Action::Pick], "Enter", "pick"),
        hint(&[Action::Cancel], "Esc", "cancel"),
    ],
};

/// What picking entry `i` does.
pub type OnPick = Box<dyn Fn(usize) -> Vec<Command>>;

/// A menu: a title, its entries, the one chosen.
pub struct Menu {
    pub title: String,
    pub entries: Vec<String>,
    pub selected: usize,
    on_pick: OnPick,
}

impl Menu {
    /// A menu of `entries` with `selected` chosen first; a pick closes it and runs `on_pick`.
    pub fn new(
        title: impl Into<String>,
        entries: Vec<String>,
        selected: usize,
        on_pick: OnPick,
    ) -> Menu {
        Menu {
            title: title.into(),
            selected: selected.min(entries.len().saturating_sub(1)),
            entries,
            on_pick,
        }
    }
}

impl Screen for Menu {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        match KEYS.action(key) {
            Some(Action::Cancel) => out.push(Command::Close),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(self.entries.len().saturating_sub(1));
            }
            Some(Action::Pick) if self.selected < self.entries.len() => {
                out.push(Command::Close);
                out.extend((self.on_pick)(self.selected));
            }
            Some(Action::Pick) | None => {}
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let height = u16::try_from(self.entries.len() + 2)
            .unwrap_or(u16::MAX)
            .clamp(3, 20);
        let popup = crate::client::ui::centered(areas.full, 48, height);
        let visible = usize::from(popup.height.saturating_sub(2)).max(1);
        let first = self.selected.saturating_sub(visible - 1);
        let lines: Vec<Line> = self
            .entries
            .iter()
            .enumerate()
            .skip(first)
            .take(visible)
            .map(|(i, e)| {
                let line = Line::from(format!(" {e}"));
                if i == self.selected {
                    line.reversed()
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(format!(" {} ", self.title)),
            ),
            popup,
        );
    }
}

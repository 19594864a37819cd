//! Choosing and ordering a list's columns: the shown ones first, in order, then the others.
//! `Space` shows or hides, `J`/`K` move a shown column, `Enter` applies.

use super::{Areas, Command, QueryChange, Screen, View};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::Tab;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Toggle,
    Later,
    Earlier,
    Apply,
    Cancel,
}

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in the column chooser",
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
        each(
            &[(KeyCode::Char(' '), Action::Toggle)],
            "Space",
            "show or hide the column",
        ),
        each(
            &[(KeyCode::Char('J'), Action::Later)],
            "J",
            "move the column right (down the list)",
        ),
        each(
            &[(KeyCode::Char('K'), Action::Earlier)],
            "K",
            "move the column left (up the list)",
        ),
        each(&[(KeyCode::Enter, Action::Apply)], "Enter", "apply"),
        each(&[(KeyCode::Esc, Action::Cancel)], "Esc", "cancel"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Up, Action::Down], "↑↓", "choose"),
        hint(&[Action::Toggle], "Space", "show/hide"),
        hint(&[Action::Later, Action::Earlier], "J K", "move"),
        hint(&[Action::Apply], "Enter", "apply"),
        hint(&[Action::Cancel], "Esc", "cancel"),
    ],
};

/// The chooser's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub tab: Tab,
    /// Shown columns, in order.
    pub shown: Vec<&'static str>,
    /// The others, in the catalog's order.
    pub hidden: Vec<&'static str>,
    /// Over `shown` then `hidden`.
    pub selected: usize,
}

impl Columns {
    /// The chooser of `tab`'s columns, `shown` in order.
    pub fn new(tab: Tab, shown: &[&'static str]) -> Columns {
        let hidden = tab
            .fields()
            .iter()
            .map(|f| f.name)
            .filter(|n| !shown.contains(n))
            .collect();
        Columns {
            tab,
            shown: shown.to_vec(),
            hidden,
            selected: 0,
        }
    }

    fn len(&self) -> usize {
        self.shown.len() + self.hidden.len()
    }

    fn label(&self, name: &str) -> &'static str {
        self.tab
            .fields()
            .iter()
            .find(|f| f.name == name)
            .map_or("?", |f| f.label)
    }
}

impl Screen for Columns {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let shown = self.shown.len();
        match KEYS.action(key) {
            Some(Action::Cancel) => out.push(Command::Close),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(self.len() - 1),
            Some(Action::Toggle) => {
                if self.selected < shown {
                    // A list keeps at least one column.
                    if shown > 1 {
                        let name = self.shown.remove(self.selected);
                        self.hidden.push(name);
                        self.hidden
                            .sort_by_key(|n| self.tab.fields().iter().position(|f| f.name == *n));
                        self.selected = self.selected.min(self.len() - 1);
                    } else {
                        out.push(Command::Notice("a list shows one column at least".into()));
                    }
                } else {
                    let name = self.hidden.remove(self.selected - shown);
                    self.shown.push(name);
                    self.selected = shown;
                }
            }
            Some(Action::Later) if self.selected + 1 < shown => {
                self.shown.swap(self.selected, self.selected + 1);
                self.selected += 1;
            }
            Some(Action::Earlier) if self.selected > 0 && self.selected < shown => {
                self.shown.swap(self.selected, self.selected - 1);
                self.selected -= 1;
            }
            Some(Action::Later | Action::Earlier) => {
                out.push(Command::Notice("only shown columns move".into()));
            }
            Some(Action::Apply) => {
                out.push(Command::Close);
                out.push(Command::Query(
                    self.tab,
                    QueryChange::Columns(self.shown.iter().map(|s| (*s).to_owned()).collect()),
                ));
            }
            None => {}
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let height = u16::try_from(self.len() + 4).unwrap_or(u16::MAX).min(24);
        let popup = crate::client::ui::centered(areas.full, 44, height);
        let visible = usize::from(popup.height.saturating_sub(2)).max(1);
        let first = self.selected.saturating_sub(visible - 1);
        let rows = self
            .shown
            .iter()
            .enumerate()
            .map(|(i, n)| format!(" [x] {}. {}", i + 1, self.label(n)))
            .chain(
                self.hidden
                    .iter()
                    .map(|n| format!(" [ ]    {}", self.label(n))),
            );
        let lines: Vec<Line> = rows
            .enumerate()
            .skip(first)
            .take(visible)
            .map(|(i, text)| {
                let line = Line::from(text);
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
                    .title(format!(" Columns of {} ", self.tab.title())),
            ),
            popup,
        );
    }
}

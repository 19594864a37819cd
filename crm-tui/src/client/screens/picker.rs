//! The picker that links the selected ticket to a lead or deal: type to filter, `Enter` links.

use super::confirm::Confirm;
use super::{Areas, Command, Screen, View};
use crate::client::field::Field;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{LinkChange, PickKind, Reply, Request};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Type,
    Up,
    Down,
    Link,
    Cancel,
}

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in the picker",
    bindings: &[
        typing(Action::Type, "type", "filter by name, company or email"),
        each(&[(KeyCode::Up, Action::Up)], "↑", "up"),
        each(&[(KeyCode::Down, Action::Down)], "↓", "down"),
        each(
            &[(KeyCode::Enter, Action::Link)],
            "Enter",
            "link the chosen one",
        ),
        each(&[(KeyCode::Esc, Action::Cancel)], "Esc", "cancel"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Type], "type", "filter"),
        hint(&[Action::Up, Action::Down], "↑↓", "choose"),
        hint(&[Action::Link], "Enter", "link"),
        hint(&[Action::Cancel], "Esc", "cancel"),
    ],
};

/// The picker's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub kind: PickKind,
    pub ticket: i64,
    pub query: Field,
    /// `(id, label)` of the records matching `query`.
    pub items: Vec<(i64, String)>,
    pub selected: usize,
    pub loading: bool,
}

impl Picker {
    /// A picker of `kind` for `ticket`, and its first search (everything).
    pub fn new(kind: PickKind, ticket: i64) -> (Picker, Request) {
        let picker = Picker {
            kind,
            ticket,
            query: Field::default(),
            items: Vec::new(),
            selected: 0,
            loading: true,
        };
        let request = Request::Pick {
            kind,
            query: String::new(),
        };
        (picker, request)
    }
}

impl Screen for Picker {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        match KEYS.action(key) {
            Some(Action::Cancel) => out.push(Command::Close),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(self.items.len().saturating_sub(1));
            }
            Some(Action::Link) => {
                if let Some((id, _)) = self.items.get(self.selected) {
                    let change = match self.kind {
                        PickKind::Lead => LinkChange::ToLead(*id),
                        PickKind::Deal => LinkChange::ToDeal(*id),
                    };
                    out.push(Command::Close);
                    out.push(Command::Ask(Request::Link {
                        ticket: self.ticket,
                        change,
                    }));
                }
            }
            Some(Action::Type) => {
                if !self.query.key(key) {
                    return;
                }
                self.loading = true;
                self.selected = 0;
                // Each keystroke asks again; answers for an older query are dropped on arrival.
                out.push(Command::Ask(Request::Pick {
                    kind: self.kind,
                    query: self.query.text(),
                }));
            }
            None => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        let Reply::Picked {
            kind,
            query,
            result,
        } = reply
        else {
            return Some(reply);
        };
        if kind == self.kind && query == self.query.text() {
            self.loading = false;
            match result {
                Ok(items) => {
                    self.items = items;
                    self.selected = self.selected.min(self.items.len().saturating_sub(1));
                }
                Err(e) => out.push(Command::Notice(format!("search failed: {e}"))),
            }
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let what = match self.kind {
            PickKind::Lead => "lead",
            PickKind::Deal => "deal",
        };
        let popup = crate::client::ui::centered(areas.full, 70, 16);
        let mut prompt = Line::from("> ");
        prompt
            .spans
            .extend(self.query.line(popup.width.saturating_sub(4), true).spans);
        let mut lines = vec![prompt, Line::default()];
        if self.items.is_empty() {
            lines.push(
                Line::from(if self.loading {
                    "searching…"
                } else {
                    "no match"
                })
                .dim(),
            );
        }
        let visible = usize::from(popup.height.saturating_sub(4));
        let first = self.selected.saturating_sub(visible.saturating_sub(1));
        for (i, (_, label)) in self.items.iter().enumerate().skip(first).take(visible) {
            let line = Line::from(label.clone());
            lines.push(if i == self.selected {
                line.reversed()
            } else {
                line
            });
        }
        let title = format!(" Link ticket #{} to a {what} ", self.ticket);
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(title)),
            popup,
        );
    }

    fn field(&self) -> Option<&Field> {
        Some(&self.query)
    }

    fn busy(&self) -> bool {
        self.loading
    }
}

/// What a link key on a ticket does: `L` `D` link it (through a picker), `x` `X` unlink its
/// lead or deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKey {
    Link(PickKind),
    Unlink(PickKind),
}

/// The link keys on ticket `t`, wherever it is shown (the Tickets tab, the record viewer):
/// linking opens the picker; unlinking asks first, naming the ticket and what goes.
pub fn link_key(key: LinkKey, t: &crm_core::tickets::Ticket, out: &mut Vec<Command>) {
    let ticket = t.id.0;
    match key {
        LinkKey::Link(kind) => {
            let (picker, request) = Picker::new(kind, ticket);
            out.push(Command::Push(Box::new(picker)));
            out.push(Command::Ask(request));
        }
        LinkKey::Unlink(kind) => {
            let (change, linked, what) = match kind {
                PickKind::Lead => (
                    LinkChange::UnlinkLead,
                    t.related_lead_id.map(|l| format!("lead #{}", l.0)),
                    "lead",
                ),
                PickKind::Deal => (
                    LinkChange::UnlinkDeal,
                    t.related_deal_id.map(|d| format!("deal #{}", d.0)),
                    "deal",
                ),
            };
            match linked {
                // Asked first: a link is found again only by hand or by auto-link.
                Some(linked) => out.push(Command::Push(Box::new(Confirm::new(
                    format!(
                        "Unlink ticket #{ticket} {:?} from {linked}?",
                        crate::client::format::clip(&t.subject, 40)
                    ),
                    vec![Request::Link { ticket, change }],
                )))),
                None => out.push(Command::Notice(format!(
                    "ticket #{ticket} has no {what} to unlink"
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests;

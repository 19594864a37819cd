//! `X` on a customer (admins): the right to erasure. The customer's email (or name, when they
//! have none) is typed to confirm; `Enter` erases them for good and the receipt says what went.

use super::{Areas, Command, Screen, View};
use crate::client::field::Field;
use crate::client::format::spinner;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{Failure, Reply, Request, Tab};
use crm_core::customers::Customer;
use crm_core::erasure::Erased;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Type,
    Erase,
    Close,
}

const ASKING: Keymap<Action> = Keymap {
    title: "Keys when erasing a customer",
    bindings: &[
        typing(
            Action::Type,
            "type",
            "the customer's email (their name when they have none)",
        ),
        each(
            &[(KeyCode::Enter, Action::Erase)],
            "Enter",
            "erase them for good",
        ),
        each(
            &[(KeyCode::Esc, Action::Close)],
            "Esc",
            "back: nothing is erased",
        ),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Erase], "Enter", "erase"),
        hint(&[Action::Close], "Esc", "back"),
    ],
};

const RECEIPT: Keymap<Action> = Keymap {
    title: "Keys on an erasure's receipt",
    bindings: &[each(
        &[
            (KeyCode::Enter, Action::Close),
            (KeyCode::Esc, Action::Close),
        ],
        "Enter Esc",
        "close",
    )] as &[Binding<Action>],
    hints: &[hint(&[Action::Close], "Enter", "close")],
};

/// The erasure of one customer: asking, then its receipt.
#[derive(Debug, Clone)]
pub struct Erase {
    customer: Customer,
    field: Field,
    waiting: bool,
    failure: Option<Failure>,
    receipt: Option<Erased>,
}

impl Erase {
    pub fn new(customer: Customer) -> Erase {
        Erase {
            customer,
            field: Field::new(""),
            waiting: false,
            failure: None,
            receipt: None,
        }
    }

    fn keys(&self) -> &'static Keymap<Action> {
        if self.receipt.is_some() {
            &RECEIPT
        } else {
            &ASKING
        }
    }
}

impl Screen for Erase {
    fn keymap(&self) -> KeyHelp {
        self.keys().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        if self.waiting {
            return;
        }
        match self.keys().action(key) {
            Some(Action::Type) => {
                self.field.key(key);
                self.failure = None;
            }
            Some(Action::Erase) => {
                self.waiting = true;
                self.failure = None;
                out.push(Command::Ask(Request::Erase {
                    id: self.customer.id,
                    confirm: self.field.text(),
                }));
            }
            Some(Action::Close) => out.push(Command::Close),
            None => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Erased(result) if self.waiting => {
                self.waiting = false;
                match result {
                    Ok(erased) => {
                        self.receipt = Some(erased);
                        out.extend(Tab::ALL.iter().map(|t| Command::Reload(*t)));
                    }
                    Err(e) => self.failure = Some(e),
                }
                None
            }
            other => Some(other),
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = super::export::centered(areas.main, 11);
        frame.render_widget(Clear, area);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(format!(" Erase {} ", self.customer.name));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let words = |records: &std::collections::BTreeMap<String, u64>| {
            crate::client::format::group(records, "")
        };
        let lines = if let Some(r) = &self.receipt {
            let mut lines = vec![
                Line::from(format!("Erased customer #{} for good.", r.id)).bold(),
                Line::from(format!("Removed: {}.", words(&r.erased))),
            ];
            if !r.anonymized.is_empty() {
                lines.push(Line::from(format!(
                    "Kept without them, for the figures: {}.",
                    words(&r.anonymized)
                )));
            }
            if r.trash_groups > 0 {
                lines.push(Line::from(format!(
                    "Removed from the trash: {} group(s).",
                    r.trash_groups
                )));
            }
            lines.push(Line::from(
                "Nothing of them is left in the database file, its log or the search index. \
                     Backups taken before now, and copies hosts made from the change feed, still \
                     hold them."
                    .dim(),
            ));
            lines
        } else {
            let what = match &self.customer.email {
                Some(email) => format!("their email, {email}"),
                None => format!("their name, {}", self.customer.name),
            };
            let width = inner.width.saturating_sub(8);
            vec![
                Line::from(
                    "Everything about this customer goes for good: the record, leads, \
                         tickets, conversations, calls, activities, what is in the trash, the \
                         values in the audit. Deals stay, without them. This cannot be undone.",
                ),
                Line::from(format!("To confirm, type {what}:")),
                Line::from(
                    std::iter::once(Span::raw("Type: "))
                        .chain(self.field.line(width, !self.waiting).spans)
                        .collect::<Vec<_>>(),
                ),
                match (&self.failure, self.waiting) {
                    (_, true) => Line::from(format!("{} erasing…", spinner(view.tick))).dim(),
                    (Some(e), _) => Line::from(format!("Not erased: {e}")).red(),
                    (None, _) => Line::from("Esc: nothing is erased".dim()),
                },
            ]
        };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }

    fn field(&self) -> Option<&Field> {
        self.receipt.is_none().then_some(&self.field)
    }

    fn busy(&self) -> bool {
        self.waiting
    }
}

#[cfg(test)]
mod tests;

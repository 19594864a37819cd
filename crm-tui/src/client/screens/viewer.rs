//! The record viewer: a record opened from a timeline event, a search hit or another record's
//! related records (a customer, lead, deal or ticket with its related records, a conversation
//! with its messages, a call), over everything else. Its related records can be opened in turn
//! (`Tab`, then `Enter`), and a ticket takes the Tickets tab's link keys.

use super::detail::{field, focus_scroll, openable, record_lines, related_lines, section};
use super::picker::{LinkKey, link_key};
use super::{Areas, Command, Screen, View};
use crate::client::format::{datetime, opt, spinner};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Opened, PickKind, Record, Reply, Request};
use crm_core::search::SearchType;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Back,
    Related,
    Up,
    Down,
    Open,
    LinkLead,
    LinkDeal,
    UnlinkLead,
    UnlinkDeal,
}

use Action as A;
use KeyCode as K;

const BACK: Binding<Action> = each(
    &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
    "Esc q",
    "back",
);
const RELATED_KEYS: Binding<Action> = each(
    &[(K::Tab, A::Related), (K::Right, A::Related)],
    "Tab →",
    "into the related records (↑↓ choose, Enter opens)",
);
const LINKS: Binding<Action> = each(
    &[
        (K::Char('L'), A::LinkLead),
        (K::Char('D'), A::LinkDeal),
        (K::Char('x'), A::UnlinkLead),
        (K::Char('X'), A::UnlinkDeal),
    ],
    "L D x X",
    "link the ticket to a lead / deal, unlink its lead / deal (asks first)",
);

/// A record without related records to open, a conversation or a call.
const PLAIN: Keymap<Action> = Keymap {
    title: "Keys in the record viewer",
    bindings: &[BACK],
    hints: &[hint(&[A::Back], "Esc", "back")],
};

/// A record with related records.
const RECORD: Keymap<Action> = Keymap {
    title: "Keys in the record viewer",
    bindings: &[RELATED_KEYS, BACK],
    hints: &[
        hint(&[A::Related], "Tab", "related records"),
        hint(&[A::Back], "Esc", "back"),
    ],
};

/// A ticket: its links as on the Tickets tab.
const TICKET: Keymap<Action> = Keymap {
    title: "Keys on a ticket in the record viewer",
    bindings: &[RELATED_KEYS, LINKS, BACK],
    hints: &[
        hint(&[A::Related], "Tab", "related"),
        hint(&[A::LinkLead, A::LinkDeal], "L D", "link"),
        hint(&[A::UnlinkLead, A::UnlinkDeal], "x X", "unlink"),
        hint(&[A::Back], "Esc", "back"),
    ],
};

/// The focus in the related records.
const RELATED: Keymap<Action> =
    super::detail::related_keymap!(A::Up, A::Down, A::Open, A::Back; hints);

/// Where the opened record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Opening what the string names.
    Loading(String),
    /// The record, and the related record with the focus while the focus is there.
    Ready(Box<Opened>, Option<usize>),
    Failed(Failure),
}

impl Viewer {
    fn keys(&self) -> &'static Keymap<Action> {
        match self {
            Viewer::Ready(_, Some(_)) => &RELATED,
            Viewer::Ready(opened, None) => match opened.as_ref() {
                Opened::Record(Record::Ticket(_), _) => &TICKET,
                Opened::Record(_, detail) if !openable(detail).is_empty() => &RECORD,
                _ => &PLAIN,
            },
            Viewer::Loading(_) | Viewer::Failed(_) => &PLAIN,
        }
    }

    /// The ticket shown, if it is one (to open it again after a link changes).
    fn shown_ticket(&self) -> Option<i64> {
        match self {
            Viewer::Ready(opened, _) => match opened.as_ref() {
                Opened::Record(Record::Ticket(t), _) => Some(t.id.0),
                _ => None,
            },
            _ => None,
        }
    }
}

impl Screen for Viewer {
    fn keymap(&self) -> KeyHelp {
        self.keys().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keys().action(key) else {
            return;
        };
        let Viewer::Ready(opened, focus) = self else {
            out.push(Command::Close);
            return;
        };
        let related = match opened.as_ref() {
            Opened::Record(_, detail) => openable(detail),
            _ => Vec::new(),
        };
        match (action, *focus) {
            (A::Back, Some(_)) => *focus = None,
            (A::Back, None) => out.push(Command::Close),
            (A::Related, None) => match related.len() {
                0 => out.push(Command::Notice("no related record to open".into())),
                _ => *focus = Some(0),
            },
            (A::Up, Some(at)) => *focus = Some(at.saturating_sub(1)),
            (A::Down, Some(at)) => *focus = Some((at + 1).min(related.len().saturating_sub(1))),
            (A::Open, Some(at)) => {
                if let Some((kind, id)) = related.get(at).copied() {
                    out.push(Command::Push(Box::new(Viewer::Loading(format!(
                        "{} #{id}",
                        kind.as_str()
                    )))));
                    out.push(Command::Ask(Request::OpenHit(kind, id)));
                }
            }
            (A::LinkLead | A::LinkDeal | A::UnlinkLead | A::UnlinkDeal, None) => {
                if let Opened::Record(Record::Ticket(t), _) = opened.as_ref() {
                    let key = match action {
                        A::LinkLead => LinkKey::Link(PickKind::Lead),
                        A::LinkDeal => LinkKey::Link(PickKind::Deal),
                        A::UnlinkLead => LinkKey::Unlink(PickKind::Lead),
                        _ => LinkKey::Unlink(PickKind::Deal),
                    };
                    link_key(key, t, out);
                }
            }
            _ => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Opened(result) if matches!(self, Viewer::Loading(_)) => {
                *self = match result {
                    Ok(opened) => Viewer::Ready(opened, None),
                    Err(e) => Viewer::Failed(e),
                };
                None
            }
            // The ticket shown was linked or unlinked (here or on the Tickets tab): open it
            // again, and let the lists take the reply too.
            Reply::Linked {
                result: Ok(ref links),
                ..
            } if self.shown_ticket() == Some(links.ticket_id.0) => {
                let id = links.ticket_id.0;
                *self = Viewer::Loading(format!("ticket #{id}"));
                out.push(Command::Ask(Request::OpenHit(SearchType::Ticket, id)));
                Some(reply)
            }
            other => Some(other),
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);

        let block = Block::new().borders(Borders::ALL).title(" Record ");
        let lines = match self {
            Viewer::Loading(what) => vec![Line::from(format!(
                "{} opening {what}…",
                spinner(view.tick)
            ))],
            Viewer::Failed(e) => vec![Line::from(format!("Could not open the record: {e}")).red()],
            Viewer::Ready(opened, focus) => match opened.as_ref() {
                Opened::Record(record, detail) => {
                    let mut lines = record_lines(view.lookups, record, Some(&detail.names), *focus);
                    lines.push(Line::default());
                    lines.extend(related_lines(
                        view.lookups,
                        detail,
                        matches!(record, Record::Ticket(_)),
                        *focus,
                    ));
                    lines
                }
                Opened::Conversation(c, messages, customer) => {
                    let mut lines = vec![
                        Line::from(c.subject.clone().unwrap_or_else(|| "(no subject)".into()))
                            .bold(),
                        field("channel", c.channel.to_string()),
                        field("status", c.status.to_string()),
                        field("customer", format!("{customer} #{}", c.customer_id)),
                        field("opened", datetime(c.created_at)),
                        Line::default(),
                        section("Messages"),
                    ];
                    if messages.is_empty() {
                        lines.push(Line::from("none").dim());
                    }
                    for m in messages {
                        lines.push(
                            Line::from(format!("{} {}", datetime(m.sent_at), m.direction)).dim(),
                        );
                        lines.push(Line::from(format!("    {}", m.body)));
                    }
                    lines
                }
                Opened::Call(call) => {
                    let who = |id: Option<i64>| id.map_or_else(|| "—".into(), |i| format!("#{i}"));
                    vec![
                        Line::from(format!("{} call", call.direction)).bold(),
                        field("at", datetime(call.occurred_at)),
                        field(
                            "duration",
                            format!(
                                "{}:{:02}",
                                call.duration_seconds / 60,
                                call.duration_seconds % 60
                            ),
                        ),
                        field("outcome", opt(call.outcome.as_deref())),
                        field("customer", who(call.customer_id.map(|c| c.0))),
                        field("lead", who(call.lead_id.map(|l| l.0))),
                        field("deal", who(call.deal_id.map(|d| d.0))),
                        Line::default(),
                        Line::from(call.notes.clone().unwrap_or_default()),
                    ]
                }
            },
        };
        // The related record with the focus stays on screen.
        let scroll = focus_scroll(&lines, area.height);
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            area,
        );
    }

    fn busy(&self) -> bool {
        matches!(self, Viewer::Loading(_))
    }
}

#[cfg(test)]
mod tests;

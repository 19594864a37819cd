//! The record viewer: a record opened from a timeline event or a search hit (a customer, lead,
//! deal or ticket with its related records, a conversation with its messages, a call), over
//! everything else; any of its keys goes back.

use super::detail::{field, record_lines, related_lines, section};
use super::{Areas, Command, Screen, View};
use crate::client::format::{datetime, opt, spinner};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Opened, Reply};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Back;

const KEYS: Keymap<Back> = Keymap {
    title: "Keys in the record viewer",
    bindings: &[each(
        &[
            (KeyCode::Esc, Back),
            (KeyCode::Char('q'), Back),
            (KeyCode::Enter, Back),
        ],
        "Esc q Enter",
        "back",
    )] as &[Binding<Back>],
    hints: &[hint(&[Back], "Esc Enter", "back")],
};

/// Where the opened record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Opening what the string names.
    Loading(String),
    Ready(Box<Opened>),
    Failed(Failure),
}

impl Screen for Viewer {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        if KEYS.action(key).is_some() {
            out.push(Command::Close);
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, _out: &mut Vec<Command>) -> Option<Reply> {
        let Reply::Opened(result) = reply else {
            return Some(reply);
        };
        if matches!(self, Viewer::Loading(_)) {
            *self = match result {
                Ok(opened) => Viewer::Ready(opened),
                Err(e) => Viewer::Failed(e),
            };
        }
        None
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
            Viewer::Ready(opened) => match opened.as_ref() {
                Opened::Record(record, detail) => {
                    let mut lines = record_lines(view.lookups, record);
                    lines.push(Line::default());
                    lines.extend(related_lines(view.lookups, detail, false));
                    lines
                }
                Opened::Conversation(c, messages) => {
                    let mut lines = vec![
                        Line::from(c.subject.clone().unwrap_or_else(|| "(no subject)".into()))
                            .bold(),
                        field("channel", c.channel.to_string()),
                        field("status", c.status.to_string()),
                        field("customer", format!("#{}", c.customer_id)),
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
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
    }

    fn busy(&self) -> bool {
        matches!(self, Viewer::Loading(_))
    }
}

#[cfg(test)]
mod tests;

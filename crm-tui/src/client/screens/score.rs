//! Why a lead has its score: each rule, its points, whether it matched and what it saw.

use super::{Areas, Command, Screen, View};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Reply, Request};
use crm_core::ids::LeadId;
use crm_core::leads::scoring::ScoreExplanation;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::{Color, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Down,
    Up,
    Close,
}

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in a score's explanation",
    bindings: &[
        each(
            &[
                (KeyCode::Down, Action::Down),
                (KeyCode::Char('j'), Action::Down),
            ],
            "↓ j",
            "scroll down",
        ),
        each(
            &[(KeyCode::Up, Action::Up), (KeyCode::Char('k'), Action::Up)],
            "↑ k",
            "scroll up",
        ),
        each(
            &[
                (KeyCode::Esc, Action::Close),
                (KeyCode::Char('w'), Action::Close),
            ],
            "Esc w",
            "close",
        ),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Down, Action::Up], "↑↓", "scroll"),
        hint(&[Action::Close], "Esc", "close"),
    ],
};

/// The explanation's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub lead: LeadId,
    pub name: String,
    pub explanation: Option<ScoreExplanation>,
    pub scroll: u16,
}

impl Score {
    /// The explanation of `lead`'s score, and its request.
    pub fn new(lead: LeadId, name: &str) -> (Score, Request) {
        (
            Score {
                lead,
                name: name.to_owned(),
                explanation: None,
                scroll: 0,
            },
            Request::ExplainScore(lead),
        )
    }
}

/// What a rule's conditions saw, one line each.
fn seen(why: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(why, &mut out);
    out
}

/// Adds each condition of `node` as a line: its result, the test and what it saw.
fn walk(node: &serde_json::Value, out: &mut Vec<String>) {
    if let Some(field) = node.get("field").and_then(|f| f.as_str()) {
        let mark = if node["result"] == true { "✓" } else { "✗" };
        out.push(format!(
            "{mark} {field} {} {} — saw {}",
            node["op"].as_str().unwrap_or("?"),
            node["value"],
            node["seen"]
        ));
        return;
    }
    for key in ["all", "any"] {
        if let Some(items) = node.get(key).and_then(|v| v.as_array()) {
            for n in items {
                walk(n, out);
            }
        }
    }
    if let Some(inner) = node.get("not") {
        walk(inner, out);
    }
}

impl Screen for Score {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        match KEYS.action(key) {
            Some(Action::Close) => out.push(Command::Close),
            Some(Action::Down) => self.scroll = self.scroll.saturating_add(1),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            None => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        let Reply::ScoreExplained(result) = reply else {
            return Some(reply);
        };
        match result {
            Ok(e) if e.lead_id == self.lead => self.explanation = Some(e),
            Ok(_) => {}
            Err(e) => {
                out.push(Command::Close);
                out.push(Command::Notice(format!("cannot explain the score: {e}")));
            }
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let popup = crate::client::ui::centered(areas.full, 90, 22);
        let mut lines: Vec<Line> = Vec::new();
        match &self.explanation {
            None => lines.push(Line::from("loading…").dim()),
            Some(e) => {
                let (word, color) = crate::client::format::score_badge(e.score);
                lines.push(Line::from(vec![
                    Span::raw("Score "),
                    Span::raw(format!("{word} {}", e.score)).fg(color).bold(),
                    Span::raw(match (e.by_hand, e.computed) {
                        (true, Some(c)) => {
                            format!(" — set by hand; the rules give {c} (R rescores)")
                        }
                        (true, None) => " — set by hand".to_owned(),
                        (false, Some(_)) => " — the sum of the matched rules, 0 to 100".to_owned(),
                        (false, None) => " — no scoring rules".to_owned(),
                    }),
                ]));
                lines.push(Line::default());
                for rule in &e.rules {
                    let points = format!("{:+}", rule.points);
                    let line = Line::from(vec![
                        Span::raw(if rule.matched { " ✓ " } else { " ✗ " }),
                        Span::raw(format!("{points:>5}  ")),
                        Span::raw(rule.name.clone()).bold(),
                    ]);
                    lines.push(if rule.matched {
                        line.fg(Color::Green)
                    } else {
                        line.dim()
                    });
                    for s in seen(&rule.why) {
                        lines.push(Line::from(format!("          {s}")).dim());
                    }
                }
            }
        }
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0))
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .title(format!(" Why {} scores what it does ", self.name)),
                ),
            popup,
        );
    }

    fn busy(&self) -> bool {
        self.explanation.is_none()
    }
}

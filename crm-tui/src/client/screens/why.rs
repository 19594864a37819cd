//! Why a customer is in a segment or out of it: the criteria tree with each node's result, and
//! what each condition saw for that customer (`segments.explain`).

use super::{Areas, Command, Screen, View};
use crate::client::format::plain;
use crate::client::format::spinner;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Reply};
use crm_core::segments::Explanation;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Back;

const KEYS: Keymap<Back> = Keymap {
    title: "Keys in why",
    bindings: &[each(
        &[
            (KeyCode::Esc, Back),
            (KeyCode::Char('q'), Back),
            (KeyCode::Enter, Back),
        ],
        "Esc q Enter",
        "back",
    )] as &[Binding<Back>],
    hints: &[hint(&[Back], "Esc", "back")],
};

/// The explanation of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    /// Who it is about.
    pub name: String,
    pub result: Option<Result<Explanation, Failure>>,
}

impl Why {
    /// Waiting for the explanation of `name`.
    pub fn loading(name: &str) -> Why {
        Why {
            name: name.to_owned(),
            result: None,
        }
    }
}

impl Screen for Why {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        if KEYS.action(key).is_some() {
            out.push(Command::Close);
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, _out: &mut Vec<Command>) -> Option<Reply> {
        let Reply::Explained(result) = reply else {
            return Some(reply);
        };
        if self.result.is_none() {
            self.result = Some(result);
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(format!(" Why · {} ", self.name));
        let lines = match &self.result {
            None => vec![Line::from(format!("{} explaining…", spinner(view.tick)))],
            Some(Err(e)) => vec![Line::from(format!("Could not explain: {e}")).red()],
            Some(Ok(e)) => {
                let mut lines = vec![
                    Line::from(if e.member {
                        Span::styled("✓ in the segment", Style::new().fg(Color::Green).bold())
                    } else {
                        Span::styled("✗ not in the segment", Style::new().fg(Color::Red).bold())
                    }),
                    Line::default(),
                ];
                node_lines(&e.why, 0, &mut lines);
                lines
            }
        };
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
    }

    fn busy(&self) -> bool {
        self.result.is_none()
    }
}

/// One line per node: its result, and for a condition the value(s) it saw.
fn node_lines(node: &Value, depth: usize, out: &mut Vec<Line<'static>>) {
    let indent = "  ".repeat(depth);
    let result = node["result"].as_bool().unwrap_or(false);
    let mark = if result {
        Span::styled("✓ ", Style::new().fg(Color::Green))
    } else {
        Span::styled("✗ ", Style::new().fg(Color::Red))
    };
    for (key, word) in [("all", "all of"), ("any", "any of")] {
        if let Some(Value::Array(children)) = node.get(key) {
            out.push(Line::from(vec![
                Span::raw(indent),
                mark,
                Span::raw(format!("{word}:")).bold(),
            ]));
            for child in children {
                node_lines(child, depth + 1, out);
            }
            return;
        }
    }
    if let Some(inner) = node.get("not") {
        out.push(Line::from(vec![
            Span::raw(indent),
            mark,
            Span::raw("not:").bold(),
        ]));
        node_lines(inner, depth + 1, out);
        return;
    }
    let options: Vec<String> = node
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| {
                    !matches!(k.as_str(), "field" | "op" | "value" | "result" | "seen")
                })
                .map(|(k, v)| format!("{k}: {}", plain(v)))
                .collect()
        })
        .unwrap_or_default();
    let options = if options.is_empty() {
        String::new()
    } else {
        format!("({})", options.join(", "))
    };
    out.push(Line::from(vec![
        Span::raw(indent),
        mark,
        Span::raw(format!(
            "{}{options} {} {}",
            plain(&node["field"]),
            plain(&node["op"]),
            plain(&node["value"])
        )),
        Span::styled(
            format!(
                "   saw {}",
                if node["seen"].is_null() {
                    "nothing".to_owned()
                } else {
                    plain(&node["seen"])
                }
            ),
            Style::new().fg(Color::Cyan),
        ),
    ]));
}

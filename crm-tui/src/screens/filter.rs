//! A list's filter in the criteria's text form (`status in [new, contacted] and score >= 50`),
//! over the kind's own fields: read by crm-core as it is typed, the fault named at its column,
//! applied with `Enter`. An empty filter shows every record.

use super::{Areas, Command, QueryChange, Screen, View};
use crate::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::worker::Tab;
use crm_core::criteria::{self, Criteria};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Type,
    Clear,
    Apply,
    Cancel,
}

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in the filter",
    bindings: &[
        typing(
            Action::Type,
            "type",
            "the criteria, e.g. score >= 50 and status = new",
        ),
        each(
            &[(KeyCode::Delete, Action::Clear)],
            "Del",
            "clear the filter (every record)",
        ),
        each(
            &[(KeyCode::Enter, Action::Apply)],
            "Enter",
            "apply (when it reads)",
        ),
        each(&[(KeyCode::Esc, Action::Cancel)], "Esc", "cancel"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Type], "type", "criteria"),
        hint(&[Action::Apply], "Enter", "apply"),
        hint(&[Action::Clear], "Del", "clear"),
        hint(&[Action::Cancel], "Esc", "cancel"),
    ],
};

/// The filter editor's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub tab: Tab,
    pub text: String,
    /// What the text reads as, or why it does not (`None` while empty).
    pub read: Option<Result<Criteria, String>>,
}

impl Filter {
    /// The filter of `tab`, starting from its current `text`.
    pub fn new(tab: Tab, text: &str) -> Filter {
        let mut filter = Filter {
            tab,
            text: text.to_owned(),
            read: None,
        };
        filter.reread();
        filter
    }

    fn reread(&mut self) {
        self.read = (!self.text.trim().is_empty()).then(|| {
            let defs = criteria::own_fields(self.tab.fields());
            criteria::text::parse(&self.text, &defs, "filter").map_err(|e| e.to_string())
        });
    }
}

impl Screen for Filter {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        match KEYS.action(key) {
            Some(Action::Cancel) => out.push(Command::Close),
            Some(Action::Type) => {
                if let KeyCode::Char(c) = key.code {
                    self.text.push(c);
                } else {
                    self.text.pop();
                }
                self.reread();
            }
            Some(Action::Clear) => {
                self.text.clear();
                self.reread();
            }
            Some(Action::Apply) => match &self.read {
                None => {
                    out.push(Command::Close);
                    out.push(Command::Query(self.tab, QueryChange::Where(None)));
                }
                Some(Ok(criteria)) => {
                    out.push(Command::Close);
                    out.push(Command::Query(
                        self.tab,
                        QueryChange::Where(Some(criteria.to_json())),
                    ));
                }
                Some(Err(_)) => {
                    out.push(Command::Notice("the filter does not read yet".into()));
                }
            },
            None => {}
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let popup = crate::ui::centered(areas.full, 76, 12);
        let fields: Vec<&str> = self.tab.fields().iter().map(|f| f.name).collect();
        let state = match &self.read {
            None => Line::from("no filter: every record").dim(),
            Some(Ok(_)) => Line::from("✓ reads — Enter applies").fg(Color::Green),
            Some(Err(e)) => Line::from(format!("✗ {e}")).fg(Color::Red),
        };
        let lines = vec![
            Line::from(vec![
                Span::raw("> "),
                Span::raw(self.text.clone()).bold(),
                Span::raw("▏"),
            ]),
            state,
            Line::default(),
            Line::from(Span::styled(
                format!("fields: {}", fields.join(" ")),
                Style::new().dim(),
            )),
            Line::from(Span::styled(
                "e.g. score >= 50 and status in [new, contacted] · ownerId = null · name contains acme",
                Style::new().dim(),
            )),
        ];
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(format!(" Filter {} ", self.tab.title())),
            ),
            popup,
        );
    }
}

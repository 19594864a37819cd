//! `E`: what a list shows (its filter, order and columns) or a segment's members, written to a
//! file whose path is typed (Tab completes it). `.jsonl` writes JSON Lines, anything else CSV.
//! Also the path completion the import wizard uses.

use super::{Areas, Command, Screen, View};
use crate::client::field::Field;
use crate::client::format::spinner;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{Failure, Reply, Request};
use crm_core::export::{ExportRequest, Format};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Type,
    Complete,
    Write,
    Close,
}

const KEYS: Keymap<Action> = Keymap {
    title: "Keys when exporting",
    bindings: &[
        typing(
            Action::Type,
            "type",
            "the file's path (.jsonl: JSON Lines; else CSV)",
        ),
        each(
            &[(KeyCode::Tab, Action::Complete)],
            "Tab",
            "complete the path",
        ),
        each(
            &[(KeyCode::Enter, Action::Write)],
            "Enter",
            "write the file",
        ),
        each(
            &[(KeyCode::Esc, Action::Close)],
            "Esc",
            "back: nothing is written",
        ),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Complete], "Tab", "complete"),
        hint(&[Action::Write], "Enter", "write"),
        hint(&[Action::Close], "Esc", "back"),
    ],
};

/// The export of one list or segment, waiting for its path.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// What is written, as the title says it ("Customers · the filter's 12").
    what: String,
    request: ExportRequest,
    field: Field,
    /// The completions of the last Tab, when there were several.
    choices: Vec<String>,
    waiting: bool,
    failure: Option<Failure>,
}

impl Export {
    /// An export of `request` (its path aside), offering `default_name` in the current folder.
    pub fn new(what: String, request: ExportRequest, default_name: &str) -> Export {
        let folder = std::env::current_dir().unwrap_or_default();
        Export {
            what,
            request,
            field: Field::new(&folder.join(default_name).to_string_lossy()),
            choices: Vec::new(),
            waiting: false,
            failure: None,
        }
    }
}

impl Screen for Export {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        if self.waiting {
            return;
        }
        match KEYS.action(key) {
            Some(Action::Type) => {
                self.field.key(key);
                self.choices.clear();
            }
            Some(Action::Complete) => {
                let (text, choices) = complete(&self.field.text());
                self.field = Field::new(&text);
                self.choices = choices;
            }
            Some(Action::Write) => {
                let path = expand(self.field.text().trim());
                let jsonl = matches!(
                    Path::new(&path).extension().and_then(|e| e.to_str()),
                    Some("jsonl" | "ndjson")
                );
                self.request.format = if jsonl { Format::Jsonl } else { Format::Csv };
                self.request.path = path;
                self.failure = None;
                self.waiting = true;
                out.push(Command::Ask(Request::Export(Box::new(
                    self.request.clone(),
                ))));
            }
            Some(Action::Close) => out.push(Command::Close),
            None => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Exported { path, result } if self.waiting && path == self.request.path => {
                self.waiting = false;
                match result {
                    Ok(rows) => {
                        out.push(Command::Close);
                        out.push(Command::Notice(format!(
                            "Wrote {} {} to {path}",
                            crate::client::format::thousands(rows),
                            if rows == 1 { "row" } else { "rows" }
                        )));
                    }
                    Err(e) => self.failure = Some(e),
                }
                None
            }
            other => Some(other),
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = centered(areas.main, 8 + self.choices.len().min(6) as u16);
        frame.render_widget(Clear, area);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(format!(" Export {} ", self.what));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let width = inner.width.saturating_sub(7);
        let mut lines = vec![
            Line::from(
                if self.request.segment_id.is_some() {
                    "Write the segment's members (every field of each customer) to:"
                } else {
                    "Write what the list shows — its filter, order and columns — to:"
                }
                .dim(),
            ),
            Line::from(
                std::iter::once(Span::raw("File: "))
                    .chain(self.field.line(width, !self.waiting).spans)
                    .collect::<Vec<_>>(),
            ),
        ];
        lines.extend(
            self.choices
                .iter()
                .take(6)
                .map(|c| Line::from(format!("  {c}")).dim()),
        );
        lines.push(Line::from(""));
        lines.push(match (&self.failure, self.waiting) {
            (_, true) => Line::from(format!("{} writing…", spinner(view.tick))).dim(),
            (Some(e), _) => Line::from(format!("Not written: {e}")).red(),
            (None, _) => Line::from(
                "A cell starting with = + - @ is written with a ' before it, so a spreadsheet \
                 does not run it."
                    .dim(),
            ),
        });
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }

    fn field(&self) -> Option<&Field> {
        Some(&self.field)
    }

    fn busy(&self) -> bool {
        self.waiting
    }
}

/// A box `height` rows high across `area`, centred.
pub fn centered(area: Rect, height: u16) -> Rect {
    let height = height.min(area.height);
    let width = area.width.saturating_sub(4).min(100);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// `~/x` as the home folder's `x`.
pub fn expand(path: &str) -> String {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest).to_string_lossy().into_owned(),
        _ => path.to_owned(),
    }
}

/// A path completed as a shell completes it: the entries of its folder that start with what
/// follows the last `/`; one is taken whole (a folder with its `/`), several give their
/// longest common start and are listed (folders first, then by name).
pub fn complete(text: &str) -> (String, Vec<String>) {
    let expanded = expand(text);
    let (folder, start) = match expanded.rfind('/') {
        Some(i) => (PathBuf::from(&expanded[..=i]), &expanded[i + 1..]),
        None => (PathBuf::from("."), expanded.as_str()),
    };
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return (text.to_owned(), Vec::new());
    };
    let mut found: Vec<(bool, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let hidden = name.starts_with('.') && !start.starts_with('.');
            (name.starts_with(start) && !hidden).then(|| (!e.path().is_dir(), name))
        })
        .collect();
    found.sort();
    let prefix = &expanded[..expanded.len() - start.len()];
    match found.as_slice() {
        [] => (text.to_owned(), Vec::new()),
        [(file, name)] => (
            format!("{prefix}{name}{}", if *file { "" } else { "/" }),
            Vec::new(),
        ),
        many => {
            let first = &many[0].1;
            let common = many.iter().fold(first.len(), |n, (_, name)| {
                first
                    .char_indices()
                    .zip(name.chars())
                    .take_while(|((_, a), b)| a == b)
                    .last()
                    .map_or(0, |((i, a), _)| i + a.len_utf8())
                    .min(n)
            });
            (
                format!("{prefix}{}", &first[..common]),
                many.iter()
                    .map(|(file, name)| format!("{name}{}", if *file { "" } else { "/" }))
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::complete;

    #[test]
    fn paths_complete_as_a_shell_completes_them() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["sales.csv", "sales-2026.csv", "support.jsonl", ".hidden"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let at = |rest: &str| format!("{}/{rest}", dir.path().display());
        assert_eq!(
            complete(&at("su")),
            (at("su"), vec!["sub/".into(), "support.jsonl".into()])
        );
        assert_eq!(complete(&at("sup")), (at("support.jsonl"), vec![]));
        assert_eq!(complete(&at("sub")), (at("sub/"), vec![]));
        assert_eq!(
            complete(&at("sa")),
            (
                at("sales"),
                vec!["sales-2026.csv".into(), "sales.csv".into()]
            )
        );
        assert_eq!(complete(&at("x")), (at("x"), vec![]));
        assert_eq!(complete(&at(".h")), (at(".hidden"), vec![]));
        assert_eq!(
            complete("/no/such/folder/a"),
            ("/no/such/folder/a".into(), vec![])
        );
    }
}

//! The views of a list: the user's own and the tenant's shared ones. `Enter` opens one; `n`
//! saves the list as it is shown (filter, sort, columns) as a new view, `u` into the chosen
//! one, `s` shares or unshares it, `d` deletes it (asked first), `x` goes back to the plain
//! list.

use super::{Areas, Command, QueryChange, Screen, View};
use crate::client::field::Field;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{Reply, Request, Tab, ViewSave};
use crm_core::records::Sort;
use crm_core::views::{NewView, View as SavedView, ViewChanges};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Open,
    New,
    Update,
    Share,
    Delete,
    Plain,
    Cancel,
    Type,
    Save,
    Yes,
    No,
}

use Action as A;

const LIST: Keymap<Action> = Keymap {
    title: "Keys in the views",
    bindings: &[
        each(
            &[(KeyCode::Up, A::Up), (KeyCode::Char('k'), A::Up)],
            "↑ k",
            "up",
        ),
        each(
            &[(KeyCode::Down, A::Down), (KeyCode::Char('j'), A::Down)],
            "↓ j",
            "down",
        ),
        each(
            &[(KeyCode::Enter, A::Open)],
            "Enter",
            "show the list as the view says",
        ),
        each(
            &[(KeyCode::Char('n'), A::New)],
            "n",
            "save the list as shown as a new view",
        ),
        each(
            &[(KeyCode::Char('u'), A::Update)],
            "u",
            "update the chosen view to the list as shown",
        ),
        each(
            &[(KeyCode::Char('s'), A::Share)],
            "s",
            "share the chosen view with everyone, or stop",
        ),
        each(
            &[(KeyCode::Char('d'), A::Delete)],
            "d",
            "delete the chosen view",
        ),
        each(
            &[(KeyCode::Char('x'), A::Plain)],
            "x",
            "the plain list: no filter, newest first",
        ),
        each(&[(KeyCode::Esc, A::Cancel)], "Esc", "close"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[A::Open], "Enter", "open"),
        hint(&[A::New], "n", "save as new"),
        hint(&[A::Update], "u", "update"),
        hint(&[A::Share], "s", "share"),
        hint(&[A::Delete], "d", "delete"),
        hint(&[A::Plain], "x", "plain list"),
        hint(&[A::Cancel], "Esc", "close"),
    ],
};

const NAMING: Keymap<Action> = Keymap {
    title: "Keys while naming a view",
    bindings: &[
        typing(A::Type, "type", "the view's name"),
        each(&[(KeyCode::Enter, A::Save)], "Enter", "save"),
        each(&[(KeyCode::Esc, A::Cancel)], "Esc", "back"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[A::Type], "type", "name"),
        hint(&[A::Save], "Enter", "save"),
        hint(&[A::Cancel], "Esc", "back"),
    ],
};

const CONFIRM: Keymap<Action> = Keymap {
    title: "Keys while deleting a view",
    bindings: &[
        each(&[(KeyCode::Char('y'), A::Yes)], "y", "delete it"),
        each(
            &[(KeyCode::Char('n'), A::No), (KeyCode::Esc, A::No)],
            "n Esc",
            "keep it",
        ),
    ] as &[Binding<Action>],
    hints: &[hint(&[A::Yes], "y", "delete"), hint(&[A::No], "n", "keep")],
};

/// What the list shows now, to be saved into a view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shown {
    pub r#where: Option<serde_json::Value>,
    pub sort: Option<Sort>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    List,
    Naming(Field),
    Deleting,
}

/// The views menu's state.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewsMenu {
    pub tab: Tab,
    pub shown: Shown,
    pub views: Vec<SavedView>,
    pub selected: usize,
    pub loading: bool,
    mode: Mode,
}

impl ViewsMenu {
    /// The views of `tab`'s kind, and the request that fetches them.
    pub fn new(tab: Tab, shown: Shown) -> (ViewsMenu, Request) {
        let menu = ViewsMenu {
            tab,
            shown,
            views: Vec::new(),
            selected: 0,
            loading: true,
            mode: Mode::List,
        };
        (menu, Request::Views(tab.kind()))
    }

    fn keys(&self) -> &'static Keymap<Action> {
        match self.mode {
            Mode::List => &LIST,
            Mode::Naming(_) => &NAMING,
            Mode::Deleting => &CONFIRM,
        }
    }

    fn chosen(&self) -> Option<&SavedView> {
        self.views.get(self.selected)
    }

    fn change(&self, out: &mut Vec<Command>, changes: impl FnOnce(ViewChanges) -> ViewChanges) {
        if let Some(view) = self.chosen() {
            let base = ViewChanges {
                id: Some(view.id),
                ..ViewChanges::default()
            };
            out.push(Command::Ask(Request::SaveView(ViewSave::Change(changes(
                base,
            )))));
        } else {
            out.push(Command::Notice("no view chosen: n saves a new one".into()));
        }
    }
}

impl Screen for ViewsMenu {
    fn keymap(&self) -> KeyHelp {
        self.keys().help()
    }

    fn field(&self) -> Option<&Field> {
        match &self.mode {
            Mode::Naming(name) => Some(name),
            _ => None,
        }
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keys().action(key) else {
            return;
        };
        let has_chosen = self.chosen().is_some();
        match (&mut self.mode, action) {
            (Mode::List, A::Cancel) => out.push(Command::Close),
            (Mode::List, A::Up) => self.selected = self.selected.saturating_sub(1),
            (Mode::List, A::Down) => {
                self.selected = (self.selected + 1).min(self.views.len().saturating_sub(1));
            }
            (Mode::List, A::Open) => match self.chosen() {
                Some(view) => {
                    out.push(Command::Close);
                    out.push(Command::Query(
                        self.tab,
                        QueryChange::View(Box::new(view.clone())),
                    ));
                }
                None => out.push(Command::Notice(
                    "no views yet: n saves this list as one".into(),
                )),
            },
            (Mode::List, A::New) => self.mode = Mode::Naming(Field::default()),
            (Mode::List, A::Update) => {
                let shown = self.shown.clone();
                self.change(out, |c| ViewChanges {
                    r#where: Some(shown.r#where),
                    sort: Some(shown.sort),
                    columns: Some(shown.columns),
                    ..c
                });
            }
            (Mode::List, A::Share) => {
                let shared = self.chosen().is_some_and(|v| v.shared);
                self.change(out, |c| ViewChanges {
                    shared: Some(!shared),
                    ..c
                });
            }
            (Mode::List, A::Delete) if has_chosen => self.mode = Mode::Deleting,
            (Mode::List, A::Plain) => {
                out.push(Command::Close);
                out.push(Command::Query(self.tab, QueryChange::Plain));
            }
            (Mode::Naming(name), A::Type) => {
                name.key(key);
            }
            (Mode::Naming(name), A::Save) => {
                let new = NewView {
                    name: name.text(),
                    kind: self.tab.kind(),
                    r#where: self.shown.r#where.clone(),
                    sort: self.shown.sort.clone(),
                    columns: self.shown.columns.clone(),
                    shared: false,
                };
                self.mode = Mode::List;
                out.push(Command::Ask(Request::SaveView(ViewSave::New(new))));
            }
            (Mode::Deleting, A::Yes) => {
                if let Some(view) = self.chosen() {
                    out.push(Command::Ask(Request::DeleteView(view.id)));
                }
                self.mode = Mode::List;
            }
            (Mode::Naming(_), A::Cancel) | (Mode::Deleting, A::No) => self.mode = Mode::List,
            _ => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Views { kind, result } if kind == self.tab.kind() => {
                self.loading = false;
                match result {
                    Ok(views) => {
                        self.views = views;
                        self.selected = self.selected.min(self.views.len().saturating_sub(1));
                    }
                    Err(e) => out.push(Command::Notice(format!("views: {e}"))),
                }
            }
            Reply::ViewSaved(result) => match result {
                Ok(view) => {
                    out.push(Command::Notice(format!("view {:?} saved", view.name)));
                    out.push(Command::Query(self.tab, QueryChange::View(Box::new(view))));
                    self.loading = true;
                    out.push(Command::Ask(Request::Views(self.tab.kind())));
                }
                Err(e) => out.push(Command::Notice(format!("not saved: {e}"))),
            },
            Reply::ViewDeleted(result) => match result {
                Ok(_) => {
                    out.push(Command::Notice("view deleted".into()));
                    self.loading = true;
                    out.push(Command::Ask(Request::Views(self.tab.kind())));
                }
                Err(e) => out.push(Command::Notice(format!("not deleted: {e}"))),
            },
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let popup = crate::client::ui::centered(areas.full, 64, 18);
        let mut lines: Vec<Line> = Vec::new();
        if self.views.is_empty() {
            lines.push(
                Line::from(if self.loading {
                    "loading…"
                } else {
                    "No views of this list yet: n saves the list as shown."
                })
                .dim(),
            );
        }
        let visible = usize::from(popup.height.saturating_sub(5)).max(1);
        let first = self.selected.saturating_sub(visible - 1);
        for (i, v) in self.views.iter().enumerate().skip(first).take(visible) {
            let whose = if v.shared {
                format!(
                    "shared by {}",
                    crate::client::format::name_of(view.lookups, Some(v.owner_id.0))
                )
            } else {
                "yours".to_owned()
            };
            let line = Line::from(vec![
                Span::raw(format!(" {:<36}", crate::client::format::clip(&v.name, 36))),
                Span::raw(whose).dim(),
            ]);
            lines.push(if i == self.selected {
                line.reversed()
            } else {
                line
            });
        }
        lines.push(Line::default());
        match &self.mode {
            Mode::Naming(name) => {
                let mut line = Line::from("Name: ");
                line.spans
                    .extend(name.line(popup.width.saturating_sub(8), true).spans);
                lines.push(line);
            }
            Mode::Deleting => lines.push(Line::from(format!(
                "Delete the view {:?}? Nobody will see it again. y/n",
                self.chosen().map_or("", |v| v.name.as_str())
            ))),
            Mode::List => {}
        }
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::new()
                    .borders(Borders::ALL)
                    .title(format!(" Views of {} ", self.tab.title())),
            ),
            popup,
        );
    }

    fn busy(&self) -> bool {
        self.loading
    }
}

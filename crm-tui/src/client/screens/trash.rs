//! The trash (`8`): what was deleted, newest first, each line a group (the record a delete
//! named, and how many went with it). `r` restores the selected group as it was; `P` empties
//! the trash for good after the word PURGE is typed (admins).

use super::{Area, Areas, Command, Screen, View};
use crate::client::field::Field;
use crate::client::format::{clip, datetime, name_of};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{Failure, Reply, Request, Tab};
use crm_core::trash::TrashItem;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Constraint;
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState, Wrap};

/// The word typed before a purge.
const PURGE_WORD: &str = "PURGE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Restore,
    Purge,
    Type,
    Confirm,
    Back,
    Help,
    Go(Area),
    NextArea,
    PrevArea,
}

use Action as A;
use KeyCode as K;

const HELP: Binding<Action> = each(&[(K::Char('?'), A::Help)], "?", "this help");

const LIST: Keymap<Action> = Keymap {
    title: "Keys in the trash",
    bindings: &[
        each(
            &[
                (K::Up, A::Up),
                (K::Char('k'), A::Up),
                (K::Down, A::Down),
                (K::Char('j'), A::Down),
            ],
            "↑↓ jk",
            "move",
        ),
        each(
            &[(K::Char('r'), A::Restore)],
            "r",
            "restore the record and everything deleted with it",
        ),
        each(
            &[(K::Char('P'), A::Purge)],
            "P",
            "purge: remove everything in the trash for good (admins; asks for a typed PURGE)",
        ),
        each(
            &[
                (K::Char('1'), A::Go(Area::List(Tab::Customers))),
                (K::Char('2'), A::Go(Area::List(Tab::Leads))),
                (K::Char('3'), A::Go(Area::List(Tab::Deals))),
                (K::Char('4'), A::Go(Area::List(Tab::Tickets))),
                (K::Char('5'), A::Go(Area::List(Tab::Quotes))),
                (K::Char('6'), A::Go(Area::Segments)),
                (K::Char('7'), A::Go(Area::Analytics)),
                (K::Tab, A::NextArea),
                (K::BackTab, A::PrevArea),
            ],
            "1…7 Tab",
            "the other tabs",
        ),
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "back",
        ),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Restore], "r", "restore"),
        hint(&[A::Purge], "P", "purge"),
        hint(&[A::NextArea], "Tab", "next tab"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

const PURGING: Keymap<Action> = Keymap {
    title: "Keys when purging the trash",
    bindings: &[
        typing(A::Type, "type", "PURGE, to confirm"),
        each(
            &[(K::Enter, A::Confirm)],
            "Enter",
            "purge, if PURGE is typed",
        ),
        each(&[(K::Esc, A::Back)], "Esc", "back: nothing is purged"),
    ],
    hints: &[
        hint(&[A::Confirm], "Enter", "purge"),
        hint(&[A::Back], "Esc", "back"),
    ],
};

/// The trash screen.
#[derive(Debug, Clone)]
pub struct Trash {
    items: Option<Result<Vec<TrashItem>, Failure>>,
    selected: usize,
    next_cursor: Option<String>,
    loading: bool,
    /// The typed confirmation of a purge, while it is asked.
    purging: Option<Field>,
}

impl Trash {
    /// The screen, and its first request.
    pub fn new() -> (Trash, Request) {
        (
            Trash {
                items: None,
                selected: 0,
                next_cursor: None,
                loading: true,
                purging: None,
            },
            Request::Trash { cursor: None },
        )
    }

    fn held(&self) -> &[TrashItem] {
        match &self.items {
            Some(Ok(items)) => items,
            _ => &[],
        }
    }

    fn reload(&mut self, out: &mut Vec<Command>) {
        self.loading = true;
        out.push(Command::Ask(Request::Trash { cursor: None }));
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        if self.purging.is_some() {
            &PURGING
        } else {
            &LIST
        }
    }
}

impl Screen for Trash {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn area(&self) -> Option<Area> {
        Some(Area::Trash)
    }

    fn shown_again(&mut self, out: &mut Vec<Command>) {
        // Something may have been deleted while away.
        self.purging = None;
        self.reload(out);
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keymap_now().action(key) else {
            return;
        };
        let count = self.held().len();
        match action {
            A::Help => out.push(Command::Help),
            A::Go(area) => out.push(Command::Go(area)),
            A::NextArea => out.push(Command::Go(Area::Trash.step(1))),
            A::PrevArea => out.push(Command::Go(Area::Trash.step(-1))),
            A::Type => {
                if let Some(field) = self.purging.as_mut() {
                    field.key(key);
                }
            }
            A::Confirm => {
                if self
                    .purging
                    .as_ref()
                    .is_some_and(|f| f.text().trim() == PURGE_WORD)
                {
                    self.purging = None;
                    self.loading = true;
                    out.push(Command::Ask(Request::Purge));
                } else {
                    out.push(Command::Notice(format!(
                        "type {PURGE_WORD} (in capitals) to purge, or Esc"
                    )));
                }
            }
            A::Back if self.purging.is_some() => self.purging = None,
            A::Back => out.push(Command::Close),
            A::Up => self.selected = self.selected.saturating_sub(1),
            A::Down if self.selected + 1 < count => {
                self.selected += 1;
                // The next page, when the selection nears the end of what is held.
                if self.selected + 10 >= count
                    && !self.loading
                    && let Some(cursor) = self.next_cursor.take()
                {
                    self.loading = true;
                    out.push(Command::Ask(Request::Trash {
                        cursor: Some(cursor),
                    }));
                }
            }
            A::Down => {}
            A::Restore => {
                if let Some((kind, id)) = self.held().get(self.selected).map(|i| (i.kind, i.id)) {
                    self.loading = true;
                    out.push(Command::Ask(Request::Restore { kind, id }));
                }
            }
            A::Purge if count > 0 => self.purging = Some(Field::new("")),
            A::Purge => out.push(Command::Notice("the trash is empty".into())),
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Trash { after, result } => {
                self.loading = false;
                match (after, result, &mut self.items) {
                    (Some(_), Ok(page), Some(Ok(held))) => {
                        held.extend(page.items);
                        self.next_cursor = page.next_cursor;
                    }
                    (_, Ok(page), _) => {
                        self.selected = self.selected.min(page.items.len().saturating_sub(1));
                        self.items = Some(Ok(page.items));
                        self.next_cursor = page.next_cursor;
                    }
                    (_, Err(e), _) => self.items = Some(Err(e)),
                }
            }
            Reply::Restored(result) => {
                match result {
                    Ok(r) => {
                        let with = crate::client::format::group(&r.records, r.kind.plural());
                        out.push(Command::Notice(format!(
                            "restored {} #{}{}",
                            r.kind.as_str().replace('_', " "),
                            r.id,
                            if with.is_empty() {
                                String::new()
                            } else {
                                format!(" with {with}")
                            }
                        )));
                        out.extend(Tab::ALL.iter().map(|t| Command::Reload(*t)));
                    }
                    Err(e) => out.push(Command::Notice(format!("not restored: {e}"))),
                }
                self.reload(out);
            }
            Reply::Purged(result) => {
                match result {
                    Ok(p) => out.push(Command::Notice(format!(
                        "purged {} deleted group(s), {} record(s), for good",
                        p.purged, p.records
                    ))),
                    Err(e) => out.push(Command::Notice(format!("not purged: {e}"))),
                }
                self.reload(out);
            }
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let block = Block::new().borders(Borders::ALL).title(" Trash ");
        let Some(items) = super::loaded(
            frame,
            area,
            &block,
            self.items.as_ref(),
            ("Loading the trash…", "Could not read the trash"),
            view.tick,
        ) else {
            return;
        };
        if items.is_empty() {
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from("The trash is empty."),
                    Line::from(""),
                    Line::from(
                        "d on a record moves it here, with what depends on it; r brings it back."
                            .dim(),
                    ),
                ])
                .wrap(Wrap { trim: true })
                .block(block),
                area,
            );
            return;
        }
        // Narrow terminals keep the title and drop who deleted it.
        let wide = area.width >= 100;
        let title_width = area
            .width
            .saturating_sub(if wide {
                16 + 14 + 8 + 18 + 10
            } else {
                16 + 14 + 8 + 6
            })
            .max(10) as usize;
        let rows: Vec<Row<'_>> = items
            .iter()
            .map(|item| {
                let mut cells = vec![
                    datetime(item.deleted_at),
                    item.kind.as_str().replace('_', " "),
                    format!("#{}", item.id),
                    clip(&item.title, title_width),
                    if item.group_size > 1 {
                        format!("+{}", item.group_size - 1)
                    } else {
                        String::new()
                    },
                ];
                if wide {
                    cells.push(name_of(view.lookups, item.deleted_by.map(|u| u.0)));
                }
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(16),
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Min(10),
            Constraint::Length(5),
        ];
        let mut header = vec!["Deleted", "Kind", "Id", "Title", "With"];
        if wide {
            widths.push(Constraint::Length(18));
            header.push("By");
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(Style::new().add_modifier(Modifier::BOLD)))
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .block(block.title_bottom(Line::from(format!(
                " {} in the trash{} ",
                items.len(),
                if self.next_cursor.is_some() {
                    " (more below)"
                } else {
                    ""
                }
            ))));
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
        if let Some(field) = &self.purging {
            let popup = crate::client::ui::centered(area, 64.min(area.width), 6);
            frame.render_widget(Clear, popup);
            let block = Block::new()
                .borders(Borders::ALL)
                .title(" Purge the trash ");
            let inner = block.inner(popup);
            frame.render_widget(block, popup);
            let width = inner.width.saturating_sub(8);
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from(format!(
                        "Remove all {} group(s) for good? Type {PURGE_WORD} and Enter.",
                        items.len()
                    )),
                    Line::from(
                        std::iter::once(Span::raw("Type: "))
                            .chain(field.line(width, true).spans)
                            .collect::<Vec<_>>(),
                    ),
                    Line::from("Esc: nothing is purged".dim()),
                ])
                .wrap(Wrap { trim: false }),
                inner,
            );
        }
    }

    fn field(&self) -> Option<&Field> {
        self.purging.as_ref()
    }

    fn busy(&self) -> bool {
        self.loading
    }
}

#[cfg(test)]
mod tests;

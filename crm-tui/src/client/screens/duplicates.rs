//! `M` on Customers: customers that share an email, a phone or a name at a company, a group at
//! a time, side by side field by field. `←` `→` choose which customer's value each field keeps,
//! `t` which customer survives; `Enter` asks for the dry run's summary, `y` merges.

use super::{Areas, Command, Screen, View};
use crate::client::format::{clip, date, spinner};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Reply, Request, Tab};
use crm_core::customers::Customer;
use crm_core::merge::{DuplicateGroup, DuplicateKey, MergeRequest, Merged};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState, Wrap};
use std::collections::BTreeMap;

/// The fields a merge may take from a source: (request name, label).
const FIELDS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("churnRisk", "Churn risk"),
    ("externalId", "External id"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Left,
    Right,
    Enter,
    Target,
    Yes,
    Back,
    Help,
}

use Action as A;
use KeyCode as K;

const MOVE: Binding<Action> = each(
    &[
        (K::Up, A::Up),
        (K::Char('k'), A::Up),
        (K::Down, A::Down),
        (K::Char('j'), A::Down),
    ],
    "↑↓ jk",
    "move",
);
const HELP: Binding<Action> = each(&[(K::Char('?'), A::Help)], "?", "this help");

const GROUPS: Keymap<Action> = Keymap {
    title: "Keys in the duplicates",
    bindings: &[
        MOVE,
        each(
            &[(K::Enter, A::Enter)],
            "Enter",
            "compare the group's customers field by field, to merge them",
        ),
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "back to the customers",
        ),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Enter], "Enter", "compare"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

const FIELD_KEYS: Keymap<Action> = Keymap {
    title: "Keys when comparing duplicates",
    bindings: &[
        MOVE,
        each(
            &[
                (K::Left, A::Left),
                (K::Char('h'), A::Left),
                (K::Right, A::Right),
                (K::Char('l'), A::Right),
            ],
            "←→ hl",
            "keep another customer's value of the field",
        ),
        each(
            &[(K::Char('t'), A::Target)],
            "t",
            "the next customer survives (the others merge into it)",
        ),
        each(
            &[(K::Enter, A::Enter)],
            "Enter",
            "what the merge will do (a dry run), then y merges",
        ),
        each(&[(K::Esc, A::Back)], "Esc", "back to the groups"),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "field"),
        hint(&[A::Left, A::Right], "←→", "keep value"),
        hint(&[A::Target], "t", "survivor"),
        hint(&[A::Enter], "Enter", "dry run"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

const PLAN: Keymap<Action> = Keymap {
    title: "Keys before a merge",
    bindings: &[
        each(&[(K::Char('y'), A::Yes)], "y", "merge"),
        each(
            &[(K::Char('n'), A::Back), (K::Esc, A::Back)],
            "n Esc",
            "back: nothing is merged",
        ),
        HELP,
    ],
    hints: &[
        hint(&[A::Yes], "y", "merge"),
        hint(&[A::Back], "n Esc", "back"),
    ],
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Groups,
    Fields,
    Plan,
}

/// The duplicates screen.
#[derive(Debug, Clone)]
pub struct Duplicates {
    groups: Option<Result<Vec<DuplicateGroup>, Failure>>,
    next_cursor: Option<String>,
    selected: usize,
    /// The selected group's customers, in the group's order.
    customers: Option<Result<Vec<Customer>, Failure>>,
    focus: Focus,
    /// The field row under the cursor.
    field: usize,
    /// The customer (column) that survives.
    target: usize,
    /// Per field, the customer whose value the survivor keeps (its own when absent).
    chosen: BTreeMap<&'static str, usize>,
    plan: Option<Result<Merged, Failure>>,
    loading: bool,
}

impl Duplicates {
    /// The screen, and its first request.
    pub fn new() -> (Duplicates, Request) {
        (
            Duplicates {
                groups: None,
                next_cursor: None,
                selected: 0,
                customers: None,
                focus: Focus::Groups,
                field: 0,
                target: 0,
                chosen: BTreeMap::new(),
                plan: None,
                loading: true,
            },
            Request::Duplicates { cursor: None },
        )
    }

    fn held(&self) -> &[DuplicateGroup] {
        match &self.groups {
            Some(Ok(g)) => g,
            _ => &[],
        }
    }

    fn people(&self) -> &[Customer] {
        match &self.customers {
            Some(Ok(c)) => c,
            _ => &[],
        }
    }

    /// Asks for the selected group's customers, forgetting the last group's choices.
    fn load_group(&mut self, out: &mut Vec<Command>) {
        self.customers = None;
        self.chosen.clear();
        self.target = 0;
        self.field = 0;
        if let Some(g) = self.held().get(self.selected) {
            out.push(Command::Ask(Request::GroupCustomers(g.ids.clone())));
        }
    }

    /// The merge the choices make.
    fn request(&self, dry_run: bool) -> Option<MergeRequest> {
        let people = self.people();
        let target = people.get(self.target)?;
        let fields = self
            .chosen
            .iter()
            .filter(|(_, col)| **col != self.target)
            .filter_map(|(field, col)| people.get(*col).map(|c| ((*field).to_owned(), c.id.0)))
            .collect();
        Some(MergeRequest {
            target_id: target.id.0,
            source_ids: people
                .iter()
                .filter(|c| c.id != target.id)
                .map(|c| c.id.0)
                .collect(),
            fields,
            dry_run,
        })
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        match self.focus {
            Focus::Groups => &GROUPS,
            Focus::Fields => &FIELD_KEYS,
            Focus::Plan => &PLAN,
        }
    }

    /// The column whose value `field` keeps.
    fn keeps(&self, field: &str) -> usize {
        self.chosen.get(field).copied().unwrap_or(self.target)
    }
}

fn value_of(c: &Customer, field: &str) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    match field {
        "name" => c.name.clone(),
        "email" => text(&c.email),
        "phone" => text(&c.phone),
        "company" => text(&c.company),
        "churnRisk" => c.churn_risk.to_string(),
        _ => text(&c.external_id),
    }
}

fn key_label(key: DuplicateKey) -> &'static str {
    match key {
        DuplicateKey::Email => "email",
        DuplicateKey::Phone => "phone",
        DuplicateKey::NameAndCompany => "name at company",
    }
}

impl Screen for Duplicates {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keymap_now().action(key) else {
            return;
        };
        let groups = self.held().len();
        let columns = self.people().len();
        match (self.focus, action) {
            (_, A::Help) => out.push(Command::Help),
            (Focus::Groups, A::Back) => out.push(Command::Close),
            (Focus::Groups, A::Up) if self.selected > 0 => {
                self.selected -= 1;
                self.load_group(out);
            }
            (Focus::Groups, A::Down) if self.selected + 1 < groups => {
                self.selected += 1;
                self.load_group(out);
                if self.selected + 10 >= groups
                    && !self.loading
                    && let Some(cursor) = self.next_cursor.take()
                {
                    self.loading = true;
                    out.push(Command::Ask(Request::Duplicates {
                        cursor: Some(cursor),
                    }));
                }
            }
            (Focus::Groups, A::Enter) if columns > 1 => self.focus = Focus::Fields,
            (Focus::Fields, A::Back) => self.focus = Focus::Groups,
            (Focus::Fields, A::Up) if self.field > 0 => self.field -= 1,
            (Focus::Fields, A::Down) if self.field + 1 < FIELDS.len() => self.field += 1,
            (Focus::Fields, A::Left | A::Right) if columns > 1 => {
                let (field, _) = FIELDS[self.field];
                let now = self.keeps(field);
                let next = if action == A::Left {
                    (now + columns - 1) % columns
                } else {
                    (now + 1) % columns
                };
                self.chosen.insert(field, next);
            }
            (Focus::Fields, A::Target) if columns > 1 => {
                // Fields that kept the old survivor's value keep it.
                let old = self.target;
                for (field, _) in FIELDS {
                    self.chosen.entry(field).or_insert(old);
                }
                self.target = (self.target + 1) % columns;
            }
            (Focus::Fields, A::Enter) => {
                if let Some(request) = self.request(true) {
                    self.plan = None;
                    self.focus = Focus::Plan;
                    out.push(Command::Ask(Request::Merge(Box::new(request))));
                }
            }
            (Focus::Plan, A::Back) => {
                self.focus = Focus::Fields;
                self.plan = None;
            }
            (Focus::Plan, A::Yes) => {
                if matches!(self.plan, Some(Ok(_)))
                    && let Some(request) = self.request(false)
                {
                    self.loading = true;
                    out.push(Command::Ask(Request::Merge(Box::new(request))));
                }
            }
            _ => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Duplicates { after, result } => {
                self.loading = false;
                match (after, result, &mut self.groups) {
                    (Some(_), Ok(page), Some(Ok(held))) => {
                        held.extend(page.items);
                        self.next_cursor = page.next_cursor;
                    }
                    (_, Ok(page), _) => {
                        self.selected = self.selected.min(page.items.len().saturating_sub(1));
                        self.groups = Some(Ok(page.items));
                        self.next_cursor = page.next_cursor;
                        self.load_group(out);
                    }
                    (_, Err(e), _) => self.groups = Some(Err(e)),
                }
            }
            Reply::GroupCustomers { ids, result } => {
                if self.held().get(self.selected).is_some_and(|g| g.ids == ids) {
                    self.customers = Some(result);
                }
            }
            Reply::Merged(result) => match result {
                Ok(m) if m.dry_run => {
                    if self.focus == Focus::Plan {
                        self.plan = Some(Ok(m));
                    }
                }
                Ok(m) => {
                    self.loading = false;
                    let moved = moved_words(&m);
                    out.push(Command::Notice(format!(
                        "merged into customer #{}{}",
                        m.target_id,
                        if moved.is_empty() {
                            String::new()
                        } else {
                            format!(", which now has {moved} more")
                        }
                    )));
                    self.focus = Focus::Groups;
                    self.plan = None;
                    self.loading = true;
                    out.push(Command::Ask(Request::Duplicates { cursor: None }));
                    out.extend(Tab::ALL.iter().map(|t| Command::Reload(*t)));
                }
                Err(e) => {
                    self.loading = false;
                    if self.focus == Focus::Plan {
                        self.plan = Some(Err(e));
                    } else {
                        out.push(Command::Notice(format!("not merged: {e}")));
                    }
                }
            },
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)])
                .areas(area);
        self.draw_groups(frame, left, view);
        self.draw_fields(frame, right, view);
        if self.focus == Focus::Plan {
            self.draw_plan(frame, area, view);
        }
    }

    fn busy(&self) -> bool {
        self.loading
            || (self.focus == Focus::Plan && self.plan.is_none())
            || (self.customers.is_none() && !self.held().is_empty())
    }
}

/// What a merge moved, in words.
fn moved_words(m: &Merged) -> String {
    let records: BTreeMap<String, u64> = m.moved.clone();
    crate::client::format::group(&records, "")
}

impl Duplicates {
    fn draw_groups(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let block = Block::new()
            .borders(Borders::ALL)
            .title(" Duplicate customers ");
        let Some(groups) = super::loaded(
            frame,
            area,
            &block,
            self.groups.as_ref(),
            ("Looking for duplicates…", "Could not look"),
            view.tick,
        ) else {
            return;
        };
        if groups.is_empty() {
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from("No duplicates."),
                    Line::from(""),
                    Line::from(
                        "Customers sharing an email (any case), a phone (any format) or a name \
                         at the same company show here."
                            .dim(),
                    ),
                ])
                .wrap(Wrap { trim: true })
                .block(block),
                area,
            );
            return;
        }
        let width = area.width.saturating_sub(2) as usize;
        let rows: Vec<Row<'_>> = groups
            .iter()
            .map(|g| {
                let label = key_label(g.key);
                Row::new(vec![
                    format!("{label:<15}"),
                    clip(&g.value, width.saturating_sub(20).max(6)),
                    format!("{}", g.ids.len()),
                ])
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(15),
                Constraint::Min(6),
                Constraint::Length(2),
            ],
        )
        .row_highlight_style(if self.focus == Focus::Groups {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        })
        .block(block.title_bottom(Line::from(format!(
            " {} group{}{} ",
            groups.len(),
            if groups.len() == 1 { "" } else { "s" },
            if self.next_cursor.is_some() {
                ", more below"
            } else {
                ""
            }
        ))));
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_fields(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let block = Block::new().borders(Borders::ALL).title(" Field by field ");
        if self.customers.is_none() && self.held().is_empty() {
            frame.render_widget(block, area);
            return;
        }
        let Some(people) = super::loaded(
            frame,
            area,
            &block,
            self.customers.as_ref(),
            ("Loading…", "Could not load them"),
            view.tick,
        ) else {
            return;
        };
        let columns = people.len().max(1) as u16;
        let label_width = 12u16;
        let cell = (area.width.saturating_sub(2 + label_width) / columns).max(6);
        let mut header = vec![String::new()];
        header.extend(people.iter().enumerate().map(|(i, c)| {
            if i == self.target {
                format!("#{} survives", c.id.0)
            } else {
                format!("#{} merges in", c.id.0)
            }
        }));
        let mut rows: Vec<Row<'_>> = FIELDS
            .iter()
            .enumerate()
            .map(|(r, (field, label))| {
                let keeps = self.keeps(field);
                let mut cells = vec![ratatui::text::Text::from((*label).to_string())];
                for (col, c) in people.iter().enumerate() {
                    let value = clip(&value_of(c, field), usize::from(cell).saturating_sub(3));
                    let text = if col == keeps {
                        format!("● {value}")
                    } else {
                        format!("  {value}")
                    };
                    let style = match (col == keeps, r == self.field && self.focus != Focus::Groups)
                    {
                        (true, true) => Style::new().add_modifier(Modifier::REVERSED),
                        (true, false) => Style::new().add_modifier(Modifier::BOLD),
                        _ => Style::new().add_modifier(Modifier::DIM),
                    };
                    cells.push(ratatui::text::Text::styled(text, style));
                }
                Row::new(cells)
            })
            .collect();
        // Tags are united: each customer's shown, all of them kept.
        let mut united = vec![ratatui::text::Text::from("Tags (all)")];
        united.extend(people.iter().map(|c| {
            ratatui::text::Text::from(format!(
                "  {}",
                clip(
                    &if c.tags.is_empty() {
                        "—".to_owned()
                    } else {
                        c.tags.join(", ")
                    },
                    usize::from(cell).saturating_sub(3)
                )
            ))
        }));
        rows.push(Row::new(united));
        let mut since = vec![ratatui::text::Text::from("Created")];
        since.extend(
            people
                .iter()
                .map(|c| ratatui::text::Text::from(format!("  {}", date(c.created_at)))),
        );
        rows.push(Row::new(since));
        let mut widths = vec![Constraint::Length(label_width)];
        widths.extend(people.iter().map(|_| Constraint::Length(cell)));
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(Style::new().add_modifier(Modifier::BOLD)))
            .block(block.title_bottom(Line::from(
                " ● the value the survivor keeps; tags are united, every record moves ",
            )));
        frame.render_widget(table, area);
    }

    fn draw_plan(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let popup = crate::client::ui::centered(area, 70.min(area.width), 9);
        frame.render_widget(Clear, popup);
        let block = Block::new().borders(Borders::ALL).title(" Merge ");
        let lines = match &self.plan {
            None => vec![Line::from(format!(
                "{} working out what the merge does…",
                spinner(view.tick)
            ))],
            Some(Err(e)) => vec![
                Line::from(format!("It cannot be merged: {e}")).red(),
                Line::from(""),
                Line::from("n Esc back".dim()),
            ],
            Some(Ok(m)) => {
                let sources: Vec<String> = self
                    .people()
                    .iter()
                    .filter(|c| c.id.0 != m.target_id)
                    .map(|c| format!("#{}", c.id.0))
                    .collect();
                let moved = moved_words(m);
                let taken: Vec<String> = m
                    .fields
                    .iter()
                    .map(|(f, v)| format!("{f} {}", crate::client::format::plain(v)))
                    .collect();
                vec![
                    Line::from(format!(
                        "Merge {} into customer #{}?",
                        sources.join(", "),
                        m.target_id
                    )),
                    Line::from(if moved.is_empty() {
                        "Nothing else to move.".to_owned()
                    } else {
                        format!("Moves {moved}.")
                    }),
                    Line::from(if taken.is_empty() {
                        "The survivor keeps its own values; tags are united.".to_owned()
                    } else {
                        format!("Takes {}; tags are united.", taken.join(", "))
                    }),
                    Line::from(
                        "The others end for good: their numbers lead to the survivor.".dim(),
                    ),
                    Line::from(""),
                    Line::from("y merge · n Esc back".dim()),
                ]
            }
        };
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
            popup,
        );
    }
}

#[cfg(test)]
mod tests;

//! `I` on a list: a CSV or JSON Lines file brought into it, a step at a time — the file (a
//! path typed, Tab completes), the mapping (the header's suggestion, changed field by field:
//! a column, a value every row gets, or nothing; how duplicates are found and what they do),
//! the dry run (every row planned, the first shown, the counts), the run (a gauge over the
//! file's bytes; Esc stops it after the row in hand, and importing the file again finishes it),
//! and what it did, with the file of the rows that failed.

use super::export::{centered, complete, expand};
use super::{Areas, Command, Screen, View};
use crate::client::field::Field;
use crate::client::format::{spinner, thousands};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{Failure, ImportSetup, Imported, Progress, Reply, Request, Tab};
use crm_core::import::values::DateOrder;
use crm_core::import::{Action as Planned, DedupeKey, ImportRequest, Mapping, Preview, Source};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};
use std::sync::atomic::Ordering::Relaxed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Type,
    Complete,
    Next,
    Back,
    Up,
    Down,
    PrevColumn,
    NextColumn,
    Value,
    Unmap,
    Email,
    Phone,
    Update,
    DateOrder,
}

use Action as A;
use KeyCode as K;

const BACK: Binding<Action> = each(&[(K::Esc, A::Back)], "Esc", "back a step");

const FILE_KEYS: Keymap<Action> = Keymap {
    title: "Keys when importing: the file",
    bindings: &[
        typing(A::Type, "type", "the file's path (CSV or JSON Lines)"),
        each(&[(K::Tab, A::Complete)], "Tab", "complete the path"),
        each(&[(K::Enter, A::Next)], "Enter", "read its header"),
        each(&[(K::Esc, A::Back)], "Esc", "close: nothing is imported"),
    ],
    hints: &[
        hint(&[A::Complete], "Tab", "complete"),
        hint(&[A::Next], "Enter", "next"),
        hint(&[A::Back], "Esc", "close"),
    ],
};

macro_rules! map_keys {
    ($($own:expr),* $(,)?) => {
        Keymap {
            title: "Keys when importing: the mapping",
            bindings: &[
                each(&[(K::Up, A::Up), (K::Char('k'), A::Up)], "↑ k", "the field above"),
                each(&[(K::Down, A::Down), (K::Char('j'), A::Down)], "↓ j", "the field below"),
                each(
                    &[(K::Left, A::PrevColumn), (K::Char('h'), A::PrevColumn)],
                    "← h",
                    "the field takes the column before",
                ),
                each(
                    &[(K::Right, A::NextColumn), (K::Char('l'), A::NextColumn)],
                    "→ l",
                    "the field takes the column after",
                ),
                each(
                    &[(K::Char('v'), A::Value)],
                    "v",
                    "the field takes a value typed (every row), or a template: {column} text {column}",
                ),
                each(
                    &[(K::Char('d'), A::DateOrder)],
                    "d",
                    "a time read from a column: 3/4/2021 as March 4 or as 3 April",
                ),
                each(&[(K::Char('x'), A::Unmap)], "x", "the field takes nothing"),
                $($own,)*
                each(
                    &[(K::Char('u'), A::Update)],
                    "u",
                    "a duplicate: skip it, or update the record",
                ),
                each(&[(K::Enter, A::Next)], "Enter", "dry run: plan every row"),
                BACK,
            ],
            hints: &[
                hint(&[A::PrevColumn, A::NextColumn], "←→", "column"),
                hint(&[A::Value], "v", "value"),
                hint(&[A::Next], "Enter", "dry run"),
                hint(&[A::Back], "Esc", "back"),
            ],
        }
    };
}

/// Customers and leads are also matched by email and phone.
const MAP_KEYS_PEOPLE: Keymap<Action> = map_keys![
    each(
        &[(K::Char('e'), A::Email)],
        "e",
        "match duplicates by email (or not)"
    ),
    each(
        &[(K::Char('p'), A::Phone)],
        "p",
        "match duplicates by phone (or not)"
    ),
];
const MAP_KEYS: Keymap<Action> = map_keys![];

const VALUE_KEYS: Keymap<Action> = Keymap {
    title: "Keys when importing: a value for every row",
    bindings: &[
        typing(A::Type, "type", "the value every row gets"),
        each(&[(K::Enter, A::Next)], "Enter", "set it"),
        each(
            &[(K::Esc, A::Back)],
            "Esc",
            "back: the field keeps its source",
        ),
    ],
    hints: &[
        hint(&[A::Next], "Enter", "set"),
        hint(&[A::Back], "Esc", "back"),
    ],
};

const PREVIEW_KEYS: Keymap<Action> = Keymap {
    title: "Keys when importing: the dry run",
    bindings: &[
        each(
            &[(K::Enter, A::Next)],
            "Enter",
            "import: write what the dry run says",
        ),
        each(&[(K::Esc, A::Back)], "Esc", "back to the mapping"),
    ],
    hints: &[
        hint(&[A::Next], "Enter", "import"),
        hint(&[A::Back], "Esc", "back"),
    ],
};

const RUNNING_KEYS: Keymap<Action> = Keymap {
    title: "Keys while importing",
    bindings: &[each(
        &[(K::Esc, A::Back)],
        "Esc",
        "stop after the row in hand (importing the file again finishes it)",
    )],
    hints: &[hint(&[A::Back], "Esc", "stop")],
};

const DONE_KEYS: Keymap<Action> = Keymap {
    title: "Keys when an import is done",
    bindings: &[each(
        &[(K::Enter, A::Next), (K::Esc, A::Next)],
        "Enter Esc",
        "close, the list fetched again",
    )],
    hints: &[hint(&[A::Next], "Enter", "close")],
};

/// Rows of the dry run shown.
const PREVIEW_ROWS: usize = 50;

/// The file, and the mapping being made for it.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    path: String,
    setup: ImportSetup,
    mapping: Mapping,
    /// The selected field.
    cursor: usize,
    dedupe: Vec<DedupeKey>,
    update: bool,
    /// Why the last dry run was refused (the mapping, most likely).
    failure: Option<Failure>,
}

impl Plan {
    fn request(&self, tab: Tab, dry_run: bool) -> ImportRequest {
        ImportRequest {
            kind: tab.kind(),
            path: Some(self.path.clone()),
            csv: None,
            format: None,
            mapping: Some(self.mapping.clone()),
            dedupe: self.dedupe.clone(),
            on_duplicate: Some(if self.update {
                crm_core::import::OnDuplicate::Update
            } else {
                crm_core::import::OnDuplicate::Skip
            }),
            dry_run,
            limit: Some(PREVIEW_ROWS),
        }
    }

    fn field(&self) -> &'static str {
        self.setup.fields[self.cursor].field
    }

    /// The selected field takes the column `step` away from its current one (or nothing, at
    /// either end).
    fn shift(&mut self, step: isize) {
        let columns = &self.setup.layout.columns;
        let field = self.field();
        let now = match self.mapping.0.get(field) {
            Some(Source::Column { column, .. }) => columns.iter().position(|c| c == column),
            _ => None,
        };
        // Nothing is position 0, the columns 1…n.
        let n = columns.len() as isize + 1;
        let at = now.map_or(0, |i| i as isize + 1);
        let next = (at + step).rem_euclid(n) as usize;
        if next == 0 {
            self.mapping.0.remove(field);
        } else {
            self.mapping.0.insert(
                field.to_owned(),
                Source::Column {
                    column: columns[next - 1].clone(),
                    date_order: None,
                },
            );
        }
    }

    fn toggle(&mut self, key: DedupeKey) {
        if let Some(i) = self.dedupe.iter().position(|k| *k == key) {
            self.dedupe.remove(i);
        } else {
            self.dedupe.push(key);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    File {
        field: Field,
        choices: Vec<String>,
        waiting: bool,
        failure: Option<Failure>,
    },
    Map(Box<Plan>),
    Value(Box<Plan>, Field),
    /// The dry run, `None` while it runs.
    Preview(Box<Plan>, Option<Box<Preview>>),
    Running {
        plan: Box<Plan>,
        progress: Progress,
        size: u64,
        stopping: bool,
    },
    Done(Box<Plan>, Result<Box<Imported>, Failure>),
}

/// The import wizard of one list. Not `Clone`: a dropped copy would stop the run.
#[derive(Debug, PartialEq)]
pub struct Importer {
    tab: Tab,
    step: Step,
}

impl Importer {
    pub fn new(tab: Tab) -> Importer {
        let folder = std::env::current_dir().unwrap_or_default();
        Importer {
            tab,
            step: Step::File {
                field: Field::new(&format!("{}/", folder.to_string_lossy())),
                choices: Vec::new(),
                waiting: false,
                failure: None,
            },
        }
    }

    fn keys(&self) -> &'static Keymap<Action> {
        match &self.step {
            Step::File { .. } => &FILE_KEYS,
            Step::Map(_) if matches!(self.tab, Tab::Customers | Tab::Leads) => &MAP_KEYS_PEOPLE,
            Step::Map(_) => &MAP_KEYS,
            Step::Value(..) => &VALUE_KEYS,
            Step::Preview(..) => &PREVIEW_KEYS,
            Step::Running { .. } => &RUNNING_KEYS,
            Step::Done(..) => &DONE_KEYS,
        }
    }

    fn noun(&self) -> String {
        self.tab.title().to_lowercase()
    }
}

impl Drop for Importer {
    /// A wizard closed while its import runs (the client quitting) stops the import after the
    /// row in hand, so the worker lets go of the database soon; running it again finishes it.
    fn drop(&mut self) {
        if let Step::Running { progress, .. } = &self.step {
            progress.0.cancel.store(true, Relaxed);
        }
    }
}

impl Screen for Importer {
    fn keymap(&self) -> KeyHelp {
        self.keys().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keys().action(key) else {
            return;
        };
        let tab = self.tab;
        let step = std::mem::replace(
            &mut self.step,
            Step::File {
                field: Field::default(),
                choices: Vec::new(),
                waiting: false,
                failure: None,
            },
        );
        self.step = match (step, action) {
            // Waiting for the worker: keys wait too (the binding test never sees this).
            (waiting @ (Step::File { waiting: true, .. } | Step::Preview(_, None)), _) => waiting,
            (
                Step::File {
                    mut field, failure, ..
                },
                A::Type,
            ) => {
                field.key(key);
                Step::File {
                    field,
                    choices: Vec::new(),
                    waiting: false,
                    failure,
                }
            }
            (Step::File { field, failure, .. }, A::Complete) => {
                let (text, choices) = complete(&field.text());
                Step::File {
                    field: Field::new(&text),
                    choices,
                    waiting: false,
                    failure,
                }
            }
            (Step::File { field, choices, .. }, A::Next) => {
                out.push(Command::Ask(Request::ImportSetup(Box::new(
                    ImportRequest {
                        kind: tab.kind(),
                        path: Some(expand(field.text().trim())),
                        csv: None,
                        format: None,
                        mapping: None,
                        dedupe: Vec::new(),
                        on_duplicate: None,
                        dry_run: true,
                        limit: None,
                    },
                ))));
                Step::File {
                    field,
                    choices,
                    waiting: true,
                    failure: None,
                }
            }
            (Step::File { .. }, _) => {
                out.push(Command::Close);
                return;
            }
            (Step::Map(mut plan), action) => match action {
                A::Up => {
                    plan.cursor = plan.cursor.saturating_sub(1);
                    Step::Map(plan)
                }
                A::Down => {
                    plan.cursor = (plan.cursor + 1).min(plan.setup.fields.len() - 1);
                    Step::Map(plan)
                }
                A::PrevColumn | A::NextColumn => {
                    plan.shift(if action == A::NextColumn { 1 } else { -1 });
                    Step::Map(plan)
                }
                A::Value => {
                    let now = match plan.mapping.0.get(plan.field()) {
                        Some(Source::Value(v) | Source::Template(v)) => v.clone(),
                        _ => String::new(),
                    };
                    Step::Value(plan, Field::new(&now))
                }
                A::Unmap => {
                    let field = plan.field();
                    plan.mapping.0.remove(field);
                    Step::Map(plan)
                }
                A::Email | A::Phone => {
                    plan.toggle(if action == A::Email {
                        DedupeKey::Email
                    } else {
                        DedupeKey::Phone
                    });
                    Step::Map(plan)
                }
                A::Update => {
                    plan.update = !plan.update;
                    Step::Map(plan)
                }
                A::DateOrder => {
                    let field = plan.field();
                    let time = plan.setup.fields[plan.cursor].r#type == "time";
                    match plan.mapping.0.get_mut(field) {
                        Some(Source::Column { date_order, .. }) if time => {
                            *date_order = match date_order {
                                Some(DateOrder::Dmy) => None,
                                _ => Some(DateOrder::Dmy),
                            };
                        }
                        _ => out.push(Command::Notice(format!(
                            "d: {field} is not a time read from a column"
                        ))),
                    }
                    Step::Map(plan)
                }
                A::Next => {
                    plan.failure = None;
                    out.push(Command::Ask(Request::ImportPreview(Box::new(
                        plan.request(tab, true),
                    ))));
                    Step::Preview(plan, None)
                }
                _ => Step::File {
                    field: Field::new(&plan.path),
                    choices: Vec::new(),
                    waiting: false,
                    failure: None,
                },
            },
            (Step::Value(plan, mut field), A::Type) => {
                field.key(key);
                Step::Value(plan, field)
            }
            (Step::Value(mut plan, field), A::Next) => {
                let text = field.text();
                let name = plan.field().to_owned();
                if text.trim().is_empty() {
                    plan.mapping.0.remove(&name);
                } else if text.contains('{') {
                    // `{product} for {account}`: columns within text.
                    plan.mapping.0.insert(name, Source::Template(text));
                } else {
                    plan.mapping.0.insert(name, Source::Value(text));
                }
                Step::Map(plan)
            }
            (Step::Preview(plan, Some(_)), A::Next) => {
                let progress = Progress::default();
                let size = std::fs::metadata(&plan.path).map_or(0, |m| m.len());
                out.push(Command::Ask(Request::ImportRun(
                    Box::new(plan.request(tab, false)),
                    progress.clone(),
                )));
                Step::Running {
                    plan,
                    progress,
                    size,
                    stopping: false,
                }
            }
            (Step::Value(plan, _) | Step::Preview(plan, Some(_)), _) => Step::Map(plan),
            (
                Step::Running {
                    plan,
                    progress,
                    size,
                    ..
                },
                _,
            ) => {
                progress.0.cancel.store(true, Relaxed);
                Step::Running {
                    plan,
                    progress,
                    size,
                    stopping: true,
                }
            }
            (Step::Done(plan, result), _) => {
                out.push(Command::Close);
                out.push(Command::Reload(tab));
                if let Ok(done) = &result {
                    let s = done.outcome.summary;
                    out.push(Command::Notice(format!(
                        "Imported {}: {}",
                        plan.path,
                        summary(s, false)
                    )));
                }
                return;
            }
        };
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, _out: &mut Vec<Command>) -> Option<Reply> {
        match (&mut self.step, reply) {
            (
                Step::File {
                    field,
                    waiting: waiting @ true,
                    failure,
                    ..
                },
                Reply::ImportSetup(result),
            ) => {
                *waiting = false;
                match result {
                    Ok(setup) => {
                        let path = expand(field.text().trim());
                        self.step = Step::Map(Box::new(Plan {
                            path,
                            mapping: setup.mapping.clone(),
                            setup,
                            cursor: 0,
                            dedupe: Vec::new(),
                            update: false,
                            failure: None,
                        }));
                    }
                    Err(e) => *failure = Some(e),
                }
                None
            }
            (Step::Preview(plan, shown @ None), Reply::ImportPreview(result)) => {
                match result {
                    Ok(preview) => *shown = Some(preview),
                    Err(e) => {
                        let mut plan = plan.clone();
                        plan.failure = Some(e);
                        self.step = Step::Map(plan);
                    }
                }
                None
            }
            (Step::Running { plan, .. }, Reply::Imported(result)) => {
                self.step = Step::Done(plan.clone(), result.map(Box::new));
                None
            }
            (_, other) => Some(other),
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = centered(areas.main, areas.main.height);
        frame.render_widget(Clear, area);
        let (step, title) = match &self.step {
            Step::File { .. } => (1, "the file"),
            Step::Map(_) | Step::Value(..) => (2, "the mapping"),
            Step::Preview(..) => (3, "the dry run"),
            Step::Running { .. } => (4, "importing"),
            Step::Done(..) => (4, "done"),
        };
        let block = Block::new()
            .borders(Borders::ALL)
            .title(format!(" Import {} · {step} of 4: {title} ", self.noun()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let width = inner.width.saturating_sub(8);
        let lines = match &self.step {
            Step::File {
                field,
                choices,
                waiting,
                failure,
            } => {
                let mut lines = vec![
                    Line::from(
                        "A CSV (comma, semicolon or tab) or JSON Lines file, in UTF-8, UTF-16 or \
                         Windows-1252:"
                            .dim(),
                    ),
                    labelled("File: ", field.line(width, !waiting)),
                ];
                lines.extend(
                    choices
                        .iter()
                        .take(8)
                        .map(|c| Line::from(format!("  {c}")).dim()),
                );
                lines.push(Line::from(""));
                if *waiting {
                    lines.push(Line::from(format!("{} reading…", spinner(view.tick))).dim());
                } else if let Some(e) = failure {
                    lines.push(Line::from(e.to_string()).red());
                }
                lines
            }
            Step::Map(plan) => mapping_lines(plan, None, inner.height, width),
            Step::Value(plan, field) => mapping_lines(plan, Some(field), inner.height, width),
            Step::Preview(plan, preview) => preview_lines(plan, preview.as_deref(), view.tick),
            Step::Running {
                progress,
                size,
                stopping,
                ..
            } => {
                let c = &progress.0;
                let bytes = c.bytes.load(Relaxed);
                let ratio = if *size == 0 {
                    0.0
                } else {
                    (bytes as f64 / *size as f64).min(1.0)
                };
                let gauge_area = ratatui::layout::Rect {
                    height: 1,
                    y: inner.y + 1,
                    ..inner
                };
                frame.render_widget(
                    Gauge::default()
                        .ratio(ratio)
                        .label(format!("{:.0}%", ratio * 100.0)),
                    gauge_area,
                );
                let text = vec![
                    Line::from(""),
                    Line::from(""),
                    Line::from(""),
                    Line::from(format!(
                        "{} rows: {} created · {} updated · {} failed",
                        thousands(c.rows.load(Relaxed)),
                        thousands(c.created.load(Relaxed)),
                        thousands(c.updated.load(Relaxed)),
                        thousands(c.failed.load(Relaxed)),
                    )),
                    Line::from(if *stopping {
                        format!("{} stopping after the row in hand…", spinner(view.tick))
                    } else {
                        "Esc stops it; what is written stays, and importing the file again \
                         finishes it."
                            .to_owned()
                    })
                    .dim(),
                ];
                frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
                return;
            }
            Step::Done(plan, result) => done_lines(plan, result),
        };
        // A row of the dry run is one line, cut at the edge.
        let paragraph = Paragraph::new(lines);
        if matches!(self.step, Step::Preview(..)) {
            frame.render_widget(paragraph, inner);
        } else {
            frame.render_widget(paragraph.wrap(Wrap { trim: false }), inner);
        }
    }

    fn field(&self) -> Option<&Field> {
        match &self.step {
            Step::File { field, .. } | Step::Value(_, field) => Some(field),
            _ => None,
        }
    }

    fn busy(&self) -> bool {
        matches!(
            self.step,
            Step::File { waiting: true, .. } | Step::Preview(_, None) | Step::Running { .. }
        )
    }
}

/// The counts of a dry run (`planned`) or a run.
fn summary(s: crm_core::import::Summary, planned: bool) -> String {
    let words = if planned {
        ["to create", "to update", "to skip", "with errors"]
    } else {
        ["created", "updated", "skipped", "failed"]
    };
    format!(
        "{} rows: {} {} · {} {} · {} {} · {} {}",
        thousands(s.rows),
        thousands(s.created),
        words[0],
        thousands(s.updated),
        words[1],
        thousands(s.skipped),
        words[2],
        thousands(s.failed),
        words[3]
    )
}

fn labelled(label: &'static str, line: Line<'static>) -> Line<'static> {
    Line::from(
        std::iter::once(Span::raw(label))
            .chain(line.spans)
            .collect::<Vec<_>>(),
    )
}

fn source_text(source: Option<&Source>) -> String {
    match source {
        None => "—".to_owned(),
        Some(Source::Column {
            column,
            date_order: Some(DateOrder::Dmy),
        }) => format!("column {column:?}, day/month/year"),
        Some(Source::Column { column, .. }) => format!("column {column:?}"),
        Some(Source::Value(v)) => format!("the value {v:?}"),
        Some(Source::Template(t)) => format!("the template {t:?}"),
    }
}

fn mapping_lines(
    plan: &Plan,
    editing: Option<&Field>,
    height: u16,
    width: u16,
) -> Vec<Line<'static>> {
    let columns = &plan.setup.layout.columns;
    let mut lines = vec![
        Line::from(format!(
            "{} columns{}: {}",
            columns.len(),
            plan.setup
                .layout
                .delimiter
                .map(|d| format!(
                    " ({})",
                    if d == '\t' {
                        "tab".to_owned()
                    } else {
                        format!("{d:?}")
                    }
                ))
                .unwrap_or_default(),
            columns.join(", ")
        ))
        .dim(),
    ];
    // One line, cut at the edge, so the fields keep their room on a small terminal.
    let header = lines[0].to_string();
    let room = usize::from(width) + 8;
    if header.chars().count() > room {
        let cut: String = header.chars().take(room.saturating_sub(1)).collect();
        lines[0] = Line::from(format!("{cut}…")).dim();
    }
    lines.push(Line::from(""));
    // The fields, scrolled so the selected one shows.
    let room = usize::from(height).saturating_sub(7).max(3);
    let first = plan.cursor.saturating_sub(room.saturating_sub(1));
    for (i, f) in plan.setup.fields.iter().enumerate().skip(first).take(room) {
        let selected = i == plan.cursor;
        let kind = match f.refers {
            Some(k) => format!("{} → {}", f.r#type, k.as_str()),
            None => f.r#type.to_owned(),
        };
        let name = format!(
            "{}{:<18}{:<22}",
            if f.required { "* " } else { "  " },
            f.field,
            kind
        );
        let source = match (selected, editing) {
            (true, Some(field)) => labelled("= ", field.line(width.saturating_sub(42), true)),
            _ => Line::from(source_text(plan.mapping.0.get(f.field))),
        };
        let mut spans = vec![Span::raw(name)];
        spans.extend(source.spans);
        let line = Line::from(spans);
        lines.push(if selected && editing.is_none() {
            line.style(Style::new().add_modifier(Modifier::REVERSED))
        } else {
            line
        });
    }
    lines.push(Line::from(""));
    let mut keys = vec!["external id (when mapped)"];
    for key in &plan.dedupe {
        keys.push(match key {
            DedupeKey::Email => "email",
            DedupeKey::Phone => "phone",
            DedupeKey::ExternalId => continue,
        });
    }
    lines.push(Line::from(format!(
        "Duplicates: matched by {}; a duplicate is {}.   * required",
        keys.join(", "),
        if plan.update {
            "updated with the fields mapped"
        } else {
            "skipped"
        }
    )));
    if let Some(e) = &plan.failure {
        lines.push(Line::from(e.to_string()).red());
    }
    lines
}

fn preview_lines(plan: &Plan, preview: Option<&Preview>, tick: u64) -> Vec<Line<'static>> {
    let Some(preview) = preview else {
        return vec![
            Line::from(format!(
                "{} planning every row of {} (nothing is written)…",
                spinner(tick),
                plan.path
            ))
            .dim(),
        ];
    };
    let s = preview.summary;
    let mut lines = vec![
        Line::from(summary(s, true)).bold(),
        Line::from(format!(
            "{} · {} · the run does exactly this",
            match preview.layout.format {
                crm_core::import::Format::Csv => "CSV",
                crm_core::import::Format::Jsonl => "JSON Lines",
            },
            preview.layout.encoding
        ))
        .dim(),
        Line::from(""),
    ];
    for row in &preview.rows {
        let what = match row.action {
            Planned::Create => "create".green(),
            Planned::Update => "update".yellow(),
            Planned::Skip => "skip".dim(),
            Planned::Error => "error".red(),
        };
        let detail = match (row.action, row.reason, row.errors.first()) {
            (Planned::Error, _, Some(e)) => format!(
                "{}{}",
                e.column
                    .as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default(),
                e.message
            ),
            (_, Some("repeated"), _) => {
                format!("the same key as row {}", row.first_row.unwrap_or_default())
            }
            (_, Some(reason), _) => format!("{reason}: #{}", row.id.unwrap_or_default()),
            (Planned::Update, _, _) => format!(
                "#{} ← {}",
                row.id.unwrap_or_default(),
                values(row, &plan.setup.fields)
            ),
            _ => values(row, &plan.setup.fields),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("row {:>6}  ", row.row)),
            what,
            Span::raw(format!("  {detail}")),
        ]));
    }
    lines
}

/// A row's values as read, the texts and numbers of the fields in the kind's order.
fn values(row: &crm_core::import::PlannedRow, fields: &[crm_core::import::ImportField]) -> String {
    let Some(values) = &row.values else {
        return String::new();
    };
    fields
        .iter()
        .filter_map(|f| values.get(f.field))
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s.lines().next().unwrap_or_default().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Array(items) if !items.is_empty() => Some(
                items
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        })
        .take(5)
        .collect::<Vec<_>>()
        .join(" · ")
}

fn done_lines(plan: &Plan, result: &Result<Box<Imported>, Failure>) -> Vec<Line<'static>> {
    match result {
        Err(e) => vec![Line::from(format!("The import stopped: {e}")).red()],
        Ok(done) => {
            let s = done.outcome.summary;
            let mut lines =
                vec![Line::from(format!("{}: {}", plan.path, summary(s, false))).bold()];
            if done.outcome.cancelled {
                lines.push(
                    Line::from(
                        "Stopped: what is written stays; importing the file again finishes it.",
                    )
                    .yellow(),
                );
            }
            if let Some(path) = &done.errors_file {
                lines.push(Line::from(format!(
                    "The rows that failed are in {} (row, line, column, field, value, message):",
                    path.display()
                )));
                for e in done.outcome.errors.iter().take(8) {
                    lines.push(
                        Line::from(format!(
                            "  row {}{}: {}",
                            e.row,
                            e.column
                                .as_deref()
                                .map(|c| format!(", {c}"))
                                .unwrap_or_default(),
                            e.message
                        ))
                        .red(),
                    );
                }
            }
            lines
        }
    }
}

#[cfg(test)]
mod tests;

//! The segment builder: a criteria tree edited with keys — add a condition (a field picker that
//! filters the catalog as you type, an operator list for the field's type, a value checked as
//! you type, enum values offered), add groups, switch them between all / any / not, indent and
//! outdent, remove — or written in the text form (`:`). The count and the first members follow
//! every change (asked once typing pauses, answered off the UI thread), the text form is shown
//! in sync, `s` saves, and `w` on a member shows why it is in.
//!
//! The same builder filters a list (`f` on a tab): over the kind's own fields, with the count
//! of what the filter keeps, and `s` applies the filter to the list.

pub mod tree;
mod value;

use super::why::Why;
use super::{Areas, Command, QueryChange, Screen, View};
use crate::client::field::Field;
use crate::client::format::spinner;
use crate::client::keys::{Binding, Hint, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{Failure, Previewed, Reply, Request, Tab};
use crm_core::catalog::Operator;
use crm_core::ids::SegmentId;
use crm_core::schema::FieldInfo;
use crm_core::segments::Segment;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tree::{Group, Node, Tree};
use value::{condition, op_name, value_text};

/// Ticks (~120 ms each) without a change before the preview is asked for.
const QUIET_TICKS: u64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Add,
    AddGroup,
    Switch,
    Remove,
    Indent,
    Outdent,
    Edit,
    Text,
    Save,
    Members,
    Why,
    Type,
    Choose,
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
const ARROWS: Binding<Action> = each(
    &[
        (K::Up, A::Up),
        (K::Down, A::Down),
        (K::Left, A::Up),
        (K::Right, A::Down),
    ],
    "↑↓ ←→",
    "choose",
);

/// What editing a tree takes, in a segment or a list's filter.
const ADD: Binding<Action> = each(
    &[(K::Char('a'), A::Add)],
    "a",
    "add a condition (pick a field, an operator, a value)",
);
const GROUP: Binding<Action> = each(&[(K::Char('g'), A::AddGroup)], "g", "add a group");
const SWITCH: Binding<Action> = each(
    &[(K::Char('t'), A::Switch)],
    "t",
    "switch the group: all of, any of, not",
);
const REMOVE: Binding<Action> = each(
    &[(K::Char('x'), A::Remove), (K::Delete, A::Remove)],
    "x Del",
    "remove",
);
const INDENT: Binding<Action> = each(&[(K::Char('>'), A::Indent)], ">", "into the group above");
const OUTDENT: Binding<Action> = each(&[(K::Char('<'), A::Outdent)], "<", "out of its group");
const EDIT: Binding<Action> = each(
    &[(K::Enter, A::Edit)],
    "Enter",
    "change the condition's operator and value",
);
const TEXT_FORM: Binding<Action> = each(&[(K::Char(':'), A::Text)], ":", "edit the text form");
const HELP: Binding<Action> = each(&[(K::Char('?'), A::Help)], "?", "this help");
const EDIT_HINTS: [Hint<Action>; 5] = [
    hint(&[A::Add], "a", "condition"),
    hint(&[A::AddGroup], "g", "group"),
    hint(&[A::Switch], "t", "all/any/not"),
    hint(&[A::Remove], "x", "remove"),
    hint(&[A::Text], ":", "text"),
];

const TREE: Keymap<Action> = Keymap {
    title: "Keys in the segment builder",
    bindings: &[
        MOVE,
        ADD,
        GROUP,
        SWITCH,
        REMOVE,
        INDENT,
        OUTDENT,
        EDIT,
        TEXT_FORM,
        each(&[(K::Char('s'), A::Save)], "s", "save the segment"),
        each(&[(K::Tab, A::Members)], "Tab", "to the members (w: why)"),
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "close (twice with unsaved changes)",
        ),
        HELP,
    ],
    hints: &[
        EDIT_HINTS[0],
        EDIT_HINTS[1],
        EDIT_HINTS[2],
        EDIT_HINTS[3],
        hint(&[A::Indent, A::Outdent], "> <", "indent"),
        EDIT_HINTS[4],
        hint(&[A::Save], "s", "save"),
        hint(&[A::Members], "Tab", "members"),
        hint(&[A::Back], "Esc", "close"),
    ],
};

/// The builder filtering a list: no members, and `s` applies.
const LIST_TREE: Keymap<Action> = Keymap {
    title: "Keys in a list's filter",
    bindings: &[
        MOVE,
        ADD,
        GROUP,
        SWITCH,
        REMOVE,
        INDENT,
        OUTDENT,
        EDIT,
        TEXT_FORM,
        each(
            &[(K::Char('s'), A::Save)],
            "s",
            "apply the filter to the list",
        ),
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "close; the list keeps its filter (twice with changes)",
        ),
        HELP,
    ],
    hints: &[
        EDIT_HINTS[0],
        EDIT_HINTS[1],
        EDIT_HINTS[2],
        EDIT_HINTS[3],
        EDIT_HINTS[4],
        hint(&[A::Save], "s", "apply"),
        hint(&[A::Back], "Esc", "close"),
    ],
};

const MEMBERS: Keymap<Action> = Keymap {
    title: "Keys on the builder's members",
    bindings: &[
        MOVE,
        each(&[(K::Char('w'), A::Why)], "w", "why this customer is in"),
        each(
            &[(K::Tab, A::Members), (K::Esc, A::Back)],
            "Tab Esc",
            "back to the criteria",
        ),
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Why], "w", "why"),
        hint(&[A::Back], "Tab Esc", "back"),
    ],
};

const PICK: Keymap<Action> = Keymap {
    title: "Keys in a picker",
    bindings: &[
        typing(A::Type, "type", "filter"),
        each(&[(K::Up, A::Up), (K::Down, A::Down)], "↑↓", "choose"),
        each(&[(K::Enter, A::Choose)], "Enter", "choose"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
    ],
    hints: &[
        hint(&[A::Type], "type", "filter"),
        hint(&[A::Up, A::Down], "↑↓", "choose"),
        hint(&[A::Choose], "Enter", "ok"),
        hint(&[A::Back], "Esc", "cancel"),
    ],
};

const CHOOSE: Keymap<Action> = Keymap {
    title: "Keys in a list",
    bindings: &[
        ARROWS,
        each(&[(K::Enter, A::Choose)], "Enter", "choose"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "choose"),
        hint(&[A::Choose], "Enter", "ok"),
        hint(&[A::Back], "Esc", "cancel"),
    ],
};

const INPUT: Keymap<Action> = Keymap {
    title: "Keys in an input",
    bindings: &[
        typing(A::Type, "type", "the text"),
        each(&[(K::Enter, A::Choose)], "Enter", "ok"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
    ],
    hints: &[
        hint(&[A::Type], "type", "edit"),
        hint(&[A::Choose], "Enter", "ok"),
        hint(&[A::Back], "Esc", "cancel"),
    ],
};

/// What the keys edit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Tree,
    Members,
    /// Picking a field, filtered by `query`.
    Field {
        query: Field,
        selected: usize,
    },
    /// Picking the operator of `field`; `editing` the condition being changed, if any.
    Op {
        field: FieldInfo,
        selected: usize,
        editing: Option<Vec<usize>>,
    },
    /// Typing the value (and a count's options after `;`).
    Value {
        field: FieldInfo,
        op: Operator,
        input: Field,
        editing: Option<Vec<usize>>,
    },
    /// Editing the text form; `error` from the last attempt.
    Text {
        input: Field,
        error: Option<String>,
    },
    /// Naming a new segment.
    Name {
        input: Field,
    },
}

/// The builder.
#[derive(Debug, Clone)]
pub struct Builder {
    /// The list it filters, or `None` for a segment.
    list: Option<Tab>,
    id: Option<SegmentId>,
    name: String,
    pub tree: Tree,
    /// The tree as opened (or last saved): leaving with another one asks first.
    opened: Tree,
    /// `Esc` was pressed once with unsaved changes: a second one leaves without them.
    leaving: bool,
    cursor: usize,
    mode: Mode,
    fields: Option<Result<Vec<FieldInfo>, Failure>>,
    /// The last preview, and whether it is of the tree as it is now.
    pub preview: Option<Result<Previewed, Failure>>,
    /// The tree cannot be evaluated as it is (a `not` without a child).
    pub problem: Option<String>,
    generation: u64,
    /// The tree changed at this tick and the preview has not been asked for yet.
    changed_at: Option<u64>,
    loading: bool,
    member: usize,
    saving: bool,
}

impl Builder {
    /// A builder for a new segment, and its first requests.
    pub fn new() -> (Builder, Vec<Request>) {
        Builder::of(None, None, String::new(), Tree::default())
    }

    /// A builder for a saved segment.
    pub fn edit(segment: &Segment) -> (Builder, Vec<Request>) {
        Builder::of(
            None,
            Some(segment.id),
            segment.name.clone(),
            Tree::from_json(&segment.criteria),
        )
    }

    /// A builder of `tab`'s filter, starting from `criteria`.
    pub fn for_list(tab: Tab, criteria: Option<&serde_json::Value>) -> (Builder, Vec<Request>) {
        let tree = criteria.map(Tree::from_json).unwrap_or_default();
        Builder::of(Some(tab), None, String::new(), tree)
    }

    fn of(
        list: Option<Tab>,
        id: Option<SegmentId>,
        name: String,
        tree: Tree,
    ) -> (Builder, Vec<Request>) {
        let mut b = Builder {
            list,
            id,
            name,
            opened: tree.clone(),
            tree,
            leaving: false,
            cursor: 0,
            mode: Mode::Tree,
            fields: None,
            preview: None,
            problem: None,
            generation: 0,
            changed_at: None,
            loading: false,
            member: 0,
            saving: false,
        };
        let mut asks = vec![match list {
            Some(tab) => Request::KindFields(tab.kind()),
            None => Request::SegmentFields,
        }];
        asks.extend(b.ask_preview());
        (b, asks)
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        match self.mode {
            Mode::Tree if self.list.is_some() => &LIST_TREE,
            Mode::Tree => &TREE,
            Mode::Members => &MEMBERS,
            Mode::Field { .. } => &PICK,
            Mode::Op { .. } => &CHOOSE,
            Mode::Value { .. } | Mode::Text { .. } | Mode::Name { .. } => &INPUT,
        }
    }

    fn fields(&self) -> &[FieldInfo] {
        self.fields
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map_or(&[], Vec::as_slice)
    }

    /// The fields whose name or label contains `query`, ignoring case.
    fn matching(&self, query: &str) -> Vec<FieldInfo> {
        let q = query.to_lowercase();
        self.fields()
            .iter()
            .filter(|f| f.name.to_lowercase().contains(&q) || f.label.to_lowercase().contains(&q))
            .cloned()
            .collect()
    }

    fn path(&self) -> Vec<usize> {
        self.tree
            .rows()
            .get(self.cursor)
            .map(|r| r.path.clone())
            .unwrap_or_default()
    }

    /// Puts the cursor on the node at `path`.
    fn go(&mut self, path: &[usize]) {
        if let Some(i) = self.tree.rows().iter().position(|r| r.path == path) {
            self.cursor = i;
        }
    }

    /// The tree changed: the preview is asked for once typing pauses.
    fn changed(&mut self, tick: u64) {
        self.changed_at = Some(tick);
        self.member = 0;
        // Whether it can run is known at once: the preview's stale mark must not wait for it.
        self.problem = self.tree.to_json().err();
    }

    fn ask_preview(&mut self) -> Option<Request> {
        self.changed_at = None;
        match self.tree.to_json() {
            Ok(criteria) => {
                self.problem = None;
                self.generation += 1;
                self.loading = true;
                Some(match self.list {
                    Some(tab) => Request::ListPreview {
                        kind: tab.kind(),
                        criteria,
                        generation: self.generation,
                    },
                    None => Request::Preview {
                        criteria,
                        generation: self.generation,
                    },
                })
            }
            Err(problem) => {
                self.problem = Some(problem);
                None
            }
        }
    }

    fn text(&self) -> String {
        match &self.preview {
            Some(Ok(p)) => p.text.clone(),
            _ => String::new(),
        }
    }

    fn tree_key(&mut self, action: Action, view: &View<'_>, out: &mut Vec<Command>) {
        let rows = self.tree.rows().len();
        let path = self.path();
        match action {
            A::Up => self.cursor = self.cursor.saturating_sub(1),
            A::Down => self.cursor = (self.cursor + 1).min(rows.saturating_sub(1)),
            A::Add => {
                self.mode = Mode::Field {
                    query: Field::default(),
                    selected: 0,
                };
            }
            A::AddGroup => {
                let at = self.tree.insert(&path, Node::Group(Group::All, Vec::new()));
                self.go(&at);
                self.changed(view.tick);
            }
            A::Switch => {
                self.tree.switch(&path);
                self.changed(view.tick);
            }
            A::Remove => {
                if let Some(at) = self.tree.remove(&path) {
                    self.go(&at);
                    self.cursor = self.cursor.min(self.tree.rows().len().saturating_sub(1));
                    self.changed(view.tick);
                }
            }
            A::Indent | A::Outdent => {
                let moved = if action == A::Indent {
                    self.tree.indent(&path)
                } else {
                    self.tree.outdent(&path)
                };
                match moved {
                    Some(at) => {
                        self.go(&at);
                        self.changed(view.tick);
                    }
                    None => out.push(Command::Notice(if action == A::Indent {
                        "indent moves a node into the group just above it: add one with g".into()
                    } else {
                        "this is already at the top level".into()
                    })),
                }
            }
            A::Edit => {
                if let Some(Node::Condition(c)) = self.tree.get(&path)
                    && let Some(field) = self.fields().iter().find(|f| f.name == c.field).cloned()
                {
                    let selected = field
                        .operators
                        .iter()
                        .position(|o| op_name(*o) == c.op)
                        .unwrap_or(0);
                    self.mode = Mode::Op {
                        field,
                        selected,
                        editing: Some(path),
                    };
                }
            }
            A::Text => {
                // An empty tree's text (`all()`) is only in the way of typing criteria.
                let empty = self.tree.rows().len() == 1;
                self.mode = Mode::Text {
                    input: Field::new(&if empty { String::new() } else { self.text() }),
                    error: None,
                };
            }
            A::Save if self.list.is_some() => match (self.tree.to_json(), self.list) {
                (Err(problem), _) => {
                    out.push(Command::Notice(format!("not applied: {problem}")));
                }
                (Ok(criteria), Some(tab)) => {
                    // An empty tree keeps every record: no filter.
                    let empty = self.tree.rows().len() == 1;
                    out.push(Command::Close);
                    out.push(Command::Query(
                        tab,
                        QueryChange::Where((!empty).then_some(criteria)),
                    ));
                }
                (Ok(_), None) => {}
            },
            A::Save => match (self.tree.to_json(), self.id) {
                (Err(problem), _) => out.push(Command::Notice(format!("not saved: {problem}"))),
                (Ok(criteria), Some(id)) => {
                    self.saving = true;
                    out.push(Command::Ask(Request::SaveSegment {
                        id: Some(id),
                        name: self.name.clone(),
                        criteria,
                    }));
                }
                (Ok(_), None) => {
                    self.mode = Mode::Name {
                        input: Field::default(),
                    };
                }
            },
            A::Members => {
                if matches!(&self.preview, Some(Ok(p)) if !p.items.is_empty()) {
                    self.mode = Mode::Members;
                }
            }
            A::Help => out.push(Command::Help),
            A::Back if self.tree != self.opened && !self.leaving => {
                self.leaving = true;
                out.push(Command::Notice(
                    if self.list.is_some() {
                        "the filter changed: s applies it, Esc again leaves without"
                    } else {
                        "unsaved changes: s saves them, Esc again leaves without"
                    }
                    .into(),
                ));
            }
            A::Back => out.push(Command::Close),
            _ => {}
        }
        if action != A::Back {
            self.leaving = false;
        }
    }

    fn input_key(
        &mut self,
        action: Action,
        key: KeyEvent,
        view: &View<'_>,
        out: &mut Vec<Command>,
    ) {
        let mode = std::mem::replace(&mut self.mode, Mode::Tree);
        self.mode = match (mode, action) {
            (_, A::Back) | (Mode::Members, A::Members) => Mode::Tree,
            (Mode::Members, A::Up) => {
                self.member = self.member.saturating_sub(1);
                Mode::Members
            }
            (Mode::Members, A::Down) => {
                let n = match &self.preview {
                    Some(Ok(p)) => p.items.len(),
                    _ => 0,
                };
                self.member = (self.member + 1).min(n.saturating_sub(1));
                Mode::Members
            }
            (Mode::Members, A::Why) => {
                if let (Some(Ok(p)), Ok(criteria)) = (&self.preview, self.tree.to_json())
                    && let Some(c) = p.items.get(self.member)
                {
                    out.push(Command::Push(Box::new(Why::loading(&c.name))));
                    out.push(Command::Ask(Request::Explain {
                        segment: None,
                        criteria: Some(criteria),
                        customer: c.id,
                    }));
                }
                Mode::Members
            }
            (
                Mode::Field {
                    mut query,
                    selected,
                },
                A::Type,
            ) => {
                let selected = if query.key(key) { 0 } else { selected };
                Mode::Field { query, selected }
            }
            (Mode::Field { query, selected }, A::Up) => Mode::Field {
                query,
                selected: selected.saturating_sub(1),
            },
            (Mode::Field { query, selected }, A::Down) => {
                let n = self.matching(&query.text()).len();
                Mode::Field {
                    query,
                    selected: (selected + 1).min(n.saturating_sub(1)),
                }
            }
            (Mode::Field { query, selected }, A::Choose) => {
                match self.matching(&query.text()).into_iter().nth(selected) {
                    Some(field) => Mode::Op {
                        field,
                        selected: 0,
                        editing: None,
                    },
                    None => Mode::Field { query, selected },
                }
            }
            (
                Mode::Op {
                    field,
                    selected,
                    editing,
                },
                A::Up,
            ) => Mode::Op {
                field,
                selected: selected.saturating_sub(1),
                editing,
            },
            (
                Mode::Op {
                    field,
                    selected,
                    editing,
                },
                A::Down,
            ) => {
                let n = field.operators.len();
                Mode::Op {
                    field,
                    selected: (selected + 1).min(n.saturating_sub(1)),
                    editing,
                }
            }
            (
                Mode::Op {
                    field,
                    selected,
                    editing,
                },
                A::Choose,
            ) => {
                let op = field.operators[selected.min(field.operators.len().saturating_sub(1))];
                // Editing keeps the value already given, as text to change.
                let input = Field::new(
                    &editing
                        .as_ref()
                        .and_then(|p| match self.tree.get(p) {
                            Some(Node::Condition(c)) => Some(value_text(c)),
                            _ => None,
                        })
                        .unwrap_or_default(),
                );
                Mode::Value {
                    field,
                    op,
                    input,
                    editing,
                }
            }
            (
                Mode::Value {
                    field,
                    op,
                    mut input,
                    editing,
                },
                A::Type,
            ) => {
                input.key(key);
                Mode::Value {
                    field,
                    op,
                    input,
                    editing,
                }
            }
            (
                Mode::Value {
                    field,
                    op,
                    input,
                    editing,
                },
                A::Choose,
            ) => {
                match condition(&field, op, &input.text()) {
                    Ok(c) => {
                        let at = if let Some(p) = &editing {
                            self.tree.replace(p, Node::Condition(c));
                            p.clone()
                        } else {
                            let path = self.path();
                            self.tree.insert(&path, Node::Condition(c))
                        };
                        self.go(&at);
                        self.changed(view.tick);
                        Mode::Tree
                    }
                    // The error is on screen already; Enter does nothing until it is fixed.
                    Err(_) => Mode::Value {
                        field,
                        op,
                        input,
                        editing,
                    },
                }
            }
            (Mode::Text { mut input, error }, A::Type) => {
                let error = if input.key(key) { None } else { error };
                Mode::Text { input, error }
            }
            (Mode::Text { input, error }, A::Choose) => {
                self.generation += 1;
                out.push(Command::Ask(match self.list {
                    Some(tab) => Request::ParseFor {
                        kind: tab.kind(),
                        text: input.text(),
                        generation: self.generation,
                    },
                    None => Request::Parse {
                        text: input.text(),
                        generation: self.generation,
                    },
                }));
                Mode::Text { input, error }
            }
            (Mode::Name { mut input }, A::Type) => {
                input.key(key);
                Mode::Name { input }
            }
            (Mode::Name { input }, A::Choose) => {
                if input.text().trim().is_empty() {
                    Mode::Name { input }
                } else if let Ok(criteria) = self.tree.to_json() {
                    input.text().trim().clone_into(&mut self.name);
                    self.saving = true;
                    out.push(Command::Ask(Request::SaveSegment {
                        id: None,
                        name: self.name.clone(),
                        criteria,
                    }));
                    Mode::Tree
                } else {
                    Mode::Tree
                }
            }
            (mode, _) => mode,
        };
    }
}

impl Screen for Builder {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn field(&self) -> Option<&Field> {
        match &self.mode {
            Mode::Field { query: f, .. }
            | Mode::Value { input: f, .. }
            | Mode::Text { input: f, .. }
            | Mode::Name { input: f } => Some(f),
            Mode::Tree | Mode::Members | Mode::Op { .. } => None,
        }
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keymap_now().action(key) else {
            return;
        };
        if self.mode == Mode::Tree {
            self.tree_key(action, view, out);
        } else {
            self.input_key(action, key, view, out);
        }
    }

    fn tick(&mut self, view: &View<'_>, out: &mut Vec<Command>) {
        if self
            .changed_at
            .is_some_and(|at| view.tick >= at + QUIET_TICKS)
        {
            out.extend(self.ask_preview().map(Command::Ask));
        }
    }

    fn reply(&mut self, reply: Reply, view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::SegmentFields(result) => self.fields = Some(result),
            Reply::Previewed { generation, result } => {
                if generation == self.generation {
                    self.loading = false;
                    self.preview = Some(result);
                }
            }
            Reply::Parsed { generation, result } => {
                if generation == self.generation {
                    match result {
                        Ok(both) => {
                            self.tree = Tree::from_json(&both.criteria);
                            self.cursor = 0;
                            self.mode = Mode::Tree;
                            self.changed(view.tick);
                            out.extend(self.ask_preview().map(Command::Ask));
                        }
                        Err(e) => {
                            if let Mode::Text { error, .. } = &mut self.mode {
                                *error = Some(e.message);
                            }
                        }
                    }
                }
            }
            Reply::SegmentSaved(result) => {
                self.saving = false;
                match result {
                    Ok(s) => {
                        out.push(Command::Notice(format!(
                            "saved segment {:?}: {} customers",
                            s.name, s.member_count
                        )));
                        out.push(Command::Close);
                        out.push(Command::Ask(Request::Segments));
                    }
                    Err(e) => out.push(Command::Notice(format!("not saved: {e}"))),
                }
            }
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(area);
        let title = if let Some(tab) = self.list {
            format!(" Filter {} ", tab.title())
        } else if self.name.is_empty() {
            " New segment ".to_owned()
        } else {
            format!(" Segment · {} ", self.name)
        };
        let block = Block::new().borders(Borders::ALL).title(title);
        let inner = block.inner(left);
        frame.render_widget(block, left);
        let [tree_area, edit_area, text_area] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(6),
            Constraint::Length(3),
        ])
        .areas(inner);
        self.draw_tree(frame, tree_area);
        self.draw_edit(frame, edit_area, view);
        self.draw_text(frame, text_area);
        self.draw_live(frame, right, view);
    }

    fn busy(&self) -> bool {
        self.loading || self.changed_at.is_some() || self.saving || self.fields.is_none()
    }
}

impl Builder {
    fn draw_tree(&self, frame: &mut Frame<'_>, area: Rect) {
        let rows = self.tree.rows();
        let height = usize::from(area.height).max(1);
        let first = self.cursor.saturating_sub(height - 1);
        let lines: Vec<Line<'static>> = rows
            .iter()
            .enumerate()
            .skip(first)
            .take(height)
            .map(|(i, r)| {
                let text = format!("{}{}", "  ".repeat(r.depth), r.text);
                let style = if r.is_group {
                    Style::new().fg(Color::Yellow).bold()
                } else {
                    Style::new()
                };
                let line = Line::from(Span::styled(text, style));
                if i == self.cursor && self.mode == Mode::Tree {
                    line.patch_style(Style::new().add_modifier(Modifier::REVERSED))
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }

    /// The picker, operator list or input of the current step, with what is wrong with it.
    fn draw_edit(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let mut lines: Vec<Line<'static>> = Vec::new();
        match &self.mode {
            Mode::Tree | Mode::Members => {
                if let Some(problem) = &self.problem {
                    lines.push(Line::from(problem.clone()).red());
                } else if let Some(Err(e)) = &self.fields {
                    lines.push(Line::from(format!("Could not load the fields: {e}")).red());
                } else if self.tree.rows().len() == 1 {
                    let what = self.list.map_or("customer", |tab| match tab {
                        Tab::Customers => "customer",
                        Tab::Leads => "lead",
                        Tab::Deals => "deal",
                        Tab::Tickets => "ticket",
                        Tab::Quotes => "quote",
                    });
                    lines.push(
                        Line::from(format!(
                            "a adds a condition; every {what} matches an empty `all of`."
                        ))
                        .dim(),
                    );
                }
            }
            Mode::Field { query, selected } => {
                lines.push(input_line("field", query, area.width));
                if self.fields.is_none() {
                    lines.push(
                        Line::from(format!("{} loading the fields…", spinner(view.tick))).dim(),
                    );
                }
                let matching = self.matching(&query.text());
                let height = usize::from(area.height.saturating_sub(1)).max(1);
                let first = selected.saturating_sub(height - 1);
                for (i, f) in matching.iter().enumerate().skip(first).take(height) {
                    let line = Line::from(format!("{:<26} {}", f.name, f.label));
                    lines.push(if i == *selected {
                        line.reversed()
                    } else {
                        line
                    });
                }
                if matching.is_empty() && self.fields.is_some() {
                    lines.push(Line::from("no field matches").dim());
                }
            }
            Mode::Op {
                field, selected, ..
            } => {
                lines.push(Line::from(format!("{} — operator (for its type):", field.name)).bold());
                // Every operator of the type on one line, the chosen one marked.
                let mut spans = Vec::new();
                for (i, op) in field.operators.iter().enumerate() {
                    let name = op_name(*op);
                    spans.push(if i == *selected {
                        Span::styled(
                            format!(" {name} "),
                            Style::new().add_modifier(Modifier::REVERSED),
                        )
                    } else {
                        Span::raw(format!(" {name} "))
                    });
                }
                lines.push(Line::from(spans));
            }
            Mode::Value {
                field, op, input, ..
            } => {
                lines.push(Line::from(format!("{} {}", field.name, op_name(*op))).bold());
                lines.push(input_line("value", input, area.width));
                match condition(field, *op, &input.text()) {
                    Ok(_) => lines.push(Line::from("✓ Enter adds it").green()),
                    Err(e) => lines.push(Line::from(format!("✗ {e}")).red()),
                }
                let mut offered = Vec::new();
                if let Some(values) = field.values {
                    offered.push(format!("values: {}", values.join(", ")));
                }
                if matches!(op, Operator::In | Operator::NotIn) {
                    offered.push("a list: a, b, c".into());
                }
                if *op == Operator::Between {
                    offered.push("low, high".into());
                }
                if !field.options.is_empty() {
                    offered.push(format!("options after `;`: {}", field.options.join(", ")));
                }
                if !offered.is_empty() {
                    lines.push(Line::from(offered.join(" · ")).dim());
                }
            }
            Mode::Text { input, error } => {
                lines.push(input_line("text", input, area.width));
                if let Some(e) = error {
                    lines.push(Line::from(e.clone()).red());
                } else {
                    lines.push(Line::from("Enter reads it (and, or, not, parentheses).").dim());
                }
            }
            Mode::Name { input } => {
                lines.push(input_line("name", input, area.width));
                lines.push(Line::from("Enter saves the segment under this name.").dim());
            }
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::new().borders(Borders::TOP)),
            area,
        );
    }

    fn draw_text(&self, frame: &mut Frame<'_>, area: Rect) {
        let text = self.text();
        let mut line = vec![Span::styled("text ", Style::new().dim())];
        // The text is the last tree that could run; while this one cannot, it says so.
        if self.problem.is_some() {
            line.push(Span::styled("stale · ", Style::new().fg(Color::Yellow)));
        }
        line.push(Span::raw(if text.is_empty() { "—".into() } else { text }));
        frame.render_widget(
            Paragraph::new(Line::from(line))
                .wrap(Wrap { trim: false })
                .block(Block::new().borders(Borders::TOP)),
            area,
        );
    }

    fn draw_live(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let block = Block::new().borders(Borders::ALL).title(" Matching now ");
        let mut lines: Vec<Line<'static>> = Vec::new();
        let fresh = !self.loading && self.changed_at.is_none();
        match &self.preview {
            None => lines.push(Line::from(format!("{} counting…", spinner(view.tick))).dim()),
            Some(Err(e)) => lines.push(Line::from(format!("{e}")).red()),
            Some(Ok(p)) => {
                let count = match self.list {
                    Some(tab) => format!(
                        "{} of the {} match",
                        crate::client::format::thousands(p.count),
                        tab.title().to_lowercase()
                    ),
                    None => format!(
                        "{} customer{}",
                        p.count,
                        if p.count == 1 { "" } else { "s" }
                    ),
                };
                let mut head = vec![Span::styled(count, Style::new().bold())];
                if self.problem.is_some() {
                    head.push(Span::styled(
                        " · stale: of the last criteria that could run",
                        Style::new().fg(Color::Yellow),
                    ));
                } else if !fresh {
                    head.push(Span::raw(format!(" {}", spinner(view.tick))).dim());
                }
                lines.push(Line::from(head));
                lines.push(Line::default());
                for (i, c) in p.items.iter().enumerate() {
                    let line = Line::from(format!(
                        "#{:<6} {:<24} risk {:>3}",
                        c.id, c.name, c.churn_risk
                    ));
                    lines.push(if self.mode == Mode::Members && i == self.member {
                        line.reversed()
                    } else {
                        line
                    });
                }
            }
        }
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

fn input_line(label: &str, field: &Field, width: u16) -> Line<'static> {
    let mut line = Line::from(Span::styled(
        format!("{label} "),
        Style::new().fg(Color::Yellow),
    ));
    let rest = width.saturating_sub(label.chars().count() as u16 + 1);
    line.spans.extend(field.line(rest, true).spans);
    line
}

#[cfg(test)]
mod tests;

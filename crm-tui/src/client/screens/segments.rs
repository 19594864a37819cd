//! Saved segments: each with its member count (counted when the list is read), and the members
//! of the selected one beside it. `n` builds a new segment, `e` edits the selected one, `Enter`
//! moves into its members, where `w` shows why a customer is in.

use super::builder::Builder;
use super::viewer::Viewer;
use super::why::Why;
use super::{Area, Areas, Command, Screen, View};
use crate::client::format::{date, opt, spinner};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Reply, Request, Tab};
use crm_core::customers::Customer;
use crm_core::search::SearchType;
use crm_core::segments::Segment;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Members,
    New,
    Edit,
    Delete,
    Confirm,
    Refresh,
    Why,
    /// The member under the cursor, in the record viewer.
    OpenMember,
    Back,
    Help,
    /// Another area (tab).
    Go(Area),
    NextArea,
    PrevArea,
    Export,
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
const EXPORT: Binding<Action> = each(
    &[(K::Char('E'), A::Export)],
    "E",
    "export the segment's members to CSV or JSON Lines",
);

/// The other areas: `1 2 3 4 5 7 8` and the tab keys.
const AREAS: Binding<Action> = each(
    &[
        (K::Char('1'), A::Go(Area::List(Tab::Customers))),
        (K::Char('2'), A::Go(Area::List(Tab::Leads))),
        (K::Char('3'), A::Go(Area::List(Tab::Deals))),
        (K::Char('4'), A::Go(Area::List(Tab::Tickets))),
        (K::Char('5'), A::Go(Area::List(Tab::Quotes))),
        (K::Char('7'), A::Go(Area::Analytics)),
        (K::Char('8'), A::Go(Area::Trash)),
        (K::Tab, A::NextArea),
        (K::BackTab, A::PrevArea),
    ],
    "1 2 3 4 5 7 8 Tab",
    "the other tabs (this one keeps its state)",
);

/// On the list of segments.
const LIST: Keymap<Action> = Keymap {
    title: "Keys in the segments",
    bindings: &[
        MOVE,
        each(&[(K::Enter, A::Members)], "Enter", "the segment's members"),
        each(&[(K::Char('n'), A::New)], "n", "build a new segment"),
        each(&[(K::Char('e'), A::Edit)], "e", "edit the segment"),
        each(
            &[(K::Char('d'), A::Delete)],
            "d",
            "delete the segment (asks first)",
        ),
        each(
            &[(K::Char('r'), A::Refresh)],
            "r",
            "refresh: evaluate every segment again (criteria that count days)",
        ),
        EXPORT,
        AREAS,
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "back",
        ),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Members], "Enter", "members"),
        hint(&[A::New], "n", "new"),
        hint(&[A::Edit], "e", "edit"),
        hint(&[A::Delete], "d", "delete"),
        hint(&[A::Refresh], "r", "refresh"),
        hint(&[A::NextArea], "Tab", "next tab"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// On the members of the selected segment.
const MEMBERS: Keymap<Action> = Keymap {
    title: "Keys in a segment's members",
    bindings: &[
        MOVE,
        each(
            &[(K::Enter, A::OpenMember)],
            "Enter",
            "open the customer (its tickets and deals can be opened in turn)",
        ),
        each(&[(K::Char('w'), A::Why)], "w", "why this customer is in"),
        EXPORT,
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "back to the segments",
        ),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::OpenMember], "Enter", "open"),
        hint(&[A::Why], "w", "why"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// Asking before a delete.
const CONFIRM: Keymap<Action> = Keymap {
    title: "Delete the segment?",
    bindings: &[
        each(&[(K::Char('y'), A::Confirm)], "y", "delete it"),
        each(
            &[(K::Esc, A::Back), (K::Char('n'), A::Back)],
            "Esc n",
            "keep it",
        ),
    ],
    hints: &[
        hint(&[A::Confirm], "y", "delete it"),
        hint(&[A::Back], "Esc n", "keep it"),
    ],
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    List,
    Members,
    Confirm,
}

/// The segments screen.
#[derive(Debug, Clone)]
pub struct Segments {
    items: Option<Result<Vec<Segment>, Failure>>,
    selected: usize,
    members: Option<Result<Vec<Customer>, Failure>>,
    next_cursor: Option<String>,
    member: usize,
    focus: Focus,
    loading: bool,
}

impl Segments {
    /// The screen, and its first request.
    pub fn new() -> (Segments, Request) {
        let screen = Segments {
            items: None,
            selected: 0,
            members: None,
            next_cursor: None,
            member: 0,
            focus: Focus::List,
            loading: true,
        };
        (screen, Request::Segments)
    }

    fn segment(&self) -> Option<&Segment> {
        self.items
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .and_then(|items| items.get(self.selected))
    }

    fn members_len(&self) -> usize {
        self.members
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map_or(0, Vec::len)
    }

    /// Asks for the selected segment's first members.
    fn load_members(&mut self, out: &mut Vec<Command>) {
        self.members = None;
        self.next_cursor = None;
        self.member = 0;
        if let Some(s) = self.segment() {
            out.push(Command::Ask(Request::SegmentMembers {
                id: s.id,
                cursor: None,
            }));
        }
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        match self.focus {
            Focus::List => &LIST,
            Focus::Members => &MEMBERS,
            Focus::Confirm => &CONFIRM,
        }
    }
}

impl Screen for Segments {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn area(&self) -> Option<Area> {
        Some(Area::Segments)
    }

    fn shown_again(&mut self, out: &mut Vec<Command>) {
        // Counts may have moved while away; the selection stays.
        self.focus = Focus::List;
        out.push(Command::Ask(Request::Segments));
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keymap_now().action(key) else {
            return;
        };
        let count = self
            .items
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map_or(0, Vec::len);
        match (self.focus, action) {
            (_, A::Help) => out.push(Command::Help),
            (_, A::Go(area)) => out.push(Command::Go(area)),
            (_, A::NextArea) => out.push(Command::Go(Area::Segments.step(1))),
            (_, A::PrevArea) => out.push(Command::Go(Area::Segments.step(-1))),
            (Focus::List, A::Back) => out.push(Command::Close),
            (Focus::List, A::Up) if self.selected > 0 => {
                self.selected -= 1;
                self.load_members(out);
            }
            (Focus::List, A::Down) if self.selected + 1 < count => {
                self.selected += 1;
                self.load_members(out);
            }
            (Focus::List, A::Members) if self.members_len() > 0 => self.focus = Focus::Members,
            (Focus::List, A::New) => {
                let (builder, ask) = Builder::new();
                out.push(Command::Push(Box::new(builder)));
                out.extend(ask.into_iter().map(Command::Ask));
            }
            (Focus::List, A::Edit) => {
                if let Some(s) = self.segment() {
                    let (builder, ask) = Builder::edit(s);
                    out.push(Command::Push(Box::new(builder)));
                    out.extend(ask.into_iter().map(Command::Ask));
                }
            }
            (Focus::List, A::Delete) if self.segment().is_some() => self.focus = Focus::Confirm,
            (Focus::List | Focus::Members, A::Export) => {
                if let Some(s) = self.segment() {
                    let request = crm_core::export::ExportRequest {
                        kind: None,
                        segment_id: Some(s.id),
                        r#where: None,
                        sort: None,
                        columns: Vec::new(),
                        format: crm_core::export::Format::Csv,
                        path: String::new(),
                        defuse: None,
                    };
                    let name = format!(
                        "segment-{}-{}.csv",
                        s.id.0,
                        crate::client::format::date(view.now)
                    );
                    out.push(Command::Push(Box::new(super::export::Export::new(
                        format!("segment {}", s.name),
                        request,
                        &name,
                    ))));
                }
            }
            (Focus::List, A::Refresh) => {
                self.loading = true;
                out.push(Command::Ask(Request::RefreshSegments));
            }
            (Focus::Confirm, A::Confirm) => {
                self.focus = Focus::List;
                if let Some(id) = self.segment().map(|s| s.id) {
                    self.loading = true;
                    out.push(Command::Ask(Request::DeleteSegment(id)));
                }
            }
            (Focus::Confirm | Focus::Members, A::Back) => self.focus = Focus::List,
            (Focus::Members, A::Up) => self.member = self.member.saturating_sub(1),
            (Focus::Members, A::Down) => {
                self.member = (self.member + 1).min(self.members_len().saturating_sub(1));
                // The next page, when the selection nears the end of what is held.
                if self.member + 10 >= self.members_len()
                    && let (Some(cursor), Some(s)) = (self.next_cursor.take(), self.segment())
                {
                    out.push(Command::Ask(Request::SegmentMembers {
                        id: s.id,
                        cursor: Some(cursor),
                    }));
                }
            }
            (Focus::Members, A::OpenMember) => {
                let customer = self
                    .members
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|m| m.get(self.member));
                if let Some(c) = customer {
                    out.push(Command::Push(Box::new(Viewer::Loading(c.name.clone()))));
                    out.push(Command::Ask(Request::OpenHit(SearchType::Customer, c.id.0)));
                }
            }
            (Focus::Members, A::Why) => {
                let customer = self
                    .members
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|m| m.get(self.member));
                if let (Some(c), Some(s)) = (customer, self.segment()) {
                    out.push(Command::Push(Box::new(Why::loading(&c.name))));
                    out.push(Command::Ask(Request::Explain {
                        segment: Some(s.id),
                        criteria: None,
                        customer: c.id,
                    }));
                }
            }
            _ => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Segments(result) => {
                self.loading = false;
                let held = self.segment().map(|s| s.id);
                self.items = Some(result);
                // Stay on the segment that was selected, if it is still there.
                if let Some(items) = self.items.as_ref().and_then(|r| r.as_ref().ok()) {
                    self.selected = held
                        .and_then(|id| items.iter().position(|s| s.id == id))
                        .unwrap_or(0)
                        .min(items.len().saturating_sub(1));
                }
                self.load_members(out);
            }
            Reply::SegmentMembers { id, result } => {
                if self.segment().is_some_and(|s| s.id == id) {
                    match (result, &mut self.members) {
                        (Ok(page), Some(Ok(held))) => {
                            held.extend(page.items);
                            self.next_cursor = page.next_cursor;
                        }
                        (Ok(page), _) => {
                            self.members = Some(Ok(page.items));
                            self.next_cursor = page.next_cursor;
                        }
                        (Err(e), _) => self.members = Some(Err(e)),
                    }
                }
            }
            Reply::SegmentDeleted(result) => {
                match result {
                    Ok(id) => out.push(Command::Notice(format!("segment {id} deleted"))),
                    Err(e) => out.push(Command::Notice(format!("not deleted: {e}"))),
                }
                out.push(Command::Ask(Request::Segments));
            }
            Reply::SegmentsRefreshed(result) => {
                match result {
                    Ok(r) => out.push(Command::Notice(format!(
                        "refreshed {} segments: {} customers entered, {} left",
                        r.segments, r.entered, r.exited
                    ))),
                    Err(e) => out.push(Command::Notice(format!("not refreshed: {e}"))),
                }
                out.push(Command::Ask(Request::Segments));
            }
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let [list, members] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
        self.draw_list(frame, list, view);
        self.draw_members(frame, members, view);
        if self.focus == Focus::Confirm
            && let Some(s) = self.segment()
        {
            let popup = crate::client::ui::centered(area, 60, 5);
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new(format!(
                    "Delete segment {:?}, its memberships and their history? (y / n)",
                    s.name
                ))
                .wrap(Wrap { trim: true })
                .block(Block::new().borders(Borders::ALL).title(" Delete ")),
                popup,
            );
        }
    }

    fn busy(&self) -> bool {
        self.loading || (self.items.is_some() && self.members.is_none() && self.segment().is_some())
    }
}

impl Segments {
    fn draw_list(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let block = Block::new().borders(Borders::ALL).title(" Segments ");
        let Some(items) = super::loaded(
            frame,
            area,
            &block,
            self.items.as_ref(),
            ("Loading segments…", "Could not load the segments"),
            view.tick,
        ) else {
            return;
        };
        if items.is_empty() {
            frame.render_widget(
                Paragraph::new("No segments yet. n builds one.")
                    .dim()
                    .block(block),
                area,
            );
            return;
        }
        let rows = items.iter().map(|s| {
            Row::new(vec![
                s.name.clone(),
                s.member_count.to_string(),
                s.text.clone(),
            ])
        });
        let widths = [
            Constraint::Length(18),
            Constraint::Length(8),
            Constraint::Min(10),
        ];
        let highlight = if self.focus == Focus::List {
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        };
        let table = Table::new(rows, widths)
            .header(
                Row::new(["Name", "Members", "Criteria"]).style(Style::new().bold().underlined()),
            )
            .block(block)
            .row_highlight_style(highlight);
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_members(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let title = self.segment().map_or(" Members ".to_owned(), |s| {
            format!(" Members of {} ", s.name)
        });
        let block = Block::new().borders(Borders::ALL).title(title);
        let members = match &self.members {
            None if self.segment().is_some() => {
                frame.render_widget(
                    Paragraph::new(format!("{} Loading members…", spinner(view.tick))).block(block),
                    area,
                );
                return;
            }
            None => {
                frame.render_widget(Paragraph::new("").block(block), area);
                return;
            }
            Some(Err(e)) => {
                frame.render_widget(
                    Paragraph::new(format!("Could not load the members: {e}"))
                        .red()
                        .block(block),
                    area,
                );
                return;
            }
            Some(Ok(m)) => m,
        };
        if members.is_empty() {
            frame.render_widget(
                Paragraph::new("No customer matches now.")
                    .dim()
                    .block(block),
                area,
            );
            return;
        }
        let height = usize::from(area.height.saturating_sub(3)).max(1);
        let first = self.member.saturating_sub(height - 1);
        let rows = members.iter().skip(first).take(height).map(|c| {
            Row::new(vec![
                format!("#{}", c.id),
                c.name.clone(),
                opt(c.company.as_deref()),
                c.churn_risk.to_string(),
                c.last_contact_at.map_or_else(|| "—".into(), date),
            ])
        });
        let widths = [
            Constraint::Length(7),
            Constraint::Min(12),
            Constraint::Min(10),
            Constraint::Length(4),
            Constraint::Length(10),
        ];
        let table = Table::new(rows, widths)
            .header(
                Row::new(["ID", "Name", "Company", "Risk", "Contact"])
                    .style(Style::new().bold().underlined()),
            )
            .block(block)
            .row_highlight_style(Style::new().bg(Color::Blue).fg(Color::White));
        let selected = (self.focus == Focus::Members).then_some(self.member - first);
        let mut state = TableState::default().with_selected(selected);
        frame.render_stateful_widget(table, area, &mut state);
    }
}

#[cfg(test)]
mod tests;

//! The base screen: a tab per record kind, each a window of rows paged by keyset cursors, the
//! selected record's detail beside it (or full-screen with `Enter`), and the keys that open
//! everything else (timeline, links, auto-link review, search, help).

use super::detail::{self, DetailState};
use super::picker::Picker;
use super::review::Review;
use super::timeline::TimelineView;
use super::{Areas, Command, Screen, View};
use crate::format::{date, money, name_of, opt, spinner, stage_of};
use crate::keys::{Binding, Hint, KeyHelp, Keymap, each, hint};
use crate::worker::{
    LinkChange, Lookups, PAGE_ROWS, PageData, PageKind, PickKind, Record, RecordKey, Reply,
    Request, Tab,
};
use crm_core::timeline::TimelineOwner;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use std::collections::HashMap;

/// What a key does on the lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextTab,
    PrevTab,
    Open,
    Help,
    Back,
    Quit,
    LinkLead,
    LinkDeal,
    UnlinkLead,
    UnlinkDeal,
    AutoLink,
    Timeline,
    Search,
    Segments,
    Analytics,
    Quotes,
}

use Action as A;
use KeyCode as K;

const BINDINGS: &[Binding<Action>] = &[
    each(&[(K::Up, A::Up), (K::Char('k'), A::Up)], "↑ k", "up"),
    each(
        &[(K::Down, A::Down), (K::Char('j'), A::Down)],
        "↓ j",
        "down",
    ),
    each(&[(K::PageUp, A::PageUp)], "PgUp", "page up"),
    each(&[(K::PageDown, A::PageDown)], "PgDn", "page down"),
    each(
        &[(K::Char('g'), A::Top), (K::Home, A::Top)],
        "g Home",
        "first row",
    ),
    each(
        &[(K::Char('G'), A::Bottom), (K::End, A::Bottom)],
        "G End",
        "last row",
    ),
    each(
        &[
            (K::Tab, A::NextTab),
            (K::Right, A::NextTab),
            (K::Char('l'), A::NextTab),
        ],
        "Tab → l",
        "next tab",
    ),
    each(
        &[
            (K::BackTab, A::PrevTab),
            (K::Left, A::PrevTab),
            (K::Char('h'), A::PrevTab),
        ],
        "S-Tab ← h",
        "previous tab",
    ),
    each(&[(K::Enter, A::Open)], "Enter", "open the record"),
    each(
        &[(K::Char('t'), A::Timeline)],
        "t",
        "timeline of the customer, lead or deal",
    ),
    each(
        &[(K::Char('L'), A::LinkLead)],
        "L",
        "link the ticket to a lead",
    ),
    each(
        &[(K::Char('D'), A::LinkDeal)],
        "D",
        "link the ticket to a deal",
    ),
    each(
        &[(K::Char('x'), A::UnlinkLead)],
        "x",
        "unlink the ticket's lead",
    ),
    each(
        &[(K::Char('X'), A::UnlinkDeal)],
        "X",
        "unlink the ticket's deal",
    ),
    each(
        &[(K::Char('A'), A::AutoLink)],
        "A",
        "auto-link review (admin)",
    ),
    each(
        &[(K::Char('/'), A::Search)],
        "/",
        "search everything (Tab: facets, Enter: open)",
    ),
    each(
        &[(K::Char('S'), A::Segments)],
        "S",
        "segments of customers: saved, built, why a customer is in",
    ),
    each(
        &[(K::Char('a'), A::Analytics)],
        "a",
        "analytics: the funnel, reps' periods, what was won",
    ),
    each(
        &[(K::Char('Q'), A::Quotes)],
        "Q",
        "the deal's quotes: compose, send, accept, reject, revise",
    ),
    each(&[(K::Char('?'), A::Help)], "?", "this help"),
    each(&[(K::Esc, A::Back)], "Esc", "back (quit from the lists)"),
    each(&[(K::Char('q'), A::Quit)], "q", "quit"),
];

const MOVE: Hint<Action> = hint(&[A::Up, A::Down], "↑↓ jk", "move");
const ENDS: Hint<Action> = hint(&[A::Top, A::Bottom], "g G", "first/last");
const NEXT_TAB: Hint<Action> = hint(&[A::NextTab], "Tab", "next tab");
const OPEN: Hint<Action> = hint(&[A::Open], "Enter", "open");
const HELP: Hint<Action> = hint(&[A::Help], "?", "help");
const QUIT: Hint<Action> = hint(&[A::Quit], "q", "quit");

/// The lists of customers, leads and deals.
const LISTS: Keymap<Action> = Keymap {
    title: "Keys",
    bindings: BINDINGS,
    hints: &[
        MOVE,
        hint(&[A::PageUp, A::PageDown], "PgUp PgDn", "page"),
        ENDS,
        NEXT_TAB,
        OPEN,
        HELP,
        QUIT,
    ],
};

/// The tickets' list: the link keys work here.
const TICKETS: Keymap<Action> = Keymap {
    hints: &[
        MOVE,
        ENDS,
        hint(&[A::LinkLead, A::LinkDeal], "L D", "link lead/deal"),
        hint(&[A::UnlinkLead, A::UnlinkDeal], "x X", "unlink"),
        hint(&[A::AutoLink], "A", "auto-link"),
        OPEN,
        HELP,
        QUIT,
    ],
    ..LISTS
};

/// A record open full-screen.
const OPENED: Keymap<Action> = Keymap {
    hints: &[
        hint(&[A::Up, A::Down], "↑↓ jk", "previous/next record"),
        NEXT_TAB,
        hint(&[A::Back], "Esc", "back"),
        HELP,
        QUIT,
    ],
    ..LISTS
};

/// Fetch the next page when the selection comes this close to the end of what is held.
const PREFETCH_MARGIN: usize = 20;

/// One tab's list: a window of rows held in memory, extended a page at a time by keyset cursors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListState {
    pub rows: Vec<Record>,
    pub selected: usize,
    /// The first row on screen.
    pub offset: usize,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
    /// A page request is in flight.
    pub loading: bool,
    /// The first page has arrived.
    pub loaded: bool,
    pub error: Option<crate::worker::Failure>,
    /// Answers for an older generation are dropped (the user jumped elsewhere meanwhile).
    pub generation: u64,
    /// A reload is in flight: its page keeps the selection on the record selected when it
    /// arrives, if the fresh first page still holds it.
    pub reloading: bool,
}

impl ListState {
    pub fn selected_record(&self) -> Option<&Record> {
        self.rows.get(self.selected)
    }
}

/// The lists screen.
#[derive(Debug, Clone)]
pub struct Lists {
    pub tab: Tab,
    pub tabs: HashMap<Tab, ListState>,
    pub detail: Option<DetailState>,
    /// The selected record is open full-screen.
    pub open: bool,
    /// Rows the list shows at once.
    rows: usize,
}

impl Lists {
    /// The lists showing `rows` rows at once, and the request for the first page of customers.
    pub fn new(rows: usize) -> (Lists, Option<Request>) {
        let mut lists = Lists {
            tab: Tab::Customers,
            tabs: Tab::ALL
                .iter()
                .map(|t| (*t, ListState::default()))
                .collect(),
            detail: None,
            open: false,
            rows,
        };
        let first = lists.load(Tab::Customers, PageKind::First);
        (lists, first)
    }

    pub fn list(&self) -> &ListState {
        &self.tabs[&self.tab]
    }

    fn list_mut(&mut self) -> &mut ListState {
        self.tabs.entry(self.tab).or_default()
    }

    /// The terminal changed size: `rows` rows show at once.
    pub fn resize(&mut self, rows: usize) {
        self.rows = rows;
        self.scroll_into_view();
    }

    /// Opens record `id` in `tab`, its list starting at it (a search hit).
    pub fn show(&mut self, tab: Tab, id: i64, out: &mut Vec<Command>) {
        self.tab = tab;
        self.open = true;
        out.extend(self.load(tab, PageKind::At(id)).map(Command::Ask));
    }

    /// Fetches `tab` again from its first page (its rows changed).
    pub fn reload(&mut self, tab: Tab, out: &mut Vec<Command>) {
        self.detail = None;
        let list = self.tabs.entry(tab).or_default();
        // A record beyond the first page is fetched where it is (the list starting at it);
        // otherwise the first page comes again and the selection stays on its record.
        let deep = list.prev_cursor.is_some() || list.selected >= PAGE_ROWS as usize;
        if let Some(id) = list.selected_record().map(Record::id).filter(|_| deep) {
            out.extend(self.load(tab, PageKind::At(id)).map(Command::Ask));
        } else {
            out.extend(self.load(tab, PageKind::First).map(Command::Ask));
            self.tabs.entry(tab).or_default().reloading = true;
        }
    }

    /// Starts fetching a page of `tab`; a jump (first/last) supersedes pages in flight.
    fn load(&mut self, tab: Tab, kind: PageKind) -> Option<Request> {
        let list = self.tabs.entry(tab).or_default();
        // Only a reload keeps its selection; any other page asked for since supersedes it.
        list.reloading = false;
        let jump = matches!(kind, PageKind::First | PageKind::Last | PageKind::At(_));
        if list.loading && !jump {
            return None;
        }
        list.loading = true;
        list.generation += 1;
        Some(Request::Page {
            tab,
            kind,
            generation: list.generation,
        })
    }

    fn act(&mut self, action: Action, view: &View<'_>, out: &mut Vec<Command>) {
        let page = self.rows.max(1);
        match action {
            A::Back if self.open => self.open = false,
            A::Quit | A::Back => out.push(Command::Quit),
            A::Help => out.push(Command::Help),
            A::Search => out.push(Command::Search),
            A::Open => self.open = self.list().selected_record().is_some() && !self.open,
            A::NextTab | A::PrevTab => {
                let step = if action == A::NextTab {
                    1
                } else {
                    Tab::ALL.len() - 1
                };
                self.tab = Tab::ALL[(self.tab.index() + step) % Tab::ALL.len()];
                self.open = false;
                if !self.list().loaded && !self.list().loading {
                    out.extend(self.load(self.tab, PageKind::First).map(Command::Ask));
                }
            }
            A::Up => self.move_by(-1),
            A::Down => self.move_by(1),
            A::PageUp => self.move_by(-(page as isize)),
            A::PageDown => self.move_by(page as isize),
            A::Top => {
                if self.list().prev_cursor.is_some() {
                    // The window does not hold the start of the list: fetch it.
                    out.extend(self.load(self.tab, PageKind::First).map(Command::Ask));
                }
                self.list_mut().selected = 0;
            }
            A::Bottom => {
                if self.list().next_cursor.is_some() {
                    out.extend(self.load(self.tab, PageKind::Last).map(Command::Ask));
                }
                let list = self.list_mut();
                list.selected = list.rows.len().saturating_sub(1);
            }
            A::LinkLead | A::LinkDeal if self.tab == Tab::Tickets => {
                if let Some(ticket) = self.list().selected_record().map(Record::id) {
                    let kind = if action == A::LinkLead {
                        PickKind::Lead
                    } else {
                        PickKind::Deal
                    };
                    let (picker, request) = Picker::new(kind, ticket);
                    out.push(Command::Push(Box::new(picker)));
                    out.push(Command::Ask(request));
                }
            }
            A::UnlinkLead | A::UnlinkDeal if self.tab == Tab::Tickets => {
                if let Some(ticket) = self.list().selected_record().map(Record::id) {
                    let change = if action == A::UnlinkLead {
                        LinkChange::UnlinkLead
                    } else {
                        LinkChange::UnlinkDeal
                    };
                    out.push(Command::Ask(Request::Link { ticket, change }));
                }
            }
            A::AutoLink if self.tab == Tab::Tickets => {
                out.push(Command::Push(Box::new(Review::default())));
                out.push(Command::Ask(Request::AutoLinkPlan));
            }
            A::LinkLead | A::LinkDeal | A::UnlinkLead | A::UnlinkDeal | A::AutoLink => {
                out.push(Command::Notice("links are made on the Tickets tab".into()));
            }
            A::Timeline => self.timeline(view, out),
            A::Segments => {
                let (screen, ask) = super::segments::Segments::new();
                out.push(Command::Push(Box::new(screen)));
                out.push(Command::Ask(ask));
            }
            A::Analytics => {
                let (screen, ask) = super::analytics::Analytics::new(view.now);
                out.push(Command::Push(Box::new(screen)));
                out.push(Command::Ask(ask));
            }
            A::Quotes => match self.list().selected_record() {
                Some(Record::Deal(d)) => {
                    let (screen, ask) = super::quotes::Quotes::new(d.id, &d.title);
                    out.push(Command::Push(Box::new(screen)));
                    out.push(Command::Ask(ask));
                }
                _ => out.push(Command::Notice(
                    "quotes belong to deals: pick one on the Deals tab".into(),
                )),
            },
        }
        self.scroll_into_view();
        out.extend(self.prefetch().map(Command::Ask));
        out.extend(self.detail_request().map(Command::Ask));
    }

    /// Opens the timeline of the selected customer, lead or deal.
    fn timeline(&self, view: &View<'_>, out: &mut Vec<Command>) {
        let (owner, id, label) = match self.list().selected_record() {
            Some(Record::Customer(c)) => (
                TimelineOwner::Customer,
                c.id.0,
                format!("customer {}", c.name),
            ),
            Some(Record::Lead(l)) => (TimelineOwner::Lead, l.id.0, format!("lead {}", l.name)),
            Some(Record::Deal(d)) => (TimelineOwner::Deal, d.id.0, format!("deal {}", d.title)),
            Some(Record::Ticket(_)) => {
                out.push(Command::Notice(
                    "timelines are for customers, leads and deals".into(),
                ));
                return;
            }
            None => return,
        };
        let (timeline, ask) = TimelineView::new(owner, id, label, view.now);
        out.push(Command::Push(Box::new(timeline)));
        out.push(Command::Ask(Request::Timeline(ask)));
    }

    fn move_by(&mut self, delta: isize) {
        let list = self.list_mut();
        if list.rows.is_empty() {
            return;
        }
        let max = list.rows.len() - 1;
        list.selected = list.selected.saturating_add_signed(delta).min(max);
    }

    /// Keeps the selection on screen.
    fn scroll_into_view(&mut self) {
        let rows = self.rows.max(1);
        let list = self.list_mut();
        list.selected = list.selected.min(list.rows.len().saturating_sub(1));
        if list.selected < list.offset {
            list.offset = list.selected;
        } else if list.selected >= list.offset + rows {
            list.offset = list.selected + 1 - rows;
        }
    }

    /// Asks for the neighbouring page when the selection nears either end of the window.
    fn prefetch(&mut self) -> Option<Request> {
        let list = self.list();
        if list.loading {
            return None;
        }
        if list.selected + PREFETCH_MARGIN >= list.rows.len()
            && let Some(c) = list.next_cursor.clone()
        {
            return self.load(self.tab, PageKind::After(c));
        }
        if list.selected < PREFETCH_MARGIN
            && let Some(c) = list.prev_cursor.clone()
        {
            return self.load(self.tab, PageKind::Before(c));
        }
        None
    }

    /// Asks for the selected record's related records, unless already held or in flight.
    fn detail_request(&mut self) -> Option<Request> {
        let id = self.list().selected_record()?.id();
        let key = RecordKey { tab: self.tab, id };
        if self.detail.as_ref().is_some_and(|d| d.key() == key) {
            return None;
        }
        self.detail = Some(DetailState::Loading(key));
        Some(Request::Detail { record: key })
    }

    /// The detail of the selected record, if it has been asked for.
    pub fn selected_detail(&self) -> Option<&DetailState> {
        let id = self.list().selected_record()?.id();
        let key = RecordKey { tab: self.tab, id };
        self.detail.as_ref().filter(|d| d.key() == key)
    }

    fn draw_list(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let list = self.list();
        let more = if list.next_cursor.is_some() { "+" } else { "" };
        let position = if list.rows.is_empty() {
            String::new()
        } else {
            format!(" {}/{}{more} ", list.selected + 1, list.rows.len())
        };
        let block = Block::new()
            .borders(Borders::ALL)
            .title(format!(" {} ", self.tab.title()))
            .title_bottom(Line::from(position).right_aligned());
        if list.rows.is_empty() {
            let what = self.tab.title().to_lowercase();
            let text = if let Some(e) = &list.error {
                format!("Could not load {what}: {e}")
            } else if list.loading || !list.loaded {
                format!("{} Loading {what}…", spinner(view.tick))
            } else {
                format!("No {what} yet.")
            };
            frame.render_widget(Paragraph::new(text).block(block), area);
            return;
        }
        let (titles, widths) = header(self.tab);
        // Only the rows on screen become widgets: a frame costs the same at any list size.
        let visible = list
            .rows
            .iter()
            .skip(list.offset)
            .take(crate::ui::list_rows(area.height + 2));
        let rows = visible.map(|r| Row::new(cells(view.lookups, r)));
        let table = Table::new(rows, widths)
            .header(Row::new(titles).style(Style::new().bold().underlined()))
            .block(block)
            .row_highlight_style(
                Style::new()
                    .bg(Color::Blue)
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD),
            );
        let mut state = TableState::default().with_selected(Some(list.selected - list.offset));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_detail(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        detail::draw(
            frame,
            area,
            self.list().selected_record(),
            self.selected_detail(),
            view.lookups,
            view.tick,
        );
    }
}

impl Screen for Lists {
    fn keymap(&self) -> KeyHelp {
        if self.open {
            OPENED.help()
        } else if self.tab == Tab::Tickets {
            TICKETS.help()
        } else {
            LISTS.help()
        }
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        if let Some(action) = LISTS.action(key) {
            self.act(action, view, out);
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Page {
                tab,
                kind,
                generation,
                result,
            } => {
                let list = self.tabs.entry(tab).or_default();
                if generation != list.generation {
                    return None;
                }
                list.loading = false;
                match result {
                    Err(e) => list.error = Some(e),
                    Ok(page) => {
                        list.error = None;
                        list.loaded = true;
                        if let PageKind::At(id) = kind
                            && page.rows.first().is_none_or(|r| r.id() != id)
                        {
                            out.push(Command::Notice(format!("#{id} is no longer there")));
                            self.open = false;
                        }
                        apply_page(list, &kind, page);
                    }
                }
                if tab == self.tab {
                    self.scroll_into_view();
                    out.extend(self.detail_request().map(Command::Ask));
                }
            }
            Reply::Detail { record, result } => {
                if matches!(&self.detail, Some(DetailState::Loading(k)) if *k == record) {
                    self.detail = Some(match result {
                        Ok(d) => DetailState::Ready(record, d),
                        Err(e) => DetailState::Failed(record, e),
                    });
                }
            }
            Reply::Linked { change, result } => match result {
                Ok(links) => {
                    let tickets = self.tabs.entry(Tab::Tickets).or_default();
                    if let Some(Record::Ticket(t)) = tickets
                        .rows
                        .iter_mut()
                        .find(|r| r.id() == links.ticket_id.0)
                    {
                        t.related_lead_id = links.related_lead_id;
                        t.related_deal_id = links.related_deal_id;
                    }
                    let ticket = links.ticket_id;
                    out.push(Command::Notice(match change {
                        LinkChange::ToLead(id) => format!("ticket #{ticket} linked to lead #{id}"),
                        LinkChange::ToDeal(id) => format!("ticket #{ticket} linked to deal #{id}"),
                        LinkChange::UnlinkLead => format!("ticket #{ticket} has no lead now"),
                        LinkChange::UnlinkDeal => format!("ticket #{ticket} has no deal now"),
                    }));
                    self.detail = None;
                    out.extend(self.detail_request().map(Command::Ask));
                }
                Err(e) => out.push(Command::Notice(format!("not changed: {e}"))),
            },
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        if self.open {
            self.draw_detail(frame, areas.main, view);
        } else {
            let [list, detail] =
                Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                    .areas(areas.main);
            self.draw_list(frame, list, view);
            self.draw_detail(frame, detail, view);
        }
    }

    fn busy(&self) -> bool {
        self.list().loading || matches!(self.selected_detail(), Some(DetailState::Loading(_)))
    }
}

fn apply_page(list: &mut ListState, kind: &PageKind, page: PageData) {
    match kind {
        PageKind::First => {
            list.next_cursor = page.next_cursor;
            list.prev_cursor = None;
            let keep = std::mem::take(&mut list.reloading)
                .then(|| list.rows.get(list.selected).map(Record::id))
                .flatten();
            list.rows = page.rows;
            list.selected = keep
                .and_then(|id| list.rows.iter().position(|r| r.id() == id))
                .unwrap_or(0);
            list.offset = 0;
        }
        PageKind::At(_) => {
            list.rows = page.rows;
            list.next_cursor = page.next_cursor;
            list.prev_cursor = page.prev_cursor;
            list.selected = 0;
            list.offset = 0;
        }
        PageKind::Last => {
            list.rows = page.rows;
            list.next_cursor = None;
            list.prev_cursor = page.prev_cursor;
            list.selected = list.rows.len().saturating_sub(1);
            // Scrolled so the last row sits at the bottom of the screen (see `scroll_into_view`).
            list.offset = 0;
        }
        PageKind::After(_) => {
            list.rows.extend(page.rows);
            list.next_cursor = page.next_cursor;
        }
        PageKind::Before(_) => {
            // Prepending shifts what is on screen; shift the selection with it.
            let added = page.rows.len();
            let mut rows = page.rows;
            rows.append(&mut list.rows);
            list.rows = rows;
            list.prev_cursor = page.prev_cursor;
            list.selected += added;
            list.offset += added;
        }
    }
}

fn header(tab: Tab) -> (Vec<&'static str>, Vec<Constraint>) {
    use Constraint::{Length, Min};
    match tab {
        Tab::Customers => (
            vec!["ID", "Name", "Email", "Company", "Risk", "Last contact"],
            vec![Length(6), Min(14), Min(18), Min(12), Length(4), Length(12)],
        ),
        Tab::Leads => (
            vec!["ID", "Name", "Company", "Status", "Score", "Owner"],
            vec![Length(6), Min(14), Min(12), Length(11), Length(5), Min(10)],
        ),
        Tab::Deals => (
            vec!["ID", "Title", "Stage", "Status", "Value", "Owner"],
            vec![Length(6), Min(16), Min(14), Length(6), Length(14), Min(10)],
        ),
        Tab::Tickets => (
            vec!["ID", "Subject", "Status", "Priority", "Channel", "Opened"],
            vec![
                Length(6),
                Min(18),
                Length(7),
                Length(8),
                Length(7),
                Length(10),
            ],
        ),
    }
}

fn cells(lookups: Option<&Lookups>, record: &Record) -> Vec<String> {
    match record {
        Record::Customer(c) => vec![
            c.id.to_string(),
            c.name.clone(),
            opt(c.email.as_deref()),
            opt(c.company.as_deref()),
            c.churn_risk.to_string(),
            c.last_contact_at.map_or_else(|| "—".into(), date),
        ],
        Record::Lead(l) => vec![
            l.id.to_string(),
            l.name.clone(),
            opt(l.company.as_deref()),
            l.status.to_string(),
            l.score.to_string(),
            name_of(lookups, l.owner_id.map(|u| u.0)),
        ],
        Record::Deal(d) => vec![
            d.id.to_string(),
            d.title.clone(),
            stage_of(lookups, d.stage_id.0),
            d.status.to_string(),
            money(d.value, &d.currency),
            name_of(lookups, d.owner_id.map(|u| u.0)),
        ],
        Record::Ticket(t) => vec![
            t.id.to_string(),
            t.subject.clone(),
            t.status.to_string(),
            t.priority.to_string(),
            t.channel.to_string(),
            date(t.created_at),
        ],
    }
}

#[cfg(test)]
mod tests;

//! The client's state, the messages that change it, and the main loop.
//!
//! Elm-like: terminal input and worker answers become [`Msg`]s, [`App::update`] changes the state
//! and returns the [`Request`]s to send to the worker, and `ui::draw` renders the state.

use crate::palette::Palette;
use crate::timeline::{Opened, Outcome, TimelineView, Viewer};
use crate::worker::Failure;
use crate::worker::{self, RecordKey, Request};
use anyhow::{Context, Result, bail};
use crm_core::Crm;
use crm_core::activities::Activity;
use crm_core::customers::Customer;
use crm_core::deals::{Deal, StageChange};
use crm_core::leads::Lead;
use crm_core::links::{AutoLinkReport, TicketLinks};
use crm_core::search::SearchType;
use crm_core::tickets::{Ticket, TicketEvent};
use crm_core::time::Timestamp;
use crm_core::timeline::{TimelineOwner, TimelinePage};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// The record lists of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Customers,
    Leads,
    Deals,
    Tickets,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Customers, Tab::Leads, Tab::Deals, Tab::Tickets];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Customers => "Customers",
            Tab::Leads => "Leads",
            Tab::Deals => "Deals",
            Tab::Tickets => "Tickets",
        }
    }

    /// The kind of record the tab lists.
    pub fn kind(self) -> crm_core::catalog::RecordKind {
        use crm_core::catalog::RecordKind;
        match self {
            Tab::Customers => RecordKind::Customer,
            Tab::Leads => RecordKind::Lead,
            Tab::Deals => RecordKind::Deal,
            Tab::Tickets => RecordKind::Ticket,
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Customer(Customer),
    Lead(Lead),
    Deal(Deal),
    Ticket(Ticket),
}

impl Record {
    pub fn id(&self) -> i64 {
        match self {
            Record::Customer(r) => r.id.0,
            Record::Lead(r) => r.id.0,
            Record::Deal(r) => r.id.0,
            Record::Ticket(r) => r.id.0,
        }
    }
}

/// Which page of a list to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    First,
    Last,
    /// Older rows, after the last one held.
    After(String),
    /// Newer rows, before the first one held.
    Before(String),
    /// The rows from one record on (a search hit opened in its tab).
    At(i64),
}

/// A fetched page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageData {
    pub rows: Vec<Record>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

/// Names for ids, fetched once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    pub tenant_name: String,
    pub users: HashMap<i64, String>,
    pub stages: HashMap<i64, String>,
}

/// Records related to the selected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Customer {
        tickets: Vec<Ticket>,
        deals: Vec<Deal>,
    },
    Lead {
        activities: Vec<Activity>,
        deals: Vec<Deal>,
        tickets: Vec<Ticket>,
    },
    Deal {
        history: Vec<StageChange>,
        tickets: Vec<Ticket>,
    },
    // Boxed: a lead and a deal inline would make every `Detail` (and message) several times larger.
    Ticket {
        events: Vec<TicketEvent>,
        lead: Option<Box<Lead>>,
        deal: Option<Box<Deal>>,
    },
}

/// What a picker picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    Lead,
    Deal,
}

/// A link change asked of the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChange {
    ToLead(i64),
    ToDeal(i64),
    UnlinkLead,
    UnlinkDeal,
}

/// The overlay that links the selected ticket to a lead or deal: type to filter, Enter to link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub kind: PickKind,
    pub ticket: i64,
    pub query: String,
    /// `(id, label)` of the records matching `query`.
    pub items: Vec<(i64, String)>,
    pub selected: usize,
    pub loading: bool,
}

/// The auto-link review: a dry run shown as a table, applied on confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub report: Option<AutoLinkReport>,
    pub error: Option<Failure>,
    pub offset: usize,
    /// The apply request is in flight.
    pub applying: bool,
}

/// Everything that can happen to the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Tick,
    Lookups(Result<Lookups, Failure>),
    Page {
        tab: Tab,
        kind: PageKind,
        generation: u64,
        result: Result<PageData, Failure>,
    },
    Detail {
        record: RecordKey,
        result: Result<Detail, Failure>,
    },
    Picked {
        kind: PickKind,
        query: String,
        result: Result<Vec<(i64, String)>, Failure>,
    },
    Linked {
        change: LinkChange,
        result: Result<TicketLinks, Failure>,
    },
    AutoLinkPlanned(Result<AutoLinkReport, Failure>),
    AutoLinkApplied(Result<AutoLinkReport, Failure>),
    /// A page of the open timeline.
    Timeline {
        generation: u64,
        result: Result<TimelinePage, Failure>,
    },
    /// The record behind a timeline event or a search hit.
    Opened(Result<Box<Opened>, Failure>),
    /// Results of the palette's search.
    Searched {
        generation: u64,
        result: Result<crm_core::search::SearchResults, Failure>,
    },
    /// The terminal's input ended (it was closed): nothing more can be asked of the client.
    InputClosed,
}

/// What a key does.
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
}

/// One entry of the key map.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    /// How the keys are written in the help overlay.
    pub label: &'static str,
    pub what: &'static str,
    pub action: Action,
}

const fn bind(
    keys: &'static [KeyCode],
    label: &'static str,
    what: &'static str,
    action: Action,
) -> Binding {
    Binding {
        keys,
        label,
        what,
        action,
    }
}

/// The key map: data, so dispatch, the help overlay and the status line cannot disagree.
pub const KEYS: &[Binding] = &[
    bind(&[KeyCode::Up, KeyCode::Char('k')], "↑ k", "up", Action::Up),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        "↓ j",
        "down",
        Action::Down,
    ),
    bind(&[KeyCode::PageUp], "PgUp", "page up", Action::PageUp),
    bind(&[KeyCode::PageDown], "PgDn", "page down", Action::PageDown),
    bind(
        &[KeyCode::Char('g'), KeyCode::Home],
        "g Home",
        "first row",
        Action::Top,
    ),
    bind(
        &[KeyCode::Char('G'), KeyCode::End],
        "G End",
        "last row",
        Action::Bottom,
    ),
    bind(
        &[KeyCode::Tab, KeyCode::Right, KeyCode::Char('l')],
        "Tab → l",
        "next tab",
        Action::NextTab,
    ),
    bind(
        &[KeyCode::BackTab, KeyCode::Left, KeyCode::Char('h')],
        "S-Tab ← h",
        "previous tab",
        Action::PrevTab,
    ),
    bind(&[KeyCode::Enter], "Enter", "open the record", Action::Open),
    bind(
        &[KeyCode::Char('t')],
        "t",
        "timeline of the customer, lead or deal",
        Action::Timeline,
    ),
    bind(
        &[KeyCode::Char('L')],
        "L",
        "link the ticket to a lead",
        Action::LinkLead,
    ),
    bind(
        &[KeyCode::Char('D')],
        "D",
        "link the ticket to a deal",
        Action::LinkDeal,
    ),
    bind(
        &[KeyCode::Char('x')],
        "x",
        "unlink the ticket's lead",
        Action::UnlinkLead,
    ),
    bind(
        &[KeyCode::Char('X')],
        "X",
        "unlink the ticket's deal",
        Action::UnlinkDeal,
    ),
    bind(
        &[KeyCode::Char('A')],
        "A",
        "auto-link review (admin)",
        Action::AutoLink,
    ),
    bind(
        &[KeyCode::Char('/')],
        "/",
        "search everything (Tab: facets, Enter: open)",
        Action::Search,
    ),
    bind(&[KeyCode::Char('?')], "?", "this help", Action::Help),
    bind(
        &[KeyCode::Esc],
        "Esc",
        "back (quit from the lists)",
        Action::Back,
    ),
    bind(&[KeyCode::Char('q')], "q", "quit", Action::Quit),
];

fn action(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    KEYS.iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

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
    pub error: Option<Failure>,
    /// Answers for an older generation are dropped (the user jumped elsewhere meanwhile).
    pub generation: u64,
}

impl ListState {
    pub fn selected_record(&self) -> Option<&Record> {
        self.rows.get(self.selected)
    }
}

/// Where the detail of the selected record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailState {
    Loading(RecordKey),
    Ready(RecordKey, Detail),
    Failed(RecordKey, Failure),
}

/// The whole client state.
#[derive(Debug, Clone)]
pub struct App {
    pub tab: Tab,
    pub lists: HashMap<Tab, ListState>,
    pub lookups: Option<Lookups>,
    pub detail: Option<DetailState>,
    /// The selected record is open full-screen.
    pub open: bool,
    pub help: bool,
    pub quit: bool,
    /// Rows the list shows at once (from the terminal size).
    pub viewport_rows: usize,
    pub tick: u64,
    pub tenant: String,
    pub picker: Option<Picker>,
    pub review: Option<Review>,
    /// The outcome of the last change, shown in the status line until the next key.
    pub notice: Option<String>,
    /// The timeline of a customer, lead or deal, when open.
    pub timeline: Option<TimelineView>,
    /// The record opened from a timeline event or a search hit, over everything else.
    pub viewer: Option<Viewer>,
    /// The search palette, when open.
    pub palette: Option<Palette>,
    /// The palette a hit was opened from, which `/` brings back (gone once it is closed).
    pub last_search: Option<Palette>,
    /// The clock the timeline's time ranges count back from (set by tests).
    pub now: Timestamp,
}

/// Fetch the next page when the selection comes this close to the end of what is held.
const PREFETCH_MARGIN: usize = 20;

impl App {
    pub fn new(tenant: &str, height: u16) -> (App, Vec<Request>) {
        let mut app = App {
            tab: Tab::Customers,
            lists: Tab::ALL
                .iter()
                .map(|t| (*t, ListState::default()))
                .collect(),
            lookups: None,
            detail: None,
            open: false,
            help: false,
            quit: false,
            viewport_rows: crate::ui::list_rows(height),
            tick: 0,
            tenant: tenant.to_owned(),
            picker: None,
            review: None,
            notice: None,
            timeline: None,
            viewer: None,
            palette: None,
            last_search: None,
            now: crm_core::time::now(),
        };
        let mut requests = vec![Request::Lookups];
        requests.extend(app.load(Tab::Customers, PageKind::First));
        (app, requests)
    }

    pub fn list(&self) -> &ListState {
        &self.lists[&self.tab]
    }

    fn list_mut(&mut self) -> &mut ListState {
        self.lists.entry(self.tab).or_default()
    }

    /// Starts fetching a page of `tab`; a jump (first/last) supersedes pages in flight.
    fn load(&mut self, tab: Tab, kind: PageKind) -> Option<Request> {
        let list = self.lists.entry(tab).or_default();
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

    /// Applies one message; returns the requests for the worker.
    pub fn update(&mut self, msg: Msg) -> Vec<Request> {
        let mut requests = Vec::new();
        match msg {
            Msg::Tick => {
                self.tick = self.tick.wrapping_add(1);
                if let Some(ask) = self.palette.as_mut().and_then(|p| p.tick(self.tick)) {
                    requests.push(Request::Search(ask));
                }
            }
            Msg::Searched { generation, result } => {
                if let Some(p) = &mut self.palette {
                    p.receive(generation, result);
                }
            }
            Msg::InputClosed => self.quit = true,
            Msg::Resize { height, .. } => {
                self.viewport_rows = crate::ui::list_rows(height);
                self.scroll_into_view();
            }
            Msg::Lookups(Ok(lookups)) => self.lookups = Some(lookups),
            Msg::Lookups(Err(e)) => tracing::warn!("lookups failed: {e}"),
            Msg::Page {
                tab,
                kind,
                generation,
                result,
            } => {
                let list = self.lists.entry(tab).or_default();
                if generation != list.generation {
                    return requests;
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
                            self.notice = Some(format!("#{id} is no longer there"));
                            self.open = false;
                        }
                        apply_page(list, &kind, page);
                    }
                }
                if tab == self.tab {
                    self.scroll_into_view();
                    requests.extend(self.detail_request());
                }
            }
            Msg::Detail { record, result } => {
                if matches!(&self.detail, Some(DetailState::Loading(k)) if *k == record) {
                    self.detail = Some(match result {
                        Ok(d) => DetailState::Ready(record, d),
                        Err(e) => DetailState::Failed(record, e),
                    });
                }
            }
            Msg::Key(key) => {
                if key.kind != KeyEventKind::Press {
                    return requests;
                }
                self.notice = None;
                if self.viewer.is_some() && !self.help {
                    if matches!(key.code, KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter) {
                        self.viewer = None;
                    }
                } else if self.palette.is_some() && !self.help {
                    requests.extend(self.palette_key(key.code));
                } else if self.timeline.is_some()
                    && !self.help
                    && !matches!(key.code, KeyCode::Char('?' | '/'))
                {
                    requests.extend(self.timeline_key(key.code));
                } else if self.picker.is_some() && !self.help {
                    requests.extend(self.pick_key(key));
                } else if self.review.is_some() && !self.help {
                    requests.extend(self.review_key(key));
                } else if let Some(action) = action(key) {
                    requests.extend(self.act(action));
                }
            }
            Msg::Picked {
                kind,
                query,
                result,
            } => {
                if let Some(p) = &mut self.picker
                    && p.kind == kind
                    && p.query == query
                {
                    p.loading = false;
                    match result {
                        Ok(items) => {
                            p.items = items;
                            p.selected = p.selected.min(p.items.len().saturating_sub(1));
                        }
                        Err(e) => self.notice = Some(format!("search failed: {e}")),
                    }
                }
            }
            Msg::Linked { change, result } => match result {
                Ok(links) => {
                    let tickets = self.lists.entry(Tab::Tickets).or_default();
                    if let Some(Record::Ticket(t)) = tickets
                        .rows
                        .iter_mut()
                        .find(|r| r.id() == links.ticket_id.0)
                    {
                        t.related_lead_id = links.related_lead_id;
                        t.related_deal_id = links.related_deal_id;
                    }
                    self.notice = Some(match change {
                        LinkChange::ToLead(id) => {
                            format!("ticket #{} linked to lead #{id}", links.ticket_id)
                        }
                        LinkChange::ToDeal(id) => {
                            format!("ticket #{} linked to deal #{id}", links.ticket_id)
                        }
                        LinkChange::UnlinkLead => {
                            format!("ticket #{} has no lead now", links.ticket_id)
                        }
                        LinkChange::UnlinkDeal => {
                            format!("ticket #{} has no deal now", links.ticket_id)
                        }
                    });
                    self.detail = None;
                    requests.extend(self.detail_request());
                }
                Err(e) => self.notice = Some(format!("not changed: {e}")),
            },
            Msg::Timeline { generation, result } => {
                let rows = self.timeline_rows();
                if let Some(view) = &mut self.timeline {
                    view.receive(generation, result);
                    view.scroll_into_view(rows);
                    // A filter that matches little may need more pages to fill the screen.
                    if let Some(ask) = view.prefetch() {
                        requests.push(Request::Timeline(ask));
                    }
                }
            }
            Msg::Opened(result) => {
                if matches!(self.viewer, Some(Viewer::Loading(_))) {
                    self.viewer = Some(match result {
                        Ok(opened) => Viewer::Ready(opened),
                        Err(e) => Viewer::Failed(e),
                    });
                }
            }
            Msg::AutoLinkPlanned(result) => {
                if let Some(r) = &mut self.review {
                    match result {
                        Ok(report) => r.report = Some(report),
                        Err(e) => r.error = Some(e),
                    }
                }
            }
            Msg::AutoLinkApplied(result) => {
                self.review = None;
                match result {
                    Ok(report) => {
                        self.notice = Some(format!(
                            "auto-link: {} linked to a lead, {} to a deal, {} ambiguous left alone",
                            report.linked_to_lead, report.linked_to_deal, report.ambiguous
                        ));
                        // The rows changed: fetch the tickets again, and the detail.
                        self.detail = None;
                        requests.extend(self.load(Tab::Tickets, PageKind::First));
                    }
                    Err(e) => self.notice = Some(format!("auto-link not applied: {e}")),
                }
            }
        }
        requests
    }

    fn act(&mut self, action: Action) -> Vec<Request> {
        let mut requests = Vec::new();
        if self.help {
            // The overlay takes every key; any of these closes it.
            if matches!(action, Action::Help | Action::Back | Action::Quit) {
                self.help = false;
            }
            return requests;
        }
        let page = self.viewport_rows.max(1);
        match action {
            Action::Back if self.open => self.open = false,
            Action::Quit | Action::Back => self.quit = true,
            Action::Help => self.help = true,
            Action::Open => self.open = self.list().selected_record().is_some() && !self.open,
            Action::NextTab | Action::PrevTab => {
                let step = if action == Action::NextTab {
                    1
                } else {
                    Tab::ALL.len() - 1
                };
                self.tab = Tab::ALL[(self.tab.index() + step) % Tab::ALL.len()];
                self.open = false;
                if !self.list().loaded && !self.list().loading {
                    requests.extend(self.load(self.tab, PageKind::First));
                }
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(page as isize)),
            Action::PageDown => self.move_by(page as isize),
            Action::Top => {
                if self.list().prev_cursor.is_some() {
                    // The window does not hold the start of the list: fetch it.
                    requests.extend(self.load(self.tab, PageKind::First));
                }
                self.list_mut().selected = 0;
            }
            Action::LinkLead | Action::LinkDeal if self.tab == Tab::Tickets => {
                if let Some(ticket) = self.list().selected_record().map(Record::id) {
                    let kind = if action == Action::LinkLead {
                        PickKind::Lead
                    } else {
                        PickKind::Deal
                    };
                    self.picker = Some(Picker {
                        kind,
                        ticket,
                        query: String::new(),
                        items: Vec::new(),
                        selected: 0,
                        loading: true,
                    });
                    requests.push(Request::Pick {
                        kind,
                        query: String::new(),
                    });
                }
            }
            Action::UnlinkLead | Action::UnlinkDeal if self.tab == Tab::Tickets => {
                if let Some(ticket) = self.list().selected_record().map(Record::id) {
                    let change = if action == Action::UnlinkLead {
                        LinkChange::UnlinkLead
                    } else {
                        LinkChange::UnlinkDeal
                    };
                    requests.push(Request::Link { ticket, change });
                }
            }
            Action::AutoLink if self.tab == Tab::Tickets => {
                self.review = Some(Review {
                    report: None,
                    error: None,
                    offset: 0,
                    applying: false,
                });
                requests.push(Request::AutoLinkPlan);
            }
            Action::Search => {
                let (palette, ask) = match self.last_search.take() {
                    Some(mut palette) => {
                        let ask = palette.reopen();
                        (palette, ask)
                    }
                    None => Palette::new(),
                };
                self.palette = Some(palette);
                requests.push(Request::Search(ask));
            }
            Action::Timeline => {
                let owner = match self.list().selected_record() {
                    Some(Record::Customer(c)) => Some((
                        TimelineOwner::Customer,
                        c.id.0,
                        format!("customer {}", c.name),
                    )),
                    Some(Record::Lead(l)) => {
                        Some((TimelineOwner::Lead, l.id.0, format!("lead {}", l.name)))
                    }
                    Some(Record::Deal(d)) => {
                        Some((TimelineOwner::Deal, d.id.0, format!("deal {}", d.title)))
                    }
                    Some(Record::Ticket(_)) => {
                        self.notice = Some("timelines are for customers, leads and deals".into());
                        None
                    }
                    None => None,
                };
                if let Some((owner, id, label)) = owner {
                    let (view, ask) = TimelineView::new(owner, id, label, self.now);
                    self.timeline = Some(view);
                    requests.push(Request::Timeline(ask));
                }
            }
            Action::LinkLead
            | Action::LinkDeal
            | Action::UnlinkLead
            | Action::UnlinkDeal
            | Action::AutoLink => {
                self.notice = Some("links are made on the Tickets tab".into());
            }
            Action::Bottom => {
                if self.list().next_cursor.is_some() {
                    requests.extend(self.load(self.tab, PageKind::Last));
                }
                let list = self.list_mut();
                list.selected = list.rows.len().saturating_sub(1);
            }
        }
        self.scroll_into_view();
        requests.extend(self.prefetch());
        requests.extend(self.detail_request());
        requests
    }

    fn pick_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let Some(p) = &mut self.picker else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => self.picker = None,
            KeyCode::Up => p.selected = p.selected.saturating_sub(1),
            KeyCode::Down => p.selected = (p.selected + 1).min(p.items.len().saturating_sub(1)),
            KeyCode::Enter => {
                if let Some((id, _)) = p.items.get(p.selected) {
                    let change = match p.kind {
                        PickKind::Lead => LinkChange::ToLead(*id),
                        PickKind::Deal => LinkChange::ToDeal(*id),
                    };
                    let ticket = p.ticket;
                    self.picker = None;
                    return vec![Request::Link { ticket, change }];
                }
            }
            KeyCode::Backspace | KeyCode::Char(_) => {
                if let KeyCode::Char(c) = key.code {
                    p.query.push(c);
                } else {
                    p.query.pop();
                }
                p.loading = true;
                p.selected = 0;
                // Each keystroke asks again; answers for an older query are dropped on arrival.
                return vec![Request::Pick {
                    kind: p.kind,
                    query: p.query.clone(),
                }];
            }
            _ => {}
        }
        Vec::new()
    }

    fn review_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let page = self.viewport_rows.max(1);
        let Some(r) = &mut self.review else {
            return Vec::new();
        };
        let rows = r
            .report
            .as_ref()
            .map_or(0, |rep| rep.matches.len() + rep.ambiguities.len());
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') if !r.applying => self.review = None,
            KeyCode::Down | KeyCode::Char('j') => {
                r.offset = (r.offset + 1).min(rows.saturating_sub(1));
            }
            KeyCode::Up | KeyCode::Char('k') => r.offset = r.offset.saturating_sub(1),
            KeyCode::PageDown => r.offset = (r.offset + page).min(rows.saturating_sub(1)),
            KeyCode::PageUp => r.offset = r.offset.saturating_sub(page),
            KeyCode::Enter if !r.applying => {
                if let Some(report) = &r.report
                    && !report.matches.is_empty()
                {
                    r.applying = true;
                    let tickets = report.matches.iter().map(|m| m.ticket_id).collect();
                    return vec![Request::AutoLinkApply { tickets }];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Lines the timeline's event list shows.
    pub fn timeline_rows(&self) -> usize {
        self.viewport_rows.saturating_sub(1).max(1)
    }

    fn palette_key(&mut self, code: KeyCode) -> Vec<Request> {
        let tick = self.tick;
        let Some(p) = &mut self.palette else {
            return Vec::new();
        };
        match p.key(code, tick) {
            crate::palette::Outcome::Nothing => Vec::new(),
            crate::palette::Outcome::Close => {
                self.palette = None;
                Vec::new()
            }
            crate::palette::Outcome::Search(ask) => vec![Request::Search(ask)],
            crate::palette::Outcome::Open(kind, id) => {
                let tab = match kind {
                    SearchType::Customer => Tab::Customers,
                    SearchType::Lead => Tab::Leads,
                    SearchType::Deal => Tab::Deals,
                    SearchType::Ticket => Tab::Tickets,
                    // Conversations have no tab: the record viewer shows them.
                    SearchType::Conversation => {
                        self.viewer = Some(Viewer::Loading(format!("conversation #{id}")));
                        return vec![Request::OpenHit(kind, id)];
                    }
                };
                // The record opens in its tab, its list starting at it.
                self.last_search = self.palette.take();
                self.timeline = None;
                self.viewer = None;
                self.tab = tab;
                self.open = true;
                self.load(tab, PageKind::At(id)).into_iter().collect()
            }
        }
    }

    fn timeline_key(&mut self, code: KeyCode) -> Vec<Request> {
        let rows = self.timeline_rows();
        let Some(view) = &mut self.timeline else {
            return Vec::new();
        };
        match view.key(code, rows) {
            Outcome::Nothing => Vec::new(),
            Outcome::Close => {
                self.timeline = None;
                Vec::new()
            }
            Outcome::Fetch(ask) => vec![Request::Timeline(ask)],
            Outcome::Open(event) => {
                self.viewer = Some(Viewer::Loading(event.title.clone()));
                vec![Request::OpenEvent(Box::new(event))]
            }
        }
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
        let rows = self.viewport_rows.max(1);
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
        let held = match &self.detail {
            Some(
                DetailState::Loading(k) | DetailState::Ready(k, _) | DetailState::Failed(k, _),
            ) => *k == key,
            None => false,
        };
        if held {
            return None;
        }
        self.detail = Some(DetailState::Loading(key));
        Some(Request::Detail { record: key })
    }

    /// The detail of the selected record, if it has arrived.
    pub fn selected_detail(&self) -> Option<&DetailState> {
        let id = self.list().selected_record()?.id();
        self.detail.as_ref().filter(|d| {
            let (DetailState::Loading(k) | DetailState::Ready(k, _) | DetailState::Failed(k, _)) =
                d;
            k.tab == self.tab && k.id == id
        })
    }

    /// Whether anything is being fetched (drives the spinner).
    pub fn busy(&self) -> bool {
        self.list().loading
            || self.timeline.as_ref().is_some_and(|t| t.loading)
            || matches!(self.viewer, Some(Viewer::Loading(_)))
            || self
                .palette
                .as_ref()
                .is_some_and(|p| p.loading || p.typed_at.is_some())
            || matches!(self.selected_detail(), Some(DetailState::Loading(_)))
            || self.lookups.is_none()
            || self.picker.as_ref().is_some_and(|p| p.loading)
            || self
                .review
                .as_ref()
                .is_some_and(|r| r.applying || (r.report.is_none() && r.error.is_none()))
    }
}

fn apply_page(list: &mut ListState, kind: &PageKind, page: PageData) {
    match kind {
        PageKind::First => {
            list.rows = page.rows;
            list.next_cursor = page.next_cursor;
            list.prev_cursor = None;
            list.selected = 0;
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

/// Opens `db` and runs the client on the terminal until the user quits.
pub fn run(db: &Path, tenant: Option<&str>, user: Option<i64>) -> Result<()> {
    if !db.exists() {
        bail!(
            "{} does not exist; try `crm --demo`, or create one with `crm demo --db {}`",
            db.display(),
            db.display()
        );
    }
    let crm = Arc::new(Crm::open(db).with_context(|| format!("opening {}", db.display()))?);
    let tenants = crm.list_tenants()?;
    let tenant = match tenant {
        Some(t) => tenants.iter().find(|x| x.tenant_id == t).with_context(|| {
            let known: Vec<_> = tenants.iter().map(|t| t.tenant_id.as_str()).collect();
            format!(
                "no tenant {t:?} in {}; it has: {}",
                db.display(),
                known.join(", ")
            )
        })?,
        None => tenants.first().with_context(|| {
            format!(
                "{} has no tenants yet; create demo data with `crm demo --db {}`",
                db.display(),
                db.display()
            )
        })?,
    }
    .tenant_id
    .clone();
    tracing::info!(db = %db.display(), tenant, "client starting");

    let (msg_tx, msg_rx) = mpsc::channel();
    let (req_tx, req_rx) = mpsc::channel();
    // Changes (links) are made as `--user`, or as the tenant's first admin.
    let actor = match user {
        Some(id) => Some(crm_core::ids::UserId(id)),
        None => crm.first_admin(&tenant)?,
    };
    let worker = worker::spawn(
        Arc::clone(&crm),
        tenant.clone(),
        actor,
        req_rx,
        msg_tx.clone(),
    );
    // Terminal input on its own thread, so the loop below waits on one channel for everything.
    std::thread::Builder::new()
        .name("crm-input".into())
        .spawn(move || {
            while let Ok(event) = crossterm::event::read() {
                let msg = match event {
                    Event::Key(key) => Msg::Key(key),
                    Event::Resize(width, height) => Msg::Resize { width, height },
                    _ => continue,
                };
                if msg_tx.send(msg).is_err() {
                    return;
                }
            }
            let _ = msg_tx.send(Msg::InputClosed);
        })?;

    // `ratatui::init` also installs a panic hook that restores the terminal before reporting.
    let mut terminal = ratatui::init();
    let result = (|| -> Result<()> {
        let size = terminal.size()?;
        let (mut app, requests) = App::new(&tenant, size.height);
        for r in requests {
            req_tx.send(r)?;
        }
        let mut first_frame = true;
        loop {
            terminal.draw(|frame| crate::ui::draw(frame, &app))?;
            if first_frame {
                first_frame = false;
                tracing::info!(since_start = ?crate::started().elapsed(), "first frame drawn");
            }
            let msg = match msg_rx.recv_timeout(Duration::from_millis(120)) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => Msg::Tick,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            for r in app.update(msg) {
                req_tx.send(r)?;
            }
            if app.quit {
                break;
            }
        }
        Ok(())
    })();
    ratatui::restore();
    // The database closes when its last handle drops, which copies the write-ahead log into
    // the file: wait for the worker to let go of its handle before the process ends.
    drop(req_tx);
    let _ = worker.join();
    drop(crm);
    result
}

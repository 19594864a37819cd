//! The base screen: a tab per record kind, each a window of rows paged by keyset cursors, the
//! selected record's detail beside it (or full-screen with `Enter`), and the keys that open
//! everything else (timeline, links, auto-link review, search, help). Each tab's list is one
//! the user works in: sorted by any sortable field (`s`, `S`), filtered (`f`), its columns
//! chosen (`c`), saved as a view and reopened (`v`); leads are selected (`Space`), assigned
//! (`a`), rescored (`R`) and their scores explained (`w`).

use super::board::BoardState;
use super::detail::{self, DetailState};
use super::picker::{LinkKey, link_key};
use super::review::Review;
use super::timeline::TimelineView;
use super::viewer::Viewer;
use super::{Areas, Command, QueryChange, Screen, View};
use crate::client::format::{date, money, name_of, score_badge, spinner, stage_of, thousands};
use crate::client::keys::{Binding, Hint, KeyHelp, Keymap, each, hint};
use crate::client::worker::{
    LinkChange, ListQuery, Lookups, PAGE_ROWS, PageData, PageKind, PickKind, Record, RecordKey,
    Reply, Request, Tab,
};
use crm_core::catalog::{Field, FieldType, RecordKind};
use crm_core::ids::{LeadId, PipelineId, TeamId, UserId, ViewId};
use crm_core::leads::{Assign, AssignMode};
use crm_core::records::{Direction, Sort};
use crm_core::search::SearchType;
use crm_core::timeline::TimelineOwner;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

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
    Trash,
    Delete,
    Duplicates,
    Erase,
    Quotes,
    Go(Tab),
    Sort,
    FlipSort,
    Filter,
    Columns,
    Views,
    Mark,
    Assign,
    Rescore,
    Explain,
    /// Deals as a board, or back to the list.
    Board,
    PrevColumn,
    NextColumn,
    /// The selected card one stage back or on.
    MoveBack,
    MoveOn,
    Pipeline,
    Yes,
    No,
    Mouse,
    /// Into the related records of the record open full-screen.
    Related,
    Export,
    Import,
}

use Action as A;
use KeyCode as K;

/// A list's bindings: the keys every list has, with its own after `Enter` (so help reads the
/// same on every tab). Each list binds only the keys that act on it. `Esc` comes last: it only
/// acts on a record open full-screen (a stray `Esc` on a list does not quit; `q` does).
macro_rules! list_bindings {
    ($($own:ident),* $(,)?) => {
        &[
            UP, DOWN, PAGE_UP, PAGE_DOWN, TOP, BOTTOM, NEXT_TAB_KEYS, PREV_TAB_KEYS, OPEN_KEY,
            $($own,)*
            DELETE_KEY, SEARCH, GO_TABS, GO_SEGMENTS, GO_ANALYTICS, GO_TRASH, SORT, FLIP_SORT,
            FILTER, COLUMNS, VIEWS, EXPORT_KEY, MOUSE_KEY, HELP_KEY, QUIT_KEY, BACK_KEY,
        ]
    };
}

/// A record open full-screen: ↑↓ step through the records, `Tab` moves into its related
/// records, and the keys that act on one record.
macro_rules! opened_bindings {
    ($($own:ident),* $(,)?) => {
        &[
            UP, DOWN, RELATED_KEYS,
            $($own,)*
            DELETE_KEY, SEARCH, GO_TABS, GO_SEGMENTS, GO_ANALYTICS, GO_TRASH, MOUSE_KEY, HELP_KEY, QUIT_KEY, BACK_KEY,
        ]
    };
}

const CUSTOMER_OPENED: &[Binding<Action>] = opened_bindings![TIMELINE, ERASE];
const LEAD_OPENED: &[Binding<Action>] = opened_bindings![TIMELINE, ASSIGN, RESCORE, EXPLAIN];
const DEAL_OPENED: &[Binding<Action>] = opened_bindings![TIMELINE, QUOTES];
const TICKET_OPENED: &[Binding<Action>] =
    opened_bindings![LINK_LEAD, LINK_DEAL, UNLINK_LEAD, UNLINK_DEAL];
const QUOTE_OPENED: &[Binding<Action>] = opened_bindings![];

const RELATED_KEYS: Binding<Action> = each(
    &[
        (K::Tab, A::Related),
        (K::Right, A::Related),
        (K::Char('l'), A::Related),
    ],
    "Tab → l",
    "into the related records (↑↓ choose, Enter opens)",
);

/// The focus in a record's related records.
const RELATED: Keymap<Action> = detail::related_keymap!(A::Up, A::Down, A::Open, A::Back, HELP_KEY, QUIT_KEY; hints, HELP, QUIT);

const CUSTOMER_BINDINGS: &[Binding<Action>] =
    list_bindings![TIMELINE, IMPORT_KEY, DUPLICATES, ERASE];
const LEAD_BINDINGS: &[Binding<Action>] =
    list_bindings![TIMELINE, MARK, ASSIGN, RESCORE, EXPLAIN, IMPORT_KEY];
const DEAL_BINDINGS: &[Binding<Action>] = list_bindings![TIMELINE, QUOTES, BOARD_KEY, IMPORT_KEY];
const TICKET_BINDINGS: &[Binding<Action>] = list_bindings![
    LINK_LEAD,
    LINK_DEAL,
    UNLINK_LEAD,
    UNLINK_DEAL,
    AUTO_LINK,
    IMPORT_KEY
];
const QUOTE_BINDINGS: &[Binding<Action>] = list_bindings![];

const UP: Binding<Action> = each(&[(K::Up, A::Up), (K::Char('k'), A::Up)], "↑ k", "up");
const DOWN: Binding<Action> = each(
    &[(K::Down, A::Down), (K::Char('j'), A::Down)],
    "↓ j",
    "down",
);
const PAGE_UP: Binding<Action> = each(&[(K::PageUp, A::PageUp)], "PgUp", "page up");
const PAGE_DOWN: Binding<Action> = each(&[(K::PageDown, A::PageDown)], "PgDn", "page down");
const TOP: Binding<Action> = each(
    &[(K::Char('g'), A::Top), (K::Home, A::Top)],
    "g Home",
    "first row",
);
const BOTTOM: Binding<Action> = each(
    &[(K::Char('G'), A::Bottom), (K::End, A::Bottom)],
    "G End",
    "last row",
);
const NEXT_TAB_KEYS: Binding<Action> = each(
    &[
        (K::Tab, A::NextTab),
        (K::Right, A::NextTab),
        (K::Char('l'), A::NextTab),
    ],
    "Tab → l",
    "next tab",
);
const PREV_TAB_KEYS: Binding<Action> = each(
    &[
        (K::BackTab, A::PrevTab),
        (K::Left, A::PrevTab),
        (K::Char('h'), A::PrevTab),
    ],
    "S-Tab ← h",
    "previous tab",
);
const OPEN_KEY: Binding<Action> = each(&[(K::Enter, A::Open)], "Enter", "open the record");
const LINK_LEAD: Binding<Action> = each(
    &[(K::Char('L'), A::LinkLead)],
    "L",
    "link the ticket to a lead",
);
const LINK_DEAL: Binding<Action> = each(
    &[(K::Char('D'), A::LinkDeal)],
    "D",
    "link the ticket to a deal",
);
const UNLINK_LEAD: Binding<Action> = each(
    &[(K::Char('x'), A::UnlinkLead)],
    "x",
    "unlink the ticket's lead",
);
const UNLINK_DEAL: Binding<Action> = each(
    &[(K::Char('X'), A::UnlinkDeal)],
    "X",
    "unlink the ticket's deal",
);
const AUTO_LINK: Binding<Action> = each(
    &[(K::Char('A'), A::AutoLink)],
    "A",
    "auto-link review (admin)",
);
const SORT: Binding<Action> = each(
    &[(K::Char('s'), A::Sort)],
    "s",
    "sort by a field (the sortable ones)",
);
const FLIP_SORT: Binding<Action> = each(
    &[(K::Char('S'), A::FlipSort)],
    "S",
    "flip the sort's direction",
);
const COLUMNS: Binding<Action> = each(
    &[(K::Char('c'), A::Columns)],
    "c",
    "choose and order the columns",
);
const VIEWS: Binding<Action> = each(
    &[(K::Char('v'), A::Views)],
    "v",
    "views: open, save, update, share, delete",
);
const MARK: Binding<Action> = each(
    &[(K::Char(' '), A::Mark)],
    "Space",
    "select the lead (for a, R)",
);
const ASSIGN: Binding<Action> = each(
    &[(K::Char('a'), A::Assign)],
    "a",
    "assign the selected leads: to a rep, or round-robin over a team",
);
const RESCORE: Binding<Action> = each(
    &[(K::Char('R'), A::Rescore)],
    "R",
    "rescore the selected leads by the rules",
);
const EXPLAIN: Binding<Action> = each(
    &[(K::Char('w'), A::Explain)],
    "w",
    "why the lead has its score",
);
const BOARD_KEY: Binding<Action> = each(
    &[(K::Char('b'), A::Board)],
    "b",
    "deals as a board (on Deals)",
);
const BACK_KEY: Binding<Action> = each(&[(K::Esc, A::Back)], "Esc", "back to the list");
const EXPORT_KEY: Binding<Action> = each(
    &[(K::Char('E'), A::Export)],
    "E",
    "export what the list shows (filter, order, columns) to CSV or JSON Lines",
);
const IMPORT_KEY: Binding<Action> = each(
    &[(K::Char('I'), A::Import)],
    "I",
    "import a CSV or JSON Lines file into this list: map, preview, run",
);

const MOUSE_KEY: Binding<Action> = each(
    &[(K::Char('m'), A::Mouse)],
    "m",
    "mouse on/off (off: the terminal selects text)",
);

const GO_TABS: Binding<Action> = each(
    &[
        (K::Char('1'), A::Go(Tab::Customers)),
        (K::Char('2'), A::Go(Tab::Leads)),
        (K::Char('3'), A::Go(Tab::Deals)),
        (K::Char('4'), A::Go(Tab::Tickets)),
        (K::Char('5'), A::Go(Tab::Quotes)),
    ],
    "1…5",
    "Customers, Leads, Deals, Tickets, Quotes",
);
const GO_SEGMENTS: Binding<Action> = each(
    &[(K::Char('6'), A::Segments)],
    "6",
    "segments of customers: saved, built, why a customer is in",
);
const DUPLICATES: Binding<Action> = each(
    &[(K::Char('M'), A::Duplicates)],
    "M",
    "duplicate customers: compare field by field, merge",
);
const ERASE: Binding<Action> = each(
    &[(K::Char('X'), A::Erase)],
    "X",
    "erase the customer for good (admins; type their email): the right to erasure",
);
const GO_TRASH: Binding<Action> = each(
    &[(K::Char('8'), A::Trash)],
    "8",
    "the trash: what was deleted, to restore or purge",
);
const DELETE_KEY: Binding<Action> = each(
    &[(K::Char('d'), A::Delete)],
    "d",
    "move the record to the trash, with what depends on it (asks first)",
);
const GO_ANALYTICS: Binding<Action> = each(
    &[(K::Char('7'), A::Analytics)],
    "7",
    "analytics: the funnel, reps' periods, what was won",
);
const SEARCH: Binding<Action> = each(
    &[(K::Char('/'), A::Search)],
    "/",
    "search everything (Tab: facets, Enter: open)",
);
const FILTER: Binding<Action> = each(
    &[(K::Char('f'), A::Filter)],
    "f",
    "filter: the criteria builder over the list's fields (: for the text form)",
);
const TIMELINE: Binding<Action> = each(
    &[(K::Char('t'), A::Timeline)],
    "t",
    "timeline of the customer, lead or deal",
);
const QUOTES: Binding<Action> = each(
    &[(K::Char('Q'), A::Quotes)],
    "Q",
    "the deal's quotes: compose, send, accept, reject, revise",
);
const HELP_KEY: Binding<Action> = each(&[(K::Char('?'), A::Help)], "?", "this help");
const QUIT_KEY: Binding<Action> = each(&[(K::Char('q'), A::Quit)], "q", "quit");

/// The Deals tab as a board.
const BOARD: Keymap<Action> = Keymap {
    title: "Keys on the board",
    bindings: &[
        each(
            &[(K::Up, A::Up), (K::Char('k'), A::Up)],
            "↑ k",
            "the card above",
        ),
        each(
            &[(K::Down, A::Down), (K::Char('j'), A::Down)],
            "↓ j",
            "the card below",
        ),
        each(
            &[(K::Left, A::PrevColumn), (K::Char('h'), A::PrevColumn)],
            "← h",
            "the column before",
        ),
        each(
            &[(K::Right, A::NextColumn), (K::Char('l'), A::NextColumn)],
            "→ l",
            "the column after",
        ),
        each(
            &[(K::Char('g'), A::Top), (K::Home, A::Top)],
            "g Home",
            "the column's first card",
        ),
        each(
            &[(K::Char('G'), A::Bottom), (K::End, A::Bottom)],
            "G End",
            "the column's last card fetched",
        ),
        each(
            &[(K::Char('H'), A::MoveBack), (K::Char('<'), A::MoveBack)],
            "H <",
            "move the deal one stage back",
        ),
        each(
            &[(K::Char('L'), A::MoveOn), (K::Char('>'), A::MoveOn)],
            "L >",
            "move the deal one stage on (won or lost asks first)",
        ),
        each(&[(K::Char('p'), A::Pipeline)], "p", "pick the pipeline"),
        FILTER,
        each(&[(K::Enter, A::Open)], "Enter", "open the deal"),
        TIMELINE,
        QUOTES,
        each(
            &[(K::Char('b'), A::Board), (K::Esc, A::Board)],
            "b Esc",
            "back to the list of deals",
        ),
        each(&[(K::Tab, A::NextTab)], "Tab", "next tab"),
        each(&[(K::BackTab, A::PrevTab)], "S-Tab", "previous tab"),
        // 3 is where the board is.
        each(
            &[
                (K::Char('1'), A::Go(Tab::Customers)),
                (K::Char('2'), A::Go(Tab::Leads)),
                (K::Char('4'), A::Go(Tab::Tickets)),
                (K::Char('5'), A::Go(Tab::Quotes)),
            ],
            "1 2 4 5",
            "Customers, Leads, Tickets, Quotes",
        ),
        GO_SEGMENTS,
        GO_ANALYTICS,
        GO_TRASH,
        SEARCH,
        MOUSE_KEY,
        HELP_KEY,
        QUIT_KEY,
    ],
    hints: &[
        hint(
            &[A::Up, A::Down, A::PrevColumn, A::NextColumn],
            "hjkl",
            "go",
        ),
        hint(&[A::MoveBack, A::MoveOn], "H L", "move deal"),
        hint(&[A::Pipeline], "p", "pipeline"),
        hint(&[A::Filter], "f", "filter"),
        hint(&[A::Board], "b", "list"),
        HELP,
    ],
};

/// A move into a won or lost stage, asked first.
const CONFIRM: Keymap<Action> = Keymap {
    title: "Keys while a move is asked",
    bindings: &[
        each(&[(K::Char('y'), A::Yes)], "y", "move it (closes the deal)"),
        each(
            &[(K::Char('n'), A::No), (K::Esc, A::No)],
            "n Esc",
            "leave it where it is",
        ),
    ],
    hints: &[
        hint(&[A::Yes], "y", "move it"),
        hint(&[A::No], "n", "leave it"),
    ],
};

const MOVE: Hint<Action> = hint(&[A::Up, A::Down], "↑↓ jk", "move");
const WORK: Hint<Action> = hint(
    &[A::Sort, A::Filter, A::Columns, A::Views],
    "s f c v",
    "sort filter columns views",
);
const NEXT_TAB: Hint<Action> = hint(&[A::NextTab], "Tab", "next tab");
const OPEN: Hint<Action> = hint(&[A::Open], "Enter", "open");
const HELP: Hint<Action> = hint(&[A::Help], "?", "help");
const QUIT: Hint<Action> = hint(&[A::Quit], "q", "quit");

/// The customers' list.
const CUSTOMERS: Keymap<Action> = Keymap {
    title: "Keys",
    bindings: CUSTOMER_BINDINGS,
    hints: &[
        MOVE,
        WORK,
        hint(&[A::Timeline], "t", "timeline"),
        NEXT_TAB,
        OPEN,
        HELP,
        QUIT,
    ],
};

/// The leads' list: selection, assignment and scores.
const LEADS: Keymap<Action> = Keymap {
    title: "Keys",
    bindings: LEAD_BINDINGS,
    hints: &[
        MOVE,
        WORK,
        hint(&[A::Mark], "Space", "select"),
        hint(&[A::Assign], "a", "assign"),
        hint(&[A::Rescore, A::Explain], "R w", "rescore/why"),
        OPEN,
        HELP,
        QUIT,
    ],
};

/// The deals' list: the board, quotes and timelines are a key away.
const DEALS: Keymap<Action> = Keymap {
    title: "Keys",
    bindings: DEAL_BINDINGS,
    hints: &[
        MOVE,
        WORK,
        hint(&[A::Board], "b", "board"),
        hint(&[A::Quotes], "Q", "quotes"),
        hint(&[A::Timeline], "t", "timeline"),
        OPEN,
        HELP,
        QUIT,
    ],
};

/// The tickets' list: the link keys work here.
const TICKETS: Keymap<Action> = Keymap {
    title: "Keys",
    bindings: TICKET_BINDINGS,
    hints: &[
        MOVE,
        WORK,
        hint(&[A::LinkLead, A::LinkDeal], "L D", "link lead/deal"),
        hint(&[A::UnlinkLead, A::UnlinkDeal], "x X", "unlink"),
        hint(&[A::AutoLink], "A", "auto-link"),
        OPEN,
        HELP,
        QUIT,
    ],
};

/// The quotes' list.
const QUOTES_LIST: Keymap<Action> = Keymap {
    title: "Keys",
    bindings: QUOTE_BINDINGS,
    hints: &[MOVE, WORK, NEXT_TAB, OPEN, HELP, QUIT],
};

/// A record open full-screen: the keys of its tab.
const OPENED_HINTS: &[Hint<Action>] = &[
    hint(&[A::Up, A::Down], "↑↓ jk", "previous/next record"),
    hint(&[A::Related], "Tab", "related records"),
    hint(&[A::Back], "Esc", "back"),
    HELP,
    QUIT,
];

/// The keys of `tab`'s list, or of its record open full-screen.
fn keymap_of(tab: Tab, open: bool) -> Keymap<Action> {
    let map = match tab {
        Tab::Customers => CUSTOMERS,
        Tab::Leads => LEADS,
        Tab::Deals => DEALS,
        Tab::Tickets => TICKETS,
        Tab::Quotes => QUOTES_LIST,
    };
    if open {
        Keymap {
            bindings: match tab {
                Tab::Customers => CUSTOMER_OPENED,
                Tab::Leads => LEAD_OPENED,
                Tab::Deals => DEAL_OPENED,
                Tab::Tickets => TICKET_OPENED,
                Tab::Quotes => QUOTE_OPENED,
            },
            hints: OPENED_HINTS,
            ..map
        }
    } else {
        Keymap {
            bindings: &map.bindings[..map.bindings.len() - 1],
            ..map
        }
    }
}

/// The narrowest terminal that shows the detail beside the list.
const DETAIL_FROM: u16 = 100;

/// Fetch the next page when the selection comes this close to the end of what is held.
const PREFETCH_MARGIN: usize = 20;

/// One tab's list: a window of rows held in memory, extended a page at a time by keyset cursors.
#[derive(Debug, Clone, Default, PartialEq)]
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
    pub error: Option<crate::client::worker::Failure>,
    /// Answers for an older generation are dropped (the user jumped elsewhere meanwhile).
    pub generation: u64,
    /// A reload is in flight: its page keeps the selection on the record selected when it
    /// arrives, if the fresh first page still holds it.
    pub reloading: bool,
    /// What the list shows: filter, order, columns, the view they came from.
    pub query: TabQuery,
    /// How many records the filter keeps, once counted.
    pub total: Option<u64>,
    /// Counts for an older query are dropped.
    pub count_generation: u64,
    /// Records selected with `Space` (leads), by id.
    pub marked: BTreeSet<i64>,
}

/// What a tab's list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TabQuery {
    pub r#where: Option<serde_json::Value>,
    pub sort: Option<Sort>,
    /// Field names in order; empty for the tab's own columns.
    pub columns: Vec<String>,
    /// The saved view shown, and whether it was changed since.
    pub view: Option<(ViewId, String, bool)>,
}

impl TabQuery {
    /// What the worker needs of it.
    pub fn ask(&self) -> ListQuery {
        ListQuery {
            r#where: self.r#where.clone(),
            sort: self.sort.clone(),
        }
    }
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
    /// The related record with the focus, while the focus is in the record's related records.
    pub related: Option<usize>,
    /// Rows the list shows at once.
    rows: usize,
    /// Views to reopen when their kind's views arrive (the ones shown last time).
    restoring: HashMap<RecordKind, ViewId>,
    /// The Deals tab shown as a board (`b`).
    pub board: Option<BoardState>,
    /// The pipeline the board showed last, for the next time it opens.
    board_pipeline: Option<PipelineId>,
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
            related: None,
            rows,
            restoring: HashMap::new(),
            board: None,
            board_pipeline: None,
        };
        let first = lists.load(Tab::Customers, PageKind::First);
        (lists, first)
    }

    pub fn list(&self) -> &ListState {
        &self.tabs[&self.tab]
    }

    /// The board, when it is what the tab shows.
    pub fn board_shown(&self) -> Option<&BoardState> {
        self.board.as_ref().filter(|_| self.tab == Tab::Deals)
    }

    /// The record the keys act on: the selected row, or the selected card on the board.
    pub fn selected(&self) -> Option<&Record> {
        match self.board_shown() {
            Some(board) => board.selected().map(|h| &h.record),
            None => self.list().selected_record(),
        }
    }

    fn list_mut(&mut self) -> &mut ListState {
        self.tabs.entry(self.tab).or_default()
    }

    /// The terminal changed size: `rows` rows show at once.
    pub fn resize(&mut self, rows: usize) {
        self.rows = rows;
        self.scroll_into_view();
    }

    /// Opens record `id` in `tab`, its list starting at it (a search hit). A filtered or
    /// sorted list may not hold it: the tab goes back to its plain list.
    pub fn show(&mut self, tab: Tab, id: i64, out: &mut Vec<Command>) {
        self.tab = tab;
        self.open = true;
        if tab == Tab::Deals
            && let Some(board) = self.board.take()
        {
            self.board_pipeline = board.pipeline.or(self.board_pipeline);
        }
        let list = self.tabs.entry(tab).or_default();
        if list.query.r#where.is_some() || list.query.sort.is_some() {
            list.query = TabQuery::default();
            out.push(Command::Notice(format!(
                "{} shows its plain list to show #{id}",
                tab.title()
            )));
        }
        out.extend(self.load(tab, PageKind::At(id)).map(Command::Ask));
        out.push(Command::Ask(self.count(tab)));
    }

    /// Reopens each tab on a view (the one it showed last time): the requests for their views.
    pub fn restore(&mut self, views: &[(Tab, ViewId)]) -> Vec<Request> {
        views
            .iter()
            .map(|(tab, id)| {
                self.restoring.insert(tab.kind(), *id);
                Request::Views(tab.kind())
            })
            .collect()
    }

    /// The saved view each tab shows.
    pub fn views_shown(&self) -> Vec<(Tab, Option<ViewId>)> {
        Tab::ALL
            .iter()
            .map(|t| (*t, self.tabs[t].query.view.as_ref().map(|v| v.0)))
            .collect()
    }

    /// Changes what `tab` shows and fetches it again from its first page, with its count.
    pub fn change(&mut self, tab: Tab, change: QueryChange, out: &mut Vec<Command>) {
        let list = self.tabs.entry(tab).or_default();
        let query = &mut list.query;
        let refetch = !matches!(change, QueryChange::Columns(_));
        let changed_view = matches!(
            change,
            QueryChange::Sort(_) | QueryChange::Where(_) | QueryChange::Columns(_)
        );
        match change {
            QueryChange::Sort(sort) => query.sort = sort,
            QueryChange::Where(criteria) => {
                query.r#where = criteria;
                list.marked.clear();
            }
            QueryChange::Columns(columns) => query.columns = columns,
            QueryChange::View(view) => {
                *query = TabQuery {
                    r#where: view.r#where,
                    sort: view.sort,
                    columns: view.columns,
                    view: Some((view.id, view.name, false)),
                };
                list.marked.clear();
            }
            QueryChange::Plain => {
                *query = TabQuery::default();
                list.marked.clear();
            }
            QueryChange::Pipeline(pipeline) => {
                self.board_pipeline = Some(pipeline);
                let query = list.query.ask();
                if let Some(board) = &mut self.board {
                    // A pipeline made since the board fetched them: its name comes with them.
                    if board.pipelines.iter().all(|p| p.id != pipeline) {
                        out.push(Command::Ask(Request::Pipelines));
                    }
                    out.extend(board.pick(pipeline, &query).map(Command::Ask));
                }
                return;
            }
        }
        if changed_view && let Some(view) = &mut list.query.view {
            view.2 = true;
        }
        if tab == self.tab {
            self.open = false;
        }
        if refetch {
            self.detail = None;
            out.extend(self.load(tab, PageKind::First).map(Command::Ask));
            out.push(Command::Ask(self.count(tab)));
            if tab == Tab::Deals {
                let query = self.tabs[&Tab::Deals].query.ask();
                if let Some(board) = &mut self.board {
                    out.extend(board.reload(&query).map(Command::Ask));
                }
            }
        }
    }

    /// The request counting what `tab`'s filter keeps.
    fn count(&mut self, tab: Tab) -> Request {
        let list = self.tabs.entry(tab).or_default();
        list.count_generation += 1;
        list.total = None;
        Request::Count {
            tab,
            query: list.query.ask(),
            generation: list.count_generation,
        }
    }

    /// The columns `tab` shows, in order.
    pub fn columns(&self, tab: Tab) -> Vec<&'static Field> {
        let chosen = &self.tabs[&tab].query.columns;
        let names: Vec<&str> = if chosen.is_empty() {
            default_columns(tab).to_vec()
        } else {
            chosen.iter().map(String::as_str).collect()
        };
        names
            .iter()
            .filter_map(|n| tab.fields().iter().find(|f| f.name == *n))
            .collect()
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
        out.push(Command::Ask(self.count(tab)));
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
            query: list.query.ask(),
            generation: list.generation,
        })
    }

    /// The board's own keys; `false` for the keys it shares with the lists.
    fn board_act(&mut self, action: Action, out: &mut Vec<Command>) -> bool {
        let query = self.tabs[&Tab::Deals].query.ask();
        let Some(board) = self.board.as_mut() else {
            return false;
        };
        let ask = match action {
            A::Up => board.step_card(-1, &query),
            A::Down => board.step_card(1, &query),
            A::Top => board.select_end(true, &query),
            A::Bottom => board.select_end(false, &query),
            A::PrevColumn => {
                board.step_column(-1);
                board.step_card(0, &query)
            }
            A::NextColumn => {
                board.step_column(1);
                board.step_card(0, &query)
            }
            A::MoveBack => board.start_move(-1),
            A::MoveOn => board.start_move(1),
            A::Yes => board.answer(true),
            A::No => {
                board.answer(false);
                out.push(Command::Notice("not moved".into()));
                None
            }
            A::Pipeline => {
                if board.pipelines.is_empty() {
                    return true;
                }
                let entries: Vec<String> = board.pipelines.iter().map(|p| p.name.clone()).collect();
                let ids: Vec<PipelineId> = board.pipelines.iter().map(|p| p.id).collect();
                let chosen = ids
                    .iter()
                    .position(|id| Some(*id) == board.pipeline)
                    .unwrap_or(0);
                out.push(Command::Push(Box::new(super::menu::Menu::new(
                    "Pipeline of the board",
                    entries,
                    chosen,
                    Box::new(move |i| {
                        vec![Command::Query(Tab::Deals, QueryChange::Pipeline(ids[i]))]
                    }),
                ))));
                None
            }
            A::Board => {
                self.board_pipeline = board.pipeline.or(self.board_pipeline);
                self.board = None;
                None
            }
            A::Open => {
                self.open = true;
                None
            }
            _ => return false,
        };
        out.extend(ask.map(Command::Ask));
        out.extend(self.detail_request().map(Command::Ask));
        true
    }

    /// The related records of the selected record that can be opened, once its detail is in.
    fn openable(&self) -> Vec<(SearchType, i64)> {
        match self.selected_detail() {
            Some(DetailState::Ready(_, detail)) => detail::openable(detail),
            _ => Vec::new(),
        }
    }

    /// A key while the focus is in the related records (at `at`); whether it was theirs.
    fn related_act(&mut self, at: usize, action: Action, out: &mut Vec<Command>) -> bool {
        let related = self.openable();
        match action {
            A::Up => self.related = Some(at.saturating_sub(1)),
            A::Down => self.related = Some((at + 1).min(related.len().saturating_sub(1))),
            A::Back => self.related = None,
            A::Open => {
                if let Some((kind, id)) = related.get(at).copied() {
                    out.push(Command::Push(Box::new(Viewer::Loading(format!(
                        "{} #{id}",
                        kind.as_str()
                    )))));
                    out.push(Command::Ask(Request::OpenHit(kind, id)));
                }
            }
            _ => return false,
        }
        true
    }

    fn act(&mut self, action: Action, view: &View<'_>, out: &mut Vec<Command>) {
        if self.board_shown().is_some() && self.board_act(action, out) {
            return;
        }
        if self.open
            && let Some(at) = self.related
            && self.related_act(at, action, out)
        {
            return;
        }
        self.related = None;
        let page = self.rows.max(1);
        match action {
            A::Board if self.tab == Tab::Deals => {
                let query = self.list().query.ask();
                let (board, asks) = BoardState::open(self.board_pipeline, &query);
                self.board = Some(board);
                self.open = false;
                out.extend(asks.into_iter().map(Command::Ask));
            }
            A::Board => out.push(Command::Notice(
                "the board shows deals: 3 opens them, then b".into(),
            )),
            A::PrevColumn
            | A::NextColumn
            | A::MoveBack
            | A::MoveOn
            | A::Pipeline
            | A::Yes
            | A::No => {}
            A::Mouse => out.push(Command::ToggleMouse),
            A::Related => match self.openable().len() {
                0 => out.push(Command::Notice("no related record to open".into())),
                _ => self.related = Some(0),
            },
            A::Back => self.open = false,
            A::Quit => out.push(Command::Quit),
            A::Help => out.push(Command::Help),
            A::Search => out.push(Command::Search),
            A::Open => match self.selected() {
                Some(Record::Quote(q)) => {
                    let (composer, asks) =
                        super::composer::Composer::open(q.id, &format!("#{}", q.deal_id));
                    out.push(Command::Push(Box::new(composer)));
                    out.extend(asks.into_iter().map(Command::Ask));
                }
                Some(_) => self.open = !self.open,
                None => {}
            },
            A::NextTab | A::PrevTab => {
                let step = if action == A::NextTab { 1 } else { -1 };
                match super::Area::List(self.tab).step(step) {
                    super::Area::List(tab) => self.go(tab, out),
                    other => out.push(Command::Go(other)),
                }
            }
            A::Go(tab) => self.go(tab, out),
            A::Sort => self.sort_menu(out),
            A::FlipSort => {
                let sort = match &self.list().query.sort {
                    Some(s) => Sort::new(
                        s.field.clone(),
                        if s.direction == Direction::Asc {
                            Direction::Desc
                        } else {
                            Direction::Asc
                        },
                    ),
                    // Newest first flips to oldest first.
                    None => Sort::new("id", Direction::Asc),
                };
                out.push(Command::Query(self.tab, QueryChange::Sort(Some(sort))));
            }
            A::Filter => {
                let (builder, asks) =
                    super::builder::Builder::for_list(self.tab, self.list().query.r#where.as_ref());
                out.push(Command::Push(Box::new(builder)));
                out.extend(asks.into_iter().map(Command::Ask));
            }
            A::Columns => {
                let shown: Vec<&'static str> =
                    self.columns(self.tab).iter().map(|f| f.name).collect();
                out.push(Command::Push(Box::new(super::columns::Columns::new(
                    self.tab, &shown,
                ))));
            }
            A::Export => {
                let query = &self.list().query;
                let request = crm_core::export::ExportRequest {
                    kind: Some(self.tab.kind()),
                    segment_id: None,
                    r#where: query.r#where.clone(),
                    sort: query.sort.clone(),
                    columns: self
                        .columns(self.tab)
                        .iter()
                        .map(|f| f.name.to_owned())
                        .collect(),
                    format: crm_core::export::Format::Csv,
                    path: String::new(),
                    defuse: None,
                };
                let what = match (&query.view, &query.r#where) {
                    (Some((_, name, _)), _) => format!("{} · view {name}", self.tab.title()),
                    (None, Some(_)) => format!("{} · as filtered", self.tab.title()),
                    (None, None) => self.tab.title().to_owned(),
                };
                let name = format!(
                    "{}-{}.csv",
                    self.tab.title().to_lowercase(),
                    crate::client::format::date(view.now)
                );
                out.push(Command::Push(Box::new(super::export::Export::new(
                    what, request, &name,
                ))));
            }
            A::Import => {
                out.push(Command::Push(Box::new(super::importer::Importer::new(
                    self.tab,
                ))));
            }
            A::Views => {
                let query = &self.list().query;
                let shown = super::saved_views::Shown {
                    r#where: query.r#where.clone(),
                    sort: query.sort.clone(),
                    columns: if query.columns.is_empty() {
                        self.columns(self.tab)
                            .iter()
                            .map(|f| f.name.to_owned())
                            .collect()
                    } else {
                        query.columns.clone()
                    },
                };
                let (menu, ask) = super::saved_views::ViewsMenu::new(self.tab, shown);
                out.push(Command::Push(Box::new(menu)));
                out.push(Command::Ask(ask));
            }
            A::Mark | A::Assign | A::Rescore | A::Explain if self.tab != Tab::Leads => {
                out.push(Command::Notice(
                    "selecting, assigning and scores are for leads: 2 opens them".into(),
                ));
            }
            A::Mark => {
                if let Some(id) = self.list().selected_record().map(Record::id) {
                    let marked = &mut self.list_mut().marked;
                    if !marked.remove(&id) {
                        marked.insert(id);
                    }
                    self.move_by(1);
                }
            }
            A::Assign => self.assign_menu(view, out),
            A::Rescore => {
                let ids = self.chosen_leads();
                if !ids.is_empty() {
                    out.push(Command::Ask(Request::Rescore(ids)));
                }
            }
            A::Explain => {
                if let Some(Record::Lead(l)) = self.list().selected_record() {
                    let (screen, ask) = super::score::Score::new(l.id, &l.name);
                    out.push(Command::Push(Box::new(screen)));
                    out.push(Command::Ask(ask));
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
            A::LinkLead | A::LinkDeal | A::UnlinkLead | A::UnlinkDeal
                if self.tab == Tab::Tickets =>
            {
                if let Some(Record::Ticket(t)) = self.list().selected_record() {
                    let key = match action {
                        A::LinkLead => LinkKey::Link(PickKind::Lead),
                        A::LinkDeal => LinkKey::Link(PickKind::Deal),
                        A::UnlinkLead => LinkKey::Unlink(PickKind::Lead),
                        _ => LinkKey::Unlink(PickKind::Deal),
                    };
                    link_key(key, t, out);
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
            A::Segments => out.push(Command::Go(super::Area::Segments)),
            A::Analytics => out.push(Command::Go(super::Area::Analytics)),
            A::Trash => out.push(Command::Go(super::Area::Trash)),
            A::Erase => {
                if let Some(Record::Customer(c)) = self.list().selected_record() {
                    out.push(Command::Push(Box::new(super::erase::Erase::new(c.clone()))));
                }
            }
            A::Duplicates => {
                let (screen, ask) = super::duplicates::Duplicates::new();
                out.push(Command::Push(Box::new(screen)));
                out.push(Command::Ask(ask));
            }
            A::Delete => {
                if let Some(id) = self.list().selected_record().map(Record::id) {
                    out.push(Command::Ask(Request::DeletePlan {
                        kind: self.tab.kind(),
                        id,
                    }));
                }
            }
            A::Quotes => match self.selected() {
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

    /// Shows `tab`, fetching its first page the first time.
    pub fn go(&mut self, tab: Tab, out: &mut Vec<Command>) {
        self.tab = tab;
        self.open = false;
        if !self.list().loaded && !self.list().loading {
            out.extend(self.load(self.tab, PageKind::First).map(Command::Ask));
            out.push(Command::Ask(self.count(tab)));
        }
    }

    /// The sortable fields of the tab, newest first on top, the current order chosen.
    fn sort_menu(&self, out: &mut Vec<Command>) {
        let tab = self.tab;
        let fields: Vec<&'static Field> = tab.fields().iter().filter(|f| f.sortable).collect();
        let current = self.list().query.sort.as_ref().map(|s| s.field.clone());
        let mut entries = vec!["Newest first (no sort)".to_owned()];
        entries.extend(fields.iter().map(|f| f.label.to_owned()));
        let selected = current
            .and_then(|c| fields.iter().position(|f| f.name == c))
            .map_or(0, |i| i + 1);
        let names: Vec<&'static str> = fields.iter().map(|f| f.name).collect();
        let menu = super::menu::Menu::new(
            format!("Sort {} by", tab.title()),
            entries,
            selected,
            Box::new(move |i| {
                // Numbers and times read best largest first; words from A.
                let sort = i.checked_sub(1).map(|i| {
                    let field = tab.fields().iter().find(|f| f.name == names[i]);
                    let direction = match field.map(|f| f.ty) {
                        Some(
                            FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Enum,
                        ) => Direction::Asc,
                        _ => Direction::Desc,
                    };
                    Sort::new(names[i], direction)
                });
                vec![Command::Query(tab, QueryChange::Sort(sort))]
            }),
        );
        out.push(Command::Push(Box::new(menu)));
    }

    /// The leads `a` and `R` act on: the selected ones, or the one under the cursor.
    fn chosen_leads(&self) -> Vec<LeadId> {
        let list = self.list();
        if list.marked.is_empty() {
            list.selected_record()
                .map(|r| vec![LeadId(r.id())])
                .unwrap_or_default()
        } else {
            list.marked.iter().map(|id| LeadId(*id)).collect()
        }
    }

    /// Who the chosen leads may go to: round-robin over a team, or one rep.
    fn assign_menu(&self, view: &View<'_>, out: &mut Vec<Command>) {
        let leads = self.chosen_leads();
        if leads.is_empty() {
            return;
        }
        let (teams, owners) = view
            .lookups
            .map(|l| (l.teams.clone(), l.owners.clone()))
            .unwrap_or_default();
        let mut entries: Vec<String> = teams
            .iter()
            .map(|(_, name)| format!("Round-robin over {name}"))
            .collect();
        entries.extend(owners.iter().map(|(_, name)| name.clone()));
        let what = if leads.len() == 1 {
            format!("Assign lead #{} to", leads[0])
        } else {
            format!("Assign {} leads to", leads.len())
        };
        let menu = super::menu::Menu::new(
            what,
            entries,
            0,
            Box::new(move |i| {
                let assign = match teams.get(i) {
                    Some((team, _)) => Assign {
                        lead_ids: leads.clone(),
                        owner_id: None,
                        team_id: Some(TeamId(*team)),
                        mode: Some(AssignMode::RoundRobin),
                    },
                    None => Assign {
                        lead_ids: leads.clone(),
                        owner_id: Some(UserId(owners[i - teams.len()].0)),
                        team_id: None,
                        mode: None,
                    },
                };
                vec![Command::Ask(Request::Assign(assign))]
            }),
        );
        out.push(Command::Push(Box::new(menu)));
    }

    /// Opens the timeline of the selected customer, lead or deal.
    fn timeline(&self, view: &View<'_>, out: &mut Vec<Command>) {
        let (owner, id, label) = match self.selected() {
            Some(Record::Customer(c)) => (
                TimelineOwner::Customer,
                c.id.0,
                format!("customer {}", c.name),
            ),
            Some(Record::Lead(l)) => (TimelineOwner::Lead, l.id.0, format!("lead {}", l.name)),
            Some(Record::Deal(d)) => (TimelineOwner::Deal, d.id.0, format!("deal {}", d.title)),
            Some(Record::Ticket(_) | Record::Quote(_)) => {
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
        let id = self.selected()?.id();
        let key = RecordKey { tab: self.tab, id };
        if self.detail.as_ref().is_some_and(|d| d.key() == key) {
            return None;
        }
        self.detail = Some(DetailState::Loading(key));
        Some(Request::Detail { record: key })
    }

    /// The detail of the selected record, if it has been asked for.
    pub fn selected_detail(&self) -> Option<&DetailState> {
        let id = self.selected()?.id();
        let key = RecordKey { tab: self.tab, id };
        self.detail.as_ref().filter(|d| d.key() == key)
    }

    fn draw_list(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let list = self.list();
        let position = match (list.rows.is_empty(), list.total) {
            (true, _) => String::new(),
            (false, Some(total)) => format!(
                " {} of {} ",
                thousands(list.selected as u64 + 1),
                thousands(total)
            ),
            (false, None) => {
                let more = if list.next_cursor.is_some() { "+" } else { "" };
                format!(" {}/{}{more} ", list.selected + 1, list.rows.len())
            }
        };
        let query = &list.query;
        let mut heading = format!(" {} ", self.tab.title());
        if let Some((_, name, changed)) = &query.view {
            let _ = write!(
                heading,
                "· view {}{} ",
                crate::client::format::clip(name, 28),
                if *changed { " (changed)" } else { "" }
            );
        }
        if query.r#where.is_some() {
            heading.push_str("· filtered ");
        }
        if !list.marked.is_empty() {
            let _ = write!(heading, "· {} selected ", list.marked.len());
        }
        let block = Block::new()
            .borders(Borders::ALL)
            .title(heading)
            .title_bottom(Line::from(position).right_aligned());
        if list.rows.is_empty() {
            let what = self.tab.title().to_lowercase();
            let text = if let Some(e) = &list.error {
                format!("Could not load {what}: {e}")
            } else if list.loading || !list.loaded {
                format!("{} Loading {what}…", spinner(view.tick))
            } else if query.r#where.is_some() {
                format!("No {what} match the filter (f changes it, v x shows them all).")
            } else {
                format!("No {what} yet.")
            };
            frame.render_widget(Paragraph::new(text).block(block), area);
            return;
        }
        // Leads can be selected: a gutter marks the selected ones with ✓, colour or not.
        let gutter = self.tab == Tab::Leads;
        let all = self.columns(self.tab);
        let room = area.width.saturating_sub(2 + u16::from(gutter) * 2);
        let columns: Vec<&Field> = fitting(&all, room).into_iter().map(|i| all[i]).collect();
        let mut titles: Vec<String> = columns
            .iter()
            .map(|f| title(f, query.sort.as_ref()))
            .collect();
        let mut widths: Vec<Constraint> = columns.iter().map(|f| width(f)).collect();
        if gutter {
            titles.insert(0, String::new());
            widths.insert(0, Constraint::Length(1));
        }
        // Only the rows on screen become widgets: a frame costs the same at any list size.
        let visible = list
            .rows
            .iter()
            .skip(list.offset)
            .take(crate::client::ui::list_rows(area.height + 2));
        let rows = visible.map(|r| {
            let json = r.json();
            let mut cells: Vec<Cell> = columns
                .iter()
                .map(|f| cell(f, r, &json, view.lookups))
                .collect();
            if gutter {
                let marked = list.marked.contains(&r.id());
                cells.insert(
                    0,
                    Cell::from(if marked { "✓" } else { " " }).style(Style::new().bold()),
                );
            }
            Row::new(cells)
        });
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
            self.selected(),
            self.selected_detail(),
            view.lookups,
            view.tick,
            self.related.filter(|_| self.open),
        );
    }
}

impl Lists {
    fn keymap_now(&self) -> Keymap<Action> {
        match self.board_shown() {
            Some(board) if !self.open && board.confirm.is_some() => CONFIRM,
            Some(_) if !self.open => BOARD,
            _ if self.open && self.related.is_some() => RELATED,
            _ => keymap_of(self.tab, self.open),
        }
    }

    /// The list and the detail beside it (drawing and clicks share it). Below
    /// [`DETAIL_FROM`] columns the list takes the width (a record's detail is `Enter` away).
    fn split(main: Rect) -> [Rect; 2] {
        if main.width < DETAIL_FROM {
            return [main, Rect { width: 0, ..main }];
        }
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(main)
    }
}

impl Screen for Lists {
    fn click(
        &mut self,
        x: u16,
        y: u16,
        double: bool,
        areas: Areas,
        view: &View<'_>,
        out: &mut Vec<Command>,
    ) {
        let inside = |r: Rect| x >= r.x && x < r.right() && y >= r.y && y < r.bottom();
        if self.open {
            return;
        }
        if let Some(board) = self.board.as_mut().filter(|_| self.tab == Tab::Deals) {
            let query = self.tabs[&Tab::Deals].query.ask();
            if let Some((column, card)) = board.hit(areas.main, x, y) {
                out.extend(board.select(column, card, &query).map(Command::Ask));
                out.extend(self.detail_request().map(Command::Ask));
                if double && card.is_some() {
                    self.act(A::Open, view, out);
                }
            }
            return;
        }
        let [list, _] = Self::split(areas.main);
        // The frame's top border and the header row come before the rows.
        let first_row = list.y + 2;
        if !inside(list) || y < first_row || y + 1 >= list.bottom() {
            return;
        }
        let row = self.list().offset + usize::from(y - first_row);
        if row < self.list().rows.len() {
            self.list_mut().selected = row;
            self.scroll_into_view();
            out.extend(self.prefetch().map(Command::Ask));
            out.extend(self.detail_request().map(Command::Ask));
            if double {
                self.act(A::Open, view, out);
            }
        }
    }

    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        let map = self.keymap_now();
        if let Some(action) = map.action(key) {
            self.act(action, view, out);
        }
    }

    fn reply(&mut self, reply: Reply, view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        let reply = match self.board.as_mut() {
            Some(board) => {
                let query = self.tabs[&Tab::Deals].query.ask();
                let (mut asks, mut notice) = (Vec::new(), None);
                let left = board.reply(reply, &query, &mut asks, &mut notice);
                out.extend(asks.into_iter().map(Command::Ask));
                out.extend(notice.map(Command::Notice));
                let Some(reply) = left else {
                    if self.board_shown().is_some() {
                        out.extend(self.detail_request().map(Command::Ask));
                    }
                    return None;
                };
                reply
            }
            None => reply,
        };
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
                if self.tabs[&tab].count_generation == 0 {
                    // The first page of a tab: count what it holds.
                    out.push(Command::Ask(self.count(tab)));
                }
                if tab == self.tab {
                    self.scroll_into_view();
                    out.extend(self.detail_request().map(Command::Ask));
                }
            }
            Reply::Views { kind, result } if self.restoring.contains_key(&kind) => {
                let id = self.restoring.remove(&kind);
                let tab = Tab::ALL.iter().copied().find(|t| t.kind() == kind);
                // A view deleted since is simply not reopened.
                if let (Some(tab), Some(view)) = (
                    tab,
                    result
                        .ok()
                        .and_then(|v| v.into_iter().find(|v| Some(v.id) == id)),
                ) {
                    self.change(tab, QueryChange::View(Box::new(view)), out);
                }
            }
            Reply::Counted {
                tab,
                generation,
                result,
            } => {
                let list = self.tabs.entry(tab).or_default();
                if generation == list.count_generation {
                    list.total = result.ok();
                }
            }
            Reply::Assigned(result) => match result {
                Ok(done) => {
                    let n = done.assignments.len();
                    let mut owners: Vec<String> = done
                        .assignments
                        .iter()
                        .map(|a| name_of(view.lookups, Some(a.owner_id.0)))
                        .collect();
                    owners.sort();
                    owners.dedup();
                    out.push(Command::Notice(format!(
                        "{n} lead{} assigned to {}",
                        if n == 1 { "" } else { "s" },
                        owners.join(", ")
                    )));
                    self.tabs.entry(Tab::Leads).or_default().marked.clear();
                    self.reload(Tab::Leads, out);
                }
                Err(e) => out.push(Command::Notice(format!("not assigned: {e}"))),
            },
            Reply::Rescored(result) => match result {
                Ok(done) => {
                    out.push(Command::Notice(format!(
                        "{} lead{} rescored, {} changed",
                        done.rescored,
                        if done.rescored == 1 { "" } else { "s" },
                        done.changed
                    )));
                    self.reload(Tab::Leads, out);
                }
                Err(e) => out.push(Command::Notice(format!("not rescored: {e}"))),
            },
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
            Reply::DeletePlanned(result) => match result {
                Ok(plan) => {
                    let with = crate::client::format::group(&plan.records, plan.kind.plural());
                    let question = format!(
                        "Delete {} {:?}{}? It goes to the trash (8), where it can be restored.",
                        plan.kind.as_str().replace('_', " "),
                        plan.title,
                        if with.is_empty() {
                            String::new()
                        } else {
                            format!(" with {with}")
                        }
                    );
                    out.push(Command::Push(Box::new(super::confirm::Confirm::new(
                        question,
                        vec![Request::Delete {
                            kind: plan.kind,
                            id: plan.id,
                        }],
                    ))));
                }
                Err(e) => out.push(Command::Notice(format!("cannot delete: {e}"))),
            },
            Reply::Deleted(result) => match result {
                Ok(done) => {
                    let with = crate::client::format::group(&done.records, done.kind.plural());
                    out.push(Command::Notice(format!(
                        "{} {:?}{} moved to the trash · 8 restores it",
                        done.kind.as_str().replace('_', " "),
                        done.title,
                        if with.is_empty() {
                            String::new()
                        } else {
                            format!(" with {with}")
                        }
                    )));
                    self.open = false;
                    self.detail = None;
                    // A group can take records of every tab with it.
                    out.extend(Tab::ALL.iter().map(|t| Command::Reload(*t)));
                }
                Err(e) => out.push(Command::Notice(format!("not deleted: {e}"))),
            },
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        if self.open {
            self.draw_detail(frame, areas.main, view);
        } else if let Some(board) = self.board_shown() {
            let filtered = self.tabs[&Tab::Deals].query.r#where.is_some();
            board.draw(frame, areas.main, view, filtered);
        } else {
            let [list, detail] = Self::split(areas.main);
            self.draw_list(frame, list, view);
            self.draw_detail(frame, detail, view);
        }
    }

    fn busy(&self) -> bool {
        self.board_shown().is_some_and(|b| b.loading)
            || self.list().loading
            || matches!(self.selected_detail(), Some(DetailState::Loading(_)))
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

/// The columns a tab shows when the user chose none.
fn default_columns(tab: Tab) -> &'static [&'static str] {
    match tab {
        Tab::Customers => &[
            "id",
            "name",
            "email",
            "company",
            "churnRisk",
            "lastContactAt",
        ],
        Tab::Leads => &["id", "score", "name", "company", "status", "ownerId"],
        Tab::Deals => &["id", "title", "stageId", "status", "value", "ownerId"],
        Tab::Tickets => &[
            "id",
            "subject",
            "status",
            "priority",
            "channel",
            "createdAt",
        ],
        Tab::Quotes => &[
            "number",
            "revision",
            "customerId",
            "dealId",
            "status",
            "total",
            "validUntil",
        ],
    }
}

/// How wide a column of `field` is.
fn width(field: &Field) -> Constraint {
    use Constraint::{Fill, Length};
    // Fixed widths for what has a known size; words share what is left, so they give way
    // first on a narrow screen.
    match (field.name, field.ty) {
        ("id", _) => Length(7),
        ("score", _) => Length(9),
        ("revision", _) => Length(8),
        (_, FieldType::Text | FieldType::Email | FieldType::Tags) => Fill(2),
        (_, FieldType::Enum) => Length(11),
        (_, FieldType::Money) => Length(14),
        (_, FieldType::Time) => Length(12),
        (_, FieldType::Number | FieldType::Bool) => Length(6),
        (_, FieldType::Phone) => Length(16),
        (_, FieldType::Id) => Fill(1),
    }
}

/// The least a column needs: its fixed width, or enough of a word to read.
fn least(field: &Field) -> u16 {
    match width(field) {
        Constraint::Length(n) => n,
        _ if field.ty == FieldType::Id => 10,
        _ => 12,
    }
}

/// Which columns keep their place when the list is this narrow: the id and money are never
/// cut; the first words (a name, a title, a subject) and the status come next; the rest give
/// way first, the rightmost before the others.
fn priority(field: &Field, first_text: bool) -> u8 {
    match (field.name, field.ty) {
        ("id", _) | (_, FieldType::Money) => 0,
        _ if first_text => 1,
        ("score" | "status", _) => 2,
        _ => 3,
    }
}

/// The indices of the columns that fit in `room` columns (one column between two), in order.
fn fitting(columns: &[&Field], room: u16) -> Vec<usize> {
    let first_text = columns.iter().position(|f| matches!(f.ty, FieldType::Text));
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    let need = |kept: &[usize]| -> u16 {
        kept.iter()
            .map(|i| least(columns[*i]) + 1)
            .sum::<u16>()
            .saturating_sub(1)
    };
    while need(&kept) > room && kept.len() > 1 {
        let drop = kept
            .iter()
            .enumerate()
            // The last of the highest: the rightmost of the lowest priority.
            .max_by_key(|(_, i)| priority(columns[**i], first_text == Some(**i)))
            .map(|(at, _)| at);
        match drop {
            Some(at) if priority(columns[kept[at]], first_text == Some(kept[at])) > 0 => {
                kept.remove(at);
            }
            _ => break,
        }
    }
    kept
}

/// A column's header: the field's label, an arrow when the list is sorted by it.
fn title(field: &Field, sort: Option<&Sort>) -> String {
    match sort {
        Some(s) if s.field == field.name => format!(
            "{} {}",
            field.label,
            if s.direction == Direction::Desc {
                "▼"
            } else {
                "▲"
            }
        ),
        None if field.name == "id" => format!("{} ▼", field.label),
        _ => field.label.to_owned(),
    }
}

/// One cell of a record: its field's value as a person reads it.
fn cell(
    field: &Field,
    record: &Record,
    json: &serde_json::Value,
    lookups: Option<&Lookups>,
) -> Cell<'static> {
    let value = &json[field.name];
    if let (Record::Lead(l), "score") = (record, field.name) {
        let (word, color) = score_badge(l.score);
        return Cell::from(format!("{word:<4} {:>3}", l.score)).style(Style::new().fg(color));
    }
    if let (Record::Quote(q), "total") = (record, field.name) {
        return Cell::from(money(q.totals.total, q.currency.code()));
    }
    let text = match (field.ty, value) {
        (_, serde_json::Value::Null) => "—".to_owned(),
        (FieldType::Id, v) if field.name == "id" => v.to_string(),
        (FieldType::Id, v) => {
            let id = v.as_i64().unwrap_or_default();
            match (field.refers, field.name) {
                (Some(RecordKind::User), _) => name_of(lookups, Some(id)),
                (_, "stageId") => stage_of(lookups, id),
                _ => format!("#{id}"),
            }
        }
        (FieldType::Money, v) => money(
            v.as_i64().unwrap_or_default(),
            json["currency"].as_str().unwrap_or("USD"),
        ),
        (FieldType::Time, v) => v
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(|| "—".into(), |t| date(t.to_utc())),
        (FieldType::Tags, serde_json::Value::Array(tags)) => tags
            .iter()
            .filter_map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        (FieldType::Bool, serde_json::Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, v) => v.to_string(),
    };
    Cell::from(text)
}

#[cfg(test)]
mod tests;

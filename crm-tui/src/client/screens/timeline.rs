//! The timeline view: one customer's, lead's or deal's events newest first, under day headers
//! that stay at the top while scrolling, with type, channel and time-range filters. Older pages
//! are fetched as the selection nears the end of what is held; only the rows on screen are drawn.

use super::viewer::Viewer;
use super::{Areas, Command, Screen, View};
use crate::client::format::spinner;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, PageAsk, Reply, Request};
use crm_core::tickets::Channel;
use crm_core::time::Timestamp;
use crm_core::timeline::{EventType, TimelineEvent, TimelineOwner, TimelinePage, TimelineQuery};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Events fetched per page.
pub const PAGE_EVENTS: u32 = 100;
/// Fetch older events when the selection comes this close to the end of what is held.
const PREFETCH_MARGIN: usize = 30;

/// The types a user can toggle, with their keys.
pub const TYPE_KEYS: [(char, EventType, &str); 7] = [
    ('1', EventType::Message, "messages"),
    ('2', EventType::Conversation, "conversations"),
    ('3', EventType::TicketEvent, "tickets"),
    ('4', EventType::LeadActivity, "lead activity"),
    ('5', EventType::DealActivity, "deal activity"),
    ('6', EventType::Call, "calls"),
    ('7', EventType::QuoteActivity, "quotes"),
];

/// The channels a user can toggle, with their keys.
pub const CHANNEL_KEYS: [(char, Channel); 6] = [
    ('e', Channel::Email),
    ('c', Channel::Chat),
    ('p', Channel::Phone),
    ('w', Channel::Web),
    ('s', Channel::Social),
    ('a', Channel::Api),
];

/// The time ranges `r` steps through: the last N days, or everything.
pub const RANGES: [Option<i64>; 5] = [None, Some(7), Some(30), Some(90), Some(365)];

/// What a key does in a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Newest,
    Oldest,
    /// Toggle the type of [`TYPE_KEYS`] at this index.
    Type(usize),
    /// Toggle the channel of [`CHANNEL_KEYS`] at this index.
    Channel(usize),
    Range,
    Clear,
    Open,
    Back,
    Search,
    Help,
}

use Action as A;
use KeyCode as K;

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in a timeline",
    bindings: &[
        each(
            &[
                (K::Up, A::Up),
                (K::Char('k'), A::Up),
                (K::Down, A::Down),
                (K::Char('j'), A::Down),
                (K::PageUp, A::PageUp),
                (K::PageDown, A::PageDown),
            ],
            "↑↓ jk PgUp PgDn",
            "move (older events load as you go)",
        ),
        each(
            &[
                (K::Char('g'), A::Newest),
                (K::Home, A::Newest),
                (K::Char('G'), A::Oldest),
                (K::End, A::Oldest),
            ],
            "g G",
            "newest / oldest held",
        ),
        each(
            &[
                (K::Char('1'), A::Type(0)),
                (K::Char('2'), A::Type(1)),
                (K::Char('3'), A::Type(2)),
                (K::Char('4'), A::Type(3)),
                (K::Char('5'), A::Type(4)),
                (K::Char('6'), A::Type(5)),
                (K::Char('7'), A::Type(6)),
            ],
            "1-7",
            "only messages, conversations, tickets, lead, deal activity, calls, quotes",
        ),
        each(
            &[
                (K::Char('e'), A::Channel(0)),
                (K::Char('c'), A::Channel(1)),
                (K::Char('p'), A::Channel(2)),
                (K::Char('w'), A::Channel(3)),
                (K::Char('s'), A::Channel(4)),
                (K::Char('a'), A::Channel(5)),
            ],
            "e c p w s a",
            "only email, chat, phone, web, social, api",
        ),
        each(
            &[(K::Char('r'), A::Range)],
            "r",
            "time range: all, last 7, 30, 90, 365 days",
        ),
        each(&[(K::Char('0'), A::Clear)], "0", "clear the filters"),
        each(&[(K::Enter, A::Open)], "Enter", "open the event's record"),
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "back to the lists",
        ),
        each(
            &[(K::Char('/'), A::Search)],
            "/",
            "search everything (Tab: facets, Enter: open)",
        ),
        each(&[(K::Char('?'), A::Help)], "?", "this help"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓ jk", "move"),
        hint(&[A::Type(0)], "1-7", "types"),
        hint(&[A::Channel(0)], "e c p w s a", "channels"),
        hint(&[A::Range], "r", "range"),
        hint(&[A::Clear], "0", "clear"),
        hint(&[A::Open], "Enter", "open"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// The timeline of one record, as far as it has been fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineView {
    pub owner: TimelineOwner,
    pub id: i64,
    /// What the title bar calls the record.
    pub label: String,
    /// Types to show; empty shows all.
    pub types: Vec<EventType>,
    /// Channels to show; empty shows all (events without a channel too).
    pub channels: Vec<Channel>,
    /// Index into [`RANGES`].
    pub range: usize,
    /// "Now" for the time ranges: the client's clock when the view opened.
    pub now: Timestamp,
    pub items: Vec<TimelineEvent>,
    pub next_cursor: Option<String>,
    pub loading: bool,
    pub loaded: bool,
    pub error: Option<Failure>,
    /// Answers for an older generation (before a filter changed) are dropped.
    pub generation: u64,
    pub selected: usize,
    /// The first event on screen.
    pub offset: usize,
}

/// What a key did to the view.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Nothing,
    Close,
    Fetch(PageAsk),
    Open(TimelineEvent),
}

impl TimelineView {
    /// A view of `owner` `id`, and the request for its first page.
    pub fn new(owner: TimelineOwner, id: i64, label: String, now: Timestamp) -> (Self, PageAsk) {
        let mut view = TimelineView {
            owner,
            id,
            label,
            types: Vec::new(),
            channels: Vec::new(),
            range: 0,
            now,
            items: Vec::new(),
            next_cursor: None,
            loading: false,
            loaded: false,
            error: None,
            generation: 0,
            selected: 0,
            offset: 0,
        };
        let ask = view.reload();
        (view, ask)
    }

    /// The query for the current filters, from `cursor`.
    pub fn query(&self, cursor: Option<String>) -> TimelineQuery {
        TimelineQuery {
            types: non_empty(&self.types),
            channels: non_empty(&self.channels),
            from: RANGES[self.range].map(|days| self.now - chrono::Duration::days(days)),
            to: None,
            limit: Some(PAGE_EVENTS),
            cursor,
            ..TimelineQuery::of(self.owner, self.id)
        }
    }

    /// Starts again from the newest event (after a filter changed).
    fn reload(&mut self) -> PageAsk {
        self.generation += 1;
        self.loading = true;
        self.items.clear();
        self.next_cursor = None;
        self.selected = 0;
        self.offset = 0;
        self.error = None;
        self.loaded = false;
        PageAsk {
            query: self.query(None),
            generation: self.generation,
        }
    }

    /// Takes an answer; answers for an earlier generation are dropped.
    pub fn receive(&mut self, generation: u64, result: Result<TimelinePage, Failure>) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        match result {
            Ok(page) => {
                self.loaded = true;
                self.items.extend(page.items);
                self.next_cursor = page.next_cursor;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Applies an action; `rows` is how many lines the view shows.
    fn act(&mut self, action: Action, rows: usize) -> Outcome {
        let rows = rows.max(1);
        match action {
            A::Back => return Outcome::Close,
            A::Up => self.move_by(-1),
            A::Down => self.move_by(1),
            A::PageUp => self.move_by(-(rows as isize)),
            A::PageDown => self.move_by(rows as isize),
            A::Newest => self.selected = 0,
            A::Oldest => self.selected = self.items.len().saturating_sub(1),
            A::Open => {
                if let Some(e) = self.items.get(self.selected) {
                    return Outcome::Open(e.clone());
                }
            }
            A::Clear => {
                if self.types.is_empty() && self.channels.is_empty() && self.range == 0 {
                    return Outcome::Nothing;
                }
                self.types.clear();
                self.channels.clear();
                self.range = 0;
                return Outcome::Fetch(self.reload());
            }
            A::Range => {
                self.range = (self.range + 1) % RANGES.len();
                return Outcome::Fetch(self.reload());
            }
            A::Type(i) => {
                toggle(&mut self.types, TYPE_KEYS[i].1);
                return Outcome::Fetch(self.reload());
            }
            A::Channel(i) => {
                toggle(&mut self.channels, CHANNEL_KEYS[i].1);
                return Outcome::Fetch(self.reload());
            }
            // The app's own: the screen passes them on.
            A::Search | A::Help => return Outcome::Nothing,
        }
        self.scroll_into_view(rows);
        self.prefetch().map_or(Outcome::Nothing, Outcome::Fetch)
    }

    fn move_by(&mut self, delta: isize) {
        if self.items.is_empty() {
            return;
        }
        self.selected = self
            .selected
            .saturating_add_signed(delta)
            .min(self.items.len() - 1);
    }

    /// Keeps the selected event on screen, counting the day headers between it and the top.
    pub fn scroll_into_view(&mut self, rows: usize) {
        self.selected = self.selected.min(self.items.len().saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        // Lines from the top of the pane to the selected event: the sticky header, then each
        // event and each day change. Only the events between offset and selected are looked at.
        while self.offset < self.selected && self.lines_to_selected() > rows {
            self.offset += 1;
        }
    }

    fn lines_to_selected(&self) -> usize {
        let mut lines = 1; // the (sticky) day header of the first event on screen
        for i in self.offset..=self.selected {
            if i > self.offset && day(&self.items[i]) != day(&self.items[i - 1]) {
                lines += 1;
            }
            lines += 1;
        }
        // At the very end, the line under the last event says so.
        if self.selected + 1 == self.items.len() && (self.loading || self.next_cursor.is_none()) {
            lines += 1;
        }
        lines
    }

    /// Asks for older events when the selection nears the end of what is held.
    pub fn prefetch(&mut self) -> Option<PageAsk> {
        if self.loading || self.selected + PREFETCH_MARGIN < self.items.len() {
            return None;
        }
        let cursor = self.next_cursor.clone()?;
        self.loading = true;
        Some(PageAsk {
            query: self.query(Some(cursor)),
            generation: self.generation,
        })
    }
}

/// `None` (no filter) for an empty selection.
pub(crate) fn non_empty<T: Copy>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// Adds `value` to `set`, or takes it out if there.
pub(crate) fn toggle<T: PartialEq + Copy>(set: &mut Vec<T>, value: T) {
    if let Some(i) = set.iter().position(|v| *v == value) {
        set.remove(i);
    } else {
        set.push(value);
    }
}

fn day(e: &TimelineEvent) -> String {
    e.occurred_at.format("%A %-d %B %Y").to_string()
}

fn type_label(t: EventType) -> &'static str {
    match t {
        EventType::Message => "message",
        EventType::Conversation => "conversation",
        EventType::TicketEvent => "ticket",
        EventType::LeadActivity => "lead",
        EventType::DealActivity => "deal",
        EventType::QuoteActivity => "quote",
        EventType::Call => "call",
    }
}

/// Lines the event list shows when the lists show `rows` rows.
fn event_rows(rows: usize) -> usize {
    rows.saturating_sub(1).max(1)
}

impl Screen for TimelineView {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = KEYS.action(key) else {
            return;
        };
        match action {
            A::Search => out.push(Command::Search),
            A::Help => out.push(Command::Help),
            _ => match self.act(action, event_rows(view.rows)) {
                Outcome::Nothing => {}
                Outcome::Close => out.push(Command::Close),
                Outcome::Fetch(ask) => out.push(Command::Ask(Request::Timeline(ask))),
                Outcome::Open(event) => {
                    out.push(Command::Push(Box::new(Viewer::Loading(
                        event.title.clone(),
                    ))));
                    out.push(Command::Ask(Request::OpenEvent(Box::new(event))));
                }
            },
        }
    }

    fn reply(&mut self, reply: Reply, view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        let Reply::Timeline { generation, result } = reply else {
            return Some(reply);
        };
        self.receive(generation, result);
        self.scroll_into_view(event_rows(view.rows));
        // A filter that matches little may need more pages to fill the screen.
        if let Some(ask) = self.prefetch() {
            out.push(Command::Ask(Request::Timeline(ask)));
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        frame.render_widget(Clear, areas.main);
        draw(frame, self, view.tick, areas.main);
    }

    fn busy(&self) -> bool {
        self.loading
    }
}

/// Draws the view into `area`.
fn draw(frame: &mut Frame<'_>, view: &TimelineView, tick: u64, area: ratatui::layout::Rect) {
    let title = format!(" Timeline · {} ", view.label);
    let block = Block::new().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [filters, body] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(filter_lines(view, filters.width)), filters);

    if let Some(e) = &view.error {
        frame.render_widget(
            Paragraph::new(format!("Could not load the timeline: {e}"))
                .red()
                .wrap(Wrap { trim: true }),
            body,
        );
        return;
    }
    if view.items.is_empty() {
        let text = if view.loading || !view.loaded {
            format!("{} loading the timeline…", spinner(tick))
        } else if view.types.is_empty() && view.channels.is_empty() && view.range == 0 {
            "Nothing has happened here yet.".to_owned()
        } else {
            "No events match these filters (0 clears them).".to_owned()
        };
        frame.render_widget(Paragraph::new(text).dim(), body);
        return;
    }

    let height = usize::from(body.height);
    let width = usize::from(body.width);
    let mut lines: Vec<Line<'static>> = Vec::with_capacity(height);
    // The day of the first event on screen stays at the top, whatever has scrolled away above.
    lines.push(day_header(&view.items[view.offset], width));
    let mut i = view.offset;
    while lines.len() < height && i < view.items.len() {
        let e = &view.items[i];
        if i > view.offset && day(e) != day(&view.items[i - 1]) {
            // A header on the last line would have no event under it.
            if lines.len() + 1 >= height {
                break;
            }
            lines.push(day_header(e, width));
        }
        lines.push(event_line(e, i == view.selected, width));
        i += 1;
    }
    if lines.len() < height && i == view.items.len() {
        lines.push(if view.loading {
            Line::from(format!("{} loading older events…", spinner(tick))).dim()
        } else if view.next_cursor.is_none() {
            Line::from("· the beginning ·").dim().centered()
        } else {
            Line::default()
        });
    }
    frame.render_widget(Paragraph::new(lines), body);
}

/// A type's name in fewer letters, for a line that would not fit (80 columns).
fn short(name: &str) -> &str {
    match name {
        "messages" => "msgs",
        "conversations" => "convs",
        "lead activity" => "leads",
        "deal activity" => "deals",
        other => other,
    }
}

/// The filter lines in `width` columns: the types' short names when the long ones do not fit.
fn filter_lines(view: &TimelineView, width: u16) -> Vec<Line<'static>> {
    let long: usize = "types (all)".len()
        + TYPE_KEYS
            .iter()
            .map(|(_, _, name)| name.chars().count() + 3)
            .sum::<usize>();
    let name = |n: &'static str| {
        if long > usize::from(width) {
            short(n)
        } else {
            n
        }
    };
    let chip = |on: bool, text: String| {
        if on {
            Span::styled(text, Style::new().fg(Color::Black).bg(Color::Yellow))
        } else {
            Span::styled(text, Style::new().add_modifier(Modifier::DIM))
        }
    };
    let mut types = vec![Span::raw("types ")];
    for (key, t, name_of) in TYPE_KEYS {
        types.push(chip(
            view.types.contains(&t),
            format!("{key} {}", name(name_of)),
        ));
        types.push(Span::raw(" "));
    }
    if view.types.is_empty() {
        types.push(Span::raw("(all)").italic());
    }
    let mut second = vec![Span::raw("channels ")];
    for (key, c) in CHANNEL_KEYS {
        second.push(chip(view.channels.contains(&c), format!("{key} {c}")));
        second.push(Span::raw(" "));
    }
    if view.channels.is_empty() {
        second.push(Span::raw("(all) ").italic());
    }
    second.push(Span::raw(" r range "));
    second.push(chip(
        view.range != 0,
        match RANGES[view.range] {
            None => "all time".to_owned(),
            Some(d) => format!("last {d} days"),
        },
    ));
    vec![Line::from(types), Line::from(second)]
}

fn day_header(e: &TimelineEvent, width: usize) -> Line<'static> {
    let text = format!("── {} ", day(e));
    let fill = width.saturating_sub(text.chars().count());
    Line::from(format!("{text}{}", "─".repeat(fill)))
        .style(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD))
}

fn event_line(e: &TimelineEvent, selected: bool, width: usize) -> Line<'static> {
    let channel = e.channel.map(|c| c.to_string()).unwrap_or_default();
    let mut text = format!(
        "{} {:<12} {:<6} {}",
        e.occurred_at.format("%H:%M"),
        type_label(e.event_type),
        channel,
        e.title
    );
    if let Some(body) = e.body.as_deref().filter(|b| !b.is_empty()) {
        text.push_str(" — ");
        text.push_str(&body.replace('\n', " "));
    }
    let text: String = text.chars().take(width).collect();
    let line = Line::from(text);
    if selected {
        line.style(Style::new().add_modifier(Modifier::REVERSED))
    } else {
        line
    }
}

#[cfg(test)]
mod tests;

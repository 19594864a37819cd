//! The search palette: `/` from anywhere, results as you type (debounced), facet counts beside
//! them, filters toggled from the facets, `Enter` opens the record.

use super::timeline::{non_empty, toggle};
use super::viewer::Viewer;
use super::{Areas, Command, Screen, View};
use crate::client::field::Field;
use crate::client::format::spinner;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, typing};
use crate::client::worker::{Failure, Reply, Request, SearchAsk, Tab};
use crm_core::conversations::ConversationStatus;
use crm_core::search::{SearchFilters, SearchHit, SearchQuery, SearchResults, SearchType};
use crm_core::tickets::{Channel, Priority, TicketStatus};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Hits fetched per query.
pub const HITS: u32 = 50;
/// Ticks (of the main loop's ~120 ms) without typing before the query runs.
const QUIET_TICKS: u64 = 1;

/// Which facet a facet row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacetKind {
    Type,
    TicketStatus,
    TicketPriority,
    ConversationStatus,
    Channel,
}

impl FacetKind {
    fn title(self) -> &'static str {
        match self {
            FacetKind::Type => "type",
            FacetKind::TicketStatus => "ticket status",
            FacetKind::TicketPriority => "priority",
            FacetKind::ConversationStatus => "conversation",
            FacetKind::Channel => "channel",
        }
    }
}

/// Where the keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Hits,
    Facets,
}

/// The palette's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    pub query: Field,
    pub types: Vec<SearchType>,
    pub ticket_status: Vec<TicketStatus>,
    pub ticket_priority: Vec<Priority>,
    pub conversation_status: Vec<ConversationStatus>,
    pub channels: Vec<Channel>,
    pub results: Option<SearchResults>,
    pub error: Option<Failure>,
    pub selected: usize,
    pub focus: Focus,
    pub facet_cursor: usize,
    /// Answers for an older generation are dropped.
    pub generation: u64,
    pub loading: bool,
    /// The query changed at this tick and has not been sent yet.
    pub typed_at: Option<u64>,
    /// The facet value last chosen or taken back: the cursor finds it again in the answer.
    pub facet_on: Option<(FacetKind, String)>,
}

/// What a key does in the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Type,
    Up,
    Down,
    Focus,
    Enter,
    Clear,
    Close,
}

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in the search",
    bindings: &[
        typing(Action::Type, "type", "search as you type"),
        each(&[(KeyCode::Up, Action::Up)], "↑", "up"),
        each(&[(KeyCode::Down, Action::Down)], "↓", "down"),
        each(
            &[
                (KeyCode::Tab, Action::Focus),
                (KeyCode::BackTab, Action::Focus),
            ],
            "Tab S-Tab",
            "between the hits and the facets",
        ),
        each(
            &[(KeyCode::Enter, Action::Enter)],
            "Enter",
            "open the hit, or toggle the facet as a filter",
        ),
        each(&[(KeyCode::Esc, Action::Close)], "Esc", "close"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Type], "type", "search"),
        hint(&[Action::Up, Action::Down], "↑↓", "choose"),
        hint(&[Action::Focus], "Tab", "hits / facets"),
        hint(&[Action::Enter], "Enter", "open / toggle filter"),
        hint(&[Action::Close], "Esc", "close"),
    ],
};

/// In the facets: letters act on the filters (Tab goes back to typing).
const FACET_KEYS: Keymap<Action> = Keymap {
    title: "Keys in the search's facets",
    bindings: &[
        each(&[(KeyCode::Up, Action::Up)], "↑", "up"),
        each(&[(KeyCode::Down, Action::Down)], "↓", "down"),
        each(
            &[
                (KeyCode::Enter, Action::Enter),
                (KeyCode::Char(' '), Action::Enter),
            ],
            "Enter Space",
            "choose the value or take it back (values of a group add up)",
        ),
        each(
            &[(KeyCode::Char('c'), Action::Clear)],
            "c",
            "clear every filter",
        ),
        each(
            &[
                (KeyCode::Tab, Action::Focus),
                (KeyCode::BackTab, Action::Focus),
            ],
            "Tab S-Tab",
            "back to the hits and typing",
        ),
        each(&[(KeyCode::Esc, Action::Close)], "Esc", "close"),
    ] as &[Binding<Action>],
    hints: &[
        hint(&[Action::Up, Action::Down], "↑↓", "choose"),
        hint(&[Action::Enter], "Enter", "filter"),
        hint(&[Action::Clear], "c", "clear filters"),
        hint(&[Action::Focus], "Tab", "hits"),
        hint(&[Action::Close], "Esc", "close"),
    ],
};

/// What a key did.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Nothing,
    Close,
    Search(SearchAsk),
    Open(SearchType, i64),
}

impl Palette {
    /// An empty palette, and its first search (everything, for the facet counts).
    pub fn new() -> (Self, SearchAsk) {
        let mut p = Palette {
            query: Field::default(),
            types: Vec::new(),
            ticket_status: Vec::new(),
            ticket_priority: Vec::new(),
            conversation_status: Vec::new(),
            channels: Vec::new(),
            results: None,
            error: None,
            selected: 0,
            focus: Focus::Hits,
            facet_cursor: 0,
            generation: 0,
            loading: false,
            typed_at: None,
            facet_on: None,
        };
        let ask = p.ask();
        (p, ask)
    }

    /// Reopens a palette left by opening one of its hits: the same query, filters and
    /// selection, searched again (the records may have changed meanwhile).
    pub fn reopen(&mut self) -> SearchAsk {
        self.focus = Focus::Hits;
        self.ask()
    }

    fn ask(&mut self) -> SearchAsk {
        self.generation += 1;
        self.loading = true;
        self.typed_at = None;
        SearchAsk {
            query: SearchQuery {
                q: self.query.text(),
                types: non_empty(&self.types),
                filters: SearchFilters {
                    ticket_status: non_empty(&self.ticket_status),
                    ticket_priority: non_empty(&self.ticket_priority),
                    conversation_status: non_empty(&self.conversation_status),
                    channels: non_empty(&self.channels),
                    team_id: None,
                },
                limit: Some(HITS),
                offset: None,
            },
            generation: self.generation,
        }
    }

    /// Takes an answer; answers for an earlier generation are dropped.
    pub fn receive(&mut self, generation: u64, result: Result<SearchResults, Failure>) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        match result {
            Ok(r) => {
                self.error = None;
                self.selected = self.selected.min(r.hits.len().saturating_sub(1));
                self.results = Some(r);
                let rows = self.facet_rows();
                self.facet_cursor = match self.facet_on.take() {
                    Some((kind, value)) => rows
                        .iter()
                        .position(|(k, v, _)| *k == kind && *v == value)
                        .unwrap_or(self.facet_cursor),
                    None => self.facet_cursor,
                }
                .min(rows.len().saturating_sub(1));
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The query to run once typing has paused for a tick.
    fn ready(&mut self, tick: u64) -> Option<SearchAsk> {
        match self.typed_at {
            Some(at) if tick >= at + QUIET_TICKS => Some(self.ask()),
            _ => None,
        }
    }

    fn keys(&self) -> &'static Keymap<Action> {
        match self.focus {
            Focus::Hits => &KEYS,
            Focus::Facets => &FACET_KEYS,
        }
    }

    /// Whether any filter is on.
    pub fn filtered(&self) -> bool {
        !(self.types.is_empty()
            && self.ticket_status.is_empty()
            && self.ticket_priority.is_empty()
            && self.conversation_status.is_empty()
            && self.channels.is_empty())
    }

    /// Applies a key at `tick`.
    fn act(&mut self, key: KeyEvent, tick: u64) -> Outcome {
        let Some(action) = self.keys().action(key) else {
            return Outcome::Nothing;
        };
        match action {
            Action::Close => return Outcome::Close,
            Action::Focus => {
                self.focus = match self.focus {
                    Focus::Hits => Focus::Facets,
                    Focus::Facets => Focus::Hits,
                };
            }
            Action::Up => match self.focus {
                Focus::Hits => self.selected = self.selected.saturating_sub(1),
                Focus::Facets => self.facet_cursor = self.facet_cursor.saturating_sub(1),
            },
            Action::Down => match self.focus {
                Focus::Hits => {
                    let n = self.results.as_ref().map_or(0, |r| r.hits.len());
                    self.selected = (self.selected + 1).min(n.saturating_sub(1));
                }
                Focus::Facets => {
                    let n = self.facet_rows().len();
                    self.facet_cursor = (self.facet_cursor + 1).min(n.saturating_sub(1));
                }
            },
            Action::Enter if self.focus == Focus::Facets => {
                if let Some((kind, value, _)) = self.facet_rows().get(self.facet_cursor).cloned() {
                    self.toggle(kind, &value);
                    self.selected = 0;
                    // The rows reflow with the answer; the cursor stays on this value.
                    self.facet_on = Some((kind, value));
                    return Outcome::Search(self.ask());
                }
            }
            Action::Clear => {
                if self.filtered() {
                    self.types.clear();
                    self.ticket_status.clear();
                    self.ticket_priority.clear();
                    self.conversation_status.clear();
                    self.channels.clear();
                    self.selected = 0;
                    return Outcome::Search(self.ask());
                }
            }
            Action::Enter => {
                if let Some(hit) = self
                    .results
                    .as_ref()
                    .and_then(|r| r.hits.get(self.selected))
                {
                    return Outcome::Open(hit.hit_type, hit.id);
                }
            }
            Action::Type => {
                if self.query.key(key) {
                    self.typed(tick);
                }
            }
        }
        Outcome::Nothing
    }

    fn typed(&mut self, tick: u64) {
        self.typed_at = Some(tick);
        self.selected = 0;
        self.focus = Focus::Hits;
    }

    /// The facet values of the last answer, in display order, with their counts.
    pub fn facet_rows(&self) -> Vec<(FacetKind, String, u64)> {
        let Some(r) = &self.results else {
            return Vec::new();
        };
        let f = &r.facets;
        let mut rows = Vec::new();
        for (kind, map) in [
            (FacetKind::Type, &f.types),
            (FacetKind::TicketStatus, &f.ticket_status),
            (FacetKind::TicketPriority, &f.ticket_priority),
            (FacetKind::ConversationStatus, &f.conversation_status),
            (FacetKind::Channel, &f.channels),
        ] {
            rows.extend(map.iter().map(|(v, n)| (kind, v.clone(), *n)));
            // A chosen value the answer no longer counts stays on screen (at 0), so it can be
            // seen and taken back.
            for value in self.active_values(kind) {
                if !map.contains_key(&value) {
                    rows.push((kind, value, 0));
                }
            }
        }
        rows
    }

    /// The chosen values of one facet.
    fn active_values(&self, kind: FacetKind) -> Vec<String> {
        fn names<T: Copy>(v: &[T], name: impl Fn(T) -> &'static str) -> Vec<String> {
            v.iter().map(|t| name(*t).to_owned()).collect()
        }
        match kind {
            FacetKind::Type => names(&self.types, SearchType::as_str),
            FacetKind::TicketStatus => names(&self.ticket_status, TicketStatus::as_str),
            FacetKind::TicketPriority => names(&self.ticket_priority, Priority::as_str),
            FacetKind::ConversationStatus => {
                names(&self.conversation_status, ConversationStatus::as_str)
            }
            FacetKind::Channel => names(&self.channels, Channel::as_str),
        }
    }

    /// The filters on, as a person reads them (`ticket status open, pending · channel chat`).
    pub fn filters_text(&self) -> String {
        [
            FacetKind::Type,
            FacetKind::TicketStatus,
            FacetKind::TicketPriority,
            FacetKind::ConversationStatus,
            FacetKind::Channel,
        ]
        .into_iter()
        .filter_map(|kind| {
            let values = self.active_values(kind);
            (!values.is_empty()).then(|| format!("{} {}", kind.title(), values.join(", ")))
        })
        .collect::<Vec<_>>()
        .join(" · ")
    }

    /// Whether a facet value is one of the active filters.
    pub fn active(&self, kind: FacetKind, value: &str) -> bool {
        match kind {
            FacetKind::Type => self.types.iter().any(|t| t.as_str() == value),
            FacetKind::TicketStatus => self.ticket_status.iter().any(|s| s.as_str() == value),
            FacetKind::TicketPriority => self.ticket_priority.iter().any(|p| p.as_str() == value),
            FacetKind::ConversationStatus => {
                self.conversation_status.iter().any(|s| s.as_str() == value)
            }
            FacetKind::Channel => self.channels.iter().any(|c| c.as_str() == value),
        }
    }

    fn toggle(&mut self, kind: FacetKind, value: &str) {
        match kind {
            FacetKind::Type => {
                if let Some(t) = SearchType::ALL.iter().find(|t| t.as_str() == value) {
                    toggle(&mut self.types, *t);
                }
            }
            FacetKind::TicketStatus => {
                if let Ok(s) = value.parse() {
                    toggle(&mut self.ticket_status, s);
                }
            }
            FacetKind::TicketPriority => {
                if let Ok(p) = value.parse() {
                    toggle(&mut self.ticket_priority, p);
                }
            }
            FacetKind::ConversationStatus => {
                if let Ok(s) = value.parse() {
                    toggle(&mut self.conversation_status, s);
                }
            }
            FacetKind::Channel => {
                if let Ok(c) = value.parse() {
                    toggle(&mut self.channels, c);
                }
            }
        }
    }
}

impl Palette {
    /// What an outcome asks of the app.
    fn carry(&self, outcome: Outcome, out: &mut Vec<Command>) {
        match outcome {
            Outcome::Nothing => {}
            Outcome::Close => out.push(Command::Close),
            Outcome::Search(ask) => out.push(Command::Ask(Request::Search(ask))),
            Outcome::Open(kind, id) => {
                if let Some(tab) = Tab::of(kind) {
                    // The record opens in its tab, its list starting at it.
                    out.push(Command::Show {
                        tab,
                        id,
                        from: Box::new(self.clone()),
                    });
                } else {
                    // Conversations have no tab: the record viewer shows them.
                    out.push(Command::Push(Box::new(Viewer::Loading(format!(
                        "conversation #{id}"
                    )))));
                    out.push(Command::Ask(Request::OpenHit(kind, id)));
                }
            }
        }
    }

    /// Which facet row each line of the facets' column shows (`None`: a group's title), from
    /// the first line drawn.
    fn facet_lines(&self, height: u16) -> Vec<Option<usize>> {
        let mut lines = Vec::new();
        let mut last = None;
        for (i, (kind, _, _)) in self.facet_rows().into_iter().enumerate() {
            if last != Some(kind) {
                lines.push(None);
                last = Some(kind);
            }
            lines.push(Some(i));
        }
        let skip = lines.len().saturating_sub(usize::from(height));
        lines
            .into_iter()
            .skip(skip.min(self.facet_cursor))
            .collect()
    }
}

impl Screen for Palette {
    fn keymap(&self) -> KeyHelp {
        self.keys().help()
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        let outcome = self.act(key, view.tick);
        self.carry(outcome, out);
    }

    /// A click on a facet toggles it; on a hit selects it, and a double click opens it.
    fn click(
        &mut self,
        x: u16,
        y: u16,
        double: bool,
        areas: Areas,
        _view: &View<'_>,
        out: &mut Vec<Command>,
    ) {
        let (hits, facets) = layout(areas.main);
        let inside = |r: Rect| x >= r.x && x < r.right() && y >= r.y && y < r.bottom();
        if inside(facets) {
            let line = usize::from(y - facets.y);
            if let Some(Some(i)) = self.facet_lines(facets.height).get(line).copied()
                && let Some((kind, value, _)) = self.facet_rows().get(i).cloned()
            {
                self.focus = Focus::Facets;
                self.facet_cursor = i;
                self.toggle(kind, &value);
                self.selected = 0;
                out.push(Command::Ask(Request::Search(self.ask())));
            }
        } else if inside(hits) {
            let count = self.results.as_ref().map_or(0, |r| r.hits.len());
            let per_screen = usize::from(hits.height / 2).max(1);
            let first = self.selected.saturating_sub(per_screen - 1);
            let hit = first + usize::from(y - hits.y) / 2;
            if hit < count {
                self.focus = Focus::Hits;
                self.selected = hit;
                if double && let Some(h) = self.results.as_ref().and_then(|r| r.hits.get(hit)) {
                    let outcome = Outcome::Open(h.hit_type, h.id);
                    self.carry(outcome, out);
                }
            }
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, _out: &mut Vec<Command>) -> Option<Reply> {
        let Reply::Searched { generation, result } = reply else {
            return Some(reply);
        };
        self.receive(generation, result);
        None
    }

    fn tick(&mut self, view: &View<'_>, out: &mut Vec<Command>) {
        if let Some(ask) = self.ready(view.tick) {
            out.push(Command::Ask(Request::Search(ask)));
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        draw(frame, self, view.tick, areas.main);
    }

    fn field(&self) -> Option<&Field> {
        (self.focus == Focus::Hits).then_some(&self.query)
    }

    fn busy(&self) -> bool {
        self.loading || self.typed_at.is_some()
    }
}

/// The palette's frame over `area`: its box, the line typed into, and its body.
fn frame_of(area: Rect) -> (Rect, Rect, Rect) {
    let popup = Rect {
        x: area.x + area.width / 20,
        y: area.y + 1,
        width: area.width - area.width / 10,
        height: area.height.saturating_sub(2),
    };
    let inner = Block::new().borders(Borders::ALL).inner(popup);
    let [input, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    (popup, input, body)
}

/// Where the hits and the facets go over `area` (drawing and clicks share it).
fn layout(area: Rect) -> (Rect, Rect) {
    let (_, _, body) = frame_of(area);
    let [hits, facets] =
        Layout::horizontal([Constraint::Min(20), Constraint::Length(28)]).areas(body);
    (hits, facets)
}

/// The palette over `area`.
fn draw(frame: &mut Frame<'_>, p: &Palette, tick: u64, area: Rect) {
    let (popup, input, _) = frame_of(area);
    frame.render_widget(Clear, popup);
    frame.render_widget(Block::new().borders(Borders::ALL).title(" Search "), popup);
    let state = if p.loading || p.typed_at.is_some() {
        format!(" {}", spinner(tick))
    } else {
        p.results
            .as_ref()
            .map(|r| format!("  {} found", r.total))
            .unwrap_or_default()
    };
    let [prompt, typed, state_area] = Layout::horizontal([
        Constraint::Length(2),
        Constraint::Min(8),
        Constraint::Length(state.chars().count() as u16),
    ])
    .areas(Rect { height: 1, ..input });
    frame.render_widget(
        Span::styled("/ ", Style::new().fg(Color::Yellow).bold()),
        prompt,
    );
    frame.render_widget(p.query.line(typed.width, p.focus == Focus::Hits), typed);
    frame.render_widget(Span::raw(state).dim(), state_area);
    if p.filtered() {
        let second = Rect {
            y: input.y + 1,
            height: 1,
            ..input
        };
        frame.render_widget(
            Line::from(vec![
                Span::styled("filters ", Style::new().fg(Color::Yellow)),
                Span::raw(p.filters_text()),
                Span::raw(if p.focus == Focus::Facets {
                    "  (c clears)"
                } else {
                    "  (Tab, then c clears)"
                })
                .dim(),
            ]),
            second,
        );
    }
    let (hits, facets) = layout(area);
    draw_hits(frame, p, hits);
    draw_facets(frame, p, facets);
}

fn draw_hits(frame: &mut Frame<'_>, p: &Palette, area: Rect) {
    if let Some(e) = &p.error {
        frame.render_widget(Paragraph::new(format!("Search failed: {e}")).red(), area);
        return;
    }
    let Some(r) = &p.results else {
        return;
    };
    if r.hits.is_empty() {
        frame.render_widget(Paragraph::new("Nothing matches.").dim(), area);
        return;
    }
    // Two lines a hit: the title, then the snippet. Only the hits that fit are drawn.
    let per_screen = usize::from(area.height / 2).max(1);
    let first = p.selected.saturating_sub(per_screen - 1);
    let width = usize::from(area.width);
    let mut lines = Vec::new();
    for (i, hit) in r.hits.iter().enumerate().skip(first).take(per_screen) {
        // A snippet that only repeats the title (the words matched the title) gives its line to
        // the record's context; otherwise the context follows the title.
        let plain = unescape(&hit.snippet.replace("<b>", "").replace("</b>", ""));
        let repeats = plain.trim().is_empty() || plain.trim() == hit.title.trim();
        let mut title = title_line(hit, i == p.selected && p.focus == Focus::Hits, width);
        if repeats {
            lines.push(title);
            lines.push(Line::from(format!("    {}", hit.context)).dim());
        } else {
            let used: usize = title.spans.iter().map(Span::width).sum();
            if !hit.context.is_empty() && used + 4 < width {
                let room = width - used - 2;
                title.spans.push(
                    Span::raw(format!(
                        "  {}",
                        hit.context.chars().take(room).collect::<String>()
                    ))
                    .dim(),
                );
            }
            lines.push(title);
            lines.push(snippet_line(&hit.snippet, width));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn title_line(hit: &SearchHit, selected: bool, width: usize) -> Line<'static> {
    let text: String = format!("{:<13}#{:<7} {}", hit.hit_type.as_str(), hit.id, hit.title)
        .chars()
        .take(width)
        .collect();
    let style = if selected {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new().bold()
    };
    Line::from(Span::styled(text, style))
}

/// The snippet with its `<b>` words highlighted (tantivy writes HTML; the terminal does not).
fn snippet_line(html: &str, width: usize) -> Line<'static> {
    let mut spans = vec![Span::raw("    ")];
    let mut used = 4;
    let mut rest = html;
    let mut bold = false;
    while !rest.is_empty() && used < width {
        let tag = if bold { "</b>" } else { "<b>" };
        let (text, next) = match rest.find(tag) {
            Some(i) => (&rest[..i], &rest[i + tag.len()..]),
            None => (rest, ""),
        };
        let text: String = unescape(text).chars().take(width - used).collect();
        used += text.chars().count();
        spans.push(if bold {
            Span::styled(text, Style::new().fg(Color::Yellow).bold())
        } else {
            Span::raw(text).dim()
        });
        bold = !bold;
        rest = next;
    }
    Line::from(spans)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace('\n', " ")
}

fn draw_facets(frame: &mut Frame<'_>, p: &Palette, area: Rect) {
    let mut lines = Vec::new();
    let mut last = None;
    for (i, (kind, value, count)) in p.facet_rows().into_iter().enumerate() {
        if last != Some(kind) {
            lines.push(Line::from(kind.title()).style(Style::new().fg(Color::Cyan).bold()));
            last = Some(kind);
        }
        let mark = if p.active(kind, &value) { "[x]" } else { "[ ]" };
        let line = Line::from(format!(" {mark} {value:<14}{count:>7}"));
        lines.push(if p.focus == Focus::Facets && i == p.facet_cursor {
            line.style(Style::new().add_modifier(Modifier::REVERSED))
        } else {
            line
        });
    }
    let skip = lines.len().saturating_sub(usize::from(area.height));
    let lines: Vec<_> = lines.into_iter().skip(skip.min(p.facet_cursor)).collect();
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests;

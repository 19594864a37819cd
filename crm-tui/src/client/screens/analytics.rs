//! Analytics: a pipeline's funnel as horizontal bars (reached per stage, conversion and drop-off,
//! days in stage), each rep's deals in a period beside the period before (sortable by any
//! column), and what was won in each of the last twelve periods. `p` picks the pipeline,
//! `w` `m` `q` the timeframe, `[` `]` step periods. Every number is asked again every few
//! seconds, so what another person or process wrote shows up without a key.

use super::{Area, Areas, Command, Screen, View};
use crate::client::format::{amounts, percent, rate_of, spinner};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Reply, Request, Tab, TrendPoint};
use crm_core::analytics::{Funnel, Period, RepPerformance, RepRequest, RepRow, Timeframe};
use crm_core::deals::{Pipeline, StageKind};
use crm_core::money::Money;
use crm_core::time::Timestamp;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, Block, Borders, Clear, List, ListItem, ListState, Paragraph, Row, Table,
    TableState,
};
use std::cmp::Ordering;

/// Ticks (~120 ms each) between two askings of the same numbers.
const REFRESH_TICKS: u64 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    SortLeft,
    SortRight,
    Reverse,
    Week,
    Month,
    Quarter,
    Earlier,
    Later,
    Pick,
    Chart,
    Choose,
    Back,
    Help,
    /// Another area (tab).
    Go(Area),
    NextArea,
    PrevArea,
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

/// The other areas: `1 2 3 4 5 6 8` and the tab keys.
const AREAS: Binding<Action> = each(
    &[
        (K::Char('1'), A::Go(Area::List(Tab::Customers))),
        (K::Char('2'), A::Go(Area::List(Tab::Leads))),
        (K::Char('3'), A::Go(Area::List(Tab::Deals))),
        (K::Char('4'), A::Go(Area::List(Tab::Tickets))),
        (K::Char('5'), A::Go(Area::List(Tab::Quotes))),
        (K::Char('6'), A::Go(Area::Segments)),
        (K::Char('8'), A::Go(Area::Trash)),
        (K::Tab, A::NextArea),
        (K::BackTab, A::PrevArea),
    ],
    "1 2 3 4 5 6 8 Tab",
    "the other tabs (this one keeps its state)",
);

const MAIN: Keymap<Action> = Keymap {
    title: "Keys in analytics",
    bindings: &[
        MOVE,
        each(
            &[
                (K::Left, A::SortLeft),
                (K::Char('h'), A::SortLeft),
                (K::Right, A::SortRight),
                (K::Char('l'), A::SortRight),
            ],
            "←→ hl",
            "sort the reps by another column",
        ),
        each(&[(K::Char('r'), A::Reverse)], "r", "reverse the order"),
        each(
            &[
                (K::Char('w'), A::Week),
                (K::Char('m'), A::Month),
                (K::Char('q'), A::Quarter),
            ],
            "w m q",
            "week, month or quarter",
        ),
        each(
            &[(K::Char('['), A::Earlier), (K::Char(']'), A::Later)],
            "[ ]",
            "the period before / after",
        ),
        each(&[(K::Char('p'), A::Pick)], "p", "pick the pipeline"),
        each(
            &[(K::Char('v'), A::Chart)],
            "v",
            "chart: won value or deals won",
        ),
        AREAS,
        each(&[(K::Esc, A::Back)], "Esc", "back"),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "jk", "reps"),
        hint(&[A::Week, A::Month, A::Quarter], "w m q", "timeframe"),
        hint(&[A::Earlier, A::Later], "[ ]", "period"),
        hint(&[A::SortLeft, A::SortRight], "←→", "sort"),
        hint(&[A::Reverse], "r", "reverse"),
        hint(&[A::Pick], "p", "pipeline"),
        hint(&[A::Chart], "v", "chart"),
        hint(&[A::NextArea], "Tab", "next tab"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

const PICKER: Keymap<Action> = Keymap {
    title: "Pick a pipeline",
    bindings: &[
        MOVE,
        each(&[(K::Enter, A::Choose)], "Enter", "show this pipeline"),
        each(&[(K::Esc, A::Back)], "Esc", "keep the one shown"),
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Choose], "Enter", "show"),
        hint(&[A::Back], "Esc", "back"),
    ],
};

/// The rep table's columns, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Rep,
    Created,
    Won,
    Lost,
    WinRate,
    WonValue,
    AverageDeal,
    DaysToClose,
    PerWeek,
}

impl Column {
    const ALL: [Column; 9] = [
        Column::Rep,
        Column::Created,
        Column::Won,
        Column::Lost,
        Column::WinRate,
        Column::WonValue,
        Column::AverageDeal,
        Column::DaysToClose,
        Column::PerWeek,
    ];

    fn title(self) -> &'static str {
        match self {
            Column::Rep => "Rep",
            Column::Created => "Created",
            Column::Won => "Won",
            Column::Lost => "Lost",
            Column::WinRate => "Win rate",
            Column::WonValue => "Won value",
            Column::AverageDeal => "Avg deal",
            Column::DaysToClose => "Days to close",
            Column::PerWeek => "Won/week",
        }
    }

    /// Whether `row` has no value in this column (shown as `–`).
    fn absent(self, row: &RepRow) -> bool {
        match self {
            Column::WinRate => row.win_rate.is_none(),
            Column::WonValue => row.won_value.is_empty(),
            Column::AverageDeal => row.average_deal_size.is_empty(),
            Column::DaysToClose => row.average_days_to_close.is_none(),
            Column::Rep | Column::Created | Column::Won | Column::Lost | Column::PerWeek => false,
        }
    }

    fn compare(self, a: &RepRow, b: &RepRow) -> Ordering {
        let first = |m: &[Money]| m.first().map_or(0, |m| m.amount);
        let f = |x: Option<f64>| x.unwrap_or(-1.0);
        match self {
            Column::Rep => a.name.cmp(&b.name),
            Column::Created => a.deals_created.cmp(&b.deals_created),
            Column::Won => a.deals_won.cmp(&b.deals_won),
            Column::Lost => a.deals_lost.cmp(&b.deals_lost),
            Column::WinRate => {
                f(a.win_rate.map(|r| r.rate)).total_cmp(&f(b.win_rate.map(|r| r.rate)))
            }
            Column::WonValue => first(&a.won_value).cmp(&first(&b.won_value)),
            Column::AverageDeal => {
                let avg = |r: &RepRow| r.average_deal_size.first().map_or(0, |a| a.amount);
                avg(a).cmp(&avg(b))
            }
            Column::DaysToClose => {
                f(a.average_days_to_close).total_cmp(&f(b.average_days_to_close))
            }
            Column::PerWeek => a.velocity.total_cmp(&b.velocity),
        }
        .then(a.user_id.cmp(&b.user_id))
    }
}

/// The analytics screen.
#[derive(Debug, Clone)]
pub struct Analytics {
    pipelines: Option<Result<Vec<Pipeline>, Failure>>,
    /// Index of the pipeline shown.
    pipeline: usize,
    /// The picker's cursor, while it is open.
    picking: Option<usize>,
    timeframe: Timeframe,
    /// A moment in the period shown.
    at: Timestamp,
    /// Answers to older askings are dropped.
    generation: u64,
    /// Replies still to come for this generation.
    waiting: u8,
    funnel: Option<Result<Funnel, Failure>>,
    reps: Option<Result<RepPerformance, Failure>>,
    trend: Option<Result<Vec<TrendPoint>, Failure>>,
    sort: Column,
    descending: bool,
    selected: usize,
    /// The chart shows deals won rather than their value.
    chart_counts: bool,
    ticks_since_asked: u64,
}

impl Analytics {
    /// The screen showing the quarter holding `now`, and its first request.
    pub fn new(now: Timestamp) -> (Analytics, Request) {
        let screen = Analytics {
            pipelines: None,
            pipeline: 0,
            picking: None,
            timeframe: Timeframe::Quarter,
            at: now,
            generation: 0,
            waiting: 0,
            funnel: None,
            reps: None,
            trend: None,
            sort: Column::WonValue,
            descending: true,
            selected: 0,
            chart_counts: false,
            ticks_since_asked: 0,
        };
        (screen, Request::Pipelines)
    }

    fn pipelines(&self) -> &[Pipeline] {
        self.pipelines
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map_or(&[], Vec::as_slice)
    }

    fn shown(&self) -> Option<&Pipeline> {
        self.pipelines().get(self.pipeline)
    }

    fn rep_request(&self) -> Option<RepRequest> {
        self.shown().map(|p| RepRequest {
            timeframe: self.timeframe,
            at: Some(self.at),
            pipeline_id: Some(p.id),
            team_id: None,
        })
    }

    /// Asks for every number again. `fresh` clears what is shown (another pipeline or
    /// period); a periodic asking keeps it until the answers come.
    fn ask(&mut self, fresh: bool, out: &mut Vec<Command>) {
        let (Some(pipeline), Some(request)) = (self.shown().map(|p| p.id), self.rep_request())
        else {
            return;
        };
        self.generation += 1;
        self.waiting = 3;
        self.ticks_since_asked = 0;
        if fresh {
            self.funnel = None;
            self.reps = None;
            self.trend = None;
        }
        let generation = self.generation;
        out.push(Command::Ask(Request::Funnel {
            pipeline,
            generation,
        }));
        out.push(Command::Ask(Request::Reps {
            request: request.clone(),
            generation,
        }));
        out.push(Command::Ask(Request::Trend {
            request,
            generation,
        }));
    }

    /// The reps of the period shown, in the order chosen.
    fn sorted(&self) -> Vec<&RepRow> {
        let Some(Ok(reps)) = &self.reps else {
            return Vec::new();
        };
        let mut rows: Vec<&RepRow> = reps.reps.iter().collect();
        // A rep without the value (no deal closed: no win rate) goes last either way, as
        // lists put absent values.
        rows.sort_by(|a, b| match (self.sort.absent(a), self.sort.absent(b)) {
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => {
                let o = self.sort.compare(a, b);
                if self.descending { o.reverse() } else { o }
            }
        });
        rows
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        if self.picking.is_some() {
            &PICKER
        } else {
            &MAIN
        }
    }

    /// Moves the period shown by one, earlier (`-1`) or later.
    fn step(&mut self, by: i64, out: &mut Vec<Command>) {
        let Some(Ok(reps)) = &self.reps else {
            return;
        };
        self.at = if by < 0 {
            reps.previous.period.from
        } else {
            reps.period.to
        };
        self.ask(true, out);
    }
}

impl Screen for Analytics {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keymap_now().action(key) else {
            return;
        };
        if let Some(cursor) = self.picking {
            let count = self.pipelines().len();
            match action {
                A::Up => self.picking = Some(cursor.saturating_sub(1)),
                A::Down => self.picking = Some((cursor + 1).min(count.saturating_sub(1))),
                A::Choose => {
                    self.picking = None;
                    if cursor != self.pipeline && cursor < count {
                        self.pipeline = cursor;
                        self.selected = 0;
                        self.ask(true, out);
                    }
                }
                A::Back => self.picking = None,
                _ => {}
            }
            return;
        }
        let rows = self.sorted().len();
        match action {
            A::Help => out.push(Command::Help),
            A::Back => out.push(Command::Close),
            A::Go(area) => out.push(Command::Go(area)),
            A::NextArea => out.push(Command::Go(Area::Analytics.step(1))),
            A::PrevArea => out.push(Command::Go(Area::Analytics.step(-1))),
            A::Up => self.selected = self.selected.saturating_sub(1),
            A::Down => self.selected = (self.selected + 1).min(rows.saturating_sub(1)),
            A::SortLeft | A::SortRight => {
                let i = Column::ALL
                    .iter()
                    .position(|c| *c == self.sort)
                    .unwrap_or(0);
                let n = Column::ALL.len();
                self.sort = Column::ALL[if action == A::SortLeft {
                    (i + n - 1) % n
                } else {
                    (i + 1) % n
                }];
                // Names read best A to Z; numbers, largest first.
                self.descending = self.sort != Column::Rep;
            }
            A::Reverse => self.descending = !self.descending,
            A::Week | A::Month | A::Quarter => {
                self.timeframe = match action {
                    A::Week => Timeframe::Week,
                    A::Month => Timeframe::Month,
                    _ => Timeframe::Quarter,
                };
                self.ask(true, out);
            }
            A::Earlier => self.step(-1, out),
            A::Later => self.step(1, out),
            A::Pick if !self.pipelines().is_empty() => self.picking = Some(self.pipeline),
            A::Chart => self.chart_counts = !self.chart_counts,
            _ => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Pipelines(result) => {
                self.pipelines = Some(result);
                self.pipeline = 0;
                self.ask(true, out);
            }
            Reply::Funnel { generation, result } => {
                if generation == self.generation {
                    self.funnel = Some(result);
                    self.waiting = self.waiting.saturating_sub(1);
                }
            }
            Reply::Reps { generation, result } => {
                if generation == self.generation {
                    self.reps = Some(result);
                    self.waiting = self.waiting.saturating_sub(1);
                    self.selected = self.selected.min(self.sorted().len().saturating_sub(1));
                }
            }
            Reply::Trend { generation, result } => {
                if generation == self.generation {
                    self.trend = Some(result);
                    self.waiting = self.waiting.saturating_sub(1);
                }
            }
            other => return Some(other),
        }
        None
    }

    fn area(&self) -> Option<Area> {
        Some(Area::Analytics)
    }

    fn shown_again(&mut self, out: &mut Vec<Command>) {
        // The pipeline, period and sort stay; the numbers are asked again at once.
        if self.waiting == 0 {
            self.ask(false, out);
        }
    }

    fn tick(&mut self, _view: &View<'_>, out: &mut Vec<Command>) {
        self.ticks_since_asked += 1;
        if self.waiting == 0 && self.ticks_since_asked >= REFRESH_TICKS {
            self.ask(false, out);
        }
    }

    fn busy(&self) -> bool {
        self.pipelines.is_none() || self.waiting > 0
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let title = match self.shown() {
            Some(p) => format!(" Analytics · {} ", p.name),
            None => " Analytics ".into(),
        };
        let block = Block::new().borders(Borders::ALL).title(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        match &self.pipelines {
            None => {
                frame.render_widget(
                    Paragraph::new(format!("{} Loading pipelines…", spinner(view.tick))),
                    inner,
                );
                return;
            }
            Some(Err(e)) => {
                frame.render_widget(
                    Paragraph::new(format!("Could not load the pipelines: {e}")).red(),
                    inner,
                );
                return;
            }
            Some(Ok(p)) if p.is_empty() => {
                frame.render_widget(
                    Paragraph::new("No pipelines yet: deals live in pipelines.").dim(),
                    inner,
                );
                return;
            }
            Some(Ok(_)) => {}
        }
        let stages = self.shown().map_or(0, |p| {
            p.stages
                .iter()
                .filter(|s| s.kind != StageKind::Lost)
                .count()
        });
        let [funnel, reps, chart] = Layout::vertical([
            Constraint::Length(u16::try_from(stages).unwrap_or(10) + 3),
            Constraint::Min(5),
            // A third of what is left for the chart, within reason.
            Constraint::Length((inner.height / 3).clamp(8, 14)),
        ])
        .areas(inner);
        self.draw_funnel(frame, funnel, view);
        self.draw_reps(frame, reps, view);
        self.draw_chart(frame, chart, view);
        if let Some(cursor) = self.picking {
            self.draw_picker(frame, area, cursor);
        }
    }
}

/// `+3`, `−2`, `±0`.
fn change(now: u64, before: u64) -> String {
    match now.cmp(&before) {
        Ordering::Greater => format!("+{}", now - before),
        Ordering::Less => format!("−{}", before - now),
        Ordering::Equal => "±0".into(),
    }
}

/// A bar of `value` out of `max` in `width` cells, in eighths.
fn bar(value: u64, max: u64, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    if max == 0 || width == 0 {
        return String::new();
    }
    let eighths = u128::from(value) * (width as u128) * 8 / u128::from(max);
    let whole = usize::try_from(eighths / 8).unwrap_or(width);
    let mut text = "█".repeat(whole);
    let part = usize::try_from(eighths % 8).unwrap_or(0);
    if part > 0 {
        text.push(PARTS[part]);
    }
    text
}

/// A short name of a period for the chart: `W48`, `Nov`, `Q4 26`.
fn short(timeframe: Timeframe, period: Period) -> String {
    use chrono::Datelike;
    match timeframe {
        Timeframe::Week => format!("W{}", period.from.iso_week().week()),
        Timeframe::Month => period.from.format("%b").to_string(),
        Timeframe::Quarter => format!(
            "Q{} {}",
            period.from.month0() / 3 + 1,
            period.from.format("%y")
        ),
    }
}

fn span(timeframe: Timeframe, period: Period) -> String {
    let last = period.to - chrono::Duration::days(1);
    format!(
        "{} {} – {}",
        timeframe.as_str(),
        period.from.format("%Y-%m-%d"),
        last.format("%Y-%m-%d")
    )
}

/// `12.3k`, `4.5M`: a chart's value over a narrow bar.
fn compact(value: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a label, not a figure
    let v = value as f64;
    match value {
        0..1_000 => value.to_string(),
        1_000..1_000_000 => format!("{:.0}k", v / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", v / 1e6),
        _ => format!("{:.1}G", v / 1e9),
    }
}

impl Analytics {
    fn draw_funnel(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let funnel = match &self.funnel {
            None => {
                frame.render_widget(
                    Paragraph::new(format!("{} Counting the funnel…", spinner(view.tick))),
                    area,
                );
                return;
            }
            Some(Err(e)) => {
                frame.render_widget(
                    Paragraph::new(format!("Could not count the funnel: {e}")).red(),
                    area,
                );
                return;
            }
            Some(Ok(f)) => f,
        };
        if funnel.deals == 0 {
            frame.render_widget(
                Paragraph::new("No deals in this pipeline yet: the funnel fills as deals are created and moved.").dim(),
                area,
            );
            return;
        }
        let overall = funnel.overall_conversion.map_or_else(
            || "–".into(),
            |r| {
                format!(
                    "{} ({} of {})",
                    percent(Some(r)),
                    r.numerator,
                    r.denominator
                )
            },
        );
        let mut lines = vec![
            Line::from(vec![
                Span::styled("Funnel", Style::new().bold()),
                Span::raw(format!(
                    " · {} deals: {} won, {} lost, {} open · overall conversion {overall}",
                    funnel.deals, funnel.won, funnel.lost, funnel.open
                )),
            ]),
            Line::from(format!(
                "{:<16} {:>7}  {:<w$} {:>8} {:>9} {:>10} {:>6}",
                "Stage",
                "Reached",
                "",
                "To next",
                "Drop-off",
                "Lost after",
                "Days",
                w = usize::from(area.width).saturating_sub(64).max(4)
            ))
            .style(Style::new().underlined()),
        ];
        let width = usize::from(area.width).saturating_sub(64).max(4);
        let max = funnel.stages.iter().map(|s| s.reached).max().unwrap_or(0);
        for s in &funnel.stages {
            let name: String = s.name.chars().take(16).collect();
            let color = if s.kind == StageKind::Won {
                Color::Green
            } else {
                Color::Blue
            };
            lines.push(Line::from(vec![
                Span::raw(format!("{name:<16} {:>7}  ", s.reached)),
                Span::styled(
                    format!("{:<width$}", bar(s.reached, max, width)),
                    Style::new().fg(color),
                ),
                Span::raw(format!(
                    " {:>8} {:>9} {:>10} {:>6}",
                    percent(s.conversion_to_next),
                    percent(s.drop_off),
                    s.lost_after,
                    s.average_days_in_stage
                        .map_or_else(|| "–".into(), |d| format!("{d:.1}"))
                )),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn draw_reps(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let reps = match &self.reps {
            None => {
                frame.render_widget(
                    Paragraph::new(format!("{} Adding up the reps…", spinner(view.tick))),
                    area,
                );
                return;
            }
            Some(Err(e)) => {
                frame.render_widget(
                    Paragraph::new(format!("Could not add up the reps: {e}")).red(),
                    area,
                );
                return;
            }
            Some(Ok(r)) => r,
        };
        let title = Line::from(vec![
            Span::styled("Reps", Style::new().bold()),
            Span::raw(format!(
                " · {} (change against {})",
                span(self.timeframe, reps.period),
                span(self.timeframe, reps.previous.period)
            )),
        ]);
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        frame.render_widget(Paragraph::new(title), head);
        let rows = self.sorted();
        if rows.is_empty() {
            frame.render_widget(
                Paragraph::new(format!(
                    "No deals created or closed in this {}.",
                    self.timeframe.as_str()
                ))
                .dim(),
                body,
            );
            return;
        }
        let before = |id| reps.previous.reps.iter().find(|r| r.user_id == id);
        // A narrow terminal shows the first six columns whole (to the won value) rather than
        // all nine cut.
        let shown = if body.width < 110 {
            6
        } else {
            Column::ALL.len()
        };
        let table_rows = rows.iter().map(|r| {
            let b = before(r.user_id);
            let mut cells = vec![
                r.name.clone(),
                format!(
                    "{} {}",
                    r.deals_created,
                    change(r.deals_created, b.map_or(0, |b| b.deals_created))
                ),
                format!(
                    "{} {}",
                    r.deals_won,
                    change(r.deals_won, b.map_or(0, |b| b.deals_won))
                ),
                r.deals_lost.to_string(),
                rate_of(r.win_rate),
                amounts(&r.won_value),
                amounts(
                    &r.average_deal_size
                        .iter()
                        .map(|a| Money::new(a.amount, a.currency))
                        .collect::<Vec<_>>(),
                ),
                r.average_days_to_close
                    .map_or_else(|| "–".into(), |d| format!("{d:.1}")),
                format!("{:.2}", r.velocity),
            ];
            cells.truncate(shown);
            Row::new(cells)
        });
        let header = Row::new(Column::ALL.iter().take(shown).map(|c| {
            let mark = if *c == self.sort {
                if self.descending { " ▼" } else { " ▲" }
            } else {
                ""
            };
            let style = if *c == self.sort {
                Style::new().bold().underlined().fg(Color::Yellow)
            } else {
                Style::new().bold().underlined()
            };
            ratatui::widgets::Cell::from(format!("{}{mark}", c.title())).style(style)
        }));
        let widths = [
            Constraint::Min(14),
            Constraint::Length(10),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Length(12),
            Constraint::Min(16),
            Constraint::Min(14),
            Constraint::Length(15),
            Constraint::Length(10),
        ];
        let table = Table::new(table_rows, &widths[..shown])
            .header(header)
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
        let mut state = TableState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(table, body, &mut state);
    }

    fn draw_chart(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let points = match &self.trend {
            None => {
                frame.render_widget(
                    Paragraph::new(format!(
                        "{} Charting the last 12 periods…",
                        spinner(view.tick)
                    )),
                    area,
                );
                return;
            }
            Some(Err(e)) => {
                frame.render_widget(
                    Paragraph::new(format!("Could not chart the last periods: {e}")).red(),
                    area,
                );
                return;
            }
            Some(Ok(p)) => p,
        };
        // Value in the currency most won in; amounts of others are not added to it.
        let mut totals: Vec<Money> = Vec::new();
        for m in points.iter().flat_map(|p| &p.won_value) {
            match totals.iter_mut().find(|t| t.currency == m.currency) {
                Some(t) => t.amount = t.amount.saturating_add(m.amount),
                None => totals.push(*m),
            }
        }
        let currency = totals.iter().max_by_key(|m| m.amount).map(|m| m.currency);
        let (what, values): (String, Vec<u64>) = match (self.chart_counts, currency) {
            (false, Some(c)) => (
                format!(
                    "Won value per {}, {} (v: deals won)",
                    self.timeframe.as_str(),
                    c.code()
                ),
                points
                    .iter()
                    .map(|p| {
                        p.won_value
                            .iter()
                            .find(|m| m.currency == c)
                            .map_or(0, |m| (m.amount / c.minor_per_major()).unsigned_abs())
                    })
                    .collect(),
            ),
            _ => (
                format!("Deals won per {} (v: won value)", self.timeframe.as_str()),
                points.iter().map(|p| p.won).collect(),
            ),
        };
        let last = points.len().saturating_sub(1);
        let gap = 1_u16;
        let count = u16::try_from(points.len()).unwrap_or(12).max(1);
        let bar_width = (area.width.saturating_sub(count * gap) / count).clamp(1, 9);
        let bars: Vec<Bar<'_>> = points
            .iter()
            .zip(&values)
            .enumerate()
            .map(|(i, (p, v))| {
                let style = if i == last {
                    Style::new().fg(Color::Yellow)
                } else {
                    Style::new().fg(Color::Green)
                };
                Bar::default()
                    .value(*v)
                    .text_value(compact(*v))
                    .label(Line::from(short(self.timeframe, p.period)))
                    .style(style)
            })
            .collect();
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        frame.render_widget(
            Paragraph::new(Span::styled(what, Style::new().bold())),
            head,
        );
        if values.iter().all(|v| *v == 0) {
            frame.render_widget(Paragraph::new("Nothing won in these periods.").dim(), body);
            return;
        }
        frame.render_widget(
            BarChart::default()
                .data(ratatui::widgets::BarGroup::default().bars(&bars))
                .bar_width(bar_width)
                .bar_gap(gap)
                .value_style(Style::new().fg(Color::Black).bg(Color::Green)),
            body,
        );
    }

    fn draw_picker(&self, frame: &mut Frame<'_>, area: Rect, cursor: usize) {
        let pipelines = self.pipelines();
        let height = u16::try_from(pipelines.len()).unwrap_or(20).min(20) + 2;
        let popup = crate::client::ui::centered(area, 50, height);
        frame.render_widget(Clear, popup);
        let items: Vec<ListItem<'_>> = pipelines
            .iter()
            .map(|p| ListItem::new(format!("{} ({} stages)", p.name, p.stages.len())))
            .collect();
        let list = List::new(items)
            .block(Block::new().borders(Borders::ALL).title(" Pipeline "))
            .highlight_style(Style::new().bg(Color::Blue).fg(Color::White));
        let mut state = ListState::default().with_selected(Some(cursor));
        frame.render_stateful_widget(list, popup, &mut state);
    }
}

#[cfg(test)]
mod tests;

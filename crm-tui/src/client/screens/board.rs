//! The Deals tab as a board: a column per stage of one pipeline with its count and totals
//! (over every deal of the column, as the engine sums them) and its cards. The lists own it
//! (`b` on Deals) and pass it the keys that are the board's; it holds only the cards fetched —
//! a page a column, the next page when the selection nears the end — and draws only the cards
//! on screen, so a pipeline of 100,000 deals draws like one of ten.
//!
//! A card moved (`H`/`L`) is shown in its new column at once; the engine's answer then either
//! reloads the board (exact totals, the card where its order puts it) or puts the card back and
//! says why. A move into a won or lost stage asks first: it closes the deal.

use super::View;
use crate::client::format::{amounts, clip, money, spinner, thousands};
use crate::client::worker::{Failure, ListQuery, Record, Reply, Request};
use crm_core::deals::board::{Board as Answer, Card};
use crm_core::deals::{Deal, Pipeline, StageKind};
use crm_core::ids::{DealId, PipelineId, StageId};
use crm_core::money::{Currency, Money};
use crm_core::time::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Cards fetched per column at first and per page after.
pub const PER_COLUMN: u32 = 30;
/// Lines a card takes on screen, the gap under it included.
const CARD_LINES: u16 = 4;
/// The narrowest a column is drawn; fewer columns show at once on a narrow terminal.
const MIN_COLUMN_WIDTH: u16 = 24;
/// Fetch the column's next page when the selection comes this close to its last card.
const PREFETCH: usize = 5;

/// A card as the board holds it: the deal as a record (what `t`, `Q` and `Enter` act on) and
/// what its card shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub record: Record,
    pub customer: Option<String>,
    pub owner: Option<String>,
    pub in_stage_since: Timestamp,
}

impl Held {
    fn of(card: Card) -> Held {
        Held {
            customer: card.customer_name,
            owner: card.owner_name,
            in_stage_since: card.in_stage_since,
            record: Record::Deal(card.deal),
        }
    }

    fn deal(&self) -> &Deal {
        match &self.record {
            Record::Deal(d) => d,
            _ => unreachable!("a board holds deals"),
        }
    }
}

/// One stage of the board.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnState {
    pub stage: StageId,
    pub name: String,
    pub kind: StageKind,
    pub count: u64,
    pub totals: Vec<Money>,
    pub cards: Vec<Held>,
    pub next_cursor: Option<String>,
    pub selected: usize,
    /// Its next page is being fetched.
    pub loading: bool,
}

/// A move waiting for the person's yes (into a won or lost stage).
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub deal: DealId,
    pub to: usize,
    pub question: String,
}

/// The board's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardState {
    pub pipelines: Vec<Pipeline>,
    pub pipeline: Option<PipelineId>,
    pub columns: Vec<ColumnState>,
    /// The column with the focus.
    pub focus: usize,
    pub loading: bool,
    pub loaded: bool,
    pub error: Option<Failure>,
    /// Answers for an older board are dropped.
    pub generation: u64,
    /// The board as it was before each move in flight, to put back if the engine refuses.
    before_move: Vec<(DealId, Vec<ColumnState>, usize)>,
    /// The card to keep the focus on when the board comes again.
    follow: Option<DealId>,
    pub confirm: Option<Pending>,
}

impl BoardState {
    /// A board opening on `pipeline` (fetched at once), or on the first pipeline once they are
    /// known; the pipelines are asked for either way (the heading names one, `p` picks one).
    pub fn open(pipeline: Option<PipelineId>, query: &ListQuery) -> (BoardState, Vec<Request>) {
        let mut board = BoardState {
            pipeline,
            ..BoardState::default()
        };
        let mut asks = vec![Request::Pipelines];
        asks.extend(board.reload(query));
        board.loading = true;
        (board, asks)
    }

    /// Asks for the whole board again (after a filter, a move, another pipeline).
    pub fn reload(&mut self, query: &ListQuery) -> Option<Request> {
        let pipeline = self.pipeline?;
        self.generation += 1;
        self.loading = true;
        if self.follow.is_none() {
            self.follow = self.selected_deal().map(|d| d.id);
        }
        Some(Request::Board {
            pipeline,
            query: query.clone(),
            per_column: PER_COLUMN,
            generation: self.generation,
        })
    }

    /// Shows `pipeline`'s board.
    pub fn pick(&mut self, pipeline: PipelineId, query: &ListQuery) -> Option<Request> {
        self.pipeline = Some(pipeline);
        self.columns.clear();
        self.focus = 0;
        self.follow = None;
        self.before_move.clear();
        self.reload(query)
    }

    pub fn pipeline_name(&self) -> Option<&str> {
        let id = self.pipeline?;
        self.pipelines
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.as_str())
    }

    pub fn column(&self) -> Option<&ColumnState> {
        self.columns.get(self.focus)
    }

    pub fn selected(&self) -> Option<&Held> {
        self.column().and_then(|c| c.cards.get(c.selected))
    }

    pub fn selected_deal(&self) -> Option<&Deal> {
        self.selected().map(Held::deal)
    }

    /// Focus on the column `delta` away.
    pub fn step_column(&mut self, delta: isize) {
        if !self.columns.is_empty() {
            self.focus = self
                .focus
                .saturating_add_signed(delta)
                .min(self.columns.len() - 1);
        }
    }

    /// Moves the selection in the focused column; the next page when it nears the end.
    pub fn step_card(&mut self, delta: isize, query: &ListQuery) -> Option<Request> {
        let pipeline = self.pipeline?;
        let generation = self.generation;
        let column = self.columns.get_mut(self.focus)?;
        if column.cards.is_empty() {
            return None;
        }
        column.selected = column
            .selected
            .saturating_add_signed(delta)
            .min(column.cards.len() - 1);
        if column.selected + PREFETCH >= column.cards.len()
            && !column.loading
            && let Some(cursor) = column.next_cursor.clone()
        {
            column.loading = true;
            return Some(Request::BoardColumn {
                pipeline,
                stage: column.stage,
                query: query.clone(),
                cursor,
                generation,
            });
        }
        None
    }

    /// The first (`true`) or last fetched card of the focused column.
    pub fn select_end(&mut self, first: bool, query: &ListQuery) -> Option<Request> {
        let column = self.columns.get_mut(self.focus)?;
        let last = column.cards.len().saturating_sub(1);
        column.selected = if first { 0 } else { last };
        self.step_card(0, query)
    }

    /// The selected card moved one stage on (`1`) or back (`-1`): done at once, or a question
    /// first when the stage closes the deal. `None` when there is nowhere to move.
    pub fn start_move(&mut self, step: isize) -> Option<Request> {
        let deal = self.selected_deal()?.clone();
        let to = self.focus.checked_add_signed(step)?;
        let target = self.columns.get(to)?;
        if target.kind != StageKind::Open {
            let outcome = if target.kind == StageKind::Won {
                "won"
            } else {
                "lost"
            };
            self.confirm = Some(Pending {
                deal: deal.id,
                to,
                question: format!(
                    "Move “{}” to {}? It closes the deal as {outcome}. y/n",
                    clip(&deal.title, 40),
                    target.name
                ),
            });
            return None;
        }
        self.apply_move(deal.id, to)
    }

    /// The person answered the question: the move goes ahead or nothing changes.
    pub fn answer(&mut self, yes: bool) -> Option<Request> {
        let pending = self.confirm.take()?;
        if yes {
            self.apply_move(pending.deal, pending.to)
        } else {
            None
        }
    }

    /// Shows the card in column `to` at once and asks the engine to move it there.
    fn apply_move(&mut self, deal: DealId, to: usize) -> Option<Request> {
        let from = self
            .columns
            .iter()
            .position(|c| c.cards.iter().any(|h| h.deal().id == deal))?;
        let stage = self.columns.get(to)?.stage;
        self.before_move
            .push((deal, self.columns.clone(), self.focus));
        let source = &mut self.columns[from];
        let at = source.cards.iter().position(|h| h.deal().id == deal)?;
        let held = source.cards.remove(at);
        source.count = source.count.saturating_sub(1);
        let (value, currency) = (held.deal().value, held.deal().currency.clone());
        add(&mut source.totals, -value, &currency);
        source.selected = source.selected.min(source.cards.len().saturating_sub(1));
        let target = &mut self.columns[to];
        target.count += 1;
        add(&mut target.totals, value, &currency);
        target.cards.insert(0, held);
        target.selected = 0;
        self.focus = to;
        self.follow = Some(deal);
        Some(Request::MoveStage { deal, stage })
    }

    /// Takes the board's replies; gives back the others. `notice` says what the person should
    /// hear (a move refused).
    pub fn reply(
        &mut self,
        reply: Reply,
        query: &ListQuery,
        asks: &mut Vec<Request>,
        notice: &mut Option<String>,
    ) -> Option<Reply> {
        match reply {
            Reply::Pipelines(result) => match result {
                Ok(pipelines) => {
                    self.pipelines = pipelines;
                    if self.pipeline.is_none() {
                        if let Some(first) = self.pipelines.first().map(|p| p.id) {
                            asks.extend(self.pick(first, query));
                        } else {
                            self.loading = false;
                            self.loaded = true;
                        }
                    }
                }
                Err(e) => {
                    self.loading = false;
                    self.error = Some(e);
                }
            },
            Reply::Board { generation, result } if generation == self.generation => {
                self.loading = false;
                match result {
                    Ok(board) => {
                        self.error = None;
                        self.loaded = true;
                        self.show(board);
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            Reply::BoardColumn {
                generation,
                stage,
                result,
            } if generation == self.generation => {
                if let Some(column) = self.columns.iter_mut().find(|c| c.stage == stage) {
                    column.loading = false;
                    match result {
                        Ok(page) => {
                            column.cards.extend(page.items.into_iter().map(Held::of));
                            column.next_cursor = page.next_cursor;
                        }
                        Err(e) => *notice = Some(format!("cards not loaded: {e}")),
                    }
                }
            }
            // For a board asked for before the one shown.
            Reply::Board { .. } | Reply::BoardColumn { .. } => {}
            Reply::Moved { deal, result } => {
                let at = self.before_move.iter().position(|(d, ..)| *d == deal);
                let before = at.map(|i| self.before_move.remove(i));
                if let Err(e) = result {
                    if let Some((_, columns, focus)) = before {
                        self.columns = columns;
                        self.focus = focus;
                    }
                    let title = self
                        .selected_deal()
                        .filter(|d| d.id == deal)
                        .map_or_else(|| format!("#{deal}"), |d| format!("“{}”", d.title));
                    *notice = Some(format!("{title} not moved: {e}"));
                    self.follow = Some(deal);
                }
                // Exact totals and the card where its order puts it (also after a refusal:
                // someone else may have moved it).
                asks.extend(self.reload(query));
            }
            other => return Some(other),
        }
        None
    }

    /// Takes a fresh board, keeping the focus on the card it followed.
    fn show(&mut self, board: Answer) {
        let keep = self.column().map(|c| c.stage);
        let follow = self.follow.take();
        self.columns = board
            .columns
            .into_iter()
            .map(|c| ColumnState {
                stage: c.stage_id,
                name: c.name,
                kind: c.kind,
                count: c.count,
                totals: c.totals,
                cards: c.items.into_iter().map(Held::of).collect(),
                next_cursor: c.next_cursor,
                selected: 0,
                loading: false,
            })
            .collect();
        let found = follow.and_then(|deal| {
            self.columns.iter().enumerate().find_map(|(i, c)| {
                c.cards
                    .iter()
                    .position(|h| h.deal().id == deal)
                    .map(|at| (i, at))
            })
        });
        if let Some((i, at)) = found {
            self.focus = i;
            self.columns[i].selected = at;
        } else if let Some(i) = keep.and_then(|s| self.columns.iter().position(|c| c.stage == s)) {
            self.focus = i;
        } else {
            self.focus = self.focus.min(self.columns.len().saturating_sub(1));
        }
    }

    pub fn draw(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>, filtered: bool) {
        let mut heading = " Deals · board ".to_owned();
        if let Some(name) = self.pipeline_name() {
            heading = format!(" Deals · board · {} ", clip(name, 30));
        }
        if filtered {
            heading.push_str("· filtered ");
        }
        let block = Block::new().borders(Borders::ALL).title(heading);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let empty = if let Some(e) = &self.error {
            Some(format!("Could not load the board: {e}"))
        } else if self.columns.is_empty() && (self.loading || !self.loaded) {
            Some(format!("{} Loading the board…", spinner(view.tick)))
        } else if self.columns.is_empty() {
            Some("No pipelines yet: a board shows a pipeline's deals.".to_owned())
        } else {
            None
        };
        if let Some(text) = empty {
            frame.render_widget(Paragraph::new(text), inner);
            return;
        }
        let (first, shown) = self.columns_shown(inner);
        let fit = shown.len();
        for (i, area) in shown {
            self.draw_column(frame, area, i, view);
        }
        if first > 0 || first + fit < self.columns.len() {
            let more = format!(
                " {}{}/{} ",
                if first > 0 { "◀ " } else { "" },
                self.focus + 1,
                self.columns.len()
            );
            let more = if first + fit < self.columns.len() {
                format!("{more}▶ ")
            } else {
                more
            };
            let at = Rect {
                x: inner
                    .right()
                    .saturating_sub(more.chars().count() as u16 + 1),
                y: area.bottom().saturating_sub(1),
                width: more.chars().count() as u16,
                height: 1,
            };
            frame.render_widget(Line::from(more).dim(), at);
        }
        if let Some(pending) = &self.confirm {
            let width = (pending.question.chars().count() as u16 + 4).min(area.width);
            let at = Rect {
                x: area.x + area.width.saturating_sub(width) / 2,
                y: area.y + area.height / 2,
                width,
                height: 3.min(area.height),
            };
            frame.render_widget(Clear, at);
            frame.render_widget(
                Paragraph::new(pending.question.as_str())
                    .wrap(Wrap { trim: true })
                    .block(Block::new().borders(Borders::ALL).yellow()),
                at,
            );
        }
    }

    /// The columns on screen in the board's `inner` area — as many as fit at their narrowest,
    /// the focused one always among them — each with its area, and the first one's index.
    fn columns_shown(&self, inner: Rect) -> (usize, Vec<(usize, Rect)>) {
        if self.columns.is_empty() {
            return (0, Vec::new());
        }
        let fit = usize::from((inner.width / MIN_COLUMN_WIDTH).max(1)).min(self.columns.len());
        let first = self
            .focus
            .saturating_sub(fit - 1)
            .min(self.columns.len() - fit);
        let areas = Layout::horizontal(vec![Constraint::Ratio(1, fit as u32); fit]).split(inner);
        (
            first,
            (first..first + fit).zip(areas.iter().copied()).collect(),
        )
    }

    /// Where a column's cards are drawn: their area, how many fit, the first one shown.
    fn cards_area(&self, area: Rect, i: usize) -> (Rect, usize, usize) {
        let column = &self.columns[i];
        let inner = Block::new()
            .borders(Borders::TOP | Borders::RIGHT)
            .inner(area);
        let totals = column.totals.len().clamp(1, 3) as u16 + 1;
        let [_, cards] =
            Layout::vertical([Constraint::Length(totals), Constraint::Min(0)]).areas(inner);
        let shown = usize::from((cards.height / CARD_LINES).max(1));
        (cards, shown, scrolled(column.selected, shown))
    }

    /// A click at (`x`, `y`) on the board drawn in `area`: the column hit, and the card if one
    /// was.
    pub fn hit(&self, area: Rect, x: u16, y: u16) -> Option<(usize, Option<usize>)> {
        let inner = Block::new().borders(Borders::ALL).inner(area);
        let (_, shown) = self.columns_shown(inner);
        let (i, column) = shown
            .into_iter()
            .find(|(_, a)| x >= a.x && x < a.right() && y >= a.y && y < a.bottom())?;
        let (cards, _, offset) = self.cards_area(column, i);
        let card = (y >= cards.y && y < cards.bottom())
            .then(|| offset + usize::from((y - cards.y) / CARD_LINES))
            .filter(|n| *n < self.columns[i].cards.len());
        Some((i, card))
    }

    /// Focus on column `i` and its card `card`.
    pub fn select(&mut self, i: usize, card: Option<usize>, query: &ListQuery) -> Option<Request> {
        self.focus = i.min(self.columns.len().saturating_sub(1));
        if let (Some(card), Some(column)) = (card, self.columns.get_mut(self.focus)) {
            column.selected = card;
        }
        self.step_card(0, query)
    }

    fn draw_column(&self, frame: &mut Frame<'_>, area: Rect, i: usize, view: &View<'_>) {
        let column = &self.columns[i];
        let focused = i == self.focus;
        let mark = match column.kind {
            StageKind::Open => "",
            StageKind::Won => " ✓",
            StageKind::Lost => " ✗",
        };
        let title = format!(
            " {}{mark} · {} ",
            clip(&column.name, area.width.saturating_sub(12).into()),
            thousands(column.count)
        );
        let style = if focused {
            Style::new().fg(Color::Yellow).bold()
        } else {
            Style::new()
        };
        let block = Block::new()
            .borders(Borders::TOP | Borders::RIGHT)
            .title(Line::styled(title, style));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let width = usize::from(inner.width.saturating_sub(1));
        // A line per currency (never added together), up to three; a gap under them.
        let mut lines: Vec<Line> = column
            .totals
            .iter()
            .take(3)
            .map(|m| Line::from(clip(&m.to_string(), width)).dim())
            .collect();
        if column.totals.len() > 3 {
            lines[2] = Line::from(clip(&amounts(&column.totals[2..]), width)).dim();
        }
        if lines.is_empty() {
            lines.push(Line::from("–").dim());
        }
        let (cards, shown, offset) = self.cards_area(area, i);
        let totals = Rect {
            height: cards.y.saturating_sub(inner.y),
            ..inner
        };
        frame.render_widget(Paragraph::new(lines), totals);
        if column.cards.is_empty() {
            frame.render_widget(Paragraph::new("no deals").dim(), cards);
            return;
        }
        // Only the cards on screen are drawn.
        let lines: Vec<Line> = column
            .cards
            .iter()
            .enumerate()
            .skip(offset)
            .take(shown)
            .flat_map(|(n, held)| {
                let d = held.deal();
                let days = (view.now - held.in_stage_since).num_days().max(0);
                let chosen = focused && n == column.selected;
                let style = if chosen {
                    Style::new()
                        .bg(Color::Blue)
                        .fg(Color::White)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::new()
                };
                let who = held.customer.as_deref().unwrap_or("no customer");
                [
                    Line::styled(pad(&clip(&d.title, width), width), style.bold()),
                    Line::styled(
                        pad(
                            &clip(&format!("{} · {who}", money(d.value, &d.currency)), width),
                            width,
                        ),
                        style,
                    ),
                    Line::styled(
                        pad(
                            &clip(
                                &format!(
                                    "{days}d in stage · {}",
                                    held.owner.as_deref().unwrap_or("no owner")
                                ),
                                width,
                            ),
                            width,
                        ),
                        if chosen { style } else { style.dim() },
                    ),
                    Line::raw(""),
                ]
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), cards);
        if column.loading {
            let at = Rect {
                y: cards.bottom().saturating_sub(1),
                height: 1,
                ..cards
            };
            frame.render_widget(Line::from("…").dim(), at);
        }
    }
}

/// The first card on screen: the top one until the selected card would fall below the last
/// shown, then so that it is the last shown.
fn scrolled(selected: usize, shown: usize) -> usize {
    (selected + 1).saturating_sub(shown)
}

fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

/// Adds `amount` to the total of `currency` (a column's totals, while a move is in flight).
fn add(totals: &mut Vec<Money>, amount: i64, currency: &str) {
    let Ok(currency) = Currency::parse("currency", currency) else {
        return;
    };
    if let Some(m) = totals.iter_mut().find(|m| m.currency == currency) {
        m.amount += amount;
    } else {
        totals.push(Money::new(amount, currency));
        totals.sort_by_key(|m| m.currency.to_string());
    }
    totals.retain(|m| m.amount != 0 || m.currency != currency);
}

#[cfg(test)]
mod tests;

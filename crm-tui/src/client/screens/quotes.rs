//! A deal's quotes (`Q` on a deal): every revision with its status, total and dates, newest
//! first. `Enter` opens one in the composer (a draft to edit, anything else to read and decide),
//! `n` starts a new one from a template or none.

use super::composer::Composer;
use super::{Areas, Command, Screen, View};
use crate::client::format::{date, money, spinner};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Reply, Request};
use crm_core::ids::DealId;
use crm_core::quotes::templates::QuoteTemplate;
use crm_core::quotes::{Quote, QuoteStatus};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::widgets::{
    Block, Borders, Clear, List, ListItem, ListState, Paragraph, Row, Table, TableState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Open,
    New,
    Pick,
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
const HELP: Binding<Action> = each(&[(K::Char('?'), A::Help)], "?", "this help");

/// On the list of quotes.
const LIST: Keymap<Action> = Keymap {
    title: "Keys in a deal's quotes",
    bindings: &[
        MOVE,
        each(
            &[(K::Enter, A::Open)],
            "Enter",
            "open the quote (a draft to edit, a sent one to accept or reject)",
        ),
        each(
            &[(K::Char('n'), A::New)],
            "n",
            "a new quote, from a template or none",
        ),
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "back",
        ),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Open], "Enter", "open"),
        hint(&[A::New], "n", "new"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// Picking the template a new quote starts from.
const PICK: Keymap<Action> = Keymap {
    title: "Keys when picking a template",
    bindings: &[
        MOVE,
        each(&[(K::Enter, A::Pick)], "Enter", "start the quote from it"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
        HELP,
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Pick], "Enter", "start"),
        hint(&[A::Back], "Esc", "cancel"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// A deal's quotes.
#[derive(Debug, Clone)]
pub struct Quotes {
    deal: DealId,
    title: String,
    items: Option<Result<Vec<Quote>, Failure>>,
    selected: usize,
    /// Picking a template: the templates (`None` while they load) and the choice (0: none).
    picking: Option<(Option<Vec<QuoteTemplate>>, usize)>,
}

impl Quotes {
    /// The quotes of deal `deal` (titled `title`), and the request for them.
    pub fn new(deal: DealId, title: &str) -> (Quotes, Request) {
        let screen = Quotes {
            deal,
            title: title.to_owned(),
            items: None,
            selected: 0,
            picking: None,
        };
        (screen, Request::Quotes(deal))
    }

    /// The quote under the cursor.
    #[cfg(test)]
    pub fn selected_quote(&self) -> Option<crm_core::ids::QuoteId> {
        self.quotes().get(self.selected).map(|q| q.id)
    }

    fn quotes(&self) -> &[Quote] {
        self.items
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map_or(&[], Vec::as_slice)
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        if self.picking.is_some() { &PICK } else { &LIST }
    }
}

/// A status's colour: what needs doing stands out, what is over is dim.
pub fn status_style(status: QuoteStatus) -> Style {
    match status {
        QuoteStatus::Draft => Style::new().fg(Color::Yellow),
        QuoteStatus::Sent => Style::new().fg(Color::Cyan),
        QuoteStatus::Accepted => Style::new().fg(Color::Green).bold(),
        QuoteStatus::Rejected | QuoteStatus::Expired => Style::new().fg(Color::Red),
        QuoteStatus::Superseded => Style::new().dim(),
    }
}

impl Screen for Quotes {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keymap_now().action(key) else {
            return;
        };
        let count = self.quotes().len();
        if let Some((templates, choice)) = &mut self.picking {
            let options = templates.as_ref().map_or(0, |t| t.len() + 1);
            match action {
                A::Help => out.push(Command::Help),
                A::Back => self.picking = None,
                A::Up => *choice = choice.saturating_sub(1),
                A::Down => *choice = (*choice + 1).min(options.saturating_sub(1)),
                A::Pick if options > 0 => {
                    let template = choice
                        .checked_sub(1)
                        .and_then(|i| templates.as_ref().and_then(|t| t.get(i)))
                        .map(|t| t.id);
                    self.picking = None;
                    // Nothing is made until the composer saves: Esc leaves no empty draft.
                    let (composer, asks) = Composer::new_draft(self.deal, template, &self.title);
                    out.push(Command::Push(Box::new(composer)));
                    out.extend(asks.into_iter().map(Command::Ask));
                }
                _ => {}
            }
            return;
        }
        match action {
            A::Help => out.push(Command::Help),
            A::Back => out.push(Command::Close),
            A::Up => self.selected = self.selected.saturating_sub(1),
            A::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            A::Open => {
                if let Some(q) = self.quotes().get(self.selected) {
                    let (composer, asks) = Composer::open(q.id, &self.title);
                    out.push(Command::Push(Box::new(composer)));
                    out.extend(asks.into_iter().map(Command::Ask));
                }
            }
            A::New => {
                self.picking = Some((None, 0));
                out.push(Command::Ask(Request::QuoteSetup));
            }
            A::Pick => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Quotes { deal, result } if deal == self.deal => {
                let held = self.quotes().get(self.selected).map(|q| q.id);
                let newest = self.quotes().iter().map(|q| (q.updated_at, q.id)).max();
                self.items = Some(result);
                let quotes = self.quotes();
                // Back from the composer, the cursor is on the quote just changed (saved, sent,
                // revised into a new one); otherwise it stays where it was.
                let changed = newest.and_then(|newest| {
                    quotes
                        .iter()
                        .enumerate()
                        .filter(|(_, q)| (q.updated_at, q.id) > newest)
                        .max_by_key(|(_, q)| (q.updated_at, q.id))
                        .map(|(i, _)| i)
                });
                self.selected = changed
                    .or_else(|| held.and_then(|id| quotes.iter().position(|q| q.id == id)))
                    .unwrap_or(0);
            }
            Reply::QuoteSetup(result) if self.picking.is_some() => match result {
                Ok((templates, _)) => self.picking = Some((Some(templates), 0)),
                Err(e) => {
                    self.picking = None;
                    out.push(Command::Notice(format!("no templates: {e}")));
                }
            },
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        frame.render_widget(Clear, area);
        let block = Block::new()
            .borders(Borders::ALL)
            .title(format!(" Quotes of deal {} ", self.title));
        match &self.items {
            None => frame.render_widget(
                Paragraph::new(format!("{} Loading quotes…", spinner(view.tick))).block(block),
                area,
            ),
            Some(Err(e)) => frame.render_widget(
                Paragraph::new(format!("Could not load the quotes: {e}"))
                    .red()
                    .block(block),
                area,
            ),
            Some(Ok(items)) if items.is_empty() => frame.render_widget(
                Paragraph::new("No quotes for this deal yet. n starts one.")
                    .dim()
                    .block(block),
                area,
            ),
            Some(Ok(items)) => {
                let rows = items.iter().map(|q| {
                    Row::new(vec![
                        ratatui::text::Span::raw(q.number.clone()),
                        q.revision.to_string().into(),
                        ratatui::text::Span::styled(q.status.to_string(), status_style(q.status)),
                        money(q.totals.total, q.currency.code()).into(),
                        q.line_count.to_string().into(),
                        q.valid_until.map_or_else(|| "—".into(), date).into(),
                        q.sent_at.map_or_else(|| "—".into(), date).into(),
                    ])
                });
                let widths = [
                    Constraint::Length(13),
                    Constraint::Length(4),
                    Constraint::Length(11),
                    Constraint::Min(16),
                    Constraint::Length(6),
                    Constraint::Length(12),
                    Constraint::Length(11),
                ];
                let table = Table::new(rows, widths)
                    .header(
                        Row::new([
                            "Number",
                            "Rev",
                            "Status",
                            "Total",
                            "Lines",
                            "Valid until",
                            "Sent",
                        ])
                        .style(Style::new().bold().underlined()),
                    )
                    .block(block)
                    .row_highlight_style(
                        Style::new()
                            .bg(Color::Blue)
                            .fg(Color::White)
                            .add_modifier(Modifier::BOLD),
                    );
                let mut state = TableState::default().with_selected(Some(self.selected));
                frame.render_stateful_widget(table, area, &mut state);
            }
        }
        if let Some((templates, choice)) = &self.picking {
            let popup = crate::client::ui::centered(area, 60, 12);
            frame.render_widget(Clear, popup);
            let block = Block::new()
                .borders(Borders::ALL)
                .title(" Start the quote from ");
            match templates {
                None => frame.render_widget(
                    Paragraph::new(format!("{} Loading templates…", spinner(view.tick)))
                        .block(block),
                    popup,
                ),
                Some(templates) => {
                    let mut items = vec![ListItem::new("No template: an empty quote")];
                    items.extend(templates.iter().map(|t| {
                        let valid = t
                            .valid_days
                            .map_or_else(String::new, |d| format!(" · valid {d} days"));
                        ListItem::new(format!("{} ({} lines{valid})", t.name, t.lines.len()))
                    }));
                    let [list, _] =
                        Layout::vertical([Constraint::Min(1), Constraint::Length(0)]).areas(popup);
                    let mut state = ListState::default().with_selected(Some(*choice));
                    frame.render_stateful_widget(
                        List::new(items)
                            .block(block)
                            .highlight_style(Style::new().bg(Color::Blue).fg(Color::White)),
                        list,
                        &mut state,
                    );
                }
            }
        }
    }

    fn busy(&self) -> bool {
        self.items.is_none() || self.picking.as_ref().is_some_and(|(t, _)| t.is_none())
    }
}

#[cfg(test)]
pub(crate) mod tests;

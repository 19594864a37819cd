//! The composer's picture: the quote's head, its lines with the field being edited and the
//! fields at fault marked, the totals, and the pickers over them.

use super::{Composer, Evaluated, FIELDS, Mode, Pending, Target};
use crate::client::field::Field;
use crate::client::format::{date, money, spinner};
use crate::client::screens::View;
use crate::client::screens::quotes::status_style;
use crm_core::money::Money;
use crm_core::quotes::render::percent;
use crm_core::quotes::totals::TaxRounding;
use crm_core::quotes::{Quote, QuoteStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, List, ListItem, ListState, Paragraph, Row, Table, TableState,
};

impl Composer {
    pub(super) fn draw_screen(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        frame.render_widget(Clear, area);
        let quote = match &self.quote {
            None => {
                frame.render_widget(
                    Paragraph::new(format!("{} Loading the quote…", spinner(view.tick)))
                        .block(Block::new().borders(Borders::ALL).title(" Quote ")),
                    area,
                );
                return;
            }
            Some(Err(e)) => {
                frame.render_widget(
                    Paragraph::new(format!("Could not load the quote: {e}"))
                        .red()
                        .block(Block::new().borders(Borders::ALL).title(" Quote ")),
                    area,
                );
                return;
            }
            Some(Ok(q)) => q,
        };
        let evaluated = self.evaluate();
        let [head, body, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(5),
            Constraint::Length(1),
        ])
        .areas(area);
        self.draw_head(frame, head, quote);
        // Narrower than the lines and the totals side by side: the totals go under the lines,
        // so no amount is cut.
        let [lines, sums] = if body.width >= 98 {
            Layout::horizontal([Constraint::Min(60), Constraint::Length(38)]).areas(body)
        } else {
            let rates = evaluated.totals.as_ref().map_or(1, |t| t.tax.len()) as u16;
            Layout::vertical([Constraint::Min(5), Constraint::Length(9 + rates)]).areas(body)
        };
        self.draw_lines(frame, lines, quote, &evaluated);
        self.draw_totals(frame, sums, quote, &evaluated);
        let footer = match (&self.mode, evaluated.faults.first()) {
            (Mode::Confirm(pending), _) => self.question(pending, quote, &evaluated).yellow(),
            (
                Mode::Edit {
                    target: Target::Line(_, col),
                    ..
                },
                _,
            ) => Line::from(format!(
                "Editing {} — Enter keeps it, Esc cancels",
                FIELDS[*col]
            )),
            (
                Mode::Edit {
                    target: target @ (Target::Notes | Target::Terms),
                    ..
                },
                _,
            ) => Line::from(format!(
                "Editing the {} — Enter keeps them, Alt-Enter starts a line, Esc cancels",
                if *target == Target::Notes {
                    "notes"
                } else {
                    "terms"
                }
            )),
            (
                Mode::Edit {
                    target: Target::ValidUntil,
                    ..
                },
                _,
            ) => Line::from(
                "Editing the last day the quote is valid (YYYY-MM-DD, empty for none) — Enter keeps it",
            ),
            (
                Mode::Edit {
                    target: Target::Discount,
                    ..
                },
                _,
            ) => Line::from("Editing the quote's discount (%) — Enter keeps it, Esc cancels"),
            (_, Some((line, col, why))) if *line == usize::MAX => {
                Line::from(format!("Quote discount: {why}")).red()
            }
            (_, Some((line, col, why))) => {
                Line::from(format!("Line {}, {}: {why}", line + 1, FIELDS[*col])).red()
            }
            _ if self.dirty => Line::from("Unsaved changes (s saves)").yellow(),
            _ => Line::from(""),
        };
        frame.render_widget(Paragraph::new(footer), foot);
        match &self.mode {
            Mode::Product { filter, choice } => self.draw_picker(frame, body, filter, *choice),
            Mode::Reason(text) => {
                let popup = crate::client::ui::centered(body, 64, 3);
                frame.render_widget(Clear, popup);
                let block = Block::new()
                    .borders(Borders::ALL)
                    .title(" Why did the customer say no? (Enter rejects) ");
                let inner = block.inner(popup);
                frame.render_widget(block, popup);
                frame.render_widget(text.line(inner.width, true), inner);
            }
            Mode::Edit {
                target: target @ (Target::Notes | Target::Terms),
                text,
            } => {
                let popup = crate::client::ui::centered(body, 72, 12);
                frame.render_widget(Clear, popup);
                let block = Block::new()
                    .borders(Borders::ALL)
                    .title(if *target == Target::Notes {
                        " Notes (Enter keeps, Alt-Enter new line) "
                    } else {
                        " Terms (Enter keeps, Alt-Enter new line) "
                    });
                let inner = block.inner(popup);
                frame.render_widget(block, popup);
                text.render(frame, inner);
            }
            _ => {}
        }
    }

    /// The question before sending or accepting, naming what will happen.
    fn question(&self, pending: &Pending, q: &Quote, evaluated: &Evaluated) -> Line<'static> {
        let code = q.currency.code();
        match pending {
            Pending::Send(_) => {
                let total = evaluated.totals.as_ref().map_or_else(
                    |_| String::new(),
                    |t| format!(" ({})", money(t.total, code)),
                );
                let what = if self.new.is_some() {
                    "Make and send the new quote".to_owned()
                } else {
                    format!("Send {}", q.label())
                };
                Line::from(format!(
                    "{what}{total} for deal {}? It can no longer be edited. y/n",
                    self.deal_title
                ))
            }
            Pending::Accept => Line::from(format!(
                "Accept {}? Deal {} is won with {}. y/n",
                q.label(),
                self.deal_title,
                money(q.totals.total, code)
            )),
        }
    }

    fn draw_head(&self, frame: &mut Frame<'_>, area: Rect, q: &Quote) {
        let mut first = Line::from(vec![
            Span::styled(format!("Quote {}", self.label(q)), Style::new().bold()),
            Span::raw("  "),
            Span::styled(q.status.to_string(), status_style(q.status)),
            Span::raw(format!(
                "  · deal {} · {} · ",
                self.deal_title,
                q.currency.code()
            )),
        ]);
        match &self.mode {
            Mode::Edit {
                target: Target::ValidUntil,
                text,
            } => {
                first.spans.push(Span::raw("valid until "));
                first.spans.extend(text.line(11, true).spans);
            }
            _ => first.spans.push(Span::raw(self.valid_until.map_or_else(
                || "no validity date".into(),
                |u| format!("valid until {}", date(u)),
            ))),
        }
        let second = match (q.status, &q.reject_reason) {
            (QuoteStatus::Rejected, Some(reason)) => {
                Line::from(format!("Rejected: {reason}")).red()
            }
            (QuoteStatus::Draft, _) if self.new.is_some() => Line::from(
                "A new draft: nothing is made until s saves it (Esc leaves nothing behind).",
            )
            .dim(),
            (QuoteStatus::Draft, _) => {
                Line::from("A draft: edit the lines; the totals follow as you type.".to_owned())
                    .dim()
            }
            (QuoteStatus::Expired, _) => Line::from(format!(
                "Its validity ended {} — v revises it into a new draft.",
                q.valid_until.map_or_else(String::new, date)
            ))
            .red(),
            (QuoteStatus::Sent, _) => Line::from(format!(
                "Sent {} — frozen: accept, reject or revise it.",
                q.sent_at.map_or_else(String::new, date)
            ))
            .dim(),
            _ => Line::from(""),
        };
        frame.render_widget(Paragraph::new(vec![first, second]), area);
    }

    fn draw_lines(&self, frame: &mut Frame<'_>, area: Rect, q: &Quote, evaluated: &Evaluated) {
        let block = Block::new()
            .borders(Borders::ALL)
            .title(format!(" Lines ({}) ", self.lines.len()));
        if self.lines.is_empty() {
            let text = if q.status == QuoteStatus::Draft {
                "No lines yet. a adds one: a product or free text."
            } else {
                "No lines."
            };
            frame.render_widget(Paragraph::new(text).dim().block(block), area);
            return;
        }
        let draft = q.status == QuoteStatus::Draft;
        let editing = match &self.mode {
            Mode::Edit {
                target: Target::Line(row, col),
                text,
            } => Some(((*row, *col), text)),
            _ => None,
        };
        let widths = [
            Constraint::Length(3),
            Constraint::Min(18),
            Constraint::Length(9),
            Constraint::Length(12),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(13),
        ];
        // The table's own column split (one column between), so the field being typed scrolls
        // inside its cell.
        let columns = Layout::horizontal(widths)
            .spacing(1)
            .split(block.inner(area));
        let rows = self.lines.iter().enumerate().map(|(i, l)| {
            let mut cells = vec![Cell::from(format!("{}", i + 1))];
            for (col, text) in l.cells.iter().enumerate() {
                let typing = editing.filter(|((r, c), _)| *r == i && *c == col);
                let shown = match typing {
                    Some((_, typed)) => typed.line(columns[col + 1].width, true),
                    None => Line::from(text.clone()),
                };
                let mut style = Style::new();
                if evaluated
                    .faults
                    .iter()
                    .any(|(r, c, _)| *r == i && *c == col)
                {
                    style = style.fg(Color::Red).add_modifier(Modifier::UNDERLINED);
                }
                if draft && i == self.row && col == self.col && typing.is_none() {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                cells.push(Cell::from(shown).style(style));
            }
            let net = evaluated.amounts.get(i).copied().flatten().map_or_else(
                || "—".into(),
                |a| Money::new(a.net, q.currency).amount_text(),
            );
            cells.push(Cell::from(net));
            Row::new(cells)
        });
        let mut header = vec!["#"];
        header.extend(FIELDS);
        header.push("Net");
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(Style::new().bold().underlined()))
            .block(block)
            .row_highlight_style(Style::new().bg(Color::Blue).fg(Color::White));
        let mut state = TableState::default().with_selected(Some(self.row));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_totals(&self, frame: &mut Frame<'_>, area: Rect, q: &Quote, evaluated: &Evaluated) {
        let code = q.currency.code();
        let amount = |minor: i64| money(minor, code);
        let rounding = match self.rounding {
            TaxRounding::PerLine => "per line",
            TaxRounding::Global => "global",
        };
        let mut discount = Line::from("Quote discount  ");
        match &self.mode {
            Mode::Edit {
                target: Target::Discount,
                text,
            } => discount.spans.extend(text.line(8, true).spans),
            _ => discount.spans.push(Span::raw(self.discount.clone())),
        }
        discount.spans.push(Span::raw("%"));
        let mut text = vec![
            discount,
            Line::from(format!("Tax rounding    {rounding}")),
            Line::from(""),
        ];
        match &evaluated.totals {
            Ok(t) => {
                text.push(Line::from(format!("Subtotal  {:>24}", amount(t.subtotal))));
                text.push(Line::from(format!("Discount  {:>24}", amount(-t.discount))));
                for rate in &t.tax {
                    text.push(Line::from(format!(
                        "Tax {:<6}{:>24}",
                        percent(rate.rate_bp),
                        amount(rate.amount)
                    )));
                }
                text.push(Line::from(format!("Total     {:>24}", amount(t.total))).bold());
            }
            Err(why) if !why.is_empty() => {
                text.push(Line::from("Totals wait for every field:").red());
                text.push(Line::from(why.clone()).red());
            }
            Err(_) => text.push(Line::from("—")),
        }
        for (label, value) in [("Notes", &self.notes), ("Terms", &self.terms)] {
            if let Some(value) = value {
                text.push(Line::from(""));
                text.push(Line::from(format!("{label}:")).dim());
                text.extend(value.lines().map(|l| Line::from(l.to_owned()).dim()));
            }
        }
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(Block::new().borders(Borders::ALL).title(" Totals ")),
            area,
        );
    }

    fn draw_picker(&self, frame: &mut Frame<'_>, area: Rect, filter: &Field, choice: usize) {
        let popup = crate::client::ui::centered(area, 64, 14);
        frame.render_widget(Clear, popup);
        let currency = self.currency();
        let typed = filter.text();
        let mut items = vec![ListItem::new(if typed.trim().is_empty() {
            "Free text line (type its description)".to_owned()
        } else {
            format!("Free text line: {}", typed.trim())
        })];
        match &self.products {
            None => items.push(ListItem::new("Loading the products…").dim()),
            Some(_) => items.extend(self.offered(&typed).into_iter().map(|p| {
                let price = if Some(p.unit_price.currency) == currency {
                    p.unit_price.to_string()
                } else {
                    format!("{} (another currency)", p.unit_price)
                };
                ListItem::new(format!(
                    "{}  {}  {price}",
                    p.name,
                    p.sku.as_deref().unwrap_or("")
                ))
            })),
        }
        let mut state = ListState::default().with_selected(Some(choice));
        let mut title = Line::from(" Add a line — filter: ");
        title
            .spans
            .extend(filter.line(popup.width.saturating_sub(26), true).spans);
        title.spans.push(Span::raw(" "));
        frame.render_stateful_widget(
            List::new(items)
                .block(Block::new().borders(Borders::ALL).title(title))
                .highlight_style(Style::new().bg(Color::Blue).fg(Color::White)),
            popup,
            &mut state,
        );
    }
}

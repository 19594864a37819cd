//! The auto-link review: a dry run shown as a table, applied on `Enter`.

use super::{Areas, Command, Screen, View};
use crate::client::format::spinner;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::{Failure, Reply, Request, Tab};
use crm_core::links::AutoLinkReport;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Apply,
    Cancel,
}

use Action as A;
use KeyCode as K;

const KEYS: Keymap<Action> = Keymap {
    title: "Keys in the auto-link review",
    bindings: &[
        each(&[(K::Up, A::Up), (K::Char('k'), A::Up)], "↑ k", "up"),
        each(
            &[(K::Down, A::Down), (K::Char('j'), A::Down)],
            "↓ j",
            "down",
        ),
        each(&[(K::PageUp, A::PageUp)], "PgUp", "page up"),
        each(&[(K::PageDown, A::PageDown)], "PgDn", "page down"),
        each(&[(K::Enter, A::Apply)], "Enter", "apply these links"),
        each(
            &[(K::Esc, A::Cancel), (K::Char('q'), A::Cancel)],
            "Esc q",
            "cancel",
        ),
    ] as &[Binding<Action>],
    hints: &[
        hint(
            &[A::Up, A::Down, A::PageUp, A::PageDown],
            "↑↓ PgUp PgDn",
            "scroll",
        ),
        hint(&[A::Apply], "Enter", "apply these links"),
        hint(&[A::Cancel], "Esc", "cancel"),
    ],
};

/// The review's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    pub report: Option<AutoLinkReport>,
    pub error: Option<Failure>,
    pub offset: usize,
    /// The apply request is in flight.
    pub applying: bool,
}

impl Screen for Review {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        let page = view.rows.max(1);
        let rows = self
            .report
            .as_ref()
            .map_or(0, |rep| rep.matches.len() + rep.ambiguities.len());
        let last = rows.saturating_sub(1);
        match KEYS.action(key) {
            Some(A::Cancel) if !self.applying => out.push(Command::Close),
            Some(A::Down) => self.offset = (self.offset + 1).min(last),
            Some(A::Up) => self.offset = self.offset.saturating_sub(1),
            Some(A::PageDown) => self.offset = (self.offset + page).min(last),
            Some(A::PageUp) => self.offset = self.offset.saturating_sub(page),
            Some(A::Apply) if !self.applying => {
                if let Some(report) = &self.report
                    && !report.matches.is_empty()
                {
                    self.applying = true;
                    let tickets = report.matches.iter().map(|m| m.ticket_id).collect();
                    out.push(Command::Ask(Request::AutoLinkApply { tickets }));
                }
            }
            _ => {}
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::AutoLinkPlanned(result) => match result {
                Ok(report) => self.report = Some(report),
                Err(e) => self.error = Some(e),
            },
            Reply::AutoLinkApplied(result) => {
                out.push(Command::Close);
                match result {
                    Ok(report) => {
                        out.push(Command::Notice(format!(
                            "auto-link: {} linked to a lead, {} to a deal, {} ambiguous left alone",
                            report.linked_to_lead, report.linked_to_deal, report.ambiguous
                        )));
                        // The rows changed: fetch the tickets again, and the detail.
                        out.push(Command::Reload(Tab::Tickets));
                    }
                    Err(e) => out.push(Command::Notice(format!("auto-link not applied: {e}"))),
                }
            }
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        let area = areas.main;
        let review = self;

        let block = Block::new()
            .borders(Borders::ALL)
            .title(" Auto-link review (dry run: nothing is linked until Enter) ");
        frame.render_widget(Clear, area);
        let Some(report) = &review.report else {
            let text = match &review.error {
                Some(e) => format!("Could not run auto-link: {e}"),
                None => format!(
                    "{} Matching tickets to leads and deals…",
                    spinner(view.tick)
                ),
            };
            frame.render_widget(Paragraph::new(text).block(block), area);
            return;
        };
        let summary = format!(
            "examined {} · would link {} to a lead and {} to a deal · {} ambiguous (left alone) · {} already linked · {} unmatched",
            report.examined,
            report.linked_to_lead,
            report.linked_to_deal,
            report.ambiguous,
            report.already_linked,
            report.unmatched
        );
        let [top, table] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(block.inner(area));
        frame.render_widget(block, area);
        frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: true }), top);
        let id = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), |v| format!("#{v}"));
        let rows = report
            .matches
            .iter()
            .map(|m| {
                vec![
                    format!("#{}", m.ticket_id),
                    id(m.lead_id.map(|l| l.0)),
                    id(m.deal_id.map(|d| d.0)),
                    format!("{:?}", m.matched_by).to_lowercase(),
                    m.evidence.clone(),
                ]
            })
            .chain(report.ambiguities.iter().map(|a| {
                let ids: Vec<String> = a.candidates.iter().map(|c| format!("#{c}")).collect();
                vec![
                    format!("#{}", a.ticket_id),
                    format!("ambiguous {}", a.kind),
                    ids.join(" "),
                    format!("{:?}", a.matched_by).to_lowercase(),
                    a.evidence.clone(),
                ]
            }));
        // Only the rows on screen become widgets.
        let visible = rows
            .skip(review.offset)
            .take(usize::from(table.height))
            .map(Row::new);
        let widths = [
            Constraint::Length(8),
            Constraint::Length(16),
            Constraint::Length(16),
            Constraint::Length(9),
            Constraint::Min(10),
        ];
        let header = Row::new(["Ticket", "Lead", "Deal", "Matched", "Evidence"])
            .style(Style::new().bold().underlined());
        frame.render_widget(Table::new(visible, widths).header(header), table);
    }

    fn busy(&self) -> bool {
        self.applying || (self.report.is_none() && self.error.is_none())
    }
}

#[cfg(test)]
mod tests;

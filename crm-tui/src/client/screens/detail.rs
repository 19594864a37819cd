//! The detail of a record: its fields, then its related records (a customer's tickets and deals,
//! a deal's stage history, a ticket's links and events, …). The lists show it beside the list or
//! full-screen; the record viewer shows it for a search hit or a timeline event.

use crate::client::format::{date, datetime, money, name_of, opt, spinner, stage_of};
use crate::client::worker::{Detail, Failure, Lookups, Names, Record, RecordKey, Related};
use crm_core::search::SearchType;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// The keymap of the focus in a record's related records, over a screen's own actions: `↑↓`
/// choose, `Enter` opens, `← Tab Esc` go back; `$more` bindings and `$hint`s after those.
macro_rules! related_keymap {
    ($up:expr, $down:expr, $open:expr, $back:expr $(, $more:expr)* ; hints $(, $hint:expr)*) => {
        $crate::client::keys::Keymap {
            title: "Keys in a record's related records",
            bindings: &[
                $crate::client::keys::each(
                    &[
                        (crossterm::event::KeyCode::Up, $up),
                        (crossterm::event::KeyCode::Char('k'), $up),
                        (crossterm::event::KeyCode::Down, $down),
                        (crossterm::event::KeyCode::Char('j'), $down),
                    ],
                    "↑↓ jk",
                    "choose a related record",
                ),
                $crate::client::keys::each(
                    &[(crossterm::event::KeyCode::Enter, $open)],
                    "Enter",
                    "open it over this one (Esc comes back)",
                ),
                $crate::client::keys::each(
                    &[
                        (crossterm::event::KeyCode::Left, $back),
                        (crossterm::event::KeyCode::Char('h'), $back),
                        (crossterm::event::KeyCode::Tab, $back),
                        (crossterm::event::KeyCode::BackTab, $back),
                        (crossterm::event::KeyCode::Esc, $back),
                    ],
                    "← h Tab Esc",
                    "back to the record",
                ),
                $($more,)*
            ],
            hints: &[
                $crate::client::keys::hint(&[$up, $down], "↑↓", "choose"),
                $crate::client::keys::hint(&[$open], "Enter", "open"),
                $crate::client::keys::hint(&[$back], "← Esc", "back"),
                $($hint,)*
            ],
        }
    };
}
pub(crate) use related_keymap;

/// Where the detail of the selected record stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailState {
    Loading(RecordKey),
    Ready(RecordKey, Detail),
    Failed(RecordKey, Failure),
}

impl DetailState {
    pub fn key(&self) -> RecordKey {
        let (DetailState::Loading(k) | DetailState::Ready(k, _) | DetailState::Failed(k, _)) = self;
        *k
    }
}

pub fn field(label: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:>13} "), Style::new().dim()),
        Span::raw(value.into()),
    ])
}

pub fn section(title: &str) -> Line<'static> {
    Line::from(Span::styled(
        format!("── {title} "),
        Style::new().fg(Color::Yellow),
    ))
}

/// A record a field points at: its name and number (`Ada Lovelace #12`), or its number while
/// the name is not known.
fn named(name: Option<&(i64, String)>, id: Option<i64>) -> String {
    match (name, id) {
        (_, None) => "—".into(),
        (Some((_, name)), Some(id)) => format!("{name} #{id}"),
        (None, Some(id)) => format!("#{id}"),
    }
}

/// A record's fields; `selected`: the openable row with the focus (see [`openable`]), which may
/// be the customer, lead or deal a field names.
pub fn record_lines(
    lookups: Option<&Lookups>,
    record: &Record,
    names: Option<&Names>,
    selected: Option<usize>,
) -> Vec<Line<'static>> {
    let opens = names.map(belongs).unwrap_or_default();
    let lit = |kind: SearchType, line: Line<'static>| {
        if selected.is_some() && selected == opens.iter().position(|(k, _)| *k == kind) {
            line.reversed()
        } else {
            line
        }
    };
    let customer = |id: Option<i64>| {
        lit(
            SearchType::Customer,
            field(
                "customer",
                named(names.and_then(|n| n.customer.as_ref()), id),
            ),
        )
    };
    let lead = |id: Option<i64>| {
        lit(
            SearchType::Lead,
            field("lead", named(names.and_then(|n| n.lead.as_ref()), id)),
        )
    };
    let deal = |id: Option<i64>| {
        lit(
            SearchType::Deal,
            field("deal", named(names.and_then(|n| n.deal.as_ref()), id)),
        )
    };
    match record {
        Record::Customer(c) => vec![
            Line::from(c.name.clone()).bold(),
            field("email", opt(c.email.as_deref())),
            field("phone", opt(c.phone.as_deref())),
            field("company", opt(c.company.as_deref())),
            field(
                "tags",
                if c.tags.is_empty() {
                    "—".into()
                } else {
                    c.tags.join(", ")
                },
            ),
            field("churn risk", format!("{}/100", c.churn_risk)),
            field(
                "last contact",
                c.last_contact_at.map_or_else(|| "—".into(), datetime),
            ),
            field("customer since", date(c.created_at)),
            field("external id", opt(c.external_id.as_deref())),
        ],
        Record::Lead(l) => vec![
            Line::from(l.name.clone()).bold(),
            field("status", l.status.to_string()),
            field("score", format!("{}/100", l.score)),
            field("email", opt(l.email.as_deref())),
            field("phone", opt(l.phone.as_deref())),
            field("company", opt(l.company.as_deref())),
            field("owner", name_of(lookups, l.owner_id.map(|u| u.0))),
            field("source", opt(l.source.as_deref())),
            customer(l.customer_id.map(|c| c.0)),
            field("created", date(l.created_at)),
        ],
        Record::Deal(d) => vec![
            Line::from(d.title.clone()).bold(),
            field("value", money(d.value, &d.currency)),
            field("stage", stage_of(lookups, d.stage_id.0)),
            field("status", d.status.to_string()),
            field("owner", name_of(lookups, d.owner_id.map(|u| u.0))),
            customer(d.customer_id.map(|c| c.0)),
            lead(d.lead_id.map(|l| l.0)),
            field(
                "expected",
                d.expected_close_at.map_or_else(|| "—".into(), date),
            ),
            field("closed", d.closed_at.map_or_else(|| "—".into(), date)),
            field("opened", date(d.created_at)),
        ],
        Record::Quote(q) => vec![
            Line::from(q.label()).bold(),
            field("status", q.status.to_string()),
            field("total", money(q.totals.total, q.currency.code())),
            deal(Some(q.deal_id.0)),
            customer(q.customer_id.map(|c| c.0)),
            field(
                "valid until",
                q.valid_until.map_or_else(|| "—".into(), date),
            ),
            field("sent", q.sent_at.map_or_else(|| "—".into(), date)),
            field("created", date(q.created_at)),
            Line::from("Enter opens it in the composer").dim(),
        ],
        Record::Ticket(t) => vec![
            Line::from(t.subject.clone()).bold(),
            field("status", t.status.to_string()),
            field("priority", t.priority.to_string()),
            field("channel", t.channel.to_string()),
            field("assignee", name_of(lookups, t.assignee_id.map(|u| u.0))),
            customer(t.customer_id.map(|c| c.0)),
            field("requester", opt(t.requester_email.as_deref())),
            field("phone", opt(t.requester_phone.as_deref())),
            field("company", opt(t.requester_company.as_deref())),
            field("opened", datetime(t.created_at)),
            Line::default(),
            Line::from(t.description.clone()),
        ],
    }
}

/// The records a record belongs to (its customer, lead, deal), in the order they open.
fn belongs(names: &Names) -> Vec<(SearchType, i64)> {
    [
        (SearchType::Customer, &names.customer),
        (SearchType::Lead, &names.lead),
        (SearchType::Deal, &names.deal),
    ]
    .into_iter()
    .filter_map(|(kind, named)| named.as_ref().map(|(id, _)| (kind, *id)))
    .collect()
}

/// The records a person can open from a detail, in the order they are drawn: the ones its
/// fields name (customer, lead, deal), then its related records.
pub fn openable(detail: &Detail) -> Vec<(SearchType, i64)> {
    let belongs = belongs(&detail.names);
    let tickets = |t: &[crm_core::tickets::Ticket]| {
        t.iter()
            .map(|t| (SearchType::Ticket, t.id.0))
            .collect::<Vec<_>>()
    };
    let deals = |d: &[crm_core::deals::Deal]| {
        d.iter()
            .map(|d| (SearchType::Deal, d.id.0))
            .collect::<Vec<_>>()
    };
    let related = match &detail.related {
        Related::Customer {
            tickets: t,
            deals: d,
        } => [tickets(t), deals(d)].concat(),
        Related::Lead {
            deals: d,
            tickets: t,
            ..
        } => [deals(d), tickets(t)].concat(),
        Related::Deal { tickets: t, .. } => tickets(t),
        Related::Quote(_) => Vec::new(),
        Related::Ticket { lead, deal, .. } => lead
            .iter()
            .map(|l| (SearchType::Lead, l.id.0))
            .chain(deal.iter().map(|d| (SearchType::Deal, d.id.0)))
            .collect(),
    };
    [belongs, related].concat()
}

/// The related records under a record's fields. `link_keys`: the L and D keys work here (the
/// Tickets tab), so say so. `selected`: the openable row (in [`openable`]'s order) with the
/// focus, shown reversed.
pub fn related_lines(
    lookups: Option<&Lookups>,
    detail: &Detail,
    link_keys: bool,
    selected: Option<usize>,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    // Each openable row, counted as it is drawn, so the focus lands on the same row `openable`
    // names; the records it belongs to come first, in its fields.
    let mut row = belongs(&detail.names).len();
    let mut open = |line: Line<'static>| {
        let lit = selected == Some(row);
        row += 1;
        if lit { line.reversed() } else { line }
    };
    let ticket = |t: &crm_core::tickets::Ticket| {
        Line::from(format!(
            "#{} {} · {} · {}",
            t.id,
            date(t.created_at),
            t.status,
            t.subject
        ))
    };
    match &detail.related {
        Related::Customer { tickets, deals } => {
            lines.push(section("Tickets"));
            if tickets.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for t in tickets {
                lines.push(open(ticket(t)));
            }
            lines.push(section("Deals"));
            if deals.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for d in deals {
                lines.push(open(Line::from(format!(
                    "#{} {} · {} · {}",
                    d.id,
                    d.title,
                    d.status,
                    money(d.value, &d.currency)
                ))));
            }
        }
        Related::Lead {
            activities,
            deals,
            tickets,
        } => {
            lines.push(section("Activities"));
            if activities.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for a in activities {
                lines.push(Line::from(format!(
                    "{} {} · {}",
                    datetime(a.occurred_at),
                    a.kind,
                    a.body.as_deref().unwrap_or("")
                )));
            }
            lines.push(section("Deals"));
            if deals.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for d in deals {
                lines.push(open(Line::from(format!(
                    "#{} {} · {}",
                    d.id, d.title, d.status
                ))));
            }
            lines.push(section("Linked tickets"));
            if tickets.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for t in tickets {
                lines.push(open(ticket(t)));
            }
        }
        Related::Deal { history, tickets } => {
            lines.push(section("Stage history"));
            for h in history {
                let from = h
                    .from_stage_id
                    .map_or_else(|| "created".to_owned(), |s| stage_of(lookups, s.0));
                lines.push(Line::from(format!(
                    "{} {from} → {}",
                    datetime(h.at),
                    stage_of(lookups, h.to_stage_id.0)
                )));
            }
            lines.push(section("Linked tickets"));
            if tickets.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for t in tickets {
                lines.push(open(ticket(t)));
            }
        }
        Related::Quote(q) => {
            lines.push(section("Lines"));
            let code = q.currency.code();
            for (i, l) in q.lines.iter().flatten().enumerate() {
                lines.push(Line::from(format!(
                    "{}. {} × {} = {}",
                    i + 1,
                    l.quantity,
                    crate::client::format::clip(&l.description, 28),
                    money(l.net, code)
                )));
            }
            if q.line_count == 0 {
                lines.push(Line::from("no lines").dim());
            }
            if let Some(notes) = &q.notes {
                lines.push(section("Notes"));
                lines.extend(notes.lines().map(|l| Line::from(l.to_owned())));
            }
        }
        Related::Ticket { events, lead, deal } => {
            lines.push(section("Links"));
            lines.push(match lead {
                Some(l) => open(Line::from(format!(
                    "lead #{} {} · {}",
                    l.id, l.name, l.status
                ))),
                None if link_keys => Line::from("no lead (L to link)").dim(),
                None => Line::from("no lead").dim(),
            });
            lines.push(match deal {
                Some(d) => open(Line::from(format!(
                    "deal #{} {} · {}",
                    d.id, d.title, d.status
                ))),
                None if link_keys => Line::from("no deal (D to link)").dim(),
                None => Line::from("no deal").dim(),
            });
            lines.push(section("Events"));
            for e in events {
                let who = e
                    .actor_id
                    .map(|a| format!(" · {}", name_of(lookups, Some(a.0))))
                    .unwrap_or_default();
                lines.push(Line::from(format!(
                    "{} {}{who}",
                    datetime(e.occurred_at),
                    e.kind
                )));
                if let Some(body) = &e.body {
                    lines.push(Line::from(format!("    {body}")).dim());
                }
            }
        }
    }
    lines
}

/// The selected record and its detail (`None` while it has not been asked for) in a bordered pane.
/// `selected`: the related record with the focus, if the detail has it.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    record: Option<&Record>,
    state: Option<&DetailState>,
    lookups: Option<&Lookups>,
    tick: u64,
    selected: Option<usize>,
) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(if selected.is_some() {
            " Detail · related: ↑↓ choose, Enter opens, ← back "
        } else {
            " Detail "
        });
    let Some(record) = record else {
        frame.render_widget(Paragraph::new("").block(block), area);
        return;
    };
    let names = match state {
        Some(DetailState::Ready(_, detail)) => Some(&detail.names),
        _ => None,
    };
    let mut lines = record_lines(lookups, record, names, selected);
    lines.push(Line::default());
    match state {
        Some(DetailState::Ready(_, detail)) => {
            lines.extend(related_lines(lookups, detail, true, selected));
        }
        Some(DetailState::Failed(_, e)) => {
            lines.push(Line::from(format!("Could not load related records: {e}")).red());
        }
        Some(DetailState::Loading(_)) | None => {
            lines.push(Line::from(format!("{} loading related records…", spinner(tick))).dim());
        }
    }
    let scroll = focus_scroll(&lines, area.height);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// How far a pane of `height` rows scrolls so that the line with the focus (reversed) is on
/// screen.
pub fn focus_scroll(lines: &[Line<'_>], height: u16) -> u16 {
    let at = lines
        .iter()
        .position(|l| l.style.add_modifier.contains(Modifier::REVERSED))
        .unwrap_or(0);
    u16::try_from(at.saturating_sub(usize::from(height.saturating_sub(4)))).unwrap_or(u16::MAX)
}

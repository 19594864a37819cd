//! Rendering: a pure function of the [`App`] state. Only the rows on screen are drawn.

use crate::app::{Action, App, Detail, DetailState, KEYS, Record, Tab};
use crate::timeline::{Opened, Viewer};
use crm_core::time::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState, Tabs, Wrap};

/// List rows that fit a terminal `height` rows tall: minus the tab bar, the status line, the
/// list's borders and its header.
pub fn list_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(5)).max(1)
}

pub const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [tabs, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_tabs(frame, app, tabs);
    if let Some(viewer) = &app.viewer {
        draw_viewer(frame, app, viewer, main);
    } else if let Some(view) = &app.timeline {
        crate::timeline::draw(frame, view, app.tick, main);
    } else if app.open {
        draw_detail(frame, app, main);
    } else {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                .areas(main);
        draw_list(frame, app, list);
        draw_detail(frame, app, detail);
    }
    draw_status(frame, app, status);
    if let Some(review) = &app.review {
        draw_review(frame, app, review, main);
    }
    if let Some(picker) = &app.picker {
        draw_picker(frame, picker, frame.area());
    }
    if let Some(palette) = &app.palette
        && app.viewer.is_none()
    {
        crate::palette::draw(frame, palette, app.tick, main);
    }
    if app.help {
        draw_help(frame, app, frame.area());
    }
}

fn draw_tabs(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let titles = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, t.title()));
    let selected = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
    let tenant = app
        .lookups
        .as_ref()
        .map_or(app.tenant.as_str(), |l| l.tenant_name.as_str());
    let [left, right] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(tenant.chars().count() as u16 + 6),
    ])
    .areas(area);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(Style::new().fg(Color::Yellow).bold())
            .divider("│"),
        left,
    );
    frame.render_widget(
        Line::from(format!("crm · {tenant}")).right_aligned().dim(),
        right,
    );
}

fn header(tab: Tab) -> (Vec<&'static str>, Vec<Constraint>) {
    use Constraint::{Length, Min};
    match tab {
        Tab::Customers => (
            vec!["ID", "Name", "Email", "Company", "Risk", "Last contact"],
            vec![Length(6), Min(14), Min(18), Min(12), Length(4), Length(12)],
        ),
        Tab::Leads => (
            vec!["ID", "Name", "Company", "Status", "Score", "Owner"],
            vec![Length(6), Min(14), Min(12), Length(11), Length(5), Min(10)],
        ),
        Tab::Deals => (
            vec!["ID", "Title", "Stage", "Status", "Value", "Owner"],
            vec![Length(6), Min(16), Min(14), Length(6), Length(14), Min(10)],
        ),
        Tab::Tickets => (
            vec!["ID", "Subject", "Status", "Priority", "Channel", "Opened"],
            vec![
                Length(6),
                Min(18),
                Length(7),
                Length(8),
                Length(7),
                Length(10),
            ],
        ),
    }
}

fn date(t: Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn datetime(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn opt(s: Option<&str>) -> String {
    s.unwrap_or("—").to_owned()
}

/// Minor units as `USD 1,234.56`, with the currency's own decimals (`JPY 1,235`, `KWD 1.234`).
pub fn money(minor: i64, currency: &str) -> String {
    match crm_core::money::Currency::parse("currency", currency) {
        Ok(currency) => crm_core::money::Money::new(minor, currency).to_string(),
        // Stored codes are valid; show anything else as it is rather than hide the amount.
        Err(_) => format!("{currency} {minor}"),
    }
}

fn name_of(app: &App, id: Option<i64>) -> String {
    match id {
        None => "—".to_owned(),
        Some(id) => app
            .lookups
            .as_ref()
            .and_then(|l| l.users.get(&id))
            .cloned()
            .unwrap_or_else(|| format!("user {id}")),
    }
}

fn stage_of(app: &App, id: i64) -> String {
    app.lookups
        .as_ref()
        .and_then(|l| l.stages.get(&id))
        .cloned()
        .unwrap_or_else(|| format!("stage {id}"))
}

fn cells(app: &App, record: &Record) -> Vec<String> {
    match record {
        Record::Customer(c) => vec![
            c.id.to_string(),
            c.name.clone(),
            opt(c.email.as_deref()),
            opt(c.company.as_deref()),
            c.churn_risk.to_string(),
            c.last_contact_at.map_or_else(|| "—".into(), date),
        ],
        Record::Lead(l) => vec![
            l.id.to_string(),
            l.name.clone(),
            opt(l.company.as_deref()),
            l.status.to_string(),
            l.score.to_string(),
            name_of(app, l.owner_id.map(|u| u.0)),
        ],
        Record::Deal(d) => vec![
            d.id.to_string(),
            d.title.clone(),
            stage_of(app, d.stage_id.0),
            d.status.to_string(),
            money(d.value, &d.currency),
            name_of(app, d.owner_id.map(|u| u.0)),
        ],
        Record::Ticket(t) => vec![
            t.id.to_string(),
            t.subject.clone(),
            t.status.to_string(),
            t.priority.to_string(),
            t.channel.to_string(),
            date(t.created_at),
        ],
    }
}

fn draw_list(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let list = app.list();
    let more = if list.next_cursor.is_some() { "+" } else { "" };
    let position = if list.rows.is_empty() {
        String::new()
    } else {
        format!(" {}/{}{more} ", list.selected + 1, list.rows.len())
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" {} ", app.tab.title()))
        .title_bottom(Line::from(position).right_aligned());
    if list.rows.is_empty() {
        let text = if let Some(e) = &list.error {
            format!("Could not load {}: {e}", app.tab.title().to_lowercase())
        } else if list.loading || !list.loaded {
            format!(
                "{} Loading {}…",
                SPINNER[(app.tick % 8) as usize],
                app.tab.title().to_lowercase()
            )
        } else {
            format!("No {} yet.", app.tab.title().to_lowercase())
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let (titles, widths) = header(app.tab);
    // Only the rows on screen become widgets: a frame costs the same at any list size.
    let visible = list
        .rows
        .iter()
        .skip(list.offset)
        .take(list_rows(area.height + 2));
    let rows = visible.map(|r| Row::new(cells(app, r)));
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

fn field(label: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:>13} "), Style::new().dim()),
        Span::raw(value.into()),
    ])
}

fn section(title: &str) -> Line<'static> {
    Line::from(Span::styled(
        format!("── {title} "),
        Style::new().fg(Color::Yellow),
    ))
}

fn record_lines(app: &App, record: &Record) -> Vec<Line<'static>> {
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
            field("owner", name_of(app, l.owner_id.map(|u| u.0))),
            field("source", opt(l.source.as_deref())),
            field(
                "customer",
                l.customer_id
                    .map_or_else(|| "—".into(), |c| format!("#{c}")),
            ),
            field("created", date(l.created_at)),
        ],
        Record::Deal(d) => vec![
            Line::from(d.title.clone()).bold(),
            field("value", money(d.value, &d.currency)),
            field("stage", stage_of(app, d.stage_id.0)),
            field("status", d.status.to_string()),
            field("owner", name_of(app, d.owner_id.map(|u| u.0))),
            field(
                "customer",
                d.customer_id
                    .map_or_else(|| "—".into(), |c| format!("#{c}")),
            ),
            field(
                "lead",
                d.lead_id.map_or_else(|| "—".into(), |l| format!("#{l}")),
            ),
            field(
                "expected",
                d.expected_close_at.map_or_else(|| "—".into(), date),
            ),
            field("closed", d.closed_at.map_or_else(|| "—".into(), date)),
            field("opened", date(d.created_at)),
        ],
        Record::Ticket(t) => vec![
            Line::from(t.subject.clone()).bold(),
            field("status", t.status.to_string()),
            field("priority", t.priority.to_string()),
            field("channel", t.channel.to_string()),
            field("assignee", name_of(app, t.assignee_id.map(|u| u.0))),
            field(
                "customer",
                t.customer_id
                    .map_or_else(|| "—".into(), |c| format!("#{c}")),
            ),
            field("requester", opt(t.requester_email.as_deref())),
            field("phone", opt(t.requester_phone.as_deref())),
            field("company", opt(t.requester_company.as_deref())),
            field("opened", datetime(t.created_at)),
            Line::default(),
            Line::from(t.description.clone()),
        ],
    }
}

/// `link_keys`: the L and D keys work here (the Tickets tab), so say so.
fn related_lines(app: &App, detail: &Detail, link_keys: bool) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match detail {
        Detail::Customer { tickets, deals } => {
            lines.push(section("Tickets"));
            if tickets.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for t in tickets {
                lines.push(Line::from(format!(
                    "#{} {} · {} · {}",
                    t.id,
                    date(t.created_at),
                    t.status,
                    t.subject
                )));
            }
            lines.push(section("Deals"));
            if deals.is_empty() {
                lines.push(Line::from("none").dim());
            }
            for d in deals {
                lines.push(Line::from(format!(
                    "#{} {} · {} · {}",
                    d.id,
                    d.title,
                    d.status,
                    money(d.value, &d.currency)
                )));
            }
        }
        Detail::Lead {
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
                lines.push(Line::from(format!("#{} {} · {}", d.id, d.title, d.status)));
            }
            ticket_lines(&mut lines, tickets);
        }
        Detail::Deal { history, tickets } => {
            lines.push(section("Stage history"));
            for h in history {
                let from = h
                    .from_stage_id
                    .map_or_else(|| "created".to_owned(), |s| stage_of(app, s.0));
                lines.push(Line::from(format!(
                    "{} {from} → {}",
                    datetime(h.at),
                    stage_of(app, h.to_stage_id.0)
                )));
            }
            ticket_lines(&mut lines, tickets);
        }
        Detail::Ticket { events, lead, deal } => {
            lines.push(section("Links"));
            lines.push(match lead {
                Some(l) => Line::from(format!("lead #{} {} · {}", l.id, l.name, l.status)),
                None if link_keys => Line::from("no lead (L to link)").dim(),
                None => Line::from("no lead").dim(),
            });
            lines.push(match deal {
                Some(d) => Line::from(format!("deal #{} {} · {}", d.id, d.title, d.status)),
                None if link_keys => Line::from("no deal (D to link)").dim(),
                None => Line::from("no deal").dim(),
            });
            lines.push(section("Events"));
            for e in events {
                let who = e
                    .actor_id
                    .map(|a| format!(" · {}", name_of(app, Some(a.0))))
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

fn ticket_lines(lines: &mut Vec<Line<'static>>, tickets: &[crm_core::tickets::Ticket]) {
    lines.push(section("Linked tickets"));
    if tickets.is_empty() {
        lines.push(Line::from("none").dim());
    }
    for t in tickets {
        lines.push(Line::from(format!(
            "#{} {} · {} · {}",
            t.id,
            date(t.created_at),
            t.status,
            t.subject
        )));
    }
}

fn draw_detail(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = Block::new().borders(Borders::ALL).title(" Detail ");
    let Some(record) = app.list().selected_record() else {
        frame.render_widget(Paragraph::new("").block(block), area);
        return;
    };
    let mut lines = record_lines(app, record);
    lines.push(Line::default());
    match app.selected_detail() {
        Some(DetailState::Ready(_, detail)) => lines.extend(related_lines(app, detail, true)),
        Some(DetailState::Failed(_, e)) => {
            lines.push(Line::from(format!("Could not load related records: {e}")).red());
        }
        Some(DetailState::Loading(_)) | None => {
            lines.push(
                Line::from(format!(
                    "{} loading related records…",
                    SPINNER[(app.tick % 8) as usize]
                ))
                .dim(),
            );
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The status line's hints: the keys that do something here, briefly.
fn hints(app: &App) -> &'static [(&'static str, &'static str)] {
    if app.help {
        &[("? Esc q", "close help")]
    } else if app.viewer.is_some() {
        &[("Esc Enter", "back")]
    } else if app.palette.is_some() {
        &[
            ("type", "search"),
            ("↑↓", "choose"),
            ("Tab", "hits / facets"),
            ("Enter", "open / toggle filter"),
            ("Esc", "close"),
        ]
    } else if app.timeline.is_some() {
        &[
            ("↑↓ jk", "move"),
            ("1-6", "types"),
            ("e c p w s a", "channels"),
            ("r", "range"),
            ("0", "clear"),
            ("Enter", "open"),
            ("Esc", "back"),
            ("?", "help"),
        ]
    } else if app.picker.is_some() {
        &[
            ("type", "filter"),
            ("↑↓", "choose"),
            ("Enter", "link"),
            ("Esc", "cancel"),
        ]
    } else if app.review.is_some() {
        &[
            ("↑↓ PgUp PgDn", "scroll"),
            ("Enter", "apply these links"),
            ("Esc", "cancel"),
        ]
    } else if app.open {
        &[
            ("↑↓ jk", "previous/next record"),
            ("Tab", "next tab"),
            ("Esc", "back"),
            ("?", "help"),
            ("q", "quit"),
        ]
    } else if app.tab == Tab::Tickets {
        &[
            ("↑↓ jk", "move"),
            ("g G", "first/last"),
            ("L D", "link lead/deal"),
            ("x X", "unlink"),
            ("A", "auto-link"),
            ("Enter", "open"),
            ("?", "help"),
            ("q", "quit"),
        ]
    } else {
        &[
            ("↑↓ jk", "move"),
            ("PgUp PgDn", "page"),
            ("g G", "first/last"),
            ("Tab", "next tab"),
            ("Enter", "open"),
            ("?", "help"),
            ("q", "quit"),
        ]
    }
}

fn draw_status(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut spans = Vec::new();
    if app.busy() {
        spans.push(Span::styled(
            format!("{} ", SPINNER[(app.tick % 8) as usize]),
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some(notice) = &app.notice {
        spans.push(Span::styled(
            format!("{notice}  "),
            Style::new().fg(Color::Cyan).bold(),
        ));
    }
    for (key, what) in hints(app) {
        spans.push(Span::styled(format!(" {key} "), Style::new().reversed()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(area.width), height.min(area.height));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn draw_picker(frame: &mut Frame<'_>, picker: &crate::app::Picker, area: Rect) {
    let what = match picker.kind {
        crate::app::PickKind::Lead => "lead",
        crate::app::PickKind::Deal => "deal",
    };
    let popup = centered(area, 70, 16);
    let mut lines = vec![
        Line::from(vec![
            Span::raw("> "),
            Span::raw(picker.query.clone()).bold(),
            Span::raw("▏"),
        ]),
        Line::default(),
    ];
    if picker.items.is_empty() {
        lines.push(
            Line::from(if picker.loading {
                "searching…"
            } else {
                "no match"
            })
            .dim(),
        );
    }
    let visible = usize::from(popup.height.saturating_sub(4));
    let first = picker.selected.saturating_sub(visible.saturating_sub(1));
    for (i, (_, label)) in picker.items.iter().enumerate().skip(first).take(visible) {
        let line = Line::from(label.clone());
        lines.push(if i == picker.selected {
            line.reversed()
        } else {
            line
        });
    }
    let title = format!(" Link ticket #{} to a {what} ", picker.ticket);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(title)),
        popup,
    );
}

fn draw_review(frame: &mut Frame<'_>, app: &App, review: &crate::app::Review, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" Auto-link review (dry run: nothing is linked until Enter) ");
    frame.render_widget(Clear, area);
    let Some(report) = &review.report else {
        let text = match &review.error {
            Some(e) => format!("Could not run auto-link: {e}"),
            None => format!(
                "{} Matching tickets to leads and deals…",
                SPINNER[(app.tick % 8) as usize]
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

/// The keys of where the user is: the lists' key map, or the timeline's keys in a timeline.
fn draw_help(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let rows: Vec<(&str, &str)> = if app.timeline.is_some() {
        let mut rows = crate::timeline::KEYS.to_vec();
        rows.extend(
            KEYS.iter()
                .filter(|b| matches!(b.action, Action::Search | Action::Help | Action::Quit))
                .map(|b| (b.label, b.what)),
        );
        rows
    } else {
        KEYS.iter().map(|b| (b.label, b.what)).collect()
    };
    let title = if app.timeline.is_some() {
        "Keys in a timeline"
    } else {
        "Keys"
    };
    let width = 86.min(area.width);
    let height = (rows.len() as u16 + 4).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines = vec![Line::from(title).bold(), Line::default()];
    lines.extend(
        rows.iter()
            .map(|(keys, what)| Line::from(format!("  {keys:<16} {what}"))),
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::new().borders(Borders::ALL).title(" Help ")),
        popup,
    );
}

/// The record opened from a timeline event, full-screen over the timeline.
fn draw_viewer(frame: &mut Frame<'_>, app: &App, viewer: &Viewer, area: Rect) {
    let block = Block::new().borders(Borders::ALL).title(" Record ");
    let lines = match viewer {
        Viewer::Loading(what) => vec![Line::from(format!(
            "{} opening {what}…",
            SPINNER[(app.tick % 8) as usize]
        ))],
        Viewer::Failed(e) => vec![Line::from(format!("Could not open the record: {e}")).red()],
        Viewer::Ready(opened) => match opened.as_ref() {
            Opened::Record(record, detail) => {
                let mut lines = record_lines(app, record);
                lines.push(Line::default());
                lines.extend(related_lines(app, detail, false));
                lines
            }
            Opened::Conversation(c, messages) => {
                let mut lines = vec![
                    Line::from(c.subject.clone().unwrap_or_else(|| "(no subject)".into())).bold(),
                    field("channel", c.channel.to_string()),
                    field("status", c.status.to_string()),
                    field("customer", format!("#{}", c.customer_id)),
                    field("opened", datetime(c.created_at)),
                    Line::default(),
                    section("Messages"),
                ];
                if messages.is_empty() {
                    lines.push(Line::from("none").dim());
                }
                for m in messages {
                    lines
                        .push(Line::from(format!("{} {}", datetime(m.sent_at), m.direction)).dim());
                    lines.push(Line::from(format!("    {}", m.body)));
                }
                lines
            }
            Opened::Call(call) => {
                let who = |id: Option<i64>| id.map_or_else(|| "—".into(), |i| format!("#{i}"));
                vec![
                    Line::from(format!("{} call", call.direction)).bold(),
                    field("at", datetime(call.occurred_at)),
                    field(
                        "duration",
                        format!(
                            "{}:{:02}",
                            call.duration_seconds / 60,
                            call.duration_seconds % 60
                        ),
                    ),
                    field("outcome", opt(call.outcome.as_deref())),
                    field("customer", who(call.customer_id.map(|c| c.0))),
                    field("lead", who(call.lead_id.map(|l| l.0))),
                    field("deal", who(call.deal_id.map(|d| d.0))),
                    Line::default(),
                    Line::from(call.notes.clone().unwrap_or_default()),
                ]
            }
        },
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

//! The frame: the tab bar, the screens bottom-up between it and the status line, and the status
//! line (spinner, notice, the hints of the screen on top). Rendering is a pure function of the
//! [`App`]; each screen draws only what is on screen.

use crate::app::App;
use crate::format::spinner;
use crate::screens::{Area, Areas, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Tabs;

/// List rows that fit a terminal `height` rows tall: minus the tab bar, the status line, the
/// list's borders and its header.
pub fn list_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(5)).max(1)
}

/// A `width` × `height` rectangle in the middle of `area` (smaller if `area` is).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(area.width), height.min(area.height));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// The tab bar, the screens' area and the status line of a terminal `full`.
fn rows(full: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(full)
}

/// Where screens draw on a terminal `full` (what clicks are placed against).
pub fn areas(full: Rect) -> Areas {
    Areas {
        main: rows(full)[1],
        full,
    }
}

/// The titles of the tab bar, as drawn.
fn tab_titles() -> impl Iterator<Item = String> {
    Area::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{} {}", i + 1, a.title()))
}

/// The tab whose title is at column `x` of the tab bar.
pub fn tab_at(x: u16) -> Option<usize> {
    // Each title is drawn padded by a space on either side, then the divider.
    let mut start = 0u16;
    for (i, title) in tab_titles().enumerate() {
        let end = start + title.chars().count() as u16 + 2;
        if x >= start && x < end {
            return Some(i);
        }
        start = end + 1;
    }
    None
}

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [tabs, main, status] = rows(frame.area());
    draw_tabs(frame, app, tabs);
    let view = View {
        tick: app.tick,
        now: app.now,
        rows: app.viewport_rows,
        lookups: app.lookups.as_ref(),
    };
    let areas = Areas {
        main,
        full: frame.area(),
    };
    debug_assert_eq!(areas.main, self::areas(frame.area()).main);
    for screen in app.screens() {
        screen.draw(frame, areas, &view);
    }
    draw_status(frame, app, status);
}

fn draw_tabs(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let titles = tab_titles();
    let tenant = app
        .lookups
        .as_ref()
        .map_or(app.tenant.as_str(), |l| l.tenant_name.as_str());
    let label = match &app.making {
        // Said where it stays in sight until the demo is whole.
        Some(making) => {
            let (done, total) = making.progress();
            format!(
                "crm · {tenant} · making the demo: {} of {} customers",
                crate::format::thousands(done as u64),
                crate::format::thousands(total as u64)
            )
        }
        None => format!("crm · {tenant}"),
    };
    let [left, right] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(label.chars().count() as u16),
    ])
    .areas(area);
    frame.render_widget(
        Tabs::new(titles)
            .select(app.area().index())
            .highlight_style(Style::new().fg(Color::Yellow).bold())
            .divider("│"),
        left,
    );
    frame.render_widget(Line::from(label).right_aligned().dim(), right);
}

fn draw_status(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut spans = Vec::new();
    if app.busy() {
        spans.push(Span::styled(
            format!("{} ", spinner(app.tick)),
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some(notice) = &app.notice {
        spans.push(Span::styled(
            format!("{notice}  "),
            Style::new().fg(Color::Cyan).bold(),
        ));
    }
    for (key, what) in app.keymap().hints {
        spans.push(Span::styled(format!(" {key} "), Style::new().reversed()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}

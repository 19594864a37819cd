//! The frame's layout, which drawing and clicks share: the tab bar of areas, the screens'
//! area between it and the status line, a popup's place. It draws nothing itself (the app
//! draws the frame, each screen its part) and imports no screen.

use crate::client::worker::Tab;
use ratatui::layout::{Constraint, Layout, Rect};

/// Where a screen may draw.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    /// Between the tab bar and the status line.
    pub main: Rect,
    /// The whole terminal.
    pub full: Rect,
}

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
pub fn rows(full: Rect) -> [Rect; 3] {
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
pub fn tab_titles() -> impl Iterator<Item = String> {
    Area::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{} {}", i + 1, a.title()))
}

/// How the tab bar fits a terminal `width` with a label `label` characters long on its right:
/// the space on either side of each title, and whether the label is shown. Narrow terminals
/// keep every numbered tab and give up the padding, then the label.
pub fn tab_bar(width: u16, label: u16) -> (u16, bool) {
    let titles: u16 = tab_titles().map(|t| t.chars().count() as u16).sum();
    let dividers = Area::ALL.len() as u16 - 1;
    let padded = titles + dividers + 2 * Area::ALL.len() as u16;
    if padded + label < width {
        (1, true)
    } else if titles + dividers + label < width {
        (0, true)
    } else if padded <= width {
        (1, false)
    } else {
        (0, false)
    }
}

/// The tab whose title is at column `x` of the tab bar, each title `padding` wide on either
/// side.
pub fn tab_at(x: u16, padding: u16) -> Option<usize> {
    let mut start = 0u16;
    for (i, title) in tab_titles().enumerate() {
        let end = start + title.chars().count() as u16 + 2 * padding;
        if x >= start && x < end {
            return Some(i);
        }
        // The divider.
        start = end + 1;
    }
    None
}

/// Every area of the client is a numbered tab: the five lists, segments, analytics and the
/// trash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    List(Tab),
    Segments,
    Analytics,
    Trash,
}

impl Area {
    /// In the tab bar's order: `1`…`8`.
    pub const ALL: [Area; 8] = [
        Area::List(Tab::Customers),
        Area::List(Tab::Leads),
        Area::List(Tab::Deals),
        Area::List(Tab::Tickets),
        Area::List(Tab::Quotes),
        Area::Segments,
        Area::Analytics,
        Area::Trash,
    ];

    pub fn index(self) -> usize {
        Area::ALL.iter().position(|a| *a == self).unwrap_or(0)
    }

    pub fn title(self) -> &'static str {
        match self {
            Area::List(tab) => tab.title(),
            Area::Segments => "Segments",
            Area::Analytics => "Analytics",
            Area::Trash => "Trash",
        }
    }

    /// The area `delta` tabs away, round the bar.
    pub fn step(self, delta: isize) -> Area {
        let n = Area::ALL.len() as isize;
        Area::ALL[(self.index() as isize + delta).rem_euclid(n) as usize]
    }
}

/// The status-line hints that fit in `width` columns (each drawn ` key  what  `): the last ones
/// go first, but `?` (help), `q` (quit) and `Esc` (back) go last of all, so a narrow terminal
/// still says how to find the rest and how to leave.
pub fn fit_hints(
    hints: &[(&'static str, &'static str)],
    width: usize,
) -> Vec<(&'static str, &'static str)> {
    let cost = |(key, what): &(&str, &str)| {
        unicode_width::UnicodeWidthStr::width(*key)
            + unicode_width::UnicodeWidthStr::width(*what)
            + 5
    };
    let kept = |key: &str| matches!(key, "?" | "q" | "Esc");
    let mut shown: Vec<(&'static str, &'static str)> = hints.to_vec();
    // The last hint's two trailing spaces may fall off the edge.
    while shown.iter().map(cost).sum::<usize>().saturating_sub(2) > width {
        let drop = shown
            .iter()
            .rposition(|(key, _)| !kept(key))
            .or_else(|| shown.len().checked_sub(1));
        match drop {
            Some(i) => {
                shown.remove(i);
            }
            None => break,
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::fit_hints;

    #[test]
    fn narrow_status_lines_drop_the_last_hints_but_keep_help_and_quit() {
        let hints = [
            ("↑↓", "move"),
            ("Enter", "open"),
            ("s f c v", "sort filter columns views"),
            ("?", "help"),
            ("q", "quit"),
        ];
        assert_eq!(fit_hints(&hints, 200), hints.to_vec(), "room for all");
        let fit = fit_hints(&hints, 45);
        assert_eq!(
            fit,
            vec![
                ("↑↓", "move"),
                ("Enter", "open"),
                ("?", "help"),
                ("q", "quit")
            ]
        );
        assert_eq!(fit_hints(&hints, 20), vec![("?", "help"), ("q", "quit")]);
        assert_eq!(fit_hints(&hints, 10), vec![("?", "help")]);
        assert!(fit_hints(&hints, 3).is_empty());
    }
}

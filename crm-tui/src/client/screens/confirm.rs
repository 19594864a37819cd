//! A question before a change that cannot be taken back with a key (unlinking a ticket): it
//! names what will happen, `y` asks the worker for it, `n` or `Esc` changes nothing.

use super::{Areas, Command, Screen, View};
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint};
use crate::client::worker::Request;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
}

const KEYS: Keymap<Answer> = Keymap {
    title: "Keys when asked to confirm",
    bindings: &[
        each(&[(KeyCode::Char('y'), Answer::Yes)], "y", "yes, do it"),
        each(
            &[(KeyCode::Char('n'), Answer::No), (KeyCode::Esc, Answer::No)],
            "n Esc",
            "no: nothing changes",
        ),
    ] as &[Binding<Answer>],
    hints: &[
        hint(&[Answer::Yes], "y", "yes"),
        hint(&[Answer::No], "n Esc", "no"),
    ],
};

/// The question, and what a yes asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub question: String,
    yes: Vec<Request>,
}

impl Confirm {
    pub fn new(question: String, yes: Vec<Request>) -> Confirm {
        Confirm { question, yes }
    }
}

impl Screen for Confirm {
    fn keymap(&self) -> KeyHelp {
        KEYS.help()
    }

    fn key(&mut self, key: KeyEvent, _view: &View<'_>, out: &mut Vec<Command>) {
        match KEYS.action(key) {
            Some(Answer::Yes) => {
                out.push(Command::Close);
                out.extend(std::mem::take(&mut self.yes).into_iter().map(Command::Ask));
            }
            Some(Answer::No) => out.push(Command::Close),
            None => {}
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, _view: &View<'_>) {
        let width = (self.question.chars().count() as u16 + 4)
            .clamp(30, 76)
            .min(areas.full.width);
        // The question wraps inside the borders; a line more for the keys.
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let lines = self.question.chars().count().div_ceil(inner) as u16 + 1;
        let popup = crate::client::ui::centered(areas.full, width, lines.saturating_add(3));
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(self.question.clone()),
                Line::from("y yes · n no").dim(),
            ])
            .wrap(Wrap { trim: true })
            .block(Block::new().borders(Borders::ALL).title(" Confirm ")),
            popup,
        );
    }
}

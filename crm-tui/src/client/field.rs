//! The one text field every screen types into: a search, a filter, a name, a value, a reason,
//! notes. Editing is ratatui-textarea's (a well-kept editor widget); this module only says which
//! keys edit — those of a shell line — and draws a one-line field as a window that follows the
//! cursor, so a field longer than its box scrolls instead of being cut.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};
use std::cell::Cell;
use unicode_width::UnicodeWidthChar;

/// What the editing keys are, for the help overlay and the README.
pub const EDIT_KEYS: &str = "←→ Home End Del ^A ^E ^W ^U ^K Alt-←→";
/// What they do.
pub const EDIT_WHAT: &str = "edit as on a shell line (^W a word, ^U to the start, ^K to the end)";
/// The keys a multi-line field adds.
pub const LINES_KEYS: &str = "↑↓ Alt-Enter ^J";
pub const LINES_WHAT: &str = "move between lines, start a new line";

/// A text field: one line, or several (notes, terms).
#[derive(Debug, Clone)]
pub struct Field {
    // Boxed: a TextArea is some 600 bytes, and fields sit in enums of screen modes.
    area: Box<TextArea<'static>>,
    multi: bool,
    /// The first character a one-line field shows: kept between frames so the window moves only
    /// when the cursor would leave it.
    offset: Cell<usize>,
}

impl PartialEq for Field {
    fn eq(&self, other: &Field) -> bool {
        self.multi == other.multi
            && self.area.lines() == other.area.lines()
            && self.area.cursor() == other.area.cursor()
    }
}

impl Eq for Field {}

impl Default for Field {
    fn default() -> Field {
        Field::new("")
    }
}

impl Field {
    /// A one-line field holding `text`, the cursor at its end.
    pub fn new(text: &str) -> Field {
        Field::make(text, false)
    }

    /// A multi-line field (notes, terms), the cursor at the end.
    pub fn multi(text: &str) -> Field {
        Field::make(text, true)
    }

    /// A one-line field whose value is selected, so typing replaces it (a number to change)
    /// while the arrows keep it.
    pub fn selected(text: &str) -> Field {
        let mut f = Field::new(text);
        if !text.is_empty() {
            f.area.select_all();
        }
        f
    }

    fn make(text: &str, multi: bool) -> Field {
        let lines: Vec<String> = if multi {
            text.split('\n').map(str::to_owned).collect()
        } else {
            vec![one_line(text)]
        };
        let mut area = Box::new(TextArea::new(lines));
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        area.set_cursor_line_style(Style::new());
        area.set_cursor_style(Style::new().add_modifier(Modifier::REVERSED));
        area.set_selection_style(Style::new().add_modifier(Modifier::REVERSED));
        if multi {
            area.set_wrap_mode(WrapMode::WordOrGlyph);
        }
        Field {
            area,
            multi,
            offset: Cell::new(0),
        }
    }

    /// The text (lines joined by `\n`).
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Whether it takes several lines.
    pub fn is_multi(&self) -> bool {
        self.multi
    }

    /// Whether `key` edits a field (one line, or `multi`): the keys a screen gives its field.
    pub fn edits(key: KeyEvent, multi: bool) -> bool {
        edit_of(key, multi).is_some()
    }

    /// Takes an editing key (one [`Field::edits`] says it edits with); whether the text
    /// changed (a cursor move does not change it).
    pub fn key(&mut self, key: KeyEvent) -> bool {
        let Some(edit) = edit_of(key, self.multi) else {
            return false;
        };
        let a = &mut self.area;
        match edit {
            Edit::Insert(c) => {
                a.insert_char(c);
                true
            }
            Edit::Newline => {
                a.insert_newline();
                true
            }
            // A selected value goes as a whole.
            Edit::Backspace | Edit::Delete if a.is_selecting() => a.cut(),
            Edit::Backspace => a.delete_char(),
            Edit::Delete => a.delete_next_char(),
            Edit::WordBackspace => a.delete_word(),
            Edit::WordDelete => a.delete_next_word(),
            Edit::ToHead => a.delete_line_by_head(),
            Edit::ToEnd => a.delete_line_by_end(),
            Edit::Yank => a.paste(),
            Edit::Move(m) => {
                a.cancel_selection();
                a.move_cursor(m);
                false
            }
        }
    }

    /// A one-line field in `width` columns: the part around the cursor, the cursor (and a
    /// selection) in reverse video when `focused`.
    pub fn line(&self, width: u16, focused: bool) -> Line<'static> {
        let chars: Vec<char> = self
            .area
            .lines()
            .first()
            .map_or_else(Vec::new, |l| l.chars().collect());
        let cursor = self.area.cursor().1.min(chars.len());
        let width = usize::from(width.max(1));
        let cols = |range: &[char]| range.iter().map(|c| c.width().unwrap_or(0)).sum::<usize>();
        // Keep the cursor (one column past the end when it is there) inside the window.
        let mut offset = self.offset.get().min(cursor);
        while offset < cursor && cols(&chars[offset..cursor]) + 1 > width {
            offset += 1;
        }
        self.offset.set(offset);
        let selection = self
            .area
            .selection_range()
            .map(|((_, s), (_, e))| (s.min(e), s.max(e)));
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
        let mut spans = Vec::new();
        let mut used = 0;
        for (i, c) in chars.iter().enumerate().skip(offset) {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                break;
            }
            used += w;
            let lit = focused
                && (i == cursor && selection.is_none()
                    || selection.is_some_and(|(s, e)| (s..e).contains(&i)));
            spans.push(Span::styled(
                c.to_string(),
                if lit { reversed } else { Style::new() },
            ));
        }
        if focused && cursor == chars.len() && selection.is_none() && used < width {
            spans.push(Span::styled(" ", reversed));
        }
        Line::from(merge(spans))
    }

    /// A multi-line field in `rect`, wrapped at words, scrolled to the cursor.
    pub fn render(&self, frame: &mut Frame<'_>, rect: Rect) {
        frame.render_widget(&*self.area, rect);
    }
}

/// What an editing key does.
#[derive(Debug, Clone, Copy)]
enum Edit {
    Insert(char),
    Newline,
    Backspace,
    Delete,
    WordBackspace,
    WordDelete,
    ToHead,
    ToEnd,
    Yank,
    Move(CursorMove),
}

/// The edit a key makes: the keys of a shell line (readline's emacs mode), plus line moves and
/// a new line in a multi-line field.
fn edit_of(key: KeyEvent, multi: bool) -> Option<Edit> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    Some(match (key.code, ctrl, alt) {
        (KeyCode::Char(c), false, false) => Edit::Insert(c),
        (KeyCode::Backspace, false, false) | (KeyCode::Char('h'), true, false) => Edit::Backspace,
        (KeyCode::Backspace, _, _) | (KeyCode::Char('w'), true, false) => Edit::WordBackspace,
        (KeyCode::Delete, false, false) | (KeyCode::Char('d'), true, false) => Edit::Delete,
        (KeyCode::Delete, _, true) | (KeyCode::Char('d'), false, true) => Edit::WordDelete,
        (KeyCode::Char('u'), true, false) => Edit::ToHead,
        (KeyCode::Char('k'), true, false) => Edit::ToEnd,
        (KeyCode::Char('y'), true, false) => Edit::Yank,
        (KeyCode::Left, false, false) | (KeyCode::Char('b'), true, false) => {
            Edit::Move(CursorMove::Back)
        }
        (KeyCode::Right, false, false) | (KeyCode::Char('f'), true, false) => {
            Edit::Move(CursorMove::Forward)
        }
        (KeyCode::Left, _, _) | (KeyCode::Char('b'), false, true) => {
            Edit::Move(CursorMove::WordBack)
        }
        (KeyCode::Right, _, _) | (KeyCode::Char('f'), false, true) => {
            Edit::Move(CursorMove::WordForward)
        }
        (KeyCode::Home, _, _) | (KeyCode::Char('a'), true, false) => Edit::Move(CursorMove::Head),
        (KeyCode::End, _, _) | (KeyCode::Char('e'), true, false) => Edit::Move(CursorMove::End),
        (KeyCode::Up, false, false) if multi => Edit::Move(CursorMove::Up),
        (KeyCode::Down, false, false) if multi => Edit::Move(CursorMove::Down),
        (KeyCode::Enter, _, true) | (KeyCode::Char('j'), true, false) if multi => Edit::Newline,
        _ => return None,
    })
}

/// `text` on one line: line breaks and tabs become spaces.
fn one_line(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\n', '\r', '\t'], " ")
}

/// Neighbouring spans of one style as one (fewer cells to diff).
fn merge(spans: Vec<Span<'static>>) -> Vec<Span<'static>> {
    let mut out: Vec<Span<'static>> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some(last) if last.style == s.style => last.content.to_mut().push_str(&s.content),
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(f: &mut Field, code: KeyCode, modifiers: KeyModifiers) {
        let key = KeyEvent::new(code, modifiers);
        assert!(Field::edits(key, f.multi), "{code:?} {modifiers:?}");
        f.key(key);
    }

    fn typed(f: &mut Field, text: &str) {
        for c in text.chars() {
            press(f, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const ALT: KeyModifiers = KeyModifiers::ALT;

    #[test]
    fn a_typo_in_the_middle_is_fixed_without_retyping() {
        let mut f = Field::new("Annual licence for 20 seats");
        for _ in 0..6 {
            press(&mut f, KeyCode::Left, NONE);
        }
        press(&mut f, KeyCode::Backspace, NONE);
        press(&mut f, KeyCode::Backspace, NONE);
        typed(&mut f, "25");
        assert_eq!(f.text(), "Annual licence for 25 seats");
        press(&mut f, KeyCode::Home, NONE);
        press(&mut f, KeyCode::Delete, NONE);
        typed(&mut f, "a");
        press(&mut f, KeyCode::End, NONE);
        typed(&mut f, "!");
        assert_eq!(f.text(), "annual licence for 25 seats!");
    }

    #[test]
    fn shell_line_chords() {
        let mut f = Field::new("one two three");
        press(&mut f, KeyCode::Char('w'), CTRL);
        assert_eq!(f.text(), "one two ");
        press(&mut f, KeyCode::Char('a'), CTRL);
        press(&mut f, KeyCode::Right, CTRL);
        press(&mut f, KeyCode::Char('k'), CTRL);
        assert_eq!(
            f.text(),
            "one ",
            "Ctrl-→ goes to the next word, Ctrl-K cuts the rest"
        );
        press(&mut f, KeyCode::Char('y'), CTRL);
        assert_eq!(f.text(), "one two ", "Ctrl-Y yanks back what was cut");
        press(&mut f, KeyCode::Left, ALT);
        press(&mut f, KeyCode::Char('u'), CTRL);
        assert_eq!(f.text(), "two ");
        press(&mut f, KeyCode::Char('e'), CTRL);
        press(&mut f, KeyCode::Char('b'), ALT);
        press(&mut f, KeyCode::Char('d'), ALT);
        assert_eq!(
            f.text(),
            " ",
            "Alt-B back a word, Alt-D deletes the next one"
        );
        for (code, m, why) in [
            (KeyCode::Enter, NONE, "Enter is the screen's"),
            (KeyCode::Up, NONE, "↑ is the screen's"),
            (KeyCode::Tab, NONE, "Tab is the screen's"),
            (KeyCode::Char('c'), CTRL, "Ctrl-C quits"),
        ] {
            assert!(!Field::edits(KeyEvent::new(code, m), false), "{why}");
        }
    }

    #[test]
    fn a_selected_number_is_replaced_by_typing_and_kept_by_the_arrows() {
        let mut f = Field::selected("0");
        typed(&mut f, "10");
        assert_eq!(f.text(), "10");
        let mut f = Field::selected("12.5");
        press(&mut f, KeyCode::End, NONE);
        typed(&mut f, "0");
        assert_eq!(f.text(), "12.50");
        let mut f = Field::selected("12.5");
        press(&mut f, KeyCode::Backspace, NONE);
        assert_eq!(f.text(), "");
    }

    #[test]
    fn a_long_line_scrolls_with_the_cursor_and_unicode_counts_columns() {
        let mut f = Field::new("Siobhán Yılmaz — 東京 office, renewal of the premium support plan");
        let shown = |f: &Field| {
            f.line(12, true)
                .spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            shown(&f),
            "upport plan ",
            "the end, and the cursor after it"
        );
        press(&mut f, KeyCode::Home, NONE);
        assert_eq!(shown(&f), "Siobhán Yılm");
        for _ in 0..19 {
            press(&mut f, KeyCode::Right, NONE);
        }
        // `東京` is two columns a character: the window moves so the cursor stays in 12 columns.
        let s = shown(&f);
        assert!(s.contains("東京"), "{s}");
        assert!(
            unicode_width::UnicodeWidthStr::width(s.as_str()) <= 12,
            "{s}"
        );
    }

    #[test]
    fn notes_take_new_lines_and_move_between_them() {
        let mut n = Field::multi("Terms:\n1. Net 30\n2. Prices in USD");
        press(&mut n, KeyCode::Up, NONE);
        press(&mut n, KeyCode::End, NONE);
        press(&mut n, KeyCode::Enter, ALT);
        typed(&mut n, "   net of tax");
        assert_eq!(
            n.text(),
            "Terms:\n1. Net 30\n   net of tax\n2. Prices in USD"
        );
        press(&mut n, KeyCode::Char('j'), CTRL);
        assert_eq!(n.text().lines().count(), 5);
        assert!(
            !Field::edits(KeyEvent::new(KeyCode::Enter, NONE), true),
            "Enter keeps"
        );
    }
}

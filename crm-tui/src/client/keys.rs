//! Key bindings as data. Each screen declares a [`Keymap`]: the rows of its help overlay, each
//! with the keys it takes and what each key does, and the short hints of its status line, which
//! name actions of those rows. Dispatch, help and status line read the same table, and a test
//! (`crate::client::testing::check_bindings`) presses every key on every screen to prove it.

use crate::client::field::{self, Field};
use crossterm::event::{KeyCode, KeyEvent};

/// The keys of one row of the help overlay.
#[derive(Debug, Clone, Copy)]
pub enum Keys<A: 'static> {
    /// These keys, each with its action.
    Each(&'static [(KeyCode, A)]),
    /// Typing into a one-line field: every key [`Field`] edits with.
    Typing(A),
    /// Typing into a multi-line field: those, the line moves and a new line.
    Lines(A),
}

/// One row of the help overlay.
#[derive(Debug, Clone, Copy)]
pub struct Binding<A: 'static> {
    pub keys: Keys<A>,
    /// How the keys are written in the help overlay.
    pub label: &'static str,
    pub what: &'static str,
}

/// A binding of `keys`, each to its action.
pub const fn each<A>(
    keys: &'static [(KeyCode, A)],
    label: &'static str,
    what: &'static str,
) -> Binding<A> {
    Binding {
        keys: Keys::Each(keys),
        label,
        what,
    }
}

/// A binding for typing text.
pub const fn typing<A>(action: A, label: &'static str, what: &'static str) -> Binding<A> {
    Binding {
        keys: Keys::Typing(action),
        label,
        what,
    }
}

/// A binding for typing text in a multi-line field.
pub const fn lines<A>(action: A, label: &'static str, what: &'static str) -> Binding<A> {
    Binding {
        keys: Keys::Lines(action),
        label,
        what,
    }
}

/// One entry of the status line: short, naming the actions of the bindings it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Hint<A: 'static> {
    pub actions: &'static [A],
    pub keys: &'static str,
    pub what: &'static str,
}

pub const fn hint<A>(actions: &'static [A], keys: &'static str, what: &'static str) -> Hint<A> {
    Hint {
        actions,
        keys,
        what,
    }
}

/// A screen's keys: the help rows and the status-line hints.
#[derive(Debug, Clone, Copy)]
pub struct Keymap<A: 'static> {
    /// The help overlay's title.
    pub title: &'static str,
    pub bindings: &'static [Binding<A>],
    pub hints: &'static [Hint<A>],
}

impl<A: Copy + PartialEq> Keymap<A> {
    /// The action of `key`, if the map binds it.
    pub fn action(&self, key: KeyEvent) -> Option<A> {
        // A key a row names wins over editing (↑↓ choose a hit in the search, Enter commits);
        // a named key is a plain one, so a chord (Ctrl-W) goes to the field.
        let plain = key
            .modifiers
            .difference(crossterm::event::KeyModifiers::SHIFT)
            .is_empty();
        let named = self.bindings.iter().find_map(|b| match b.keys {
            Keys::Each(keys) => keys
                .iter()
                .find(|(code, _)| plain && *code == key.code)
                .map(|(_, a)| *a),
            Keys::Typing(_) | Keys::Lines(_) => None,
        });
        named.or_else(|| {
            self.bindings.iter().find_map(|b| match b.keys {
                Keys::Typing(a) => Field::edits(key, false).then_some(a),
                Keys::Lines(a) => Field::edits(key, true).then_some(a),
                Keys::Each(_) => None,
            })
        })
    }

    /// What the help overlay and the status line show, and what the binding test presses.
    pub fn help(&self) -> KeyHelp {
        let bound = |a: &A| {
            self.bindings.iter().any(|b| match b.keys {
                Keys::Each(keys) => keys.iter().any(|(_, x)| x == a),
                Keys::Typing(x) | Keys::Lines(x) => x == *a,
            })
        };
        let mut rows = Vec::new();
        for b in self.bindings {
            rows.push((b.label, b.what));
            // Every field edits the same way; its help says how where it says what is typed.
            if matches!(b.keys, Keys::Typing(_) | Keys::Lines(_)) {
                rows.push((field::EDIT_KEYS, field::EDIT_WHAT));
            }
            if matches!(b.keys, Keys::Lines(_)) {
                rows.push((field::LINES_KEYS, field::LINES_WHAT));
            }
        }
        KeyHelp {
            title: self.title,
            rows,
            // A hint naming an action no row binds would promise a key that does nothing.
            hints: self
                .hints
                .iter()
                .filter(|h| h.actions.iter().all(bound))
                .map(|h| (h.keys, h.what))
                .collect(),
            unbound_hints: self
                .hints
                .iter()
                .filter(|h| !h.actions.iter().all(bound))
                .map(|h| h.keys)
                .collect(),
            codes: self
                .bindings
                .iter()
                .flat_map(|b| match b.keys {
                    Keys::Each(keys) => keys.iter().map(|(c, _)| *c).collect(),
                    Keys::Typing(_) | Keys::Lines(_) => Vec::new(),
                })
                .collect(),
            typing: self
                .bindings
                .iter()
                .any(|b| matches!(b.keys, Keys::Typing(_) | Keys::Lines(_))),
        }
    }
}

/// A keymap without its action type, as the help overlay, status line and tests read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyHelp {
    pub title: &'static str,
    /// `(keys, what)` per help row.
    pub rows: Vec<(&'static str, &'static str)>,
    /// `(keys, what)` per status-line hint.
    pub hints: Vec<(&'static str, &'static str)>,
    /// Hints left out because they name an action no row binds (a test keeps this empty).
    pub unbound_hints: Vec<&'static str>,
    /// Every key a row binds.
    pub codes: Vec<KeyCode>,
    /// Whether the screen has a text field the editing keys go to.
    pub typing: bool,
}

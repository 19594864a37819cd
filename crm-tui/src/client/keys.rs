//! Key bindings as data. Each screen declares a [`Keymap`]: the rows of its help overlay, each
//! with the keys it takes and what each key does, and the short hints of its status line, which
//! name actions of those rows. Dispatch, help and status line read the same table, and a test
//! (`crate::client::testing::check_bindings`) presses every key on every screen to prove it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The keys of one row of the help overlay.
#[derive(Debug, Clone, Copy)]
pub enum Keys<A: 'static> {
    /// These keys, each with its action.
    Each(&'static [(KeyCode, A)]),
    /// Typing: every printable character, and Backspace.
    Typing(A),
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
        // Control chords are not typing (Ctrl-C is the client's own).
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        self.bindings.iter().find_map(|b| match b.keys {
            Keys::Each(keys) => keys
                .iter()
                .find(|(code, _)| *code == key.code)
                .map(|(_, a)| *a),
            Keys::Typing(a) => {
                (plain && matches!(key.code, KeyCode::Char(_) | KeyCode::Backspace)).then_some(a)
            }
        })
    }

    /// What the help overlay and the status line show, and what the binding test presses.
    pub fn help(&self) -> KeyHelp {
        let bound = |a: &A| {
            self.bindings.iter().any(|b| match b.keys {
                Keys::Each(keys) => keys.iter().any(|(_, x)| x == a),
                Keys::Typing(x) => x == *a,
            })
        };
        KeyHelp {
            title: self.title,
            rows: self.bindings.iter().map(|b| (b.label, b.what)).collect(),
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
                    Keys::Typing(_) => Vec::new(),
                })
                .collect(),
            typing: self
                .bindings
                .iter()
                .any(|b| matches!(b.keys, Keys::Typing(_))),
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
    /// Whether printable characters and Backspace type text.
    pub typing: bool,
}

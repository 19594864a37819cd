//! What the screens' tests share: a demo database, a client whose worker answers at once, and
//! the key-binding check every screen runs.

use crate::client::app::{App, Msg};
use crate::client::field::Field;
use crate::client::worker::{self, Request, Tab};
use crm_core::Crm;
use crm_core::demo::{self, DemoOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

pub const WIDTH: u16 = 120;
pub const HEIGHT: u16 = 30;

pub fn demo_crm(customers: usize) -> Crm {
    let crm = Crm::open_in_memory().unwrap();
    demo::generate(
        &crm,
        &DemoOptions {
            customers,
            ..DemoOptions::default()
        },
        |_, _| {},
    )
    .unwrap();
    crm
}

/// A client whose worker answers at once.
pub struct Harness {
    /// Shared, so the binding check can start many clients on one database.
    pub crm: Arc<Crm>,
    pub app: App,
    /// Requests sent to the worker, oldest first.
    pub sent: Vec<Request>,
    /// Who changes are made as (the demo's admin).
    pub actor: Option<crm_core::ids::UserId>,
}

impl Harness {
    pub fn new(crm: Crm) -> Harness {
        Harness::sharing(Arc::new(crm))
    }

    pub fn sharing(crm: Arc<Crm>) -> Harness {
        let (app, requests) = App::new("demo", HEIGHT);
        let mut h = Harness {
            crm,
            app,
            sent: Vec::new(),
            actor: Some(crm_core::ids::UserId(1)),
        };
        h.answer(requests);
        h
    }

    pub fn answer(&mut self, mut requests: Vec<Request>) {
        while !requests.is_empty() {
            let mut next = Vec::new();
            for r in requests {
                self.sent.push(r.clone());
                next.extend(
                    self.app
                        .update(worker::answer(&self.crm, "demo", self.actor, r)),
                );
            }
            requests = next;
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        let requests = self
            .app
            .update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        self.answer(requests);
    }

    /// A key with modifiers (a chord such as Ctrl-W).
    pub fn chord(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        let requests = self.app.update(Msg::Key(KeyEvent::new(code, modifiers)));
        self.answer(requests);
    }

    /// The text of the field on top, if it shows one.
    pub fn field_text(&self) -> Option<String> {
        self.app
            .top()
            .field()
            .map(crate::client::field::Field::text)
    }

    pub fn keys(&mut self, codes: &[KeyCode]) {
        for c in codes {
            self.key(*c);
        }
    }

    pub fn selected_id(&self) -> i64 {
        self.app.lists.list().selected_record().unwrap().id()
    }

    /// The frame with its styles (a selection is only reversed video).
    pub fn buffer(&self) -> ratatui::buffer::Buffer {
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
        terminal
            .draw(|f| crate::client::app::draw(f, &self.app))
            .unwrap();
        terminal.backend().buffer().clone()
    }

    pub fn screen(&self) -> String {
        self.screen_sized(WIDTH, HEIGHT)
    }

    /// The frame on an 80×24 terminal, the client told of the size first (as a resize does)
    /// and of the usual one after.
    pub fn small_screen(&mut self) -> String {
        let r = self.app.update(Msg::Resize {
            width: 80,
            height: 24,
        });
        self.answer(r);
        let screen = self.screen_sized(80, 24);
        let r = self.app.update(Msg::Resize {
            width: WIDTH,
            height: HEIGHT,
        });
        self.answer(r);
        screen
    }

    /// The frame on a terminal `width` × `height`.
    pub fn screen_sized(&self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| crate::client::app::draw(f, &self.app))
            .unwrap();
        terminal.backend().to_string()
    }
}

/// The snapshot of the screen at 120×30 and at 80×24 — every screen's snapshot is taken at both
/// — each passed through `$f` first (to hide what changes from run to run).
macro_rules! assert_screens {
    ($h:expr) => {
        $crate::client::testing::assert_screens!($h, |s: String| s)
    };
    ($h:expr, $f:expr) => {{
        let h: &mut $crate::client::testing::Harness = &mut $h;
        let f = $f;
        insta::assert_snapshot!(f(h.screen()));
        let small = f(h.small_screen());
        insta::with_settings!({ snapshot_suffix => "80x24" }, {
            insta::assert_snapshot!(small);
        });
    }};
}
pub(crate) use assert_screens;

/// Ticks until what waits for typing to pause (a builder's preview) has been asked for and
/// answered.
pub fn settle(h: &mut Harness) {
    for _ in 0..3 {
        let r = h.app.update(Msg::Tick);
        h.answer(r);
    }
}

pub fn type_text(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.key(KeyCode::Char(c));
    }
}

pub fn on_tickets(h: &mut Harness) {
    h.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab]);
    assert_eq!(h.app.lists.tab, Tab::Tickets);
}

pub fn ticket(h: &Harness, id: i64) -> crm_core::tickets::Ticket {
    h.crm
        .scope("demo", None)
        .unwrap()
        .tickets()
        .get(crm_core::ids::TicketId(id))
        .unwrap()
}

/// Every text field edits as a shell line does: run by the binding check on every screen that
/// takes typing, so a new field cannot skip it.
fn check_field(mut h: Harness, screen: &str) {
    use KeyCode::{Backspace, Char, Delete, End, Home, Left, Right};
    let ctrl = KeyModifiers::CONTROL;
    let alt = KeyModifiers::ALT;
    let text = |h: &Harness| {
        h.field_text()
            .unwrap_or_else(|| panic!("{screen}: the field closed"))
    };
    // Whatever the field opened with (a value to change) goes first.
    h.chord(Char('a'), ctrl);
    h.chord(Char('k'), ctrl);
    assert_eq!(text(&h), "", "{screen}: Ctrl-A Ctrl-K empties the field");
    type_text(&mut h, "ada lovelace x");
    h.chord(Char('w'), ctrl);
    assert_eq!(text(&h), "ada lovelace ", "{screen}: Ctrl-W deletes a word");
    h.key(Backspace);
    h.key(Home);
    h.key(Delete);
    type_text(&mut h, "A");
    h.key(End);
    h.chord(Left, alt);
    h.key(Delete);
    type_text(&mut h, "L");
    assert_eq!(
        text(&h),
        "Ada Lovelace",
        "{screen}: Home, Delete, End, Alt-←"
    );
    h.chord(Left, ctrl);
    h.key(Left);
    h.chord(Char('u'), ctrl);
    assert_eq!(
        text(&h),
        " Lovelace",
        "{screen}: Ctrl-U deletes to the start"
    );
    h.chord(Char('e'), ctrl);
    h.key(Right);
    let requests = h.app.update(Msg::Paste("Byron\n(née)".into()));
    h.answer(requests);
    assert_eq!(
        text(&h).trim_start(),
        if h.app.top().field().is_some_and(Field::is_multi) {
            "LovelaceByron\n(née)"
        } else {
            "LovelaceByron (née)"
        },
        "{screen}: a paste goes into the field, a line break a space on one line"
    );
}

/// Every key the binding check presses: the named keys and every printable ASCII character.
fn every_key() -> Vec<KeyCode> {
    let mut keys = vec![
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::Char('é'),
    ];
    keys.extend((1..=12).map(KeyCode::F));
    keys.extend((' '..='~').map(KeyCode::Char));
    keys
}

/// The key-binding check of one screen: from the state `setup` leaves (the screen on top),
/// each key the screen lists must do something — change the picture, ask the worker or quit —
/// and each key it does not list must do nothing. `before` names keys pressed first for a key
/// that needs a state to act on (`0` clears filters only once one is set). Also, every hint of
/// the status line must name actions the screen binds.
///
/// A new client is started for each key on the same database; replies to the pressed key are
/// not answered, so nothing is written.
pub fn check_bindings(
    crm: &Arc<Crm>,
    setup: impl Fn(&mut Harness),
    before: &[(KeyCode, &[KeyCode])],
) {
    let start = || {
        let mut h = Harness::sharing(Arc::clone(crm));
        setup(&mut h);
        h
    };
    let first = start();
    let keys = first.app.keymap();
    let screen = keys.title;
    assert_eq!(
        keys.typing,
        first.app.top().field().is_some(),
        "{screen}: a screen that takes typing shows its field (and only such a one)"
    );
    if keys.typing {
        check_field(start(), screen);
    }
    assert!(
        keys.unbound_hints.is_empty(),
        "{screen}: hints name keys it does not bind: {:?}",
        keys.unbound_hints
    );
    for code in every_key() {
        let mut h = start();
        if let Some((_, prep)) = before.iter().find(|(k, _)| *k == code) {
            h.keys(prep);
        }
        assert_eq!(
            h.app.keymap().title,
            screen,
            "the setup of {code:?} left {screen}"
        );
        let picture = h.buffer();
        let requests = h
            .app
            .update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        let acted = !requests.is_empty() || h.app.quit || h.buffer() != picture;
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        let multi = first.app.top().field().is_some_and(Field::is_multi);
        let edits = keys.typing && !keys.codes.contains(&code) && Field::edits(key, multi);
        // A cursor move or Delete may do nothing on the field as it opens (empty, or at its
        // end); `check_field` proves them.
        if edits && !matches!(code, KeyCode::Char(_)) {
            continue;
        }
        let listed = keys.codes.contains(&code) || edits;
        assert_eq!(
            acted,
            listed,
            "{screen}: {code:?} is {} but {}",
            if listed { "listed" } else { "not listed" },
            if acted {
                "does something"
            } else {
                "does nothing"
            }
        );
    }
}

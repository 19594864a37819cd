//! The client: the lists at the base, a stack of overlays on them, and the main loop.
//!
//! Terminal input, ticks and worker replies become [`Msg`]s. A key goes to the screen on top; a
//! reply is offered from the top down until a screen takes it. Screens answer with
//! [`Command`]s, which [`App`] carries out: requests for the worker, overlays to open or close,
//! a notice for the status line. `draw` renders the stack bottom-up.

use crate::client::field::Field;
use crate::client::format::spinner;
use crate::client::keys::KeyHelp;
use crate::client::screens::help::Help;
use crate::client::screens::lists::Lists;
use crate::client::screens::palette::Palette;
use crate::client::screens::{Area, Command, Screen, View};
use crate::client::ui;
use crate::client::worker::{self, Lookups, Reply, Request};
use anyhow::{Context, Result, bail};
use crm_core::Crm;
use crm_core::time::Timestamp;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Tabs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything that can happen to the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Tick,
    /// The worker's answer to a request.
    Reply(Reply),
    /// The terminal's input ended (it was closed): nothing more can be asked of the client.
    InputClosed,
    /// The mouse (while its capture is on).
    Mouse(MouseEvent),
    /// Text pasted into the terminal (a bracketed paste).
    Paste(String),
}

/// Two clicks on one cell within this long are a double click.
const DOUBLE_CLICK: Duration = Duration::from_millis(400);

impl From<Reply> for Msg {
    fn from(reply: Reply) -> Msg {
        Msg::Reply(reply)
    }
}

/// The whole client state.
pub struct App {
    /// The base screen.
    pub lists: Lists,
    /// Overlays over the lists, the top one last.
    overlays: Vec<Box<dyn Screen>>,
    pub lookups: Option<Lookups>,
    pub quit: bool,
    /// Rows the list shows at once (from the terminal size).
    pub viewport_rows: usize,
    pub tick: u64,
    pub tenant: String,
    /// The outcome of the last change, shown in the status line until the next key.
    pub notice: Option<String>,
    /// The palette a hit was opened from, which `/` brings back (gone once it is closed).
    last_search: Option<Palette>,
    /// The clock the timeline's time ranges count back from (set by tests).
    pub now: Timestamp,
    /// The view each tab showed last, kept between runs (not in tests).
    pub remembered: Option<crate::client::remembered::Remembered>,
    /// The demo still being generated behind the client (`crm --demo`).
    pub making: Option<Arc<Making>>,
    /// Whether the mouse is captured (`--no-mouse` starts without; `m` switches).
    pub mouse: bool,
    /// Draw without colours (`NO_COLOR` set): emphasis and reversed video only.
    pub no_color: bool,
    /// The terminal's size, where clicks are placed.
    pub size: (u16, u16),
    /// The last left click: when and where, for double clicks.
    last_click: Option<(std::time::Instant, u16, u16)>,
    /// Segments and analytics while another area is shown, as they were left.
    parked: Vec<Box<dyn Screen>>,
}

/// A demo database being generated while the client already shows what it holds: the
/// generator commits a batch of customers at a time and says how far it got.
#[derive(Debug, Default)]
pub struct Making {
    pub total: usize,
    pub done: AtomicUsize,
    /// How it ended, once it has.
    pub ended: Mutex<Option<Result<(), String>>>,
}

impl Making {
    /// Customers made so far, of the total.
    pub fn progress(&self) -> (usize, usize) {
        (self.done.load(Ordering::Relaxed), self.total)
    }

    /// How it ended, taken once.
    fn take_end(&self) -> Option<Result<(), String>> {
        self.ended.lock().ok().and_then(|mut end| end.take())
    }
}

/// Which screen a command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Lists,
    Overlay(usize),
}

impl App {
    pub fn new(tenant: &str, height: u16) -> (App, Vec<Request>) {
        let rows = ui::list_rows(height);
        let (lists, first) = Lists::new(rows);
        let app = App {
            lists,
            overlays: Vec::new(),
            lookups: None,
            quit: false,
            viewport_rows: rows,
            tick: 0,
            tenant: tenant.to_owned(),
            notice: None,
            last_search: None,
            now: crm_core::time::now(),
            remembered: None,
            making: None,
            mouse: true,
            no_color: false,
            // Until the terminal says (tests draw 120 columns wide).
            size: (120, height),
            last_click: None,
            parked: Vec::new(),
        };
        let mut requests = vec![Request::Lookups];
        requests.extend(first);
        (app, requests)
    }

    /// The screen on top: the last overlay, or the lists.
    pub fn top(&self) -> &dyn Screen {
        self.overlays
            .last()
            .map_or(&self.lists as &dyn Screen, |s| s.as_ref())
    }

    /// The topmost overlay of type `T`, if one is open.
    #[cfg(test)]
    pub fn find<T: Screen>(&self) -> Option<&T> {
        self.overlays.iter().rev().find_map(|s| {
            let any: &dyn std::any::Any = s.as_ref();
            any.downcast_ref::<T>()
        })
    }

    /// The keys of the screen on top.
    pub fn keymap(&self) -> KeyHelp {
        self.top().keymap()
    }

    /// The screens bottom-up, for drawing.
    pub fn screens(&self) -> impl Iterator<Item = &dyn Screen> {
        std::iter::once(&self.lists as &dyn Screen).chain(self.overlays.iter().map(AsRef::as_ref))
    }

    /// Applies one message; returns the requests for the worker.
    pub fn update(&mut self, msg: impl Into<Msg>) -> Vec<Request> {
        let mut said: Vec<(Origin, Command)> = Vec::new();
        let mut tag = |origin: Origin, commands: Vec<Command>| {
            said.extend(commands.into_iter().map(|c| (origin, c)));
        };
        match msg.into() {
            Msg::Tick => {
                self.tick = self.tick.wrapping_add(1);
                if let Some(end) = self.making.as_ref().and_then(|m| m.take_end()) {
                    let total = self.making.as_ref().map_or(0, |m| m.total);
                    self.making = None;
                    match end {
                        Ok(()) => {
                            self.notice = Some(format!(
                                "the demo is ready: {} customers",
                                crate::client::format::thousands(total as u64)
                            ));
                            // Everything shown so far was part of it: fetch it whole.
                            let mut requests = vec![Request::Lookups];
                            let tabs: Vec<worker::Tab> = worker::Tab::ALL
                                .into_iter()
                                .filter(|t| self.lists.tabs[t].loaded)
                                .collect();
                            let said = tabs
                                .into_iter()
                                .map(|t| (Origin::Lists, Command::Reload(t)))
                                .collect();
                            requests.extend(self.carry_out(said));
                            return requests;
                        }
                        Err(e) => {
                            self.notice = Some(format!("the demo could not be finished: {e}"));
                        }
                    }
                }
                let view = View {
                    tick: self.tick,
                    now: self.now,
                    rows: self.viewport_rows,
                    lookups: self.lookups.as_ref(),
                };
                for (i, screen) in self.overlays.iter_mut().enumerate() {
                    let mut out = Vec::new();
                    screen.tick(&view, &mut out);
                    tag(Origin::Overlay(i), out);
                }
            }
            Msg::InputClosed => self.quit = true,
            Msg::Mouse(event) => return self.mouse_event(event),
            Msg::Paste(text) => return self.paste(&text),
            Msg::Resize { width, height } => {
                self.size = (width, height);
                self.viewport_rows = ui::list_rows(height);
                self.lists.resize(self.viewport_rows);
            }
            Msg::Reply(Reply::Lookups(result)) => match result {
                Ok(lookups) => self.lookups = Some(lookups),
                Err(e) => tracing::warn!("lookups failed: {e}"),
            },
            Msg::Reply(reply) => {
                let view = View {
                    tick: self.tick,
                    now: self.now,
                    rows: self.viewport_rows,
                    lookups: self.lookups.as_ref(),
                };
                // Offered from the top down; one no screen takes was for a screen now closed.
                let mut left = Some(reply);
                for (i, screen) in self.overlays.iter_mut().enumerate().rev() {
                    let Some(reply) = left.take() else { break };
                    let mut out = Vec::new();
                    left = screen.reply(reply, &view, &mut out);
                    tag(Origin::Overlay(i), out);
                }
                if let Some(reply) = left {
                    let mut out = Vec::new();
                    let _unclaimed = self.lists.reply(reply, &view, &mut out);
                    tag(Origin::Lists, out);
                }
            }
            Msg::Key(key) => {
                if key.kind != KeyEventKind::Press {
                    return Vec::new();
                }
                self.notice = None;
                if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
                    self.quit = true;
                    return Vec::new();
                }
                let view = View {
                    tick: self.tick,
                    now: self.now,
                    rows: self.viewport_rows,
                    lookups: self.lookups.as_ref(),
                };
                let mut out = Vec::new();
                let origin = if let Some(top) = self.overlays.last_mut() {
                    top.key(key, &view, &mut out);
                    Origin::Overlay(self.overlays.len() - 1)
                } else {
                    self.lists.key(key, &view, &mut out);
                    Origin::Lists
                };
                tag(origin, out);
            }
        }
        self.carry_out(said)
    }

    /// Does what the screens said, in order; returns the requests for the worker.
    fn carry_out(&mut self, said: Vec<(Origin, Command)>) -> Vec<Request> {
        let mut requests = Vec::new();
        let mut queue: std::collections::VecDeque<_> = said.into();
        while let Some((origin, command)) = queue.pop_front() {
            let mut more = Vec::new();
            match command {
                Command::Ask(request) => requests.push(request),
                Command::Close => {
                    if let Origin::Overlay(i) = origin
                        && i < self.overlays.len()
                    {
                        let screen = self.overlays.remove(i);
                        // An area left with Esc is kept as it was, like one left for a tab.
                        if screen.area().is_some() {
                            self.parked.push(screen);
                        }
                    }
                }
                Command::Go(area) => self.go(area, &mut more, &mut requests),
                Command::Push(screen) => self.overlays.push(screen),
                Command::Notice(text) => self.notice = Some(text),
                Command::Quit => self.quit = true,
                Command::Help => {
                    let keys = self.keymap();
                    self.overlays.push(Box::new(Help::new(keys, self.size.1)));
                }
                Command::Search => {
                    let (palette, ask) = match self.last_search.take() {
                        Some(mut palette) => {
                            let ask = palette.reopen();
                            (palette, ask)
                        }
                        None => Palette::new(),
                    };
                    self.overlays.push(Box::new(palette));
                    requests.push(Request::Search(ask));
                }
                Command::Show { tab, id, from } => {
                    self.last_search = Some(*from);
                    self.overlays.clear();
                    self.lists.show(tab, id, &mut more);
                }
                Command::Reload(tab) => self.lists.reload(tab, &mut more),
                Command::ToggleMouse => {
                    self.mouse = !self.mouse;
                    self.notice = Some(if self.mouse {
                        "mouse on: click, double-click, wheel".into()
                    } else {
                        "mouse off: the terminal selects text (m turns it on)".into()
                    });
                }
                Command::Query(tab, change) => {
                    self.lists.change(tab, change, &mut more);
                    if let Some(remembered) = &mut self.remembered {
                        remembered.update(&self.lists.views_shown());
                    }
                }
            }
            queue.extend(more.into_iter().map(|c| (Origin::Lists, c)));
        }
        requests
    }

    /// What the tab bar says on its right: the tenant, or how far the demo is made.
    fn tab_label(&self) -> String {
        let tenant = self
            .lookups
            .as_ref()
            .map_or(self.tenant.as_str(), |l| l.tenant_name.as_str());
        match &self.making {
            // Said where it stays in sight until the demo is whole.
            Some(making) => {
                let (done, total) = making.progress();
                format!(
                    "making the demo: {} of {}",
                    crate::client::format::thousands(done as u64),
                    crate::client::format::thousands(total as u64)
                )
            }
            None => format!("crm · {tenant}"),
        }
    }

    /// The area shown: segments or analytics when one is open, else the lists' tab.
    pub fn area(&self) -> Area {
        self.overlays
            .iter()
            .find_map(|s| s.area())
            .unwrap_or(Area::List(self.lists.tab))
    }

    /// Shows `area`: the segments or analytics shown now (and whatever is open over them) are
    /// put aside as they are, and come back so when their tab is chosen again.
    fn go(&mut self, area: Area, more: &mut Vec<Command>, requests: &mut Vec<Request>) {
        if let Some(i) = self.overlays.iter().position(|s| s.area().is_some()) {
            let screen = self.overlays.remove(i);
            self.overlays.truncate(i);
            self.parked.push(screen);
        }
        self.overlays.clear();
        match area {
            Area::List(tab) => self.lists.go(tab, more),
            Area::Segments | Area::Analytics | Area::Trash => {
                if let Some(i) = self.parked.iter().position(|s| s.area() == Some(area)) {
                    let mut screen = self.parked.remove(i);
                    screen.shown_again(more);
                    self.overlays.push(screen);
                } else if area == Area::Segments {
                    let (screen, ask) = crate::client::screens::segments::Segments::new();
                    self.overlays.push(Box::new(screen));
                    requests.push(ask);
                } else if area == Area::Trash {
                    let (screen, ask) = crate::client::screens::trash::Trash::new();
                    self.overlays.push(Box::new(screen));
                    requests.push(ask);
                } else {
                    let (screen, ask) = crate::client::screens::analytics::Analytics::new(self.now);
                    self.overlays.push(Box::new(screen));
                    requests.push(ask);
                }
            }
        }
    }

    /// A mouse event, dispatched as keys are: the wheel as `↑`/`↓` to the screen on top, a
    /// click on the tab bar as the tab's number (on the lists), any other click to the screen
    /// on top with where it was drawn.
    /// A paste goes to the field on top as the characters it holds: line breaks start a line in
    /// a multi-line field and are spaces in a one-line field; elsewhere a paste does nothing.
    fn paste(&mut self, text: &str) -> Vec<Request> {
        let Some(multi) = self.top().field().map(Field::is_multi) else {
            return Vec::new();
        };
        let mut requests = Vec::new();
        for c in text.replace("\r\n", "\n").chars() {
            let key = match c {
                '\n' | '\r' if multi => KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL),
                '\n' | '\r' | '\t' => KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE),
                c if c.is_control() => continue,
                c => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            };
            requests.extend(self.update(Msg::Key(key)));
        }
        requests
    }

    fn mouse_event(&mut self, event: MouseEvent) -> Vec<Request> {
        let key = |code| Msg::Key(KeyEvent::new(code, KeyModifiers::NONE));
        match event.kind {
            MouseEventKind::ScrollDown => self.update(key(KeyCode::Down)),
            MouseEventKind::ScrollUp => self.update(key(KeyCode::Up)),
            MouseEventKind::Down(MouseButton::Left) => {
                let (x, y) = (event.column, event.row);
                let now = std::time::Instant::now();
                let double = self
                    .last_click
                    .is_some_and(|(at, cx, cy)| (cx, cy) == (x, y) && now - at < DOUBLE_CLICK);
                self.last_click = if double { None } else { Some((now, x, y)) };
                if y == 0 {
                    // Only from an area itself, not over a dialog open on it.
                    let on_area = self.overlays.is_empty()
                        || (self.overlays.len() == 1 && self.overlays[0].area().is_some());
                    let (padding, _) =
                        ui::tab_bar(self.size.0, self.tab_label().chars().count() as u16);
                    return match ui::tab_at(x, padding) {
                        Some(n) if on_area => {
                            self.notice = None;
                            self.carry_out(vec![(Origin::Lists, Command::Go(Area::ALL[n]))])
                        }
                        _ => Vec::new(),
                    };
                }
                let areas = ui::areas(ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1));
                let view = View {
                    tick: self.tick,
                    now: self.now,
                    rows: self.viewport_rows,
                    lookups: self.lookups.as_ref(),
                };
                let mut out = Vec::new();
                let origin = if let Some(top) = self.overlays.last_mut() {
                    top.click(x, y, double, areas, &view, &mut out);
                    Origin::Overlay(self.overlays.len() - 1)
                } else {
                    self.lists.click(x, y, double, areas, &view, &mut out);
                    Origin::Lists
                };
                self.notice = None;
                self.carry_out(out.into_iter().map(|c| (origin, c)).collect())
            }
            _ => Vec::new(),
        }
    }

    /// Whether anything is being fetched (drives the spinner).
    pub fn busy(&self) -> bool {
        self.lookups.is_none() || self.screens().any(Screen::busy)
    }
}

/// Opens `db` and runs the client on the terminal until the user quits.
pub fn run(db: &Path, tenant: Option<&str>, user: Option<i64>, mouse: bool) -> Result<()> {
    if !crm_core::store::is_server_path(db) && !db.exists() {
        bail!(
            "{} does not exist; try `crm --demo`, or create one with `crm demo --db {}`",
            crm_core::store::shown(db),
            crm_core::store::shown(db)
        );
    }
    let crm =
        Arc::new(Crm::open(db).with_context(|| format!("opening {}", crm_core::store::shown(db)))?);
    run_on(crm, db, tenant, user, None, mouse)
}

/// Runs the client on an open database; `making` is a demo being generated into it meanwhile.
pub fn run_on(
    crm: Arc<Crm>,
    db: &Path,
    tenant: Option<&str>,
    user: Option<i64>,
    making: Option<Arc<Making>>,
    mouse: bool,
) -> Result<()> {
    let tenants = crm.list_tenants()?;
    let tenant = match tenant {
        Some(t) => tenants.iter().find(|x| x.tenant_id == t).with_context(|| {
            let known: Vec<_> = tenants.iter().map(|t| t.tenant_id.as_str()).collect();
            format!(
                "no tenant {t:?} in {}; it has: {}",
                crm_core::store::shown(db),
                known.join(", ")
            )
        })?,
        None => tenants.first().with_context(|| {
            format!(
                "{} has no tenants yet; create demo data with `crm demo --db {}`",
                crm_core::store::shown(db),
                crm_core::store::shown(db)
            )
        })?,
    }
    .tenant_id
    .clone();
    tracing::info!(db = %crm_core::store::shown(db), tenant, "client starting");

    let (msg_tx, msg_rx) = mpsc::channel();
    let (req_tx, req_rx) = mpsc::channel();
    // Changes (links) are made as `--user`, or as the tenant's first admin.
    let actor = match user {
        Some(id) => Some(crm_core::ids::UserId(id)),
        None => crm.first_admin(&tenant)?,
    };
    let replies = msg_tx.clone();
    let worker = worker::spawn(Arc::clone(&crm), tenant.clone(), actor, req_rx, move |r| {
        replies.send(Msg::Reply(r)).is_ok()
    });
    // Terminal input on its own thread, so the loop below waits on one channel for everything.
    std::thread::Builder::new()
        .name("crm-input".into())
        .spawn(move || {
            while let Ok(event) = crossterm::event::read() {
                let msg = match event {
                    Event::Key(key) => Msg::Key(key),
                    Event::Resize(width, height) => Msg::Resize { width, height },
                    Event::Mouse(event) => Msg::Mouse(event),
                    Event::Paste(text) => Msg::Paste(text),
                    _ => continue,
                };
                if msg_tx.send(msg).is_err() {
                    return;
                }
            }
            let _ = msg_tx.send(Msg::InputClosed);
        })?;

    // `ratatui::init` also installs a panic hook that restores the terminal before reporting;
    // the mouse's capture is let go of first.
    let mut terminal = ratatui::init();
    // A paste arrives whole (not as keys that could act: a newline would be Enter).
    crossterm::execute!(std::io::stdout(), EnableBracketedPaste)?;
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(
            std::io::stdout(),
            DisableMouseCapture,
            DisableBracketedPaste
        );
        restore(info);
    }));
    let result = (|| -> Result<()> {
        let size = terminal.size()?;
        let (mut app, mut requests) = App::new(&tenant, size.height);
        app.making = making;
        app.size = (size.width, size.height);
        app.mouse = mouse;
        // https://no-color.org: set and not empty.
        app.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        // Each tab opens on the view it showed last time.
        if let Some(file) = crate::client::remembered::Remembered::default_file() {
            let remembered =
                crate::client::remembered::Remembered::load(file, db, &tenant, actor.map(|a| a.0));
            requests.extend(app.lists.restore(&remembered.views()));
            app.remembered = Some(remembered);
        }
        for r in requests {
            req_tx.send(r)?;
        }
        let mut first_frame = true;
        let mut captured = false;
        loop {
            if app.mouse != captured {
                captured = app.mouse;
                if captured {
                    crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
                } else {
                    crossterm::execute!(std::io::stdout(), DisableMouseCapture)?;
                }
            }
            terminal.draw(|frame| draw(frame, &app))?;
            if first_frame {
                first_frame = false;
                tracing::info!(since_start = ?crate::started().elapsed(), "first frame drawn");
            }
            let msg = match msg_rx.recv_timeout(Duration::from_millis(120)) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => Msg::Tick,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            for r in app.update(msg) {
                req_tx.send(r)?;
            }
            if app.quit {
                break;
            }
        }
        Ok(())
    })();
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
    ratatui::restore();
    // The database closes when its last handle drops, which copies the write-ahead log into
    // the file: wait for the worker to let go of its handle before the process ends.
    drop(req_tx);
    let _ = worker.join();
    drop(crm);
    result
}

/// The frame: the tab bar, the screens bottom-up between it and the status line, and the status
/// line (spinner, notice, the hints of the screen on top) — a pure function of the app; each
/// screen draws only what is on screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [tabs, _, status] = ui::rows(frame.area());
    draw_tabs(frame, app, tabs);
    let view = View {
        tick: app.tick,
        now: app.now,
        rows: app.viewport_rows,
        lookups: app.lookups.as_ref(),
    };
    let areas = ui::areas(frame.area());
    for screen in app.screens() {
        screen.draw(frame, areas, &view);
    }
    draw_status(frame, app, status);
    if app.no_color {
        without_color(frame.buffer_mut());
    }
}

/// Takes the colours out of a drawn frame (`NO_COLOR`), keeping bold, dim, underline and
/// reversed video. A cell drawn on a coloured background (a selection, a highlighted match)
/// is shown reversed instead, so what stood out still does.
fn without_color(buffer: &mut ratatui::buffer::Buffer) {
    use ratatui::style::{Color, Modifier};
    for cell in &mut buffer.content {
        if cell.bg != Color::Reset {
            cell.modifier.toggle(Modifier::REVERSED);
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

fn draw_tabs(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let label = app.tab_label();
    let (padding, with_label) = ui::tab_bar(area.width, label.chars().count() as u16);
    let [left, right] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(if with_label {
            label.chars().count() as u16
        } else {
            0
        }),
    ])
    .areas(area);
    let pad = " ".repeat(usize::from(padding));
    frame.render_widget(
        Tabs::new(ui::tab_titles())
            .select(app.area().index())
            .highlight_style(Style::new().fg(Color::Yellow).bold())
            .padding(pad.clone(), pad)
            .divider("│"),
        left,
    );
    if with_label {
        frame.render_widget(Line::from(label).right_aligned().dim(), right);
    }
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
    let used: usize = spans.iter().map(Span::width).sum();
    let room = usize::from(area.width).saturating_sub(used);
    for (key, what) in ui::fit_hints(&app.keymap().hints, room) {
        spans.push(Span::styled(format!(" {key} "), Style::new().reversed()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::testing::{Harness, demo_crm};
    use crossterm::event::{MouseButton, MouseEventKind};

    fn making(done: usize, end: Option<Result<(), String>>) -> Arc<Making> {
        Arc::new(Making {
            total: 5_000,
            done: AtomicUsize::new(done),
            ended: Mutex::new(end),
        })
    }

    #[test]
    fn a_demo_made_behind_the_client_is_shown_as_it_grows_and_fetched_whole_when_done() {
        let mut h = Harness::new(demo_crm(60));
        h.app.making = Some(making(500, None));
        let screen = h.screen();
        assert!(screen.contains("making the demo: 500 of 5,000"), "{screen}");
        // Still being made: a tick changes nothing.
        assert!(h.app.update(Msg::Tick).is_empty());
        h.app.making = Some(making(5_000, Some(Ok(()))));
        let requests = h.app.update(Msg::Tick);
        assert!(requests.contains(&Request::Lookups), "{requests:?}");
        assert!(
            requests.iter().any(|r| matches!(
                r,
                Request::Page {
                    tab: worker::Tab::Customers,
                    ..
                }
            )),
            "{requests:?}"
        );
        h.answer(requests);
        let screen = h.screen();
        assert!(!screen.contains("making the demo"), "{screen}");
        assert!(
            screen.contains("the demo is ready: 5,000 customers"),
            "{screen}"
        );
    }

    fn mouse(h: &mut Harness, kind: MouseEventKind, x: u16, y: u16) {
        let requests = h.app.update(Msg::Mouse(MouseEvent {
            kind,
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        }));
        h.answer(requests);
    }

    fn click(h: &mut Harness, x: u16, y: u16) {
        mouse(h, MouseEventKind::Down(MouseButton::Left), x, y);
    }

    #[test]
    fn the_mouse_scrolls_selects_opens_and_changes_tabs() {
        let mut h = Harness::new(demo_crm(60));
        let rows: Vec<i64> = h
            .app
            .lists
            .list()
            .rows
            .iter()
            .map(worker::Record::id)
            .collect();
        // The wheel moves the selection as ↓ and ↑ do.
        mouse(&mut h, MouseEventKind::ScrollDown, 10, 10);
        mouse(&mut h, MouseEventKind::ScrollDown, 10, 10);
        assert_eq!(h.selected_id(), rows[2]);
        mouse(&mut h, MouseEventKind::ScrollUp, 10, 10);
        assert_eq!(h.selected_id(), rows[1]);
        // A click on a row selects it (the tab bar, the list's border and header come first).
        click(&mut h, 10, 3 + 5);
        assert_eq!(h.selected_id(), rows[5]);
        assert!(!h.app.lists.open);
        // A click outside the rows does nothing; a second click on one cell opens the record.
        click(&mut h, 110, 8);
        assert_eq!(h.selected_id(), rows[5]);
        click(&mut h, 10, 3 + 7);
        click(&mut h, 10, 3 + 7);
        assert_eq!(h.selected_id(), rows[7]);
        assert!(h.app.lists.open);
        h.key(KeyCode::Esc);
        // The tab bar: " 1 Customers │ 2 Leads │ 3 Deals …".
        let leads = h.screen().lines().next().unwrap().find("2 Leads").unwrap() as u16;
        click(&mut h, leads - 1, 0);
        assert_eq!(h.app.lists.tab, worker::Tab::Leads);
    }

    #[test]
    fn no_color_draws_without_colours_and_the_selection_still_shows() {
        use ratatui::style::{Color, Modifier};
        let mut h = Harness::new(demo_crm(30));
        let coloured = h.buffer();
        let selected_cells = |b: &ratatui::buffer::Buffer| -> Vec<(u16, u16)> {
            b.content
                .iter()
                .enumerate()
                .filter(|(_, c)| c.bg == Color::Blue)
                .map(|(i, _)| b.pos_of(i))
                .collect()
        };
        let selection = selected_cells(&coloured);
        assert!(
            !selection.is_empty(),
            "the list shows its selection in colour"
        );
        h.app.no_color = true;
        let plain = h.buffer();
        assert!(
            plain
                .content
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
            "a colour was left"
        );
        for (x, y) in selection {
            let cell = &plain[(x, y)];
            assert!(cell.modifier.contains(Modifier::REVERSED), "({x}, {y})");
            assert!(cell.modifier.contains(Modifier::BOLD), "({x}, {y})");
        }
        // The text is the same, only its colours went.
        assert_eq!(h.screen(), {
            h.app.no_color = false;
            h.screen()
        });
    }

    #[test]
    fn the_mouse_picks_a_card_on_the_board_and_m_lets_the_terminal_have_it() {
        let mut h = Harness::new(demo_crm(200));
        h.keys(&[KeyCode::Char('3'), KeyCode::Char('b')]);
        let board = h.app.lists.board.as_ref().unwrap();
        // 120 columns hold the first four columns (24 wide at least); one of them past the
        // first with three cards or more.
        let i = (1..4).find(|i| board.columns[*i].cards.len() >= 3).unwrap();
        let x = 1 + 118 * i as u16 / 4 + 10;
        // Its second card lies under the tab bar, the borders, the totals and a card of four
        // lines.
        let y = 1 + 1 + 1 + 2 + 4 + 1;
        click(&mut h, x, y);
        let board = h.app.lists.board.as_ref().unwrap();
        assert_eq!(board.focus, i);
        assert_eq!(board.columns[i].selected, 1);
        // The wheel goes down the column as j does.
        mouse(&mut h, MouseEventKind::ScrollDown, x, y);
        assert_eq!(h.app.lists.board.as_ref().unwrap().columns[i].selected, 2);
        assert!(h.app.mouse);
        h.key(KeyCode::Char('m'));
        assert!(!h.app.mouse);
        assert!(h.screen().contains("mouse off"), "{}", h.screen());
        h.key(KeyCode::Char('m'));
        assert!(h.app.mouse);
    }

    #[test]
    fn on_80_columns_every_tab_shows_and_answers_a_click() {
        let mut h = Harness::new(demo_crm(20));
        h.app.size = (80, 24);
        let bar = h.screen_sized(80, 24).lines().next().unwrap().to_owned();
        assert!(bar.contains("1 Customers│2 Leads"), "{bar}");
        assert!(bar.contains("│7 Analytics"), "{bar}");
        let at = bar.find("7 Analytics").unwrap();
        // Characters before it, not bytes (the dividers are three bytes each).
        let x = bar[..at].chars().count() as u16 - 1;
        click(&mut h, x + 3, 0);
        assert_eq!(h.app.area(), Area::Analytics);
        click(&mut h, 2, 0);
        assert_eq!(h.app.area(), Area::List(worker::Tab::Customers));
    }

    #[test]
    fn a_demo_that_fails_behind_the_client_says_why() {
        let mut h = Harness::new(demo_crm(20));
        h.app.making = Some(making(500, Some(Err("disk full".into()))));
        assert!(h.app.update(Msg::Tick).is_empty());
        assert!(
            h.screen()
                .contains("the demo could not be finished: disk full"),
            "{}",
            h.screen()
        );
    }
}

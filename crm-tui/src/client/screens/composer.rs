//! The quote composer: a draft's lines as a table — add (a product picked by typing, or free
//! text), edit quantity, price, discount and tax inline, remove, reorder — with the subtotal,
//! discount, tax per rate and total computed as you type by crm-core's own arithmetic, and the
//! field at fault marked. `s` saves, `S` sends. A quote that is not a draft opens read-only:
//! `A` accepts, `R` rejects with a reason, `v` revises, as its status allows.

use super::document::Document;
use super::{Areas, Command, Screen, View};
use crate::client::field::Field;
use crate::client::keys::{Binding, KeyHelp, Keymap, each, hint, lines, typing};
use crate::client::worker::{DraftOf, Failure, QuoteAct, QuoteDraft, Reply, Request};
use crm_core::ids::{DealId, ProductId, QuoteId, QuoteTemplateId};
use crm_core::money::{Currency, Money};
use crm_core::products::Product;
use crm_core::quotes::lines::LineRequest;
use crm_core::quotes::render::percent;
use crm_core::quotes::totals::{self, LineAmounts, LineInput, Quantity, TaxRounding, Totals};
use crm_core::quotes::{Quote, QuoteStatus};
use crm_core::time::Timestamp;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Up,
    Down,
    Left,
    Right,
    Edit,
    Add,
    Remove,
    MoveDown,
    MoveUp,
    Discount,
    Validity,
    Notes,
    Terms,
    Rounding,
    Save,
    Send,
    Accept,
    Reject,
    Revise,
    Type,
    Commit,
    Back,
    Help,
    /// The quote's document, as the customer receives it.
    Document,
}

use Action as A;
use KeyCode as K;

const ROWS: Binding<Action> = each(
    &[
        (K::Up, A::Up),
        (K::Char('k'), A::Up),
        (K::Down, A::Down),
        (K::Char('j'), A::Down),
    ],
    "↑↓ jk",
    "line up / down",
);
const BACK: Binding<Action> = each(
    &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
    "Esc q",
    "back to the deal's quotes",
);
const HELP: Binding<Action> = each(&[(K::Char('?'), A::Help)], "?", "this help");
const DOCUMENT: Binding<Action> = each(
    &[(K::Char('p'), A::Document)],
    "p",
    "the quote's document as the customer receives it (as saved; crm quote render)",
);

/// A draft's lines.
const DRAFT: Keymap<Action> = Keymap {
    title: "Keys in the quote composer",
    bindings: &[
        ROWS,
        each(
            &[
                (K::Left, A::Left),
                (K::Char('h'), A::Left),
                (K::Right, A::Right),
                (K::Char('l'), A::Right),
            ],
            "←→ hl",
            "field left / right",
        ),
        each(
            &[(K::Enter, A::Edit), (K::Char('e'), A::Edit)],
            "Enter e",
            "edit the field",
        ),
        each(
            &[(K::Char('a'), A::Add)],
            "a",
            "add a line: a product (type to filter) or free text",
        ),
        each(&[(K::Char('d'), A::Remove)], "d", "remove the line"),
        each(
            &[(K::Char('J'), A::MoveDown), (K::Char('K'), A::MoveUp)],
            "J K",
            "move the line down / up",
        ),
        each(&[(K::Char('%'), A::Discount)], "%", "the quote's discount"),
        each(
            &[(K::Char('u'), A::Validity)],
            "u",
            "valid until: a day (YYYY-MM-DD), empty for none",
        ),
        each(
            &[(K::Char('N'), A::Notes), (K::Char('T'), A::Terms)],
            "N T",
            "the quote's notes / terms (empty for none)",
        ),
        each(
            &[(K::Char('r'), A::Rounding)],
            "r",
            "tax rounding: per line or global",
        ),
        each(&[(K::Char('s'), A::Save)], "s", "save the draft"),
        each(
            &[(K::Char('S'), A::Send)],
            "S",
            "save and send: the quote is frozen",
        ),
        each(
            &[(K::Esc, A::Back), (K::Char('q'), A::Back)],
            "Esc q",
            "back (twice with unsaved changes)",
        ),
        DOCUMENT,
        HELP,
    ],
    hints: &[
        hint(&[A::Edit], "Enter", "edit"),
        hint(&[A::Add], "a", "add"),
        hint(&[A::Remove], "d", "remove"),
        hint(&[A::MoveDown, A::MoveUp], "J K", "reorder"),
        hint(&[A::Save], "s", "save"),
        hint(&[A::Send], "S", "send"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// Typing into a field.
const EDIT: Keymap<Action> = Keymap {
    title: "Keys when editing a field",
    bindings: &[
        typing(A::Type, "type", "the value"),
        each(&[(K::Enter, A::Commit)], "Enter", "keep it"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
    ],
    hints: &[
        hint(&[A::Commit], "Enter", "keep"),
        hint(&[A::Back], "Esc", "cancel"),
    ],
};

/// Typing notes or terms: several lines.
const EDIT_LINES: Keymap<Action> = Keymap {
    title: "Keys when editing notes or terms",
    bindings: &[
        lines(A::Type, "type", "the text"),
        each(&[(K::Enter, A::Commit)], "Enter", "keep it"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
    ],
    hints: &[
        hint(&[A::Commit], "Enter", "keep"),
        hint(&[A::Type], "Alt-Enter", "new line"),
        hint(&[A::Back], "Esc", "cancel"),
    ],
};

/// Picking what a new line is.
const PRODUCT: Keymap<Action> = Keymap {
    title: "Keys when adding a line",
    bindings: &[
        typing(A::Type, "type", "filter the products"),
        each(&[(K::Up, A::Up), (K::Down, A::Down)], "↑↓", "move"),
        each(&[(K::Enter, A::Commit)], "Enter", "add it"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
    ],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Commit], "Enter", "add"),
        hint(&[A::Back], "Esc", "cancel"),
    ],
};

/// Typing why the customer said no.
const REASON: Keymap<Action> = Keymap {
    title: "Keys when rejecting",
    bindings: &[
        typing(A::Type, "type", "the reason (may stay empty)"),
        each(&[(K::Enter, A::Commit)], "Enter", "reject the quote"),
        each(&[(K::Esc, A::Back)], "Esc", "cancel"),
    ],
    hints: &[
        hint(&[A::Commit], "Enter", "reject"),
        hint(&[A::Back], "Esc", "cancel"),
    ],
};

/// Asking before sending or accepting.
const CONFIRM: Keymap<Action> = Keymap {
    title: "Keys when asked to confirm",
    bindings: &[
        each(&[(K::Char('y'), A::Commit)], "y", "yes, do it"),
        each(&[(K::Char('n'), A::Back), (K::Esc, A::Back)], "n Esc", "no"),
    ],
    hints: &[
        hint(&[A::Commit], "y", "yes"),
        hint(&[A::Back], "n Esc", "no"),
    ],
};

/// A sent quote, still valid.
const SENT: Keymap<Action> = Keymap {
    title: "Keys on a sent quote",
    bindings: &[
        ROWS,
        each(
            &[(K::Char('A'), A::Accept)],
            "A",
            "accept: the deal is won with the quote's total",
        ),
        each(&[(K::Char('R'), A::Reject)], "R", "reject, with a reason"),
        each(&[(K::Char('v'), A::Revise)], "v", "revise: a new draft"),
        BACK,
        DOCUMENT,
        HELP,
    ],
    hints: &[
        hint(&[A::Accept], "A", "accept"),
        hint(&[A::Reject], "R", "reject"),
        hint(&[A::Revise], "v", "revise"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// An expired or rejected quote: only a revision goes on.
const REVISABLE: Keymap<Action> = Keymap {
    title: "Keys on an expired or rejected quote",
    bindings: &[
        ROWS,
        each(&[(K::Char('v'), A::Revise)], "v", "revise: a new draft"),
        BACK,
        DOCUMENT,
        HELP,
    ],
    hints: &[
        hint(&[A::Revise], "v", "revise"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// An accepted or superseded quote, or one still loading.
const CLOSED: Keymap<Action> = Keymap {
    title: "Keys on a quote",
    bindings: &[ROWS, BACK, DOCUMENT, HELP],
    hints: &[
        hint(&[A::Up, A::Down], "↑↓", "move"),
        hint(&[A::Back], "Esc", "back"),
        hint(&[A::Help], "?", "help"),
    ],
};

/// The fields of a line a person edits, in column order.
const FIELDS: [&str; 5] = ["Description", "Qty", "Unit price", "Disc %", "Tax %"];

/// A line as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EditLine {
    product: Option<ProductId>,
    /// Description, quantity, unit price (major units), discount %, tax %.
    cells: [String; 5],
}

/// What is being typed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Line `row`'s field `col`.
    Line(usize, usize),
    Discount,
    ValidUntil,
    Notes,
    Terms,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Table,
    Edit {
        target: Target,
        text: Field,
    },
    /// `choice` 0 is a free-text line (described by the filter); then the matching products.
    Product {
        filter: Field,
        choice: usize,
    },
    Reason(Field),
    /// Asking before what cannot be undone (sending freezes, accepting wins the deal).
    Confirm(Pending),
}

/// What waits for a yes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Send(QuoteDraft),
    Accept,
}

/// `4` or `4.5` percent → basis points; at most two decimals, 0 to 100.
fn percent_bp(text: &str) -> Result<i64, String> {
    let text = text.trim().trim_end_matches('%').trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.len() > 2 || !(fraction.is_empty() || digits(fraction)) {
        return Err("a percentage: 0 to 100, at most two decimals".into());
    }
    let bp = whole
        .parse::<i64>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|w| w.checked_add(format!("{fraction:0<2}").parse::<i64>().unwrap_or(0)))
        .filter(|bp| (0..=10_000).contains(bp));
    bp.ok_or_else(|| "a percentage: 0 to 100".into())
}

/// A day typed as `YYYY-MM-DD` → the end of that day (UTC), through which the quote is valid;
/// nothing typed → no validity date.
fn valid_until(text: &str) -> Result<Option<Timestamp>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("valid until: a day as YYYY-MM-DD, not {text:?}"))?;
    let end = day
        .and_hms_milli_opt(23, 59, 59, 999)
        .ok_or_else(|| format!("valid until: no such day {text:?}"))?;
    Ok(Some(end.and_utc()))
}

/// Basis points as the field shows them: `400` → `4`, `550` → `5.5`.
fn bp_text(bp: i64) -> String {
    percent(bp).trim_end_matches('%').to_owned()
}

/// What the lines and discount say now: each line's amounts, or the first fault with the
/// field it is in.
struct Evaluated {
    amounts: Vec<Option<LineAmounts>>,
    totals: Result<Totals, String>,
    /// The fields at fault: (line, field, why); line `usize::MAX` is the quote's discount.
    faults: Vec<(usize, usize, String)>,
}

/// The quote composer.
#[derive(Debug, Clone)]
pub struct Composer {
    id: QuoteId,
    /// A new quote not made yet: the deal and template it is made for on the first save. The
    /// quote shown meanwhile is what `quotes.create` would make (a dry run).
    new: Option<(DealId, Option<QuoteTemplateId>)>,
    deal_title: String,
    quote: Option<Result<Quote, Failure>>,
    products: Option<Vec<Product>>,
    lines: Vec<EditLine>,
    discount: String,
    rounding: TaxRounding,
    valid_until: Option<Timestamp>,
    notes: Option<String>,
    terms: Option<String>,
    row: usize,
    col: usize,
    mode: Mode,
    /// Changed since it was loaded or saved.
    dirty: bool,
    /// An Esc with unsaved changes was pressed once.
    leaving: bool,
    /// A step is in flight.
    waiting: bool,
}

impl Composer {
    /// The composer on quote `id` (of the deal titled `deal_title`), and its requests.
    pub fn open(id: QuoteId, deal_title: &str) -> (Composer, Vec<Request>) {
        let composer = Composer::of(id, None, deal_title);
        (composer, vec![Request::Quote(id), Request::QuoteSetup])
    }

    /// The composer on a new quote of `deal` from `template` (or none), made on its first save
    /// — leaving without saving leaves nothing behind.
    pub fn new_draft(
        deal: DealId,
        template: Option<QuoteTemplateId>,
        deal_title: &str,
    ) -> (Composer, Vec<Request>) {
        let composer = Composer::of(QuoteId(0), Some((deal, template)), deal_title);
        (
            composer,
            vec![Request::NewQuote { deal, template }, Request::QuoteSetup],
        )
    }

    fn of(
        id: QuoteId,
        new: Option<(DealId, Option<QuoteTemplateId>)>,
        deal_title: &str,
    ) -> Composer {
        Composer {
            id,
            new,
            deal_title: deal_title.to_owned(),
            quote: None,
            products: None,
            lines: Vec::new(),
            discount: "0".into(),
            rounding: TaxRounding::PerLine,
            valid_until: None,
            notes: None,
            terms: None,
            row: 0,
            col: 0,
            mode: Mode::Table,
            dirty: false,
            leaving: false,
            waiting: false,
        }
    }

    /// How the quote is named on screen: its number, or that it is new.
    pub(super) fn label(&self, q: &Quote) -> String {
        if self.new.is_some() {
            "new (made when saved)".to_owned()
        } else {
            q.label()
        }
    }

    fn loaded(&self) -> Option<&Quote> {
        self.quote.as_ref().and_then(|r| r.as_ref().ok())
    }

    fn currency(&self) -> Option<Currency> {
        self.loaded().map(|q| q.currency)
    }

    fn status(&self) -> Option<QuoteStatus> {
        self.loaded().map(|q| q.status)
    }

    /// Takes a quote read from the database: its lines become the editable ones.
    fn take(&mut self, quote: Quote) {
        let currency = quote.currency;
        self.lines = quote
            .lines
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|l| EditLine {
                product: l.product_id,
                cells: [
                    l.description.clone(),
                    l.quantity.to_string(),
                    Money::new(l.unit_price, currency)
                        .amount_text()
                        .replace(',', ""),
                    bp_text(l.discount_bp),
                    bp_text(l.tax_rate_bp),
                ],
            })
            .collect();
        self.discount = bp_text(quote.discount_bp);
        self.rounding = quote.tax_rounding;
        self.valid_until = quote.valid_until;
        self.notes.clone_from(&quote.notes);
        self.terms.clone_from(&quote.terms);
        self.row = self.row.min(self.lines.len().saturating_sub(1));
        self.dirty = false;
        self.leaving = false;
        self.id = quote.id;
        self.quote = Some(Ok(quote));
    }

    /// Every line's fields and the quote's discount as they read now: with the value being
    /// typed in place of the one it will replace, so the totals follow each key.
    fn fields_now(&self) -> (Vec<[String; 5]>, String) {
        let mut cells: Vec<[String; 5]> = self.lines.iter().map(|l| l.cells.clone()).collect();
        let mut discount = self.discount.clone();
        if let Mode::Edit { target, text } = &self.mode {
            match target {
                Target::Line(row, col) => {
                    if let Some(line) = cells.get_mut(*row) {
                        line[*col] = text.text();
                    }
                }
                Target::Discount => discount = text.text(),
                Target::ValidUntil | Target::Notes | Target::Terms => {}
            }
        }
        (cells, discount)
    }

    /// Reads every field and computes the amounts with crm-core's arithmetic.
    fn evaluate(&self) -> Evaluated {
        let mut faults = Vec::new();
        let Some(currency) = self.currency() else {
            return Evaluated {
                amounts: Vec::new(),
                totals: Err(String::new()),
                faults,
            };
        };
        let (cells, quote_discount) = self.fields_now();
        let mut inputs = Vec::with_capacity(cells.len());
        for (i, line) in cells.iter().enumerate() {
            let [description, qty, price, discount, tax] = line;
            if description.trim().is_empty() {
                faults.push((i, 0, "a description is needed".into()));
            }
            let quantity = Quantity::parse("quantity", qty.trim()).map_err(|e| message(&e));
            let price = Money::parse("unitPrice", price, currency).map_err(|e| message(&e));
            let discount = percent_bp(discount);
            let tax = percent_bp(tax);
            for (col, fault) in [
                (1, quantity.as_ref().err()),
                (2, price.as_ref().err()),
                (3, discount.as_ref().err()),
                (4, tax.as_ref().err()),
            ] {
                if let Some(f) = fault {
                    faults.push((i, col, f.clone()));
                }
            }
            if let Some(p) = price.as_ref().ok().filter(|p| p.amount < 0) {
                faults.push((
                    i,
                    2,
                    format!("a price is at least 0, not {}", p.amount_text()),
                ));
            }
            inputs.push(match (quantity, price, discount, tax) {
                (Ok(quantity), Ok(price), Ok(discount_bp), Ok(tax_rate_bp)) => Some(LineInput {
                    quantity,
                    unit_price: price.amount,
                    discount_bp,
                    tax_rate_bp,
                }),
                _ => None,
            });
        }
        let discount = percent_bp(&quote_discount);
        if let Err(e) = &discount {
            faults.push((usize::MAX, 0, e.clone()));
        }
        let mut amounts = vec![None; self.lines.len()];
        let totals = match (inputs.iter().copied().collect::<Option<Vec<_>>>(), discount) {
            (Some(inputs), Ok(discount)) => {
                match totals::compute(&inputs, discount, self.rounding) {
                    Ok((lines, totals)) => {
                        amounts = lines.into_iter().map(Some).collect();
                        Ok(totals)
                    }
                    Err(e) => {
                        let why = message(&e);
                        let line = e
                            .field()
                            .and_then(|f| f.strip_prefix("lines["))
                            .and_then(|f| f.split(']').next())
                            .and_then(|n| n.parse().ok());
                        if let Some(line) = line {
                            faults.push((line, 2, why.clone()));
                        }
                        Err(why)
                    }
                }
            }
            _ => Err(faults
                .first()
                .map_or_else(String::new, |(_, _, why)| why.clone())),
        };
        Evaluated {
            amounts,
            totals,
            faults,
        }
    }

    /// The draft as it would be saved, or the first fault.
    fn draft(&self) -> Result<QuoteDraft, String> {
        let evaluated = self.evaluate();
        if let Some((line, col, why)) = evaluated.faults.first() {
            return Err(if *line == usize::MAX {
                format!("the quote's discount: {why}")
            } else {
                format!("line {}, {}: {why}", line + 1, FIELDS[*col])
            });
        }
        let currency = self.currency().ok_or("the quote has not loaded")?;
        let lines = self
            .lines
            .iter()
            .map(|l| {
                let [description, qty, price, discount, tax] = &l.cells;
                Ok(LineRequest {
                    product_id: l.product,
                    description: Some(description.trim().to_owned()),
                    quantity: Quantity::parse("quantity", qty.trim()).map_err(|e| message(&e))?,
                    unit_price: Some(
                        Money::parse("unitPrice", price, currency)
                            .map_err(|e| message(&e))?
                            .amount,
                    ),
                    discount_bp: Some(percent_bp(discount)?),
                    tax_rate_bp: Some(percent_bp(tax)?),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(QuoteDraft {
            of: match self.new {
                Some((deal, template)) => DraftOf::New { deal, template },
                None => DraftOf::Quote(self.id),
            },
            lines,
            discount_bp: percent_bp(&self.discount)?,
            tax_rounding: self.rounding,
            valid_until: self.valid_until,
            notes: self.notes.clone(),
            terms: self.terms.clone(),
        })
    }

    fn keymap_now(&self) -> &'static Keymap<Action> {
        match (&self.mode, self.status()) {
            (
                Mode::Edit {
                    target: Target::Notes | Target::Terms,
                    ..
                },
                _,
            ) => &EDIT_LINES,
            (Mode::Edit { .. }, _) => &EDIT,
            (Mode::Product { .. }, _) => &PRODUCT,
            (Mode::Reason(_), _) => &REASON,
            (Mode::Confirm(_), _) => &CONFIRM,
            (Mode::Table, Some(QuoteStatus::Draft)) => &DRAFT,
            (Mode::Table, Some(QuoteStatus::Sent)) => &SENT,
            (Mode::Table, Some(QuoteStatus::Expired | QuoteStatus::Rejected)) => &REVISABLE,
            (Mode::Table, _) => &CLOSED,
        }
    }

    /// The products whose name or SKU holds the filter (any case).
    fn offered(&self, filter: &str) -> Vec<&Product> {
        let filter = filter.to_lowercase();
        self.products
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(|p| {
                p.name.to_lowercase().contains(&filter)
                    || p.sku
                        .as_deref()
                        .is_some_and(|s| s.to_lowercase().contains(&filter))
            })
            .collect()
    }

    fn act(&mut self, act: QuoteAct, out: &mut Vec<Command>) {
        self.waiting = true;
        out.push(Command::Ask(Request::QuoteAct(act)));
    }

    /// A line for `product` (or a free-text line), added after the selected one.
    fn add(&mut self, product: Option<&Product>) {
        let currency = self.currency();
        let line = match product {
            Some(p) => EditLine {
                product: Some(p.id),
                cells: [
                    p.name.clone(),
                    "1".into(),
                    if Some(p.unit_price.currency) == currency {
                        p.unit_price.amount_text().replace(',', "")
                    } else {
                        String::new()
                    },
                    "0".into(),
                    bp_text(p.tax_rate_bp),
                ],
            },
            None => EditLine {
                product: None,
                cells: [
                    String::new(),
                    "1".into(),
                    String::new(),
                    "0".into(),
                    "0".into(),
                ],
            },
        };
        let at = if self.lines.is_empty() {
            0
        } else {
            self.row + 1
        };
        self.lines.insert(at, line);
        self.row = at;
        // A free-text line starts on its description; a product's on its quantity.
        self.col = usize::from(product.is_some());
        self.dirty = true;
    }

    /// A key on the table; `rows`: the list rows the terminal shows (for the document's size).
    fn key_table(&mut self, action: Action, rows: usize, out: &mut Vec<Command>) {
        let count = self.lines.len();
        let draft = self.status() == Some(QuoteStatus::Draft);
        match action {
            A::Help => out.push(Command::Help),
            A::Back if self.dirty && !self.leaving => {
                self.leaving = true;
                out.push(Command::Notice(
                    "unsaved changes: s saves them, Esc again leaves without".into(),
                ));
            }
            A::Back => out.push(Command::Close),
            A::Up => self.row = self.row.saturating_sub(1),
            A::Down => self.row = (self.row + 1).min(count.saturating_sub(1)),
            A::Left => self.col = self.col.saturating_sub(1),
            A::Right => self.col = (self.col + 1).min(FIELDS.len() - 1),
            A::Edit if draft && count > 0 => {
                let value = &self.lines[self.row].cells[self.col];
                self.mode = Mode::Edit {
                    target: Target::Line(self.row, self.col),
                    // A number opens selected: typing replaces it, the arrows keep it.
                    text: if self.col == 0 {
                        Field::new(value)
                    } else {
                        Field::selected(value)
                    },
                };
            }
            A::Discount if draft => {
                self.mode = Mode::Edit {
                    target: Target::Discount,
                    text: Field::selected(&self.discount),
                };
            }
            A::Validity if draft => {
                self.mode = Mode::Edit {
                    target: Target::ValidUntil,
                    text: Field::selected(
                        &self
                            .valid_until
                            .map_or_else(String::new, crate::client::format::date),
                    ),
                };
            }
            A::Notes | A::Terms if draft => {
                let (target, text) = if action == A::Notes {
                    (Target::Notes, &self.notes)
                } else {
                    (Target::Terms, &self.terms)
                };
                self.mode = Mode::Edit {
                    target,
                    text: Field::multi(text.as_deref().unwrap_or_default()),
                };
            }
            A::Add if draft => {
                self.mode = Mode::Product {
                    filter: Field::default(),
                    choice: 0,
                };
            }
            A::Remove if draft && count > 0 => {
                self.lines.remove(self.row);
                self.row = self.row.min(self.lines.len().saturating_sub(1));
                self.dirty = true;
            }
            A::MoveDown if draft && self.row + 1 < count => {
                self.lines.swap(self.row, self.row + 1);
                self.row += 1;
                self.dirty = true;
            }
            A::MoveUp if draft && self.row > 0 && count > 1 => {
                self.lines.swap(self.row, self.row - 1);
                self.row -= 1;
                self.dirty = true;
            }
            A::Rounding if draft => {
                self.rounding = match self.rounding {
                    TaxRounding::PerLine => TaxRounding::Global,
                    TaxRounding::Global => TaxRounding::PerLine,
                };
                self.dirty = true;
            }
            A::Save | A::Send if draft => match self.draft() {
                Ok(d) if action == A::Save => self.act(QuoteAct::Save(d), out),
                Ok(d) => self.mode = Mode::Confirm(Pending::Send(d)),
                Err(why) => out.push(Command::Notice(format!("not saved: {why}"))),
            },
            A::Accept if self.status() == Some(QuoteStatus::Sent) => {
                self.mode = Mode::Confirm(Pending::Accept);
            }
            A::Reject if self.status() == Some(QuoteStatus::Sent) => {
                self.mode = Mode::Reason(Field::default());
            }
            A::Revise => self.act(QuoteAct::Revise(self.id), out),
            A::Document if self.new.is_some() => out.push(Command::Notice(
                "the quote is made when saved: s saves it, then p shows it".into(),
            )),
            A::Document => {
                if let Some(q) = self.loaded() {
                    out.push(Command::Push(Box::new(Document::loading(
                        q.id,
                        &q.label(),
                        // The terminal's height, from the rows a list shows in it.
                        u16::try_from(rows + 5).unwrap_or(u16::MAX),
                    ))));
                    out.push(Command::Ask(Request::QuoteDocument(q.id)));
                    if self.dirty {
                        out.push(Command::Notice(
                            "the document is the quote as saved: s saves the changes".into(),
                        ));
                    }
                }
            }
            _ => {}
        }
        if action != A::Back {
            self.leaving = false;
        }
    }
}

/// An error's message without the code the client shows elsewhere.
fn message(e: &crm_core::Error) -> String {
    match e {
        crm_core::Error::InvalidInput { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

impl Screen for Composer {
    fn keymap(&self) -> KeyHelp {
        self.keymap_now().help()
    }

    fn field(&self) -> Option<&Field> {
        match &self.mode {
            Mode::Edit { text: f, .. } | Mode::Product { filter: f, .. } | Mode::Reason(f) => {
                Some(f)
            }
            Mode::Table | Mode::Confirm(_) => None,
        }
    }

    fn key(&mut self, key: KeyEvent, view: &View<'_>, out: &mut Vec<Command>) {
        let Some(action) = self.keymap_now().action(key) else {
            return;
        };
        match std::mem::replace(&mut self.mode, Mode::Table) {
            Mode::Table => self.key_table(action, view.rows, out),
            Mode::Edit { target, mut text } => match action {
                A::Type => {
                    text.key(key);
                    self.mode = Mode::Edit { target, text };
                }
                A::Commit => {
                    let text_field = text;
                    let text = text_field.text();
                    match target {
                        Target::Line(row, col) => self.lines[row].cells[col] = text,
                        Target::Discount => self.discount = text,
                        Target::Notes => self.notes = Some(text).filter(|t| !t.trim().is_empty()),
                        Target::Terms => self.terms = Some(text).filter(|t| !t.trim().is_empty()),
                        Target::ValidUntil => match valid_until(&text) {
                            Ok(until) => self.valid_until = until,
                            Err(why) => {
                                out.push(Command::Notice(why));
                                self.mode = Mode::Edit {
                                    target,
                                    text: text_field,
                                };
                                return;
                            }
                        },
                    }
                    self.dirty = true;
                }
                _ => {}
            },
            Mode::Product { mut filter, choice } => {
                let options = self.offered(&filter.text()).len() + 1;
                match action {
                    A::Type => {
                        let choice = if filter.key(key) {
                            // The first match is the likely one; with none, the typed text
                            // describes a free-text line.
                            let typed = filter.text();
                            usize::from(
                                !typed.trim().is_empty() && !self.offered(&typed).is_empty(),
                            )
                        } else {
                            choice
                        };
                        self.mode = Mode::Product { filter, choice };
                    }
                    A::Up => {
                        self.mode = Mode::Product {
                            filter,
                            choice: choice.saturating_sub(1),
                        };
                    }
                    A::Down => {
                        self.mode = Mode::Product {
                            filter,
                            choice: (choice + 1).min(options - 1),
                        };
                    }
                    A::Commit => {
                        // Choice 0 is a free-text line; then the products that match.
                        let typed = filter.text();
                        let product = choice
                            .checked_sub(1)
                            .and_then(|i| self.offered(&typed).get(i).map(|p| (*p).clone()));
                        self.add(product.as_ref());
                        if product.is_none() {
                            typed.trim().clone_into(&mut self.lines[self.row].cells[0]);
                        }
                    }
                    _ => {}
                }
            }
            Mode::Confirm(pending) => {
                if action == A::Commit {
                    match pending {
                        Pending::Send(d) => self.act(QuoteAct::Send(d), out),
                        Pending::Accept => self.act(QuoteAct::Accept(self.id), out),
                    }
                }
            }
            Mode::Reason(mut text) => match action {
                A::Type => {
                    text.key(key);
                    self.mode = Mode::Reason(text);
                }
                A::Commit => {
                    let reason = Some(text.text().trim().to_owned()).filter(|t| !t.is_empty());
                    self.act(
                        QuoteAct::Reject {
                            id: self.id,
                            reason,
                        },
                        out,
                    );
                }
                _ => {}
            },
        }
    }

    fn reply(&mut self, reply: Reply, _view: &View<'_>, out: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::Quote(result) if self.quote.is_none() => match result {
                Ok(q) => self.take(*q),
                Err(e) => self.quote = Some(Err(e)),
            },
            Reply::QuoteSetup(result) if self.products.is_none() => {
                self.products = Some(result.map(|(_, p)| p).unwrap_or_default());
            }
            Reply::QuoteActed { act, result } if self.waiting => {
                self.waiting = false;
                match result {
                    Ok(quote) => {
                        let label = quote.label();
                        out.push(Command::Notice(format!("quote {label} {}", act.done())));
                        // Made by this save: from now on it is that quote.
                        self.new = None;
                        out.push(Command::Ask(Request::Quotes(quote.deal_id)));
                        if matches!(act, QuoteAct::Accept(_)) {
                            out.push(Command::Reload(crate::client::worker::Tab::Deals));
                        }
                        self.take(*quote);
                    }
                    Err(e) => out.push(Command::Notice(format!("not {}: {e}", act.done()))),
                }
            }
            other => return Some(other),
        }
        None
    }

    fn draw(&self, frame: &mut Frame<'_>, areas: Areas, view: &View<'_>) {
        self.draw_screen(frame, areas.main, view);
    }

    fn busy(&self) -> bool {
        self.quote.is_none() || self.waiting
    }
}

mod draw;

#[cfg(test)]
mod tests;

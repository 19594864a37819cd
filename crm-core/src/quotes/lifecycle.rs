//! A quote's life after it is made: send, accept, reject, revise, and the refresh that writes
//! expiry down. Each step is one transaction: the quote, its audit and feed entries, its
//! activity on the timelines and (for accept) the deal's move and value commit together or not
//! at all. A step the quote's status does not allow is `conflict` and changes nothing.

use super::{Quote, QuoteStatus, load, render, store};
use crate::catalog::RecordKind;
use crate::deals::{self, Deal, DealChanges, DealStatus, MoveStage, StageKind};
use crate::error::{Error, Result};
use crate::ids::{QuoteActivityId, QuoteId};
use crate::methods;
use crate::money::Money;
use crate::records::{self, TimelineItem, TimelineSource, string_enum};
use crate::sql::params;
use crate::store::Tx;
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

string_enum! {
    /// A step of a quote's life, as its timeline activity names it.
    Step {
        /// The quote was created.
        Created = "created",
        /// It was sent.
        Sent = "sent",
        /// The customer accepted it.
        Accepted = "accepted",
        /// The customer turned it down.
        Rejected = "rejected",
        /// A new revision replaced it.
        Revised = "revised",
        /// Its validity passed.
        Expired = "expired",
    }
}

/// What `quotes.reject` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reject {
    /// The quote turned down.
    pub id: QuoteId,
    /// Why the customer said no, in their words or the rep's.
    #[serde(default)]
    pub reason: Option<String>,
}

/// What `quotes.send` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendQuote {
    /// The draft to send.
    pub id: QuoteId,
    /// When it was sent, for records brought from elsewhere: not before the quote was made,
    /// not after now. Now when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub at: Option<Timestamp>,
}

impl From<QuoteId> for SendQuote {
    fn from(id: QuoteId) -> Self {
        SendQuote { id, at: None }
    }
}

/// What `quotes.refresh` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refreshed {
    /// Sent quotes past their validity now written `expired`.
    pub expired: u64,
}

fn money(quote: &Quote) -> String {
    let total = Money::new(quote.totals.total, quote.currency);
    format!("{} {}", quote.currency.code(), total.amount_text())
}

/// Writes the step's activity: on the deal's timeline and the customer's.
pub(crate) fn activity(
    tx: &mut Tx<'_>,
    quote: &Quote,
    step: Step,
    at: Option<Timestamp>,
) -> Result<()> {
    let body = match step {
        Step::Created | Step::Revised | Step::Accepted => Some(money(quote)),
        Step::Sent => Some(match quote.valid_until {
            Some(until) => format!(
                "{} · valid until {}",
                money(quote),
                until.format("%Y-%m-%d")
            ),
            None => money(quote),
        }),
        Step::Rejected => quote.reject_reason.clone(),
        Step::Expired => quote
            .valid_until
            .map(|until| format!("valid until {}", until.format("%Y-%m-%d"))),
    };
    let id = QuoteActivityId(tx.next_id(RecordKind::QuoteActivity)?);
    tx.prepare_cached(
        "INSERT INTO quote_activities (tenant_id, id, quote_id, deal_id, customer_id, kind, body, actor_id, occurred_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        tx.tenant,
        id,
        quote.id,
        quote.deal_id,
        quote.customer_id,
        step,
        body,
        tx.actor,
        time::to_millis(at.unwrap_or(tx.now)),
    ])?;
    Ok(())
}

/// A quote's steps on the timelines of its deal and customer.
pub(crate) const TIMELINE: TimelineSource = TimelineSource {
    sql: "SELECT a.id, a.kind, a.body, a.actor_id, a.deal_id, a.customer_id, q.number, q.revision,
                 d.title, d.lead_id
            FROM quote_activities a
            JOIN quotes q ON q.tenant_id = a.tenant_id AND q.id = a.quote_id
            JOIN deals d ON d.tenant_id = a.tenant_id AND d.id = a.deal_id
           WHERE a.tenant_id = ?1 AND a.id IN rarray(?2)",
    read: |r| {
        let step: Step = r.get(1)?;
        let number: String = r.get(6)?;
        let revision: i64 = r.get(7)?;
        let deal: String = r.get(8)?;
        let label = if revision == 1 {
            number
        } else {
            format!("{number} rev. {revision}")
        };
        Ok(TimelineItem {
            title: format!("Quote {label} {step} · deal {deal}"),
            body: r.get(2)?,
            actor_id: r.get(3)?,
            deal_id: Some(r.get(4)?),
            customer_id: r.get(5)?,
            lead_id: r.get(9)?,
            ..TimelineItem::default()
        })
    },
};

/// Writes `after` (over `before`, if it existed) with its audit and change-feed entries under
/// `action`, and the step's activity on the timelines, dated `at` (now when `None`).
fn write_step(
    tx: &mut Tx<'_>,
    action: &str,
    before: Option<&Quote>,
    after: &Quote,
    step: Option<(Step, Option<Timestamp>)>,
    snapshot: Option<&str>,
) -> Result<()> {
    store(tx, after, snapshot)?;
    tx.record_change(action, RecordKind::Quote, after.id.0, before, Some(after))?;
    if let Some((step, at)) = step {
        activity(tx, after, step, at)?;
    }
    Ok(())
}

/// `conflict` unless the quote is sent and still valid: what accept and reject need.
fn decidable(quote: &Quote, what: &str) -> Result<()> {
    if quote.status == QuoteStatus::Sent {
        return Ok(());
    }
    let why = match quote.status {
        QuoteStatus::Draft => "it has not been sent".to_owned(),
        QuoteStatus::Expired => format!(
            "its validity ended {}; revise it for a new offer",
            quote
                .valid_until
                .map_or_else(String::new, |u| u.format("%Y-%m-%d %H:%M UTC").to_string())
        ),
        other => format!("it is {other}"),
    };
    Err(Error::conflict(format!(
        "quote {} ({}) cannot be {what}: {why}",
        quote.id,
        quote.label()
    )))
}

pub(crate) fn send(tx: &mut Tx<'_>, request: SendQuote) -> Result<Quote> {
    let id = request.id;
    let at = time::given("at", request.at, tx.now)?;
    let before = load(tx, tx.tenant, id, tx.now)?;
    super::draft_only(&before, "sent")?;
    if before.line_count == 0 {
        return Err(Error::invalid(
            "lines",
            format!("quote {id} has no lines; add one before sending it"),
        ));
    }
    if at < before.created_at || at > tx.now {
        return Err(Error::invalid(
            "at",
            format!(
                "a quote is sent after it is made ({}) and not later than now",
                before.created_at.to_rfc3339()
            ),
        ));
    }
    if let Some(until) = before.valid_until
        && until <= at
    {
        return Err(Error::invalid(
            "validUntil",
            format!(
                "quote {id} was valid until {}, which has passed; set a later date first",
                until.to_rfc3339()
            ),
        ));
    }
    let mut after = before.clone();
    after.status = QuoteStatus::Sent;
    after.sent_at = Some(at);
    after.updated_at = tx.now;
    let document = render::document(tx, tx.tenant, &after)?;
    let snapshot = serde_json::to_string(&document)
        .map_err(|e| Error::Internal(format!("cannot serialize a quote's document: {e}")))?;
    write_step(
        tx,
        methods::QUOTES_SEND,
        Some(&before),
        &after,
        Some((Step::Sent, Some(at))),
        Some(&snapshot),
    )?;
    Ok(after)
}

fn accept(tx: &mut Tx<'_>, id: QuoteId) -> Result<Quote> {
    let before = load(tx, tx.tenant, id, tx.now)?;
    decidable(&before, "accepted")?;
    let deal: Deal = records::get(tx, tx.tenant, before.deal_id.0)?;
    let (value, currency) = (before.totals.total, before.currency.code().to_owned());
    if deal.status == DealStatus::Won {
        deals::update_deal(
            tx,
            DealChanges {
                id: Some(deal.id),
                value: Some(value),
                currency: Some(currency),
                ..DealChanges::default()
            },
        )?;
    } else {
        let pipeline = deals::pipeline_with_stages(tx, tx.tenant, deal.pipeline_id)?;
        let won = pipeline
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Won)
            .min_by_key(|s| s.position)
            .ok_or_else(|| {
                Error::conflict(format!(
                    "deal {}'s pipeline {:?} has no won stage to move it to",
                    deal.id, pipeline.name
                ))
            })?;
        // One write of the deal: the move (with its history and activity) and the value.
        let note = format!("quote {} accepted", before.label());
        deals::move_stage_with(
            tx,
            &MoveStage {
                deal_id: deal.id,
                stage_id: won.id,
                at: None,
            },
            |d| {
                d.value = value;
                d.currency = currency;
            },
            Some(&note),
        )?;
    }
    let mut after = before.clone();
    after.status = QuoteStatus::Accepted;
    after.decided_at = Some(tx.now);
    after.updated_at = tx.now;
    write_step(
        tx,
        methods::QUOTES_ACCEPT,
        Some(&before),
        &after,
        Some((Step::Accepted, None)),
        None,
    )?;
    Ok(after)
}

fn refuse(tx: &mut Tx<'_>, reject: Reject) -> Result<Quote> {
    let before = load(tx, tx.tenant, reject.id, tx.now)?;
    decidable(&before, "rejected")?;
    let mut after = before.clone();
    after.status = QuoteStatus::Rejected;
    after.decided_at = Some(tx.now);
    after.reject_reason =
        validate::opt_body("reason", reject.reason)?.filter(|r| !r.trim().is_empty());
    after.updated_at = tx.now;
    write_step(
        tx,
        methods::QUOTES_REJECT,
        Some(&before),
        &after,
        Some((Step::Rejected, None)),
        None,
    )?;
    Ok(after)
}

fn revise(tx: &mut Tx<'_>, id: QuoteId) -> Result<Quote> {
    let before = load(tx, tx.tenant, id, tx.now)?;
    match before.status {
        QuoteStatus::Sent | QuoteStatus::Expired | QuoteStatus::Rejected => {}
        QuoteStatus::Draft => {
            return Err(Error::conflict(format!(
                "quote {id} ({}) is a draft: change it with quotes.update instead",
                before.label()
            )));
        }
        QuoteStatus::Superseded => {
            let latest: i64 = tx
                .prepare_cached(
                    "SELECT id FROM quotes WHERE tenant_id = ?1 AND number = ?2
                      ORDER BY revision DESC LIMIT 1",
                )?
                .query_row(params![tx.tenant, before.number], |r| r.get(0))?;
            return Err(Error::conflict(format!(
                "quote {id} ({}) is superseded: revise the latest revision, quote {latest}",
                before.label()
            )));
        }
        QuoteStatus::Accepted => {
            return Err(Error::conflict(format!(
                "quote {id} ({}) is accepted and cannot be revised",
                before.label()
            )));
        }
    }
    let mut old = before.clone();
    old.status = QuoteStatus::Superseded;
    old.updated_at = tx.now;
    write_step(tx, methods::QUOTES_REVISE, Some(&before), &old, None, None)?;
    let lines = before.lines.clone().unwrap_or_default();
    let revision = Quote {
        id: QuoteId(tx.next_id(RecordKind::Quote)?),
        external_id: None,
        revision: before.revision + 1,
        previous_id: Some(before.id),
        status: QuoteStatus::Draft,
        // A validity already passed would make the draft unsendable; the rep sets a new one.
        valid_until: before.valid_until.filter(|u| *u > tx.now),
        line_count: lines.len() as i64,
        lines: Some(lines),
        sent_at: None,
        decided_at: None,
        reject_reason: None,
        created_at: tx.now,
        updated_at: tx.now,
        ..before
    };
    write_step(
        tx,
        methods::QUOTES_REVISE,
        None,
        &revision,
        Some((Step::Revised, None)),
        None,
    )?;
    super::lines::write(
        tx,
        revision.id,
        revision.lines.as_deref().unwrap_or_default(),
    )?;
    Ok(revision)
}

/// Writes `expired` on every sent quote of the tenant whose validity has passed, each with its
/// audit, feed entry and activity (dated when the validity ended).
fn refresh(tx: &mut Tx<'_>) -> Result<Refreshed> {
    let lapsed: Vec<QuoteId> = tx
        .prepare_cached(
            "SELECT id FROM quotes WHERE tenant_id = ?1 AND status = 'sent' AND valid_until < ?2
              ORDER BY id",
        )?
        .query_map(params![tx.tenant, time::to_millis(tx.now)], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &lapsed {
        let mut before = load(tx, tx.tenant, *id, tx.now)?;
        // The audit entry's "before" is what was stored: sent.
        before.status = QuoteStatus::Sent;
        let mut after = before.clone();
        after.status = QuoteStatus::Expired;
        after.decided_at = before.valid_until;
        after.updated_at = tx.now;
        write_step(
            tx,
            methods::QUOTES_REFRESH,
            Some(&before),
            &after,
            Some((Step::Expired, after.valid_until)),
            None,
        )?;
    }
    Ok(Refreshed {
        expired: lapsed.len() as u64,
    })
}

impl super::Quotes<'_, '_> {
    /// Sends a draft: freezes its document and totals.
    pub fn send(&self, request: impl Into<SendQuote>) -> Result<Quote> {
        let request = request.into();
        self.0.write(|tx| send(tx, request))
    }

    /// Accepts a sent, valid quote: the deal moves to its pipeline's won stage (unless won
    /// already) and takes the quote's total as its value, in the same transaction.
    pub fn accept(&self, id: QuoteId) -> Result<Quote> {
        self.0.write(|tx| accept(tx, id))
    }

    /// Rejects a sent, valid quote, with the customer's reason if given.
    pub fn reject(&self, reject: Reject) -> Result<Quote> {
        self.0.write(|tx| refuse(tx, reject))
    }

    /// A new draft revision of a sent, expired or rejected quote; the old one is superseded.
    pub fn revise(&self, id: QuoteId) -> Result<Quote> {
        self.0.write(|tx| revise(tx, id))
    }

    /// Writes `expired` on sent quotes past their validity (reads show it before this runs).
    pub fn refresh(&self) -> Result<Refreshed> {
        self.0.write(refresh)
    }
}

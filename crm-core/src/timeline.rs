//! The unified timeline of a customer, lead or deal: messages, conversations, ticket events,
//! activities, calls and quotes' steps in one stream, newest first, filtered and
//! cursor-paginated.
//!
//! Membership lives in the `timeline_entries` table, which triggers keep equal to the
//! `timeline_sources` view inside every writing transaction (see `migrations/V4__timeline.sql`;
//! V9 adds quote activities).
//! A page is one range scan of that table (or, with a type or channel filter, a merge of one
//! range scan per (type, channel) pair, at most 22), then one primary-key read per event shown
//! for its title and body. Nothing is cached: what a page shows is what was committed.

use crate::error::{Error, Result};
use crate::ids::{ConversationId, CustomerId, DealId, LeadId, TicketId, UserId};
use crate::records::Channel;
use crate::records::{self, string_enum};
use crate::sql::Value;
use crate::sql::{Connection, params};
use crate::store::EntityType;
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;

string_enum! {
    /// What kind of record a timeline belongs to.
    TimelineOwner {
        /// A customer's timeline.
        Customer = "customer",
        /// A lead's timeline.
        Lead = "lead",
        /// A deal's timeline.
        Deal = "deal",
    }
}

string_enum! {
    /// What a timeline event is. Ties at the same millisecond are broken by this name, then by
    /// the source's id, both descending.
    EventType {
        /// A message of a conversation.
        Message = "message",
        /// A conversation opened.
        Conversation = "conversation",
        /// Something that happened to a ticket.
        TicketEvent = "ticket_event",
        /// An activity on a lead.
        LeadActivity = "lead_activity",
        /// An activity on a deal.
        DealActivity = "deal_activity",
        /// A step of a quote: created, sent, accepted, …
        QuoteActivity = "quote_activity",
        /// A call.
        Call = "call",
    }
}

impl EventType {
    /// The channels an event of this type can have: `None` stands for "no channel".
    fn channels(self) -> &'static [Option<Channel>] {
        const ANY: &[Option<Channel>] = &[
            Some(Channel::Email),
            Some(Channel::Chat),
            Some(Channel::Phone),
            Some(Channel::Web),
            Some(Channel::Social),
            Some(Channel::Api),
        ];
        match self {
            EventType::Message | EventType::Conversation | EventType::TicketEvent => ANY,
            EventType::Call => &[Some(Channel::Phone)],
            EventType::LeadActivity | EventType::DealActivity | EventType::QuoteActivity => &[None],
        }
    }
}

/// The customer, lead or deal whose timeline is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntityRef {
    /// Whose timeline: a customer, a lead or a deal.
    #[serde(rename = "type")]
    pub entity_type: TimelineOwner,
    /// Its id.
    pub id: i64,
}

/// What `timeline.get` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimelineQuery {
    /// The customer, lead or deal whose timeline is asked for.
    pub entity: EntityRef,
    /// Only events of these types; all types when absent.
    #[serde(default)]
    pub types: Option<Vec<EventType>>,
    /// Only events on these channels (events without a channel are left out); all when absent.
    #[serde(default)]
    pub channels: Option<Vec<Channel>>,
    /// Events at or after this time.
    #[serde(default, with = "time::rfc3339::option")]
    pub from: Option<Timestamp>,
    /// Events before this time (exclusive).
    #[serde(default, with = "time::rfc3339::option")]
    pub to: Option<Timestamp>,
    /// 1 to 500; 50 when absent.
    #[serde(default)]
    pub limit: Option<u32>,
    /// A `nextCursor` from an earlier page of the same query.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl TimelineQuery {
    /// The whole timeline of `entity`, first page.
    pub fn of(entity_type: TimelineOwner, id: i64) -> Self {
        TimelineQuery {
            entity: EntityRef { entity_type, id },
            types: None,
            channels: None,
            from: None,
            to: None,
            limit: None,
            cursor: None,
        }
    }
}

/// The record an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// What kind of record it is.
    pub kind: EntityType,
    /// The record's id.
    pub id: i64,
}

/// One event of a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEvent {
    /// `<type>:<source id>`, e.g. `message:41`: unique within a tenant and stable.
    pub id: String,
    /// What kind of event it is.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it happened.
    #[serde(with = "time::rfc3339")]
    pub occurred_at: Timestamp,
    /// The channel it came in on, if any.
    pub channel: Option<Channel>,
    /// A title, for people.
    pub title: String,
    /// More words, if there are any.
    pub body: Option<String>,
    /// The user who did it, if one did.
    pub actor_id: Option<UserId>,
    /// The customer whose timeline shows it, if any.
    pub customer_id: Option<CustomerId>,
    /// The lead whose timeline shows it, if any.
    pub lead_id: Option<LeadId>,
    /// The deal whose timeline shows it, if any.
    pub deal_id: Option<DealId>,
    /// The ticket it concerns, if any.
    pub ticket_id: Option<TicketId>,
    /// The conversation of a message or conversation event.
    pub conversation_id: Option<ConversationId>,
    /// The record it comes from.
    pub source: Source,
}

/// A page of a timeline, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelinePage {
    /// The events, newest first.
    pub items: Vec<TimelineEvent>,
    /// Pass back as `cursor` (with the same query) for the next, older page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// How `timeline_entries` compares with what the sources say it should hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineCheck {
    /// Rows the sources call for.
    pub expected: u64,
    /// Rows the table holds.
    pub entries: u64,
    /// Expected rows the table lacks.
    pub missing: u64,
    /// Rows the table holds that no source calls for.
    pub extra: u64,
}

impl TimelineCheck {
    /// `true` when the table is exactly what the sources call for.
    pub fn consistent(&self) -> bool {
        self.missing == 0 && self.extra == 0
    }
}

/// The position after the last event of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    at: i64,
    kind: EventType,
    id: i64,
}

/// `timeline.*`.
#[derive(Debug, Clone, Copy)]
pub struct Timeline<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Timelines of this tenant's customers, leads and deals.
    pub fn timeline(&self) -> Timeline<'_, 'c> {
        Timeline(self)
    }
}

impl Timeline<'_, '_> {
    /// A page of the entity's timeline, newest first.
    pub fn get(&self, query: &TimelineQuery) -> Result<TimelinePage> {
        let limit = records::limit(query.limit)?;
        let plan = Plan::new(query)?;
        let after = query
            .cursor
            .as_deref()
            .map(|c| decode_cursor(c, &plan.fingerprint))
            .transpose()?;
        self.0.read(|conn, tenant| {
            require_owner(conn, tenant, query.entity)?;
            let mut keys = plan.keys(conn, tenant, query.entity, after.as_ref(), limit)?;
            let more = keys.len() > limit as usize;
            keys.truncate(limit as usize);
            let next_cursor = if more {
                keys.last().map(|k| encode_cursor(&plan.fingerprint, k))
            } else {
                None
            };
            let items = hydrate(conn, tenant, &keys)?;
            Ok(TimelinePage { items, next_cursor })
        })
    }

    /// Compares this tenant's timeline table with its sources.
    pub fn verify(&self) -> Result<TimelineCheck> {
        self.0.read(check)
    }

    /// Refills this tenant's timeline table from its sources (admin only). Returns the check
    /// made before the rebuild, so the caller sees what was repaired.
    pub fn rebuild(&self) -> Result<TimelineCheck> {
        self.0.admin("rebuilding the timeline")?;
        self.0.write(|tx| {
            let before = check(tx, tx.tenant)?;
            tx.execute(
                "DELETE FROM timeline_entries WHERE tenant_id = ?1",
                params![tx.tenant],
            )?;
            tx.execute(
                "INSERT INTO timeline_entries SELECT * FROM timeline_sources WHERE tenant_id = ?1",
                params![tx.tenant],
            )?;
            Ok(before)
        })
    }
}

fn check(conn: &Connection, tenant: i64) -> Result<TimelineCheck> {
    let count = |sql: &str| -> Result<u64> {
        Ok(conn
            .query_row(sql, params![tenant], |r| r.get::<_, i64>(0))?
            .unsigned_abs())
    };
    Ok(TimelineCheck {
        expected: count("SELECT COUNT(*) FROM timeline_sources WHERE tenant_id = ?1")?,
        entries: count("SELECT COUNT(*) FROM timeline_entries WHERE tenant_id = ?1")?,
        missing: count(
            "SELECT COUNT(*) FROM (SELECT * FROM timeline_sources WHERE tenant_id = ?1
                                   EXCEPT SELECT * FROM timeline_entries WHERE tenant_id = ?1) AS missing",
        )?,
        extra: count(
            "SELECT COUNT(*) FROM (SELECT * FROM timeline_entries WHERE tenant_id = ?1
                                   EXCEPT SELECT * FROM timeline_sources WHERE tenant_id = ?1) AS extra",
        )?,
    })
}

fn require_owner(conn: &Connection, tenant: i64, entity: EntityRef) -> Result<()> {
    let (sql, name) = match entity.entity_type {
        TimelineOwner::Customer => (
            "SELECT 1 FROM customers WHERE tenant_id = ?1 AND id = ?2",
            "customer",
        ),
        TimelineOwner::Lead => (
            "SELECT 1 FROM leads WHERE tenant_id = ?1 AND id = ?2",
            "lead",
        ),
        TimelineOwner::Deal => (
            "SELECT 1 FROM deals WHERE tenant_id = ?1 AND id = ?2",
            "deal",
        ),
    };
    if conn
        .prepare_cached(sql)?
        .exists(params![tenant, entity.id])?
    {
        Ok(())
    } else {
        Err(Error::not_found(name, entity.id))
    }
}

/// Which range scans answer a query, and the fingerprint its cursors carry.
struct Plan {
    /// `None`: one scan of the whole timeline. Otherwise one scan per (type, channel) pair.
    arms: Option<Vec<(EventType, Option<Channel>)>>,
    from: i64,
    to: Option<i64>,
    fingerprint: String,
}

impl Plan {
    fn new(query: &TimelineQuery) -> Result<Self> {
        let from = time::check_opt("from", query.from)?.map(time::to_millis);
        let to = time::check_opt("to", query.to)?.map(time::to_millis);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::invalid("to", "must not be before from"));
        }
        let types = sorted("types", query.types.as_deref())?;
        let channels = sorted("channels", query.channels.as_deref())?;
        let arms = (types.is_some() || channels.is_some()).then(|| {
            let types = types.as_deref().unwrap_or(EventType::ALL);
            let mut arms = Vec::new();
            for &kind in types {
                for &channel in kind.channels() {
                    let wanted = match (&channels, channel) {
                        (None, _) => true,
                        (Some(list), Some(c)) => list.contains(&c),
                        (Some(_), None) => false,
                    };
                    if wanted {
                        arms.push((kind, channel));
                    }
                }
            }
            arms
        });
        let list = |v: Option<Vec<String>>| v.map(|v| v.join(",")).unwrap_or_default();
        let fingerprint = format!(
            "{}:{};t={};c={};f={};u={}",
            query.entity.entity_type,
            query.entity.id,
            list(types.map(|v| v.iter().map(ToString::to_string).collect())),
            list(channels.map(|v| v.iter().map(ToString::to_string).collect())),
            from.map(|v| v.to_string()).unwrap_or_default(),
            to.map(|v| v.to_string()).unwrap_or_default(),
        );
        Ok(Plan {
            arms,
            from: from.unwrap_or(i64::MIN),
            to,
            fingerprint,
        })
    }

    /// Up to `limit + 1` keys after `after`, newest first.
    fn keys(
        &self,
        conn: &Connection,
        tenant: i64,
        owner: EntityRef,
        after: Option<&Key>,
        limit: u32,
    ) -> Result<Vec<Key>> {
        let Some(arms) = &self.arms else {
            // The whole timeline: one primary-key range scan. The upper bound is the cursor or
            // `to`, whichever is earlier; `''` sorts before every type so `to` is exclusive.
            let sql = "SELECT occurred_at, kind, source_id FROM timeline_entries
                        WHERE tenant_id = ?1 AND owner_type = ?2 AND owner_id = ?3 AND occurred_at >= ?4
                          AND (occurred_at, kind, source_id) < (?5, ?6, ?7)
                        ORDER BY occurred_at DESC, kind DESC, source_id DESC LIMIT ?8";
            let (at, kind, id) = match (after, self.to) {
                (Some(a), Some(to)) if to <= a.at => (to, "", i64::MIN),
                (Some(a), _) => (a.at, a.kind.as_str(), a.id),
                (None, Some(to)) => (to, "", i64::MIN),
                (None, None) => (i64::MAX, "", i64::MIN),
            };
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map(
                params![
                    tenant,
                    owner.entity_type,
                    owner.id,
                    self.from,
                    at,
                    kind,
                    id,
                    i64::from(limit) + 1
                ],
                key_from_row,
            )?;
            return rows.collect::<Result<_, _>>();
        };
        if arms.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = String::new();
        let mut args: Vec<crate::sql::Value> = vec![
            tenant.into(),
            owner.entity_type.into(),
            owner.id.into(),
            self.from.into(),
            (i64::from(limit) + 1).into(),
        ];
        for (i, (kind, channel)) in arms.iter().enumerate() {
            // Within one type, (occurred_at, source_id) orders the arm as the timeline does;
            // the cursor's type decides whether its own millisecond is still to come.
            let mut bound = (i64::MAX, i64::MIN);
            if let Some(a) = after {
                bound = match kind.as_str().cmp(a.kind.as_str()) {
                    std::cmp::Ordering::Less => (a.at.saturating_add(1), i64::MIN),
                    std::cmp::Ordering::Equal => (a.at, a.id),
                    std::cmp::Ordering::Greater => (a.at, i64::MIN),
                };
            }
            if let Some(to) = self.to {
                bound = bound.min((to, i64::MIN));
            }
            let n = args.len();
            args.push(bound.0.into());
            args.push(bound.1.into());
            if i > 0 {
                sql.push_str(" UNION ALL ");
            }
            let channel = match channel {
                Some(c) => format!("'{c}'"),
                None => "NULL".to_owned(),
            };
            // Type and channel come from closed enumerations, so writing them into the SQL is
            // safe, and gives each arm an index range of its own.
            let _ = write!(
                sql,
                "SELECT * FROM (SELECT occurred_at, kind, source_id FROM timeline_entries
                  WHERE tenant_id = ?1 AND owner_type = ?2 AND owner_id = ?3
                    AND kind = '{kind}' AND channel IS NOT DISTINCT FROM {channel} AND occurred_at >= ?4
                    AND (occurred_at, source_id) < (?{}, ?{})
                  ORDER BY occurred_at DESC, source_id DESC LIMIT ?5) AS arm{i}",
                n + 1,
                n + 2
            );
        }
        if arms.len() > 1 {
            sql.push_str(" ORDER BY 1 DESC, 2 DESC, 3 DESC LIMIT ?5");
        }
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(&args, key_from_row)?;
        rows.collect::<Result<_, _>>()
    }
}

/// The values of a list filter, sorted and without repeats; an empty list is an error (leave
/// the filter out to mean "all").
fn sorted<T: Copy + Ord>(field: &str, values: Option<&[T]>) -> Result<Option<Vec<T>>> {
    match values {
        None => Ok(None),
        Some([]) => Err(Error::invalid(
            field,
            "must not be empty; leave it out for all",
        )),
        Some(values) => {
            let mut v = values.to_vec();
            v.sort_unstable();
            v.dedup();
            Ok(Some(v))
        }
    }
}

fn key_from_row(row: &crate::sql::Row<'_>) -> Result<Key> {
    Ok(Key {
        at: row.get(0)?,
        kind: row.get(1)?,
        id: row.get(2)?,
    })
}

const CURSOR_TAG: &str = "timeline";

fn encode_cursor(fingerprint: &str, key: &Key) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{CURSOR_TAG}|{fingerprint}|{}|{}|{}",
        key.at, key.kind, key.id
    ))
}

fn decode_cursor(text: &str, fingerprint: &str) -> Result<Key> {
    let bad = || {
        Error::invalid(
            "cursor",
            "not a timeline cursor (pass back a nextCursor unchanged)",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('|').collect();
    let [tag, print, at, kind, id] = parts[..] else {
        return Err(bad());
    };
    if tag != CURSOR_TAG {
        return Err(bad());
    }
    if print != fingerprint {
        return Err(Error::invalid(
            "cursor",
            "belongs to another timeline query (the entity or a filter changed); start again without a cursor",
        ));
    }
    Ok(Key {
        at: at.parse().map_err(|_| bad())?,
        kind: kind.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

/// Reads the events' source records (and their parents, for titles): one statement per type
/// on the page, each fetching its ids at once.
fn hydrate(conn: &Connection, tenant: i64, keys: &[Key]) -> Result<Vec<TimelineEvent>> {
    let mut events: Vec<TimelineEvent> = keys.iter().map(blank).collect();
    let mut filled = vec![false; keys.len()];
    let mut at: HashMap<(EventType, i64), usize> = HashMap::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        at.insert((k.kind, k.id), i);
    }
    for kind in EventType::ALL.iter().copied() {
        if !keys.iter().any(|k| k.kind == kind) {
            continue;
        }
        let ids = Value::ids(keys.iter().filter(|k| k.kind == kind).map(|k| k.id));
        let source = source(kind);
        let mut stmt = conn.prepare_cached(source.sql)?;
        let mut rows = stmt.query(params![tenant, ids])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if let Some(&i) = at.get(&(kind, id)) {
                fill(&mut events[i], (source.read)(&row)?);
                filled[i] = true;
            }
        }
    }
    if let Some(i) = filled.iter().position(|f| !f) {
        // The entry and its source are written in one transaction and sources are never
        // deleted (triggers refuse it), so this is a broken invariant, not a user error.
        return Err(Error::Internal(format!(
            "timeline entry {} has no source record",
            events[i].id
        )));
    }
    Ok(events)
}

fn blank(key: &Key) -> TimelineEvent {
    TimelineEvent {
        id: format!("{}:{}", key.kind, key.id),
        event_type: key.kind,
        occurred_at: time::from_millis(key.at),
        channel: None,
        title: String::new(),
        body: None,
        actor_id: None,
        customer_id: None,
        lead_id: None,
        deal_id: None,
        ticket_id: None,
        conversation_id: None,
        source: Source {
            kind: match key.kind {
                EventType::Message => EntityType::Message,
                EventType::Conversation => EntityType::Conversation,
                EventType::TicketEvent => EntityType::TicketEvent,
                EventType::Call => EntityType::Call,
                EventType::LeadActivity | EventType::DealActivity => EntityType::Activity,
                EventType::QuoteActivity => EntityType::QuoteActivity,
            },
            id: key.id,
        },
    }
}

/// Where a type's events come from: the record kind's own declaration.
fn source(kind: EventType) -> &'static records::TimelineSource {
    match kind {
        EventType::Message => &crate::conversations::MESSAGE_TIMELINE,
        EventType::Conversation => &crate::conversations::CONVERSATION_TIMELINE,
        EventType::TicketEvent => &crate::tickets::TIMELINE,
        EventType::LeadActivity => &crate::activities::LEAD_TIMELINE,
        EventType::DealActivity => &crate::activities::DEAL_TIMELINE,
        EventType::Call => &crate::calls::TIMELINE,
        EventType::QuoteActivity => &crate::quotes::lifecycle::TIMELINE,
    }
}

/// Fills an event from what its source says of it.
fn fill(event: &mut TimelineEvent, item: records::TimelineItem) {
    event.title = item.title;
    event.body = item.body;
    event.channel = item.channel;
    event.actor_id = item.actor_id;
    event.customer_id = item.customer_id;
    event.lead_id = item.lead_id;
    event.deal_id = item.deal_id;
    event.ticket_id = item.ticket_id;
    event.conversation_id = item.conversation_id;
}

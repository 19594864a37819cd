//! Conversations with customers and their messages.

use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::customers::{self, Customer};
use crate::error::{Error, Result};
use crate::ids::{ConversationId, CustomerId, MessageId};
use crate::methods;
use crate::records::{
    self, Channel, Page, PageRequest, Record, TimelineItem, TimelineSource, capitalised, id_value,
    string_enum, table,
};
use crate::sql::Value;
use crate::sql::{Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a conversation stands.
    ConversationStatus {
        /// Waiting for the team.
        Open = "open",
        /// Waiting for the customer.
        Pending = "pending",
        /// Put aside until later.
        Snoozed = "snoozed",
        /// Done.
        Resolved = "resolved",
    }
}

string_enum! {
    /// Which way a message or call went.
    Direction {
        /// From the customer to the team.
        Inbound = "inbound",
        /// From the team to the customer.
        Outbound = "outbound",
    }
}

/// A conversation with a customer on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Its id, counted per tenant.
    pub id: ConversationId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The customer it belongs to.
    pub customer_id: CustomerId,
    /// The channel it takes place on.
    pub channel: Channel,
    /// Where it stands.
    pub status: ConversationStatus,
    /// What it is about, if said.
    pub subject: Option<String>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// This kind's search document (`search`'s columns: tenant, id, title, body, ticket status,
/// ticket priority, conversation status, channel, team), `x` being the row; kept beside the
/// record so that a new column is searchable by a change here alone.
pub(crate) const SEARCH_DOCUMENT: &str = "SELECT x.tenant_id, x.id, coalesce(x.subject, ''),
                        concat_ws(' ', (SELECT string_agg(m.body, ' ') FROM messages m
                                         WHERE m.tenant_id = x.tenant_id AND m.conversation_id = x.id),
                                  x.status, x.channel),
                        NULL, NULL, x.status, x.channel, NULL
                   FROM conversations x";

/// The fields of a conversation, as filters, sorts, list columns and imports read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Conversation),
    catalog::EXTERNAL_ID,
    Field::new("customerId", "customer_id", FieldType::Id, "Customer").refers(RecordKind::Customer),
    Field::new("channel", "channel", FieldType::Enum, "Channel")
        .sortable()
        .values(Channel::NAMES),
    Field::new("status", "status", FieldType::Enum, "Status")
        .sortable()
        .values(ConversationStatus::NAMES),
    Field::new("subject", "subject", FieldType::Text, "Subject").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Conversation {
    const ENTITY: EntityType = EntityType::Conversation;
    table!(
        "conversations",
        [
            "id",
            "external_id",
            "customer_id",
            "channel",
            "status",
            "subject",
            "created_at",
            "updated_at"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Conversation {
            id: row.get(0)?,
            external_id: row.get(1)?,
            customer_id: row.get(2)?,
            channel: row.get(3)?,
            status: row.get(4)?,
            subject: row.get(5)?,
            created_at: time::from_millis(row.get(6)?),
            updated_at: time::from_millis(row.get(7)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.customer_id,
            self.channel,
            self.status,
            self.subject,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `conversations.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewConversation {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The customer it belongs to (of this tenant).
    pub customer_id: CustomerId,
    /// The channel it takes place on.
    pub channel: Channel,
    /// `open` when absent.
    #[serde(default)]
    pub status: Option<ConversationStatus>,
    /// What it is about, if said.
    #[serde(default)]
    pub subject: Option<String>,
    /// When it was created, for history brought in from elsewhere; the moment of the write when
    /// absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub created_at: Option<Timestamp>,
}

/// Filters of `conversations.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationFilter {
    /// Only those of this customer.
    pub customer_id: Option<CustomerId>,
    /// Only those whose `status` is this.
    pub status: Option<ConversationStatus>,
    /// Only those whose `channel` is this.
    pub channel: Option<Channel>,
    /// Only the records these criteria hold for, over the kind's own fields (API.md
    /// "Criteria"; `schema.fields` lists them).
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order: a field the catalog marks sortable and a direction (newest first when
    /// absent).
    #[serde(default)]
    pub sort: Option<crate::records::Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// The fields of a message, as filters and list columns read them.
pub const MESSAGE_FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Message),
    catalog::EXTERNAL_ID,
    Field::new(
        "conversationId",
        "conversation_id",
        FieldType::Id,
        "Conversation",
    )
    .refers(RecordKind::Conversation),
    Field::new("direction", "direction", FieldType::Enum, "Direction")
        .sortable()
        .values(Direction::NAMES),
    Field::new("body", "body", FieldType::Text, "Message"),
    Field::new("sentAt", "sent_at", FieldType::Time, "Sent").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

/// A message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Its id, counted per tenant.
    pub id: MessageId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Whether the customer or the team wrote it.
    pub direction: Direction,
    /// What it says.
    pub body: String,
    /// When it was sent.
    #[serde(with = "time::rfc3339")]
    pub sent_at: Timestamp,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

impl Record for Message {
    const ENTITY: EntityType = EntityType::Message;
    table!(
        "messages",
        [
            "id",
            "external_id",
            "conversation_id",
            "direction",
            "body",
            "sent_at",
            "created_at",
            "updated_at"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Message {
            id: row.get(0)?,
            external_id: row.get(1)?,
            conversation_id: row.get(2)?,
            direction: row.get(3)?,
            body: row.get(4)?,
            sent_at: time::from_millis(row.get(5)?),
            created_at: time::from_millis(row.get(6)?),
            updated_at: time::from_millis(row.get(7)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.conversation_id,
            self.direction,
            self.body,
            time::to_millis(self.sent_at),
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `messages.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMessage {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The conversation it belongs to (of this tenant).
    pub conversation_id: ConversationId,
    /// Whether the customer or the team wrote it.
    pub direction: Direction,
    /// What it says (not empty).
    pub body: String,
    /// When it was sent; the moment of the write when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub sent_at: Option<Timestamp>,
}

/// Filters of `messages.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageFilter {
    /// Only those of this conversation.
    pub conversation_id: Option<ConversationId>,
    /// Only the messages these criteria hold for, over a message's own fields.
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order: a field the catalog marks sortable and a direction (newest first when
    /// absent).
    #[serde(default)]
    pub sort: Option<crate::records::Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

pub(crate) fn create(tx: &mut Tx<'_>, new: NewConversation) -> Result<Conversation> {
    tx.require::<Customer>("customerId", new.customer_id.0)?;
    let at = time::given("createdAt", new.created_at, tx.now)?;
    let conversation = Conversation {
        id: ConversationId(0),
        external_id: validate::external_id(new.external_id)?,
        customer_id: new.customer_id,
        channel: new.channel,
        status: new.status.unwrap_or(ConversationStatus::Open),
        subject: validate::opt_short("subject", new.subject)?,
        created_at: at,
        updated_at: at,
    };
    let conversation = Conversation {
        id: ConversationId(tx.next_id(RecordKind::Conversation)?),
        ..conversation
    };
    tx.insert(methods::CONVERSATIONS_CREATE, &conversation)?;
    Ok(conversation)
}

pub(crate) fn create_message(tx: &mut Tx<'_>, new: NewMessage) -> Result<Message> {
    let conversation: Conversation = tx.require("conversationId", new.conversation_id.0)?;
    let body = validate::body("body", new.body)?;
    if body.trim().is_empty() {
        return Err(Error::invalid("body", "must not be empty"));
    }
    let at = time::given("sentAt", new.sent_at, tx.now)?;
    let message = Message {
        id: MessageId(tx.next_id(RecordKind::Message)?),
        external_id: validate::external_id(new.external_id)?,
        conversation_id: conversation.id,
        direction: new.direction,
        body,
        sent_at: at,
        created_at: tx.now,
        updated_at: tx.now,
    };
    tx.insert(methods::MESSAGES_CREATE, &message)?;
    customers::touch(tx, conversation.customer_id, at)?;
    Ok(message)
}

/// `conversations.*`.
#[derive(Debug, Clone, Copy)]
pub struct Conversations<'s, 'c>(&'s Scope<'c>);

/// `messages.*`.
#[derive(Debug, Clone, Copy)]
pub struct Messages<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Conversations of this tenant.
    pub fn conversations(&self) -> Conversations<'_, 'c> {
        Conversations(self)
    }

    /// Messages of this tenant's conversations.
    pub fn messages(&self) -> Messages<'_, 'c> {
        Messages(self)
    }
}

impl Conversations<'_, '_> {
    /// Opens a conversation (`conversations.create`), audited and in the change feed.
    pub fn create(&self, new: NewConversation) -> Result<Conversation> {
        self.0.write(|tx| create(tx, new))
    }

    /// The conversation with this id (`not_found` for another tenant's).
    pub fn get(&self, id: ConversationId) -> Result<Conversation> {
        self.0.read(|c, t| records::get(c, t, id.0))
    }

    /// The conversation with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Conversation> {
        self.0
            .read(|c, t| records::get_by_external_id(c, t, external_id))
    }

    /// A page of conversations, newest first.
    pub fn list(&self, filter: &ConversationFilter) -> Result<Page<Conversation>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let filters = vec![
            ("customer_id", id_value(filter.customer_id)),
            ("status", filter.status.map(Value::from)),
            ("channel", filter.channel.map(Value::from)),
        ];
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "conversations")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.0
            .read(|c, t| records::list_where(c, t, filters, &order, &page, |p| test.sql(p)))
    }
}

impl Messages<'_, '_> {
    /// Adds a message to a conversation (`messages.create`), audited, in the change feed and on the
    /// customer's timeline.
    pub fn create(&self, new: NewMessage) -> Result<Message> {
        self.0.write(|tx| create_message(tx, new))
    }

    /// A page of messages, newest first.
    pub fn list(&self, filter: &MessageFilter) -> Result<Page<Message>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let test =
            crate::criteria::Where::read(filter.r#where.as_ref(), MESSAGE_FIELDS, "messages")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), MESSAGE_FIELDS)?;
        self.0.read(|c, t| {
            if let Some(id) = filter.conversation_id {
                records::get::<Conversation>(c, t, id.0)?;
            }
            records::list_where(
                c,
                t,
                vec![("conversation_id", id_value(filter.conversation_id))],
                &order,
                &page,
                |p| test.sql(p),
            )
        })
    }
}

/// A message on its conversation's customer's timeline.
pub(crate) const MESSAGE_TIMELINE: TimelineSource = TimelineSource {
    sql: "SELECT m.id, m.direction, m.body, m.conversation_id, c.customer_id, c.channel, c.subject
            FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
           WHERE m.tenant_id = ?1 AND m.id IN rarray(?2)",
    read: |r| {
        let direction: String = r.get(1)?;
        let channel: Channel = r.get(5)?;
        let subject: Option<String> = r.get(6)?;
        Ok(TimelineItem {
            title: match subject {
                Some(s) => format!("{} message · {s}", capitalised(&direction)),
                None => format!("{} {channel} message", capitalised(&direction)),
            },
            body: Some(r.get(2)?),
            conversation_id: Some(r.get(3)?),
            customer_id: Some(r.get(4)?),
            channel: Some(channel),
            ..TimelineItem::default()
        })
    },
};

/// A conversation (its opening) on its customer's timeline.
pub(crate) const CONVERSATION_TIMELINE: TimelineSource = TimelineSource {
    sql: "SELECT id, customer_id, channel, status, subject FROM conversations
           WHERE tenant_id = ?1 AND id IN rarray(?2)",
    read: |r| {
        let channel: Channel = r.get(2)?;
        let status: String = r.get(3)?;
        let subject: Option<String> = r.get(4)?;
        Ok(TimelineItem {
            title: match subject {
                Some(s) => format!("Conversation opened · {s}"),
                None => format!("{} conversation opened", capitalised(channel.as_str())),
            },
            body: Some(format!("status: {status}")),
            customer_id: Some(r.get(1)?),
            conversation_id: Some(r.get(0)?),
            channel: Some(channel),
            ..TimelineItem::default()
        })
    },
};

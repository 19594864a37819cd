//! Full-text search over customers, leads, deals, tickets and conversations: a tantivy index
//! beside the database file, fed from the change feed.
//!
//! SQLite stays the source of truth. The index stores, in each commit's payload, the change-feed
//! sequence it has applied; before a query it applies what the feed holds beyond that (so a
//! search sees every write committed before it began), and a missing, corrupt or stale index is
//! rebuilt from SQLite.
//!
//! A query is answered in two passes over one searcher. The total and the facets are counted
//! per segment from posting bitmaps and each match's packed facet code
//! (`Snapshot::count_segment`); the page is ranked by tantivy, records matching every word as
//! typed first (an intersection of term postings, pruned with block-max scores), then, only if
//! the page reaches past them, those that needed a completion or a typo. Both passes take the
//! tenant as an argument and intersect with its postings: ranked queries only through
//! `scoped`, counts in `Snapshot::count_segment`.

mod context;
mod documents;
mod engine;
mod facets;
mod forms;
mod query;
mod schema;

use documents::affected;
pub use engine::index_dir;
use engine::{Engine, applied_positions};
use facets::{
    Bitmap, CHANNELS, CODE_BATCH, CONVERSATION_STATUSES, CodeFilter, FacetTally, PRIORITIES,
    TICKET_STATUSES, pack,
};
use forms::{Forms, Word, any_group, snippet_words, word_groups};
use query::Snapshot;
use schema::{Fields, analyzer, schema};

use crate::catalog::RecordKind;
use crate::conversations::ConversationStatus;
use crate::error::{Error, Result};
use crate::follow::{self, Entry, Follower};
use crate::sql::{Connection, params};
use crate::tenancy::Scope;
use crate::tickets::{Channel, Priority, TicketStatus};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::columnar::Cardinality;
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::index::InvertedIndexReader;
use tantivy::postings::TermInfo;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Schema, Value as _};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, TantivyDocument,
    Term,
};

/// Written into every commit's payload with the applied sequence; a different tag (another
/// schema) makes the index stale, and it is rebuilt.
const SCHEMA_TAG: &str = "crm-search-6";
/// The tokenizer of the text fields: words, lower case, accents folded (`Zoë` finds `zoe`).
const TOKENIZER: &str = "crm";
/// Words of at least this many letters also match with one typo (ranked below exact matches).
const FUZZY_MIN_CHARS: usize = 5;
/// Other forms of a word (completions, typos) ranked by BM25; rarer ones score a constant.
const RANKED_FORMS: usize = 3;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 150;
/// Query words looked at; the rest of a very long query is ignored.
const MAX_WORDS: usize = 32;
/// The most memory the writer of a rebuild may use before it flushes a segment: enough for a
/// million records to make one segment per indexing thread (a query walks every segment's
/// dictionary and merges their results, so fewer segments search faster).
const REBUILD_MEMORY: usize = 600_000_000;
/// Writer memory a rebuild sets aside per record, up to [`REBUILD_MEMORY`]: a small database
/// gets a small heap (tantivy's arena grows to its budget, so 600 MB for 50 records would be
/// ~100 MB of resident memory for nothing).
const REBUILD_MEMORY_PER_RECORD: usize = 1_000;
/// Records from which a rebuild indexes on two threads.
const REBUILD_TWO_THREADS: u64 = 50_000;
/// Memory the writer of an incremental sync may use (tantivy's minimum for one thread).
const SYNC_MEMORY: usize = 15_000_000;
/// Change-feed entries read per step while catching up.
const FEED_STEP: i64 = 10_000;

/// What kind of record a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchType {
    /// A customer.
    Customer,
    /// A lead.
    Lead,
    /// A deal.
    Deal,
    /// A ticket.
    Ticket,
    /// A conversation.
    Conversation,
    /// A quote.
    Quote,
}

impl SearchType {
    /// Every type, in declaration order.
    pub const ALL: [SearchType; 6] = [
        SearchType::Customer,
        SearchType::Lead,
        SearchType::Deal,
        SearchType::Ticket,
        SearchType::Conversation,
        SearchType::Quote,
    ];

    /// The type as written in requests and answers (`customer`).
    pub fn as_str(self) -> &'static str {
        match self {
            SearchType::Customer => "customer",
            SearchType::Lead => "lead",
            SearchType::Deal => "deal",
            SearchType::Ticket => "ticket",
            SearchType::Conversation => "conversation",
            SearchType::Quote => "quote",
        }
    }
}

/// The statement reading every document of `kind` (columns: tenant, id, title, body, ticket
/// status, ticket priority, conversation status, channel, team), for benchmarks that index the
/// same records elsewhere.
#[doc(hidden)]
pub fn document_sql(kind: SearchType) -> String {
    kind.sql(false)
}

/// Filters of `search.query`. Each takes one value or a list (OR within a filter, AND across
/// filters), so facet values of one group combine: `ticketStatus: ["open", "pending"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchFilters {
    /// Only tickets in these statuses.
    #[serde(default, deserialize_with = "one_or_many")]
    pub ticket_status: Option<Vec<TicketStatus>>,
    /// Only tickets of these priorities.
    #[serde(default, deserialize_with = "one_or_many")]
    pub ticket_priority: Option<Vec<Priority>>,
    /// Only conversations in these statuses.
    #[serde(default, deserialize_with = "one_or_many")]
    pub conversation_status: Option<Vec<ConversationStatus>>,
    /// Only tickets and conversations on these channels.
    #[serde(default, deserialize_with = "one_or_many")]
    pub channels: Option<Vec<Channel>>,
    /// Only tickets of this team.
    pub team_id: Option<i64>,
}

/// One value or a list of them, as a list. Read through a JSON value so that a bad value's
/// error names it (an untagged enum would only say that nothing matched).
fn one_or_many<'de, D, T>(d: D) -> std::result::Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .map(serde_json::from_value)
            .collect::<std::result::Result<Vec<T>, _>>()
            .map(Some)
            .map_err(D::Error::custom),
        Some(one) => serde_json::from_value(one)
            .map(|v| Some(vec![v]))
            .map_err(D::Error::custom),
    }
}

/// What `search.query` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchQuery {
    /// Words; the last one also matches as a prefix. Empty matches everything.
    pub q: String,
    /// Only hits of these types; every type when absent.
    pub types: Option<Vec<SearchType>>,
    /// Filters on the hits' facets.
    #[serde(default)]
    pub filters: SearchFilters,
    /// 1 to 100; 20 when absent.
    pub limit: Option<u32>,
    /// Hits to skip (at most 10,000).
    pub offset: Option<u32>,
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// What kind of record it is.
    #[serde(rename = "type")]
    pub hit_type: SearchType,
    /// The record's id.
    pub id: i64,
    /// The record's title.
    pub title: String,
    /// A fragment of the matched text with the matched words in `<b>…</b>`.
    pub snippet: String,
    /// One line that tells the record apart: a ticket's status, priority, customer and day; a
    /// deal's stage, value and customer; a lead's status, score and company; a customer's
    /// company, email and phone; a conversation's status, channel, customer and last day.
    pub context: String,
    /// Rank: above 1 for records matching every word as typed (1 + BM25), below 1 for those
    /// that needed a completion or a typo.
    pub score: f32,
}

/// Counts per value of each facet, over all matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Facets {
    /// Hits per type.
    #[serde(rename = "type")]
    pub types: BTreeMap<String, u64>,
    /// Ticket hits per status.
    pub ticket_status: BTreeMap<String, u64>,
    /// Ticket hits per priority.
    pub ticket_priority: BTreeMap<String, u64>,
    /// Conversation hits per status.
    pub conversation_status: BTreeMap<String, u64>,
    /// Ticket and conversation hits per channel.
    pub channels: BTreeMap<String, u64>,
    /// Ticket hits per team id.
    pub team_id: BTreeMap<String, u64>,
}

/// What `search.query` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    /// How many records match.
    pub total: u64,
    /// The page of hits, best first.
    pub hits: Vec<SearchHit>,
    /// Counts per value of each facet, over all matches.
    pub facets: Facets,
}

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
const MAX_OFFSET: u32 = 10_000;

/// An I/O failure of the index's files, as a search error (not the database's storage).
fn io_error(e: std::io::Error) -> Error {
    Error::Search(e.into())
}

/// Checks `query`; returns its `limit` and `offset`, defaults filled in.
fn checked(query: &SearchQuery) -> Result<(u32, u32)> {
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(n @ 1..=MAX_LIMIT) => n,
        Some(n) => {
            return Err(Error::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}, got {n}"),
            ));
        }
    };
    let offset = query.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(Error::invalid(
            "offset",
            format!("must be at most {MAX_OFFSET}, got {offset}"),
        ));
    }
    if query.types.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::invalid(
            "types",
            "must not be empty; leave it out for all",
        ));
    }
    let f = &query.filters;
    for (field, empty) in [
        (
            "filters.ticketStatus",
            f.ticket_status.as_ref().is_some_and(Vec::is_empty),
        ),
        (
            "filters.ticketPriority",
            f.ticket_priority.as_ref().is_some_and(Vec::is_empty),
        ),
        (
            "filters.conversationStatus",
            f.conversation_status.as_ref().is_some_and(Vec::is_empty),
        ),
        (
            "filters.channels",
            f.channels.as_ref().is_some_and(Vec::is_empty),
        ),
    ] {
        if empty {
            return Err(Error::invalid(
                field,
                "must not be empty; leave it out for all",
            ));
        }
    }
    Ok((limit, offset))
}

/// Where a handle keeps its open index: opened (and rebuilt if need be) on first use.
#[derive(Default)]
struct Slot(std::sync::Mutex<Option<Engine>>);

/// Runs `f` with the search index of `crm` and a reader connection, one caller at a time:
/// catching up or rebuilding (the index has one writer). Queries then run on the snapshot `f`
/// returns, without it.
fn with_search<T>(
    crm: &crate::Crm,
    f: impl FnOnce(&mut Engine, &Connection) -> Result<T>,
) -> Result<T> {
    let slot = crm.extension::<Slot>();
    let mut engine = crate::store::lock(&slot.0);
    crm.read(|conn| {
        if engine.is_none() {
            *engine = Some(Engine::open(crm.path())?);
        }
        match engine.as_mut() {
            Some(engine) => f(engine, conn),
            None => Err(Error::Internal("the search index did not open".into())),
        }
    })
}

/// Brings the index up to date and rewrites the segments holding deleted documents, so that
/// its folder keeps nothing of a deleted record (erasure). An index in memory has no files.
pub(crate) fn purge_deleted(crm: &crate::Crm) -> Result<()> {
    if crm.path().is_none() {
        return Ok(());
    }
    with_search(crm, Engine::purge_deleted)
}

/// `search.*`.
#[derive(Debug, Clone, Copy)]
pub struct Search<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Full-text search in this tenant.
    pub fn search(&self) -> Search<'_, 'c> {
        Search(self)
    }
}

impl Search<'_, '_> {
    /// Runs a query; it sees every write committed before it began.
    ///
    /// ```
    /// # use crm_core::{Crm, tenancy::{NewAdmin, NewTenant}};
    /// # let crm = Crm::open_in_memory()?;
    /// # let acme = crm.create_tenant(NewTenant { tenant_id: "acme".into(), name: "Acme".into(),
    /// #     default_region: None, admin: NewAdmin { name: "Ada".into(), email: "ada@acme.test".into() } })?;
    /// let scope = crm.scope("acme", Some(acme.admin.id))?;
    /// use crm_core::{customers::NewCustomer, search::{SearchQuery, SearchType}};
    /// let grace = scope.customers().create(NewCustomer { name: "Grace Hopper".into(), ..Default::default() })?;
    /// let found = scope.search().query(&SearchQuery { q: "hopper".into(), ..Default::default() })?;
    /// assert_eq!(found.total, 1);
    /// assert_eq!((found.hits[0].hit_type, found.hits[0].id), (SearchType::Customer, grace.id.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn query(&self, query: &SearchQuery) -> Result<SearchResults> {
        let page = checked(query)?;
        let tenant = self.0.tenant_row_id();
        let snapshot = with_search(self.0.crm, |engine, conn| engine.snapshot(conn, tenant))?;
        let mut results = snapshot.query(tenant, query, page)?;
        self.0
            .crm
            .read(|conn| context::add(conn, tenant, &mut results.hits))?;
        Ok(results)
    }

    /// Rebuilds the whole index from SQLite (admin only); returns the records indexed.
    pub fn rebuild(&self) -> Result<u64> {
        self.0.admin("rebuilding the search index")?;
        self.0.crm.rebuild_search(|_| {})
    }
}

impl crate::Crm {
    /// Rebuilds the search index of every tenant from SQLite, telling `progress` how many
    /// records are done; returns how many were indexed. For maintenance (`crm reindex`).
    pub fn rebuild_search(&self, mut progress: impl FnMut(u64)) -> Result<u64> {
        with_search(self, |engine, conn| engine.rebuild(conn, &mut progress))
    }

    /// Records the search index will hold (for a progress bar's length).
    pub fn searchable_records(&self) -> Result<u64> {
        self.read(searchable_records)
    }
}

/// The search index as found beside the database, against the database's change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum IndexState {
    /// The database is in memory, and so is its index: nothing to check.
    InMemory,
    /// There is no index yet; the first search builds it.
    Absent,
    /// The files cannot be read or were written by another version; the next search rebuilds it.
    Unusable {
        /// Why, for people.
        reason: String,
    },
    /// The index lacks `changes` feed entries of `tenants` tenants; the next search in each
    /// applies its tenant's.
    Behind {
        /// Tenants with changes to apply.
        tenants: u64,
        /// Changes to apply, over all those tenants.
        changes: u64,
    },
    /// The index holds changes of `tenant` (its row id) up to `applied`, but its feed ends at
    /// `head` (a database restored under the index); the next search rebuilds it.
    Ahead {
        /// The tenant's row id.
        tenant: i64,
        /// The last change of the tenant the index says it holds.
        applied: i64,
        /// The last change of the tenant's feed.
        head: i64,
    },
    /// Up to date with the feed of every tenant; `documents` should equal `records`.
    Current {
        /// Documents the index holds.
        documents: u64,
        /// Records the database holds that the index should.
        records: u64,
    },
}

impl IndexState {
    /// What is wrong, if anything. An absent index or one behind the feed is as it should be:
    /// the next search catches up.
    pub fn problem(&self) -> Option<String> {
        match self {
            IndexState::InMemory | IndexState::Absent | IndexState::Behind { .. } => None,
            IndexState::Unusable { reason } => Some(format!("unusable ({reason})")),
            IndexState::Ahead {
                tenant,
                applied,
                head,
            } => Some(format!(
                "holds changes of tenant {tenant} up to {applied}, but its feed ends at {head}"
            )),
            IndexState::Current {
                documents, records, ..
            } => (documents != records)
                .then(|| format!("holds {documents} documents for {records} searchable records")),
        }
    }
}

impl crate::Crm {
    /// The search index against the change feed, read without changing either.
    pub fn search_state(&self) -> Result<IndexState> {
        let Some(db) = self.path() else {
            return Ok(IndexState::InMemory);
        };
        let dir = index_dir(db);
        if !dir.join("meta.json").exists() {
            return Ok(IndexState::Absent);
        }
        let read = || -> tantivy::Result<(String, u64)> {
            let index = Index::open_in_dir(&dir)?;
            let payload = index.load_metas()?.payload.unwrap_or_default();
            let reader: IndexReader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?;
            Ok((payload, reader.searcher().num_docs()))
        };
        let (payload, documents) = match read() {
            Ok(found) => found,
            Err(e) => {
                return Ok(IndexState::Unusable {
                    reason: e.to_string(),
                });
            }
        };
        let Some(applied) = applied_positions(&payload) else {
            return Ok(IndexState::Unusable {
                reason: "written by another version of crm".into(),
            });
        };
        self.read(|conn| {
            let snapshot = conn.begin_read()?;
            let heads = follow::heads(&snapshot)?;
            let records = searchable_records(&snapshot)?;
            let behind = match engine::behind(&applied, &heads, true) {
                Ok(behind) => behind,
                Err(engine::Ahead {
                    tenant,
                    applied,
                    head,
                }) => {
                    return Ok(IndexState::Ahead {
                        tenant,
                        applied,
                        head,
                    });
                }
            };
            if behind.is_empty() {
                return Ok(IndexState::Current { documents, records });
            }
            let mut changes = 0;
            for (tenant, from, head) in &behind {
                let n: i64 = snapshot
                    .prepare_cached(
                        "SELECT COUNT(*) FROM change_feed WHERE tenant_id = ?1 AND seq > ?2 AND seq <= ?3",
                    )?
                    .query_row(params![tenant, from, head], |r| r.get(0))?;
                changes += n.unsigned_abs();
            }
            Ok(IndexState::Behind {
                tenants: behind.len() as u64,
                changes,
            })
        })
    }
}

/// The tables whose records the index holds (of every tenant: one index per database).
pub(crate) const SEARCHABLE_TABLES: [&str; 6] = [
    "customers",
    "leads",
    "deals",
    "tickets",
    "conversations",
    "quotes",
];

fn searchable_records(conn: &Connection) -> Result<u64> {
    let mut total = 0u64;
    for table in SEARCHABLE_TABLES {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), params![], |r| {
            r.get(0)
        })?;
        total += n.unsigned_abs();
    }
    Ok(total)
}

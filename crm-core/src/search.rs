//! Full-text search over customers, leads, deals, tickets and conversations: a tantivy index
//! beside the database file, fed from the change feed.
//!
//! SQLite stays the source of truth. The index stores, in each commit's payload, the change-feed
//! sequence it has applied; before a query it applies what the feed holds beyond that (so a
//! search sees every write committed before it began), and a missing, corrupt or stale index is
//! rebuilt from SQLite. Every query is wrapped in the tenant's filter by [`scoped`], the only
//! place a query is handed to tantivy.

use crate::conversations::ConversationStatus;
use crate::error::{Error, Result};
use crate::tenancy::Scope;
use crate::tickets::{Channel, Priority, TicketStatus};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tantivy::collector::{Collector, Count, MultiCollector, SegmentCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value as _,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Written into every commit's payload with the applied sequence; a different tag (another
/// schema) makes the index stale, and it is rebuilt.
const SCHEMA_TAG: &str = "crm-search-2";
/// The tokenizer of the text fields: words, lower case, accents folded (`Zoë` finds `zoe`).
const TOKENIZER: &str = "crm";
/// Words of at least this many letters also match with one typo (ranked below exact matches).
const FUZZY_MIN_CHARS: usize = 5;
/// Query words looked at; the rest of a very long query is ignored.
const MAX_WORDS: usize = 32;
/// Memory the writer of a rebuild may use before it flushes a segment.
const REBUILD_MEMORY: usize = 100_000_000;
/// Memory the writer of an incremental sync may use (tantivy's minimum for one thread).
const SYNC_MEMORY: usize = 15_000_000;
/// Change-feed entries read per step while catching up.
const FEED_STEP: i64 = 10_000;

/// What kind of record a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchType {
    Customer,
    Lead,
    Deal,
    Ticket,
    Conversation,
}

impl SearchType {
    /// Every type, in declaration order.
    pub const ALL: [SearchType; 5] = [
        SearchType::Customer,
        SearchType::Lead,
        SearchType::Deal,
        SearchType::Ticket,
        SearchType::Conversation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchType::Customer => "customer",
            SearchType::Lead => "lead",
            SearchType::Deal => "deal",
            SearchType::Ticket => "ticket",
            SearchType::Conversation => "conversation",
        }
    }

    /// The statement reading this type's documents: every row, or (with `one`) one row by
    /// `(tenant_id, id)` as `?1`, `?2`. Columns: tenant, id, title, body, ticket status, ticket
    /// priority, conversation status, channel, team.
    fn sql(self, one: bool) -> String {
        let (select, alias) = match self {
            SearchType::Customer => (
                "SELECT x.tenant_id, x.id, x.name,
                        concat_ws(' ', x.email, x.phone, x.company,
                                  (SELECT group_concat(value, ' ') FROM json_each(x.tags))),
                        NULL, NULL, NULL, NULL, NULL
                   FROM customers x",
                "x",
            ),
            SearchType::Lead => (
                "SELECT x.tenant_id, x.id, x.name, concat_ws(' ', x.email, x.company, x.status),
                        NULL, NULL, NULL, NULL, NULL
                   FROM leads x",
                "x",
            ),
            SearchType::Deal => (
                "SELECT x.tenant_id, x.id, x.title, concat_ws(' ', c.name, s.name),
                        NULL, NULL, NULL, NULL, NULL
                   FROM deals x
                   LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
                   LEFT JOIN stages s ON s.tenant_id = x.tenant_id AND s.id = x.stage_id",
                "x",
            ),
            SearchType::Ticket => (
                "SELECT x.tenant_id, x.id, x.subject,
                        concat_ws(' ', x.description, x.requester_email, x.requester_phone,
                                  x.requester_company, x.status, x.priority, x.channel, t.name),
                        x.status, x.priority, NULL, x.channel, x.team_id
                   FROM tickets x
                   LEFT JOIN teams t ON t.tenant_id = x.tenant_id AND t.id = x.team_id",
                "x",
            ),
            SearchType::Conversation => (
                "SELECT x.tenant_id, x.id, coalesce(x.subject, ''),
                        concat_ws(' ', (SELECT group_concat(m.body, ' ') FROM messages m
                                         WHERE m.tenant_id = x.tenant_id AND m.conversation_id = x.id),
                                  x.status, x.channel),
                        NULL, NULL, x.status, x.channel, NULL
                   FROM conversations x",
                "x",
            ),
        };
        if one {
            format!("{select} WHERE {alias}.tenant_id = ?1 AND {alias}.id = ?2")
        } else {
            select.to_owned()
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

/// Filters of `search.query`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchFilters {
    pub ticket_status: Option<TicketStatus>,
    pub ticket_priority: Option<Priority>,
    pub conversation_status: Option<ConversationStatus>,
    pub channels: Option<Vec<Channel>>,
    pub team_id: Option<i64>,
}

/// What `search.query` takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchQuery {
    /// Words; the last one also matches as a prefix. Empty matches everything.
    pub q: String,
    pub types: Option<Vec<SearchType>>,
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
    #[serde(rename = "type")]
    pub hit_type: SearchType,
    pub id: i64,
    pub title: String,
    /// A fragment of the matched text with the matched words in `<b>…</b>`.
    pub snippet: String,
    pub score: f32,
}

/// Counts per value of each facet, over all matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Facets {
    #[serde(rename = "type")]
    pub types: BTreeMap<String, u64>,
    pub ticket_status: BTreeMap<String, u64>,
    pub ticket_priority: BTreeMap<String, u64>,
    pub conversation_status: BTreeMap<String, u64>,
    pub channels: BTreeMap<String, u64>,
    pub team_id: BTreeMap<String, u64>,
}

/// What `search.query` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<SearchHit>,
    pub facets: Facets,
}

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
const MAX_OFFSET: u32 = 10_000;

#[derive(Debug, Clone, Copy)]
struct Fields {
    key: Field,
    tenant: Field,
    kind: Field,
    id: Field,
    title: Field,
    body: Field,
    f_type: Field,
    f_ticket_status: Field,
    f_ticket_priority: Field,
    f_conversation_status: Field,
    f_channel: Field,
    f_team: Field,
    /// Every facet of the document packed in one number (see [`pack`]), for counting.
    codes: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let facet = FacetOptions::default();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        tenant: b.add_u64_field("tenant", INDEXED),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_i64_field("id", STORED),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text),
        f_type: b.add_facet_field("f_type", facet.clone()),
        f_ticket_status: b.add_facet_field("f_ticket_status", facet.clone()),
        f_ticket_priority: b.add_facet_field("f_ticket_priority", facet.clone()),
        f_conversation_status: b.add_facet_field("f_conversation_status", facet.clone()),
        f_channel: b.add_facet_field("f_channel", facet.clone()),
        f_team: b.add_facet_field("f_team", facet),
        codes: b.add_u64_field("codes", FAST),
    };
    (b.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

fn search_error(e: impl std::fmt::Display) -> Error {
    Error::Search(e.to_string())
}

/// The open index of one database.
///
/// The writer is taken only while the index catches up with the feed (or is rebuilt) and is
/// released at once, so several processes on one database take turns: whoever searches applies
/// what the feed holds beyond the last commit, under tantivy's lock, and the others wait for it.
pub(crate) struct Engine {
    index: Index,
    fields: Fields,
    reader: IndexReader,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// Where the index of the database at `db` lives.
pub fn index_dir(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".search");
    PathBuf::from(name)
}

/// How long to wait for another process that holds the index writer.
const WRITER_WAIT: Duration = Duration::from_secs(30);

impl Engine {
    /// Opens the index beside `db` (in memory for an in-memory database), rebuilding it from
    /// SQLite when it is missing, unreadable or of another schema, then catches up with the feed.
    pub(crate) fn open(db: Option<&Path>, conn: &Connection) -> Result<Self> {
        let (schema, fields) = schema();
        let mut index = match db {
            None => Index::create_in_ram(schema),
            Some(db) => {
                let dir = index_dir(db);
                match Self::open_dir(&dir, &schema) {
                    Ok(index) => index,
                    Err(e) => {
                        tracing::warn!(dir = %dir.display(), error = %e, "search index unusable; rebuilding it");
                        let _ = std::fs::remove_dir_all(&dir);
                        std::fs::create_dir_all(&dir).map_err(search_error)?;
                        Index::create_in_dir(&dir, schema).map_err(search_error)?
                    }
                }
            }
        };
        index.tokenizers().register(TOKENIZER, analyzer());
        // Segments are searched in parallel, one thread per core.
        index
            .set_default_multithread_executor()
            .map_err(search_error)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(search_error)?;
        let mut engine = Engine {
            index,
            fields,
            reader,
        };
        engine.sync(conn)?;
        Ok(engine)
    }

    fn open_dir(dir: &Path, schema: &Schema) -> tantivy::Result<Index> {
        std::fs::create_dir_all(dir)?;
        let directory = MmapDirectory::open(dir)?;
        let index = Index::open_or_create(directory, schema.clone())?;
        // Reading the metas and a searcher proves the files are whole.
        index.load_metas()?;
        index.reader()?.searcher();
        Ok(index)
    }

    /// The change-feed sequence the last commit applied; `None` for a new index or one written
    /// with another schema.
    fn applied(&self) -> Result<Option<i64>> {
        let payload = self
            .index
            .load_metas()
            .map_err(search_error)?
            .payload
            .unwrap_or_default();
        Ok(payload
            .strip_prefix(SCHEMA_TAG)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|seq| seq.parse::<i64>().ok()))
    }

    /// Takes the index writer, waiting while another process holds it.
    fn writer(&self, threads: usize, memory: usize) -> Result<IndexWriter<TantivyDocument>> {
        let started = Instant::now();
        loop {
            match self.index.writer_with_num_threads(threads, memory) {
                Ok(w) => return Ok(w),
                Err(tantivy::TantivyError::LockFailure(LockError::LockBusy, _))
                    if started.elapsed() < WRITER_WAIT =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(search_error(e)),
            }
        }
    }

    /// Refills the index from SQLite; `progress` is told how many records are done.
    pub(crate) fn rebuild(
        &mut self,
        conn: &Connection,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        let writer = self.writer(2, REBUILD_MEMORY)?;
        // The head is read first: documents read afterwards are at least that new, and entries
        // after it are applied again by the next sync, which is idempotent.
        let head = head(conn)?;
        writer.delete_all_documents().map_err(search_error)?;
        let mut indexed = 0;
        for kind in SearchType::ALL {
            let mut stmt = conn.prepare(&kind.sql(false))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                writer
                    .add_document(self.document(kind, row)?)
                    .map_err(search_error)?;
                indexed += 1;
                if indexed % 10_000 == 0 {
                    progress(indexed);
                }
            }
        }
        self.commit(writer, head)?;
        progress(indexed);
        Ok(indexed)
    }

    /// Applies the change-feed entries after the last commit's, so that the index holds every
    /// write committed before this call.
    pub(crate) fn sync(&mut self, conn: &Connection) -> Result<()> {
        let head = head(conn)?;
        match self.applied()? {
            Some(applied) if applied == head => return self.reload(),
            Some(applied) if applied < head => {}
            // New, another schema, or ahead of this database (a restored file): start again.
            _ => {
                self.rebuild(conn, &mut |_| {})?;
                return Ok(());
            }
        }
        let writer = self.writer(1, SYNC_MEMORY)?;
        // Another process may have caught up while this one waited for the writer.
        let Some(mut from) = self.applied()?.filter(|a| *a <= head) else {
            drop(writer);
            self.rebuild(conn, &mut |_| {})?;
            return Ok(());
        };
        if from == head {
            return self.reload();
        }
        while from < head {
            let to = (from + FEED_STEP).min(head);
            let mut touched: Vec<(i64, SearchType, i64)> = Vec::new();
            let mut seen = HashSet::new();
            let mut stmt = conn.prepare_cached(
                "SELECT tenant_id, entity_type, entity_id FROM change_feed
                  WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![from, to], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (tenant, entity, id) = row?;
                for doc in affected(conn, tenant, &entity, id)? {
                    if seen.insert(doc) {
                        touched.push(doc);
                    }
                }
            }
            for (tenant, kind, id) in touched {
                writer.delete_term(self.key_term(tenant, kind, id));
                let mut stmt = conn.prepare_cached(&kind.sql(true))?;
                let mut rows = stmt.query(params![tenant, id])?;
                if let Some(row) = rows.next()? {
                    writer
                        .add_document(self.document(kind, row)?)
                        .map_err(search_error)?;
                }
            }
            from = to;
        }
        self.commit(writer, head)
    }

    /// Commits with the applied sequence in the payload, lets merges finish, releases the
    /// writer and reloads the reader.
    fn commit(&mut self, mut writer: IndexWriter<TantivyDocument>, seq: i64) -> Result<()> {
        let mut prepared = writer.prepare_commit().map_err(search_error)?;
        prepared.set_payload(&format!("{SCHEMA_TAG}:{seq}"));
        prepared.commit().map_err(search_error)?;
        writer.wait_merging_threads().map_err(search_error)?;
        self.reload()
    }

    fn reload(&mut self) -> Result<()> {
        self.reader.reload().map_err(search_error)
    }

    fn key_term(&self, tenant: i64, kind: SearchType, id: i64) -> Term {
        Term::from_field_text(self.fields.key, &format!("{tenant}/{}/{id}", kind.as_str()))
    }

    fn document(&self, kind: SearchType, row: &rusqlite::Row<'_>) -> Result<TantivyDocument> {
        let f = &self.fields;
        let tenant: i64 = row.get(0)?;
        let id: i64 = row.get(1)?;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, format!("{tenant}/{}/{id}", kind.as_str()));
        doc.add_u64(f.tenant, tenant.unsigned_abs());
        doc.add_text(f.kind, kind.as_str());
        doc.add_i64(f.id, id);
        doc.add_text(
            f.title,
            row.get::<_, Option<String>>(2)?.unwrap_or_default(),
        );
        doc.add_text(f.body, row.get::<_, Option<String>>(3)?.unwrap_or_default());
        doc.add_facet(f.f_type, Facet::from_path([kind.as_str()]));
        let facets = [
            (f.f_ticket_status, 4),
            (f.f_ticket_priority, 5),
            (f.f_conversation_status, 6),
            (f.f_channel, 7),
        ];
        for (field, column) in facets {
            if let Some(value) = row.get::<_, Option<String>>(column)? {
                doc.add_facet(field, Facet::from_path([value]));
            }
        }
        let team = row.get::<_, Option<i64>>(8)?;
        if let Some(team) = team {
            doc.add_facet(f.f_team, Facet::from_path([team.to_string()]));
        }
        let code = |column: usize, values: &[&str]| -> rusqlite::Result<u64> {
            Ok(row
                .get::<_, Option<String>>(column)?
                .and_then(|v| values.iter().position(|x| *x == v))
                .map_or(0, |i| i as u64 + 1))
        };
        doc.add_u64(
            f.codes,
            pack(&[
                SearchType::ALL.iter().position(|t| *t == kind).unwrap_or(0) as u64 + 1,
                code(4, TICKET_STATUSES)?,
                code(5, PRIORITIES)?,
                code(6, CONVERSATION_STATUSES)?,
                code(7, CHANNELS)?,
                team.map_or(0, |t| t.unsigned_abs() + 1),
            ]),
        );
        Ok(doc)
    }

    /// Runs `query` in `tenant`, after catching up with the feed.
    pub(crate) fn query(
        &mut self,
        conn: &Connection,
        tenant: i64,
        query: &SearchQuery,
    ) -> Result<SearchResults> {
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
        if query.filters.channels.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::invalid(
                "filters.channels",
                "must not be empty; leave it out for all",
            ));
        }
        self.sync(conn)?;
        let f = self.fields;
        let text = self.text_query(&query.q);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
        let facet_term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_facet(field, &Facet::from_path([value])),
                IndexRecordOption::Basic,
            ))
        };
        let any_of = |terms: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                terms.into_iter().map(|q| (Occur::Should, q)).collect(),
            ))
        };
        if let Some(types) = &query.types {
            clauses.push((
                Occur::Must,
                any_of(
                    types
                        .iter()
                        .map(|t| facet_term(f.f_type, t.as_str()))
                        .collect(),
                ),
            ));
        }
        let filters = &query.filters;
        if let Some(s) = filters.ticket_status {
            clauses.push((Occur::Must, facet_term(f.f_ticket_status, s.as_str())));
        }
        if let Some(p) = filters.ticket_priority {
            clauses.push((Occur::Must, facet_term(f.f_ticket_priority, p.as_str())));
        }
        if let Some(s) = filters.conversation_status {
            clauses.push((Occur::Must, facet_term(f.f_conversation_status, s.as_str())));
        }
        if let Some(channels) = &filters.channels {
            clauses.push((
                Occur::Must,
                any_of(
                    channels
                        .iter()
                        .map(|c| facet_term(f.f_channel, c.as_str()))
                        .collect(),
                ),
            ));
        }
        if let Some(team) = filters.team_id {
            clauses.push((Occur::Must, facet_term(f.f_team, &team.to_string())));
        }
        let query = scoped(f, tenant, Box::new(BooleanQuery::new(clauses)));

        let searcher = self.reader.searcher();
        let mut collectors = MultiCollector::new();
        let top = collectors.add_collector(
            TopDocs::with_limit(limit as usize)
                .and_offset(offset as usize)
                .order_by_score(),
        );
        let count = collectors.add_collector(Count);
        let counted = collectors.add_collector(FacetCounter);
        let mut fruits = searcher
            .search(&*query, &collectors)
            .map_err(search_error)?;
        let top = top.extract(&mut fruits);
        let total = count.extract(&mut fruits) as u64;
        let facets = counted.extract(&mut fruits).facets();

        let title_snippets =
            tantivy::snippet::SnippetGenerator::create(&searcher, &*query, f.title)
                .map_err(search_error)?;
        let body_snippets = tantivy::snippet::SnippetGenerator::create(&searcher, &*query, f.body)
            .map_err(search_error)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(search_error)?;
            let kind = match doc.get_first(f.kind).and_then(|v| v.as_str()) {
                Some("customer") => SearchType::Customer,
                Some("lead") => SearchType::Lead,
                Some("deal") => SearchType::Deal,
                Some("ticket") => SearchType::Ticket,
                Some("conversation") => SearchType::Conversation,
                other => {
                    return Err(Error::Internal(format!(
                        "search document of kind {other:?}"
                    )));
                }
            };
            let id = doc
                .get_first(f.id)
                .and_then(|v| v.as_i64())
                .unwrap_or_default();
            let title = doc
                .get_first(f.title)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let body = body_snippets.snippet_from_doc(&doc);
            let snippet = if body.highlighted().is_empty() {
                let t = title_snippets.snippet_from_doc(&doc);
                if t.highlighted().is_empty() {
                    body.to_html()
                } else {
                    t.to_html()
                }
            } else {
                body.to_html()
            };
            hits.push(SearchHit {
                hit_type: kind,
                id,
                title,
                snippet,
                score,
            });
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// Every word must match the title or the body: exactly (ranked first), the last word of
    /// the query also as a prefix, words of five letters or more also with one typo (ranked
    /// lower). `OR` (in capitals, between words) separates alternatives, each of which must
    /// match in full. Nothing else is syntax, so no text is an error.
    fn text_query(&self, q: &str) -> Box<dyn Query> {
        let groups = word_groups(q);
        if groups.is_empty() {
            return Box::new(AllQuery);
        }
        let last_group = groups.len() - 1;
        let alternatives: Vec<(Occur, Box<dyn Query>)> = groups
            .iter()
            .enumerate()
            .map(|(g, words)| {
                let last = (g == last_group).then(|| words.len() - 1);
                let clauses = words
                    .iter()
                    .enumerate()
                    .map(|(i, word)| (Occur::Must, self.word_query(word, Some(i) == last)))
                    .collect();
                (
                    Occur::Should,
                    Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>,
                )
            })
            .collect();
        if alternatives.len() == 1 {
            alternatives
                .into_iter()
                .next()
                .map_or_else(|| Box::new(AllQuery) as Box<dyn Query>, |(_, q)| q)
        } else {
            Box::new(BooleanQuery::new(alternatives))
        }
    }

    /// One word in the title or the body: exact, as a prefix (`prefix`), or with one typo.
    fn word_query(&self, word: &str, prefix: bool) -> Box<dyn Query> {
        let f = self.fields;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in [(f.title, 2.0), (f.body, 1.0)] {
            let term = Term::from_field_text(field, word);
            any.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                    boost,
                )),
            ));
            if prefix {
                any.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(FuzzyTermQuery::new_prefix(term.clone(), 0, true)),
                        boost * 0.5,
                    )),
                ));
            }
            if word.chars().count() >= FUZZY_MIN_CHARS {
                any.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(FuzzyTermQuery::new(term, 1, true)),
                        boost * 0.25,
                    )),
                ));
            }
        }
        Box::new(BooleanQuery::new(any))
    }
}

/// The query's words as the index sees them, in groups separated by `OR`; empty groups (a
/// leading, trailing or doubled `OR`) are dropped, and at most [`MAX_WORDS`] words are kept.
fn word_groups(q: &str) -> Vec<Vec<String>> {
    let mut analyzer = analyzer();
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    let mut kept = 0;
    for raw in q.split_whitespace() {
        if raw == "OR" {
            groups.push(Vec::new());
            continue;
        }
        let mut stream = analyzer.token_stream(raw);
        while let Some(token) = stream.next() {
            if kept == MAX_WORDS {
                break;
            }
            kept += 1;
            if let Some(group) = groups.last_mut() {
                group.push(token.text.clone());
            }
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// The one way a query reaches the index: inside the tenant's filter.
fn scoped(f: Fields, tenant: i64, query: Box<dyn Query>) -> Box<dyn Query> {
    let tenant = TermQuery::new(
        Term::from_field_u64(f.tenant, tenant.unsigned_abs()),
        IndexRecordOption::Basic,
    );
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, query),
        // Scored zero: the filter must not change the ranking.
        (
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(tenant), 0.0)),
        ),
    ]))
}

/// The highest change-feed sequence.
fn head(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM change_feed", [], |r| {
            r.get(0)
        })?,
    )
}

/// The documents a change to `entity` `id` affects.
fn affected(
    conn: &Connection,
    tenant: i64,
    entity: &str,
    id: i64,
) -> Result<Vec<(i64, SearchType, i64)>> {
    Ok(match entity {
        "customer" => {
            // A deal's document carries its customer's name.
            let mut docs = vec![(tenant, SearchType::Customer, id)];
            let mut stmt = conn
                .prepare_cached("SELECT id FROM deals WHERE tenant_id = ?1 AND customer_id = ?2")?;
            for deal in stmt.query_map(params![tenant, id], |r| r.get(0))? {
                docs.push((tenant, SearchType::Deal, deal?));
            }
            docs
        }
        "lead" => vec![(tenant, SearchType::Lead, id)],
        "deal" => vec![(tenant, SearchType::Deal, id)],
        "ticket" => vec![(tenant, SearchType::Ticket, id)],
        "conversation" => vec![(tenant, SearchType::Conversation, id)],
        "message" => conn
            .prepare_cached(
                "SELECT conversation_id FROM messages WHERE tenant_id = ?1 AND id = ?2",
            )?
            .query_row(params![tenant, id], |r| r.get(0))
            .optional()?
            .map(|c| vec![(tenant, SearchType::Conversation, c)])
            .unwrap_or_default(),
        _ => Vec::new(),
    })
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
    pub fn query(&self, query: &SearchQuery) -> Result<SearchResults> {
        let tenant = self.0.tenant_row_id();
        self.0
            .crm
            .with_search(|engine, conn| engine.query(conn, tenant, query))
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
        self.with_search(|engine, conn| engine.rebuild(conn, &mut progress))
    }

    /// Records the search index will hold (for a progress bar's length).
    pub fn searchable_records(&self) -> Result<u64> {
        self.read(|conn| {
            let mut total = 0u64;
            for table in ["customers", "leads", "deals", "tickets", "conversations"] {
                let n: i64 =
                    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
                total += n.unsigned_abs();
            }
            Ok(total)
        })
    }
}

const TICKET_STATUSES: &[&str] = &["open", "pending", "solved", "closed"];
const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];
const CONVERSATION_STATUSES: &[&str] = &["open", "pending", "snoozed", "resolved"];
const CHANNELS: &[&str] = &["email", "chat", "phone", "web", "social", "api"];
/// Bits of each packed code: type, ticket status, priority, conversation status and channel (0
/// is "none", n the nth value), then the team id + 1 in the rest.
const CODE_BITS: u32 = 4;
const SMALL_CODES: usize = 5;

/// Packs a document's facet codes into one fast-field value.
fn pack(codes: &[u64; 6]) -> u64 {
    let mut packed = codes[5] << (CODE_BITS * SMALL_CODES as u32);
    for (i, code) in codes[..SMALL_CODES].iter().enumerate() {
        packed |= code << (CODE_BITS * i as u32);
    }
    packed
}

/// Counts the facets of every match from the packed fast field: one column read per match,
/// where tantivy's `FacetCollector` reads one per facet and match.
struct FacetCounter;

/// Counts per facet value: `small[facet][code]` for the five small facets, teams by id + 1.
#[derive(Debug, Default)]
struct FacetTally {
    small: [[u64; 16]; SMALL_CODES],
    teams: BTreeMap<u64, u64>,
}

impl FacetTally {
    fn add(&mut self, other: FacetTally) {
        for (mine, theirs) in self.small.iter_mut().zip(other.small) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        for (team, n) in other.teams {
            *self.teams.entry(team).or_default() += n;
        }
    }

    fn facets(&self) -> Facets {
        let names = |facet: usize, values: &[&str]| -> BTreeMap<String, u64> {
            values
                .iter()
                .enumerate()
                .filter(|(i, _)| self.small[facet][i + 1] > 0)
                .map(|(i, v)| ((*v).to_owned(), self.small[facet][i + 1]))
                .collect()
        };
        let types: Vec<&str> = SearchType::ALL.iter().map(|t| t.as_str()).collect();
        Facets {
            types: names(0, &types),
            ticket_status: names(1, TICKET_STATUSES),
            ticket_priority: names(2, PRIORITIES),
            conversation_status: names(3, CONVERSATION_STATUSES),
            channels: names(4, CHANNELS),
            team_id: self
                .teams
                .iter()
                .map(|(team, n)| ((team - 1).to_string(), *n))
                .collect(),
        }
    }
}

impl Collector for FacetCounter {
    type Fruit = FacetTally;
    type Child = FacetSegmentCounter;

    fn for_segment(
        &self,
        _segment: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<FacetSegmentCounter> {
        Ok(FacetSegmentCounter {
            codes: reader.fast_fields().u64("codes")?,
            tally: FacetTally::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetTally>) -> tantivy::Result<FacetTally> {
        let mut all = FacetTally::default();
        for fruit in fruits {
            all.add(fruit);
        }
        Ok(all)
    }
}

struct FacetSegmentCounter {
    codes: tantivy::columnar::Column<u64>,
    tally: FacetTally,
}

impl SegmentCollector for FacetSegmentCounter {
    type Fruit = FacetTally;

    fn collect(&mut self, doc: tantivy::DocId, _score: tantivy::Score) {
        let Some(packed) = self.codes.first(doc) else {
            return;
        };
        let mask = (1u64 << CODE_BITS) - 1;
        for (facet, counts) in self.tally.small.iter_mut().enumerate() {
            counts[((packed >> (CODE_BITS * facet as u32)) & mask) as usize] += 1;
        }
        let team = packed >> (CODE_BITS * SMALL_CODES as u32);
        if team > 0 {
            *self.tally.teams.entry(team).or_default() += 1;
        }
    }

    fn harvest(self) -> FacetTally {
        self.tally
    }
}

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
//! ([`Snapshot::count_segment`]); the page is ranked by tantivy, records matching every word as
//! typed first (an intersection of term postings, pruned with block-max scores), then, only if
//! the page reaches past them, those that needed a completion or a typo. Both passes take the
//! tenant as an argument and intersect with its postings: ranked queries only through
//! [`scoped`], counts in [`Snapshot::count_segment`].

use crate::catalog::RecordKind;
use crate::conversations::ConversationStatus;
use crate::error::{Error, Result};
use crate::feed::{self, Entry, Follower};
use crate::tenancy::Scope;
use crate::tickets::{Channel, Priority, TicketStatus};
use rusqlite::{Connection, OptionalExtension, params};
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
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DfaWrapper, FuzzyTermQuery, Occur, Query,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value as _,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, TantivyDocument,
    Term,
};
use tantivy_fst::Automaton;

/// Written into every commit's payload with the applied sequence; a different tag (another
/// schema) makes the index stale, and it is rebuilt.
const SCHEMA_TAG: &str = "crm-search-4";
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
    /// Rank: above 1 for records matching every word as typed (1 + BM25), below 1 for those
    /// that needed a completion or a typo.
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
    /// Stored for hits and snippets.
    title: Field,
    body: Field,
    /// What queries match: the title twice (so it weighs double) and the body.
    text: Field,
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
    let stored = TextOptions::default().set_stored();
    // No positions: no query looks at word order.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let facet = FacetOptions::default();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        // A word with frequencies (always 1), so that a query's words and its tenant make one
        // intersection of term postings, which tantivy ranks with block-max pruning.
        tenant: b.add_text_field(
            "tenant",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_i64_field("id", STORED),
        title: b.add_text_field("title", stored.clone()),
        body: b.add_text_field("body", stored),
        text: b.add_text_field("text", text),
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

/// An I/O failure of the index's files, as a search error (not the database's storage).
fn io_error(e: std::io::Error) -> Error {
    Error::Search(e.into())
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
    /// The feed sequence the reader's searcher is known to hold (it may hold more): while the
    /// committed sequence stays the same the searcher is current, and reloading it (which opens
    /// every segment again) is skipped.
    loaded: Option<i64>,
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
                        std::fs::create_dir_all(&dir).map_err(io_error)?;
                        Index::create_in_dir(&dir, schema)?
                    }
                }
            }
        };
        index.tokenizers().register(TOKENIZER, analyzer());
        // Segments are searched in parallel, one thread per core.
        index.set_default_multithread_executor()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut engine = Engine {
            index,
            fields,
            reader,
            loaded: None,
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
        let payload = self.index.load_metas()?.payload.unwrap_or_default();
        Ok(applied_seq(&payload))
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
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Refills the index from SQLite; `progress` is told how many records are done.
    pub(crate) fn rebuild(
        &mut self,
        conn: &Connection,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        let records = searchable_records(conn)?;
        let threads = if records >= REBUILD_TWO_THREADS { 2 } else { 1 };
        let memory = usize::try_from(records)
            .unwrap_or(usize::MAX)
            .saturating_mul(REBUILD_MEMORY_PER_RECORD)
            .clamp(SYNC_MEMORY * threads, REBUILD_MEMORY);
        let writer = self.writer(threads, memory)?;
        // The head is read first: documents read afterwards are at least that new, and entries
        // after it are applied again by the next sync, which is idempotent.
        let head = feed::head(conn)?;
        writer.delete_all_documents()?;
        let mut indexed = 0;
        for kind in SearchType::ALL {
            let mut stmt = conn.prepare(&kind.sql(false))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                writer.add_document(self.document(kind, row)?)?;
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
        let head = feed::head(conn)?;
        match self.applied()? {
            Some(applied) if applied == head => return self.reload(applied),
            Some(applied) if applied < head => {}
            // New, another schema, or ahead of this database (a restored file): start again.
            _ => {
                self.rebuild(conn, &mut |_| {})?;
                return Ok(());
            }
        }
        let writer = self.writer(1, SYNC_MEMORY)?;
        // Another process may have caught up while this one waited for the writer.
        let Some(from) = self.applied()?.filter(|a| *a <= head) else {
            drop(writer);
            self.rebuild(conn, &mut |_| {})?;
            return Ok(());
        };
        if from == head {
            return self.reload(from);
        }
        let mut follower = Follower::new(from);
        follower.catch_up(conn, head, FEED_STEP, |entries| {
            let mut touched: Vec<(i64, SearchType, i64)> = Vec::new();
            let mut seen = HashSet::new();
            for entry in entries {
                for doc in affected(conn, entry)? {
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
                    writer.add_document(self.document(kind, row)?)?;
                }
            }
            Ok(())
        })?;
        self.commit(writer, follower.applied())
    }

    /// Commits with the applied sequence in the payload, lets merges finish, releases the
    /// writer and reloads the reader.
    fn commit(&mut self, mut writer: IndexWriter<TantivyDocument>, seq: i64) -> Result<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&format!("{SCHEMA_TAG}:{seq}"));
        prepared.commit()?;
        writer.wait_merging_threads()?;
        // A commit always gets a new searcher, whatever the sequence was.
        self.loaded = None;
        self.reload(seq)
    }

    /// Makes the searcher hold at least the commit of `seq`, which the caller read from the
    /// metas before this call (so the searcher may be newer than `seq`, never older).
    fn reload(&mut self, seq: i64) -> Result<()> {
        if self.loaded != Some(seq) {
            self.reader.reload()?;
            self.loaded = Some(seq);
        }
        Ok(())
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
        doc.add_text(f.tenant, tenant.to_string());
        doc.add_text(f.kind, kind.as_str());
        doc.add_i64(f.id, id);
        let title = row.get::<_, Option<String>>(2)?.unwrap_or_default();
        let body = row.get::<_, Option<String>>(3)?.unwrap_or_default();
        doc.add_text(f.text, &title);
        doc.add_text(f.text, &title);
        doc.add_text(f.text, &body);
        doc.add_text(f.title, title);
        doc.add_text(f.body, body);
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

    /// Catches up with the feed and returns the searcher that holds it. Queries run on the
    /// snapshot without the engine, so searches in one process run side by side: only catching
    /// up takes turns.
    pub(crate) fn snapshot(&mut self, conn: &Connection) -> Result<Snapshot> {
        self.sync(conn)?;
        Ok(Snapshot {
            searcher: self.reader.searcher(),
            fields: self.fields,
        })
    }
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
    if query.filters.channels.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::invalid(
            "filters.channels",
            "must not be empty; leave it out for all",
        ));
    }
    Ok((limit, offset))
}

/// The index as of one commit, searched without holding the engine.
pub(crate) struct Snapshot {
    searcher: Searcher,
    fields: Fields,
}

impl Snapshot {
    /// Runs `query` (see [`checked`]) in `tenant`.
    pub(crate) fn query(
        &self,
        tenant: i64,
        query: &SearchQuery,
        (limit, offset): (u32, u32),
    ) -> Result<SearchResults> {
        let searcher = &self.searcher;
        let groups = self.expand(searcher, &query.q)?;

        // The total and the facets count every match, unscored.
        let tally = self.count(searcher, tenant, query, &groups)?;

        // Ranked: records matching every word as typed first (by BM25, the title counting
        // twice), then those that needed a completion or a typo. Only the first tier is scored
        // unless the page reaches past it, so a common query scores plain term intersections.
        let wanted = offset as usize + limit as usize;
        let exact = self.exact(&groups);
        let first = searcher.search(
            &*self.filtered(tenant, query, exact.box_clone()),
            &TopDocs::with_limit(wanted).order_by_score(),
        )?;
        let whole = first.len();
        let mut ranked: Vec<(Score, DocAddress)> = first
            .into_iter()
            .skip(offset as usize)
            .map(|(score, address)| (1.0 + score, address))
            .collect();
        if whole < wanted && !groups.is_empty() {
            let rest = BooleanQuery::new(vec![
                (Occur::Must, self.ranked(&groups)),
                (Occur::MustNot, exact),
            ]);
            let more = searcher.search(
                &*self.filtered(tenant, query, Box::new(rest)),
                &TopDocs::with_limit(wanted - whole.max(offset as usize))
                    .and_offset((offset as usize).saturating_sub(whole))
                    .order_by_score(),
            )?;
            // Below 1, where every whole-word match scores above 1.
            ranked.extend(
                more.into_iter()
                    .map(|(score, address)| (score / (1.0 + score), address)),
            );
        }

        let f = self.fields;
        let words = snippet_words(&groups);
        let title_snippets =
            SnippetGenerator::new(words.clone(), analyzer(), f.title, SNIPPET_CHARS);
        let body_snippets = SnippetGenerator::new(words, analyzer(), f.body, SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, address) in ranked {
            let doc: TantivyDocument = searcher.doc(address)?;
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
            total: tally.total(),
            hits,
            facets: tally.facets(),
        })
    }

    /// `text` inside the request's filters and the tenant's.
    fn filtered(&self, tenant: i64, query: &SearchQuery, text: Box<dyn Query>) -> Box<dyn Query> {
        let f = self.fields;
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
        let query: Box<dyn Query> = if clauses.len() == 1 {
            clauses.remove(0).1
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        scoped(f, tenant, query)
    }

    /// The query's words in their `OR` groups, each with the indexed words it also matches:
    /// completions of the query's last word, and words one typo away from a word of
    /// [`FUZZY_MIN_CHARS`] letters or more. They are read from the term dictionaries of every
    /// tenant; a word only another tenant uses matches nothing here, as the tenant filter
    /// applies to every query.
    fn expand(&self, searcher: &Searcher, q: &str) -> Result<Vec<Vec<Word>>> {
        let groups = word_groups(q);
        let last_group = groups.len().saturating_sub(1);
        let mut expanded = Vec::with_capacity(groups.len());
        for (g, words) in groups.into_iter().enumerate() {
            let last_word = words.len().saturating_sub(1);
            let mut group = Vec::with_capacity(words.len());
            for (i, typed) in words.into_iter().enumerate() {
                let prefix = g == last_group && i == last_word;
                let fuzzy = typed.chars().count() >= FUZZY_MIN_CHARS;
                let typos = if fuzzy {
                    let term = Term::from_field_text(self.fields.text, &typed);
                    Some(FuzzyTermQuery::new(term, 1, true).automaton()?)
                } else {
                    None
                };
                let forms = (prefix || fuzzy).then_some(Forms {
                    prefix: prefix.then_some(typed.as_bytes()),
                    typos,
                });
                let (mut found, postings) = self.forms(searcher, &typed, forms.as_ref())?;
                found.remove(typed.as_bytes());
                let mut others: Vec<(String, u64)> = found
                    .into_iter()
                    .filter_map(|(word, docs)| String::from_utf8(word).ok().map(|w| (w, docs)))
                    .collect();
                others.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                group.push(Word {
                    typed,
                    others,
                    postings,
                });
            }
            expanded.push(group);
        }
        Ok(expanded)
    }

    /// The indexed words `forms` accepts (or just `typed` without it), with their document
    /// counts, and per segment their postings.
    #[allow(clippy::type_complexity)]
    fn forms(
        &self,
        searcher: &Searcher,
        typed: &str,
        forms: Option<&Forms<'_>>,
    ) -> Result<(HashMap<Vec<u8>, u64>, Vec<Vec<TermInfo>>)> {
        let mut found: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut postings = Vec::with_capacity(searcher.segment_readers().len());
        let term = Term::from_field_text(self.fields.text, typed);
        for segment in searcher.segment_readers() {
            let index = segment.inverted_index(self.fields.text)?;
            let mut infos = Vec::new();
            match forms {
                Some(forms) => {
                    let mut stream = index
                        .terms()
                        .search(forms)
                        .into_stream()
                        .map_err(io_error)?;
                    while stream.advance() {
                        let info = stream.value();
                        *found.entry(stream.key().to_vec()).or_default() +=
                            u64::from(info.doc_freq);
                        infos.push(info.clone());
                    }
                }
                None => infos.extend(index.get_term_info(&term).map_err(io_error)?),
            }
            postings.push(infos);
        }
        Ok((found, postings))
    }

    /// The total and the facet counts of every record in `tenant` that the words match (in
    /// any of their forms) and the filters let through; segments are counted in parallel.
    fn count(
        &self,
        searcher: &Searcher,
        tenant: i64,
        query: &SearchQuery,
        groups: &[Vec<Word>],
    ) -> Result<FacetTally> {
        let filter = CodeFilter::new(query);
        let tenant = Term::from_field_text(self.fields.tenant, &tenant.to_string());
        let tallies = searcher.index().search_executor().map(
            |(segment, reader)| {
                self.count_segment(segment, reader, &tenant, &filter, groups)
                    .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))
            },
            searcher.segment_readers().iter().enumerate(),
        )?;
        let mut all = FacetTally::default();
        for tally in tallies {
            all.add(tally);
        }
        Ok(all)
    }

    /// [`Snapshot::count`] in one segment: the matches as a bitmap (each word's forms united,
    /// the words of a group intersected, the groups united, the tenant's records intersected),
    /// then one packed fast-field value per match for the filters and the facets.
    fn count_segment(
        &self,
        segment: usize,
        reader: &tantivy::SegmentReader,
        tenant: &Term,
        filter: &CodeFilter,
        groups: &[Vec<Word>],
    ) -> Result<FacetTally> {
        let mut tally = FacetTally::default();
        let docs = reader.max_doc();
        let text = reader.inverted_index(self.fields.text)?;
        let mut matched = if groups.is_empty() {
            Bitmap::full(docs)
        } else {
            let mut any = Bitmap::empty(docs);
            for group in groups {
                let mut all: Option<Bitmap> = None;
                for word in group {
                    let mut forms = Bitmap::empty(docs);
                    for info in &word.postings[segment] {
                        forms.add_postings(&text, info)?;
                    }
                    all = Some(match all {
                        None => forms,
                        Some(mut all) => {
                            all.intersect(&forms);
                            all
                        }
                    });
                }
                if let Some(all) = all {
                    any.unite(&all);
                }
            }
            any
        };
        // The tenant filter: skipped only where every record of the segment is the tenant's.
        let tenants = reader.inverted_index(self.fields.tenant)?;
        match tenants.get_term_info(tenant).map_err(io_error)? {
            None => return Ok(tally),
            Some(info) if info.doc_freq == docs => {}
            Some(info) => {
                let mut theirs = Bitmap::empty(docs);
                theirs.add_postings(&tenants, &info)?;
                matched.intersect(&theirs);
            }
        }
        let codes = reader.fast_fields().u64("codes")?;
        // Every record has a code, so the values are read by document id directly.
        let codes = match codes.get_cardinality() {
            Cardinality::Full => codes.values,
            _ => codes.first_or_default_col(0),
        };
        let alive = reader.alive_bitset();
        // Codes are read in batches, which the column decodes faster than one by one.
        let mut batch: Vec<u32> = Vec::with_capacity(CODE_BATCH + 64);
        let mut values = [0u64; CODE_BATCH + 64];
        let mut flush = |batch: &mut Vec<u32>| {
            let values = &mut values[..batch.len()];
            codes.get_vals(batch, values);
            if filter.is_none() {
                for packed in values.iter() {
                    tally.add_packed(*packed);
                }
            } else {
                for packed in values.iter() {
                    if filter.accepts(*packed) {
                        tally.add_packed(*packed);
                    }
                }
            }
            batch.clear();
        };
        for (block, bits) in matched.words.iter().enumerate() {
            let mut bits = *bits;
            while bits != 0 {
                let doc = (block as u32) * 64 + bits.trailing_zeros();
                bits &= bits - 1;
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    batch.push(doc);
                }
            }
            if batch.len() >= CODE_BATCH {
                flush(&mut batch);
            }
        }
        flush(&mut batch);
        Ok(tally)
    }

    /// Records matching every word as typed, scored by BM25.
    fn exact(&self, groups: &[Vec<Word>]) -> Box<dyn Query> {
        let text = self.fields.text;
        any_group(groups, |word| {
            Box::new(TermQuery::new(
                Term::from_field_text(text, &word.typed),
                IndexRecordOption::WithFreqs,
            ))
        })
    }

    /// Every match, scored: the words as typed by BM25, their [`RANKED_FORMS`] commonest other
    /// forms by half of it, rarer forms by a small constant.
    fn ranked(&self, groups: &[Vec<Word>]) -> Box<dyn Query> {
        let text = self.fields.text;
        let term = |w: &str| {
            Box::new(TermQuery::new(
                Term::from_field_text(text, w),
                IndexRecordOption::WithFreqs,
            ))
        };
        any_group(groups, |word| {
            let mut forms: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, term(&word.typed))];
            let (common, rare) = word.others.split_at(word.others.len().min(RANKED_FORMS));
            for (w, _) in common {
                forms.push((Occur::Should, Box::new(BoostQuery::new(term(w), 0.5))));
            }
            if !rare.is_empty() {
                let rare =
                    TermSetQuery::new(rare.iter().map(|(w, _)| Term::from_field_text(text, w)));
                forms.push((
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(Box::new(rare), 0.1)),
                ));
            }
            Box::new(BooleanQuery::new(forms))
        })
    }
}

/// The other forms of a query word, as an automaton over a term dictionary: the words it begins
/// (`prefix`), the words one typo away (`typos`), or both.
struct Forms<'w> {
    prefix: Option<&'w [u8]>,
    typos: Option<DfaWrapper>,
}

impl Automaton for Forms<'_> {
    /// Bytes of the prefix matched so far (`None` once a byte differed), and the typo
    /// automaton's state (0 when there is none).
    type State = (Option<usize>, u32);

    fn start(&self) -> Self::State {
        (
            self.prefix.map(|_| 0),
            self.typos.as_ref().map_or(0, Automaton::start),
        )
    }

    fn is_match(&self, state: &Self::State) -> bool {
        self.prefix.is_some_and(|p| state.0 == Some(p.len()))
            || self.typos.as_ref().is_some_and(|t| t.is_match(&state.1))
    }

    fn can_match(&self, state: &Self::State) -> bool {
        state.0.is_some() || self.typos.as_ref().is_some_and(|t| t.can_match(&state.1))
    }

    fn will_always_match(&self, state: &Self::State) -> bool {
        self.prefix.is_some_and(|p| state.0 == Some(p.len()))
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        let prefix = match (self.prefix, state.0) {
            (Some(p), Some(i)) if i == p.len() => Some(i),
            (Some(p), Some(i)) if p[i] == byte => Some(i + 1),
            _ => None,
        };
        let typos = self.typos.as_ref().map_or(0, |t| t.accept(&state.1, byte));
        (prefix, typos)
    }
}

/// One word of the query: as typed, the other indexed words it matches (most documents
/// first), and per segment of the searcher the postings of every form it matches.
struct Word {
    typed: String,
    others: Vec<(String, u64)>,
    postings: Vec<Vec<TermInfo>>,
}

/// Records matching every word of some group, each word as `word` says; everything for no
/// words at all.
fn any_group(groups: &[Vec<Word>], word: impl Fn(&Word) -> Box<dyn Query>) -> Box<dyn Query> {
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = groups
        .iter()
        .map(|words| {
            let mut all: Vec<(Occur, Box<dyn Query>)> =
                words.iter().map(|w| (Occur::Must, word(w))).collect();
            let group: Box<dyn Query> = if all.len() == 1 {
                all.remove(0).1
            } else {
                Box::new(BooleanQuery::new(all))
            };
            (Occur::Should, group)
        })
        .collect();
    match alternatives.len() {
        0 => Box::new(AllQuery),
        1 => alternatives.remove(0).1,
        _ => Box::new(BooleanQuery::new(alternatives)),
    }
}

/// The words a snippet highlights: those typed, and the other forms that matched (weighed
/// less when the snippet picks its fragment).
fn snippet_words(groups: &[Vec<Word>]) -> BTreeMap<String, Score> {
    let mut words = BTreeMap::new();
    for word in groups.iter().flatten() {
        for (other, _) in &word.others {
            words.entry(other.clone()).or_insert(0.5);
        }
    }
    for word in groups.iter().flatten() {
        words.insert(word.typed.clone(), 1.0);
    }
    words
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
///
/// The tenant's term adds the same score to every record of the tenant (each holds it once, in
/// a one-word field), so it does not change the ranking. A query that is all required clauses
/// is flattened into one with the tenant's term, so that an intersection of words stays one
/// intersection of term postings (see the `tenant` field).
fn scoped(f: Fields, tenant: i64, query: Box<dyn Query>) -> Box<dyn Query> {
    let tenant: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_text(f.tenant, &tenant.to_string()),
        IndexRecordOption::WithFreqs,
    ));
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = match query.downcast_ref::<BooleanQuery>() {
        Some(all) if all.clauses().iter().all(|(occur, _)| *occur == Occur::Must) => all
            .clauses()
            .iter()
            .map(|(occur, q)| (*occur, q.box_clone()))
            .collect(),
        _ => vec![(Occur::Must, query)],
    };
    clauses.push((Occur::Must, tenant));
    Box::new(BooleanQuery::new(clauses))
}

/// The highest change-feed sequence.
/// The documents a change to `entity` `id` affects.
fn affected(conn: &Connection, entry: &Entry) -> Result<Vec<(i64, SearchType, i64)>> {
    let Entry {
        tenant, kind, id, ..
    } = *entry;
    let Some(kind) = kind else {
        return Ok(Vec::new());
    };
    Ok(match kind {
        RecordKind::Customer => {
            // A deal's document carries its customer's name.
            let mut docs = vec![(tenant, SearchType::Customer, id)];
            let mut stmt = conn
                .prepare_cached("SELECT id FROM deals WHERE tenant_id = ?1 AND customer_id = ?2")?;
            for deal in stmt.query_map(params![tenant, id], |r| r.get(0))? {
                docs.push((tenant, SearchType::Deal, deal?));
            }
            docs
        }
        RecordKind::Lead => vec![(tenant, SearchType::Lead, id)],
        RecordKind::Deal => vec![(tenant, SearchType::Deal, id)],
        RecordKind::Ticket => vec![(tenant, SearchType::Ticket, id)],
        RecordKind::Conversation => vec![(tenant, SearchType::Conversation, id)],
        RecordKind::Message => conn
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
            *engine = Some(Engine::open(crm.path(), conn)?);
        }
        match engine.as_mut() {
            Some(engine) => f(engine, conn),
            None => Err(Error::Internal("the search index did not open".into())),
        }
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
        let page = checked(query)?;
        let snapshot = with_search(self.0.crm, Engine::snapshot)?;
        snapshot.query(self.0.tenant_row_id(), query, page)
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

/// The sequence a commit payload says was applied; `None` for another schema or no payload.
fn applied_seq(payload: &str) -> Option<i64> {
    payload
        .strip_prefix(SCHEMA_TAG)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|seq| seq.parse::<i64>().ok())
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
    Unusable { reason: String },
    /// The index holds the feed up to `applied`; the next search applies the rest.
    Behind { applied: i64, head: i64 },
    /// The index holds changes the database lacks (a database restored under it); the next
    /// search rebuilds it.
    Ahead { applied: i64, head: i64 },
    /// Up to date with the feed; `documents` should equal `records`.
    Current {
        head: i64,
        documents: u64,
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
            IndexState::Ahead { applied, head } => Some(format!(
                "holds changes up to {applied}, but the database's feed ends at {head}"
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
        let Some(applied) = applied_seq(&payload) else {
            return Ok(IndexState::Unusable {
                reason: "written by another version of crm".into(),
            });
        };
        self.read(|conn| {
            let head = feed::head(conn)?;
            let records = searchable_records(conn)?;
            Ok(match applied.cmp(&head) {
                std::cmp::Ordering::Less => IndexState::Behind { applied, head },
                std::cmp::Ordering::Greater => IndexState::Ahead { applied, head },
                // A write between the two reads moves the head: then the index is behind.
                std::cmp::Ordering::Equal if feed::head(conn)? != head => {
                    IndexState::Behind { applied, head }
                }
                std::cmp::Ordering::Equal => IndexState::Current {
                    head,
                    documents,
                    records,
                },
            })
        })
    }
}

fn searchable_records(conn: &Connection) -> Result<u64> {
    let mut total = 0u64;
    for table in ["customers", "leads", "deals", "tickets", "conversations"] {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
        total += n.unsigned_abs();
    }
    Ok(total)
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

/// Matches whose codes are read from the column at once.
const CODE_BATCH: usize = 256;
/// Team ids below this are counted in an array, larger ones in a map.
const TEAM_SLOTS: usize = 1024;

/// Counts of matches by packed code (see [`pack`]), kept so that counting a match is two or
/// three increments: by the code's low byte (type, ticket status), by its next twelve bits
/// (priority, conversation status, channel) and by team.
#[derive(Debug)]
struct FacetTally {
    low: Vec<u64>,
    high: Vec<u64>,
    /// By team id + 1 below [`TEAM_SLOTS`], then by team id + 1 in `more_teams`.
    teams: Vec<u64>,
    more_teams: BTreeMap<u64, u64>,
}

impl Default for FacetTally {
    fn default() -> Self {
        FacetTally {
            low: vec![0; 1 << (2 * CODE_BITS)],
            high: vec![0; 1 << (3 * CODE_BITS)],
            teams: vec![0; TEAM_SLOTS],
            more_teams: BTreeMap::new(),
        }
    }
}

impl FacetTally {
    /// Counts one match with the packed code `packed`.
    #[inline]
    fn add_packed(&mut self, packed: u64) {
        let low = (packed & 0xff) as usize;
        let high = ((packed >> (2 * CODE_BITS)) & 0xfff) as usize;
        self.low[low] += 1;
        self.high[high] += 1;
        let team = packed >> (CODE_BITS * SMALL_CODES as u32);
        if team > 0 {
            match self.teams.get_mut(team as usize) {
                Some(n) => *n += 1,
                None => *self.more_teams.entry(team).or_default() += 1,
            }
        }
    }

    fn add(&mut self, other: FacetTally) {
        for (mine, theirs) in [
            (&mut self.low, &other.low),
            (&mut self.high, &other.high),
            (&mut self.teams, &other.teams),
        ] {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        for (team, n) in other.more_teams {
            *self.more_teams.entry(team).or_default() += n;
        }
    }

    fn total(&self) -> u64 {
        self.low.iter().sum()
    }

    /// Matches per code of each small facet: `small[facet][code]`.
    fn small(&self) -> [[u64; 16]; SMALL_CODES] {
        let mut small = [[0u64; 16]; SMALL_CODES];
        let mask = (1usize << CODE_BITS) - 1;
        for (code, n) in self.low.iter().enumerate() {
            small[0][code & mask] += n;
            small[1][(code >> CODE_BITS) & mask] += n;
        }
        for (code, n) in self.high.iter().enumerate() {
            for facet in 0..3 {
                small[2 + facet][(code >> (CODE_BITS * facet as u32)) & mask] += n;
            }
        }
        small
    }

    fn facets(&self) -> Facets {
        let small = self.small();
        let names = |facet: usize, values: &[&str]| -> BTreeMap<String, u64> {
            values
                .iter()
                .enumerate()
                .filter(|(i, _)| small[facet][i + 1] > 0)
                .map(|(i, v)| ((*v).to_owned(), small[facet][i + 1]))
                .collect()
        };
        let types: Vec<&str> = SearchType::ALL.iter().map(|t| t.as_str()).collect();
        let teams = self
            .teams
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(team, n)| (team as u64, *n))
            .chain(self.more_teams.iter().map(|(team, n)| (*team, *n)));
        Facets {
            types: names(0, &types),
            ticket_status: names(1, TICKET_STATUSES),
            ticket_priority: names(2, PRIORITIES),
            conversation_status: names(3, CONVERSATION_STATUSES),
            channels: names(4, CHANNELS),
            team_id: teams.map(|(team, n)| ((team - 1).to_string(), n)).collect(),
        }
    }
}

/// The request's types and filters as a test of a packed code (see [`pack`]): the meaning of
/// the facet terms [`Snapshot::filtered`] adds to ranked queries.
struct CodeFilter {
    /// Per small facet, the codes let through (bit n for code n); all where unfiltered.
    allowed: [u16; SMALL_CODES],
    /// The team id + 1, when filtered.
    team: Option<u64>,
}

impl CodeFilter {
    fn new(query: &SearchQuery) -> Self {
        // A value is always in its list; were it not, it would match nothing (no record has
        // code 15) rather than everything without the facet.
        let bit = |values: &[&str], value: &str| -> u16 {
            1 << values
                .iter()
                .position(|v| *v == value)
                .map_or(15, |i| i + 1)
        };
        let mut allowed = [u16::MAX; SMALL_CODES];
        if let Some(types) = &query.types {
            let all: Vec<&str> = SearchType::ALL.iter().map(|t| t.as_str()).collect();
            allowed[0] = types.iter().fold(0, |m, t| m | bit(&all, t.as_str()));
        }
        let filters = &query.filters;
        if let Some(s) = filters.ticket_status {
            allowed[1] = bit(TICKET_STATUSES, s.as_str());
        }
        if let Some(p) = filters.ticket_priority {
            allowed[2] = bit(PRIORITIES, p.as_str());
        }
        if let Some(s) = filters.conversation_status {
            allowed[3] = bit(CONVERSATION_STATUSES, s.as_str());
        }
        if let Some(channels) = &filters.channels {
            allowed[4] = channels
                .iter()
                .fold(0, |m, c| m | bit(CHANNELS, c.as_str()));
        }
        CodeFilter {
            allowed,
            team: filters.team_id.map(|t| t.unsigned_abs() + 1),
        }
    }

    /// Whether it lets every record through.
    fn is_none(&self) -> bool {
        self.allowed.iter().all(|a| *a == u16::MAX) && self.team.is_none()
    }

    fn accepts(&self, packed: u64) -> bool {
        let mask = (1u64 << CODE_BITS) - 1;
        self.allowed.iter().enumerate().all(|(facet, allowed)| {
            allowed & (1 << ((packed >> (CODE_BITS * facet as u32)) & mask)) != 0
        }) && self
            .team
            .is_none_or(|t| packed >> (CODE_BITS * SMALL_CODES as u32) == t)
    }
}

/// A set of the documents of one segment, 64 to a word.
struct Bitmap {
    words: Vec<u64>,
}

impl Bitmap {
    fn empty(docs: u32) -> Self {
        Bitmap {
            words: vec![0; (docs as usize).div_ceil(64)],
        }
    }

    fn full(docs: u32) -> Self {
        let mut all = Bitmap {
            words: vec![u64::MAX; (docs as usize).div_ceil(64)],
        };
        if let Some(last) = all.words.last_mut()
            && !docs.is_multiple_of(64)
        {
            *last = (1u64 << (docs % 64)) - 1;
        }
        all
    }

    /// Adds the documents of a posting list.
    fn add_postings(&mut self, index: &InvertedIndexReader, info: &TermInfo) -> Result<()> {
        let mut postings = index
            .read_block_postings_from_terminfo(info, IndexRecordOption::Basic)
            .map_err(io_error)?;
        loop {
            let docs = postings.docs();
            if docs.is_empty() {
                return Ok(());
            }
            for &doc in docs {
                if let Some(word) = self.words.get_mut((doc / 64) as usize) {
                    *word |= 1 << (doc % 64);
                }
            }
            postings.advance();
        }
    }

    fn intersect(&mut self, other: &Bitmap) {
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine &= theirs;
        }
    }

    fn unite(&mut self, other: &Bitmap) {
        for (mine, theirs) in self.words.iter_mut().zip(&other.words) {
            *mine |= theirs;
        }
    }
}

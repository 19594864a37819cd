//! The index on disk (or in memory) and its upkeep: opening, rebuilding from SQLite, catching up
//! with the change feed, committing with the applied sequence.

use super::*;
use std::fmt::Write as _;

/// The open index of one database.
///
/// The writer is taken only while the index catches up with the feed (or is rebuilt) and is
/// released at once, so several processes on one database take turns: whoever searches applies
/// what the feed holds beyond the last commit, under tantivy's lock, and the others wait for it.
pub(crate) struct Engine {
    pub(crate) index: Index,
    pub(crate) fields: Fields,
    pub(crate) reader: IndexReader,
    /// The commit payload (the feed positions) the reader's searcher is known to hold (it may
    /// hold more): while the committed positions stay the same the searcher is current, and
    /// reloading it (which opens every segment again) is skipped.
    pub(crate) loaded: Option<String>,
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
pub(crate) const WRITER_WAIT: Duration = Duration::from_secs(30);

impl Engine {
    /// Opens the index beside `db` (in memory for an in-memory database), starting it again
    /// when it is unreadable; the first [`Engine::sync`] rebuilds it from the database when it
    /// is new or of another schema.
    pub(crate) fn open(db: Option<&Path>) -> Result<Self> {
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
        Ok(Engine {
            index,
            fields,
            reader,
            loaded: None,
        })
    }

    pub(crate) fn open_dir(dir: &Path, schema: &Schema) -> tantivy::Result<Index> {
        std::fs::create_dir_all(dir)?;
        let directory = MmapDirectory::open(dir)?;
        let index = Index::open_or_create(directory, schema.clone())?;
        // Reading the metas and a searcher proves the files are whole.
        index.load_metas()?;
        index.reader()?.searcher();
        Ok(index)
    }

    /// The change-feed positions the last commit applied, per tenant; `None` for a new index
    /// or one written with another schema.
    pub(crate) fn applied(&self) -> Result<Option<Positions>> {
        let payload = self.index.load_metas()?.payload.unwrap_or_default();
        Ok(applied_positions(&payload))
    }

    /// Takes the index writer, waiting while another process holds it.
    pub(crate) fn writer(
        &self,
        threads: usize,
        memory: usize,
    ) -> Result<IndexWriter<TantivyDocument>> {
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

    /// Catches up with the feed, then rewrites each segment that holds deleted documents
    /// without them and removes the old files, so nothing deleted is left in the folder
    /// (erasure).
    pub(crate) fn purge_deleted(&mut self, conn: &Connection) -> Result<()> {
        self.sync(conn, None)?;
        let segments: Vec<tantivy::index::SegmentId> = self
            .index
            .searchable_segment_metas()?
            .into_iter()
            .filter(tantivy::index::SegmentMeta::has_deletes)
            .map(|m| m.id())
            .collect();
        let mut writer = self.writer(1, SYNC_MEMORY)?;
        for segment in segments {
            // One at a time: a merge of one segment is a rewrite without its deleted documents.
            writer.merge(&[segment]).wait()?;
        }
        writer.wait_merging_threads()?;
        // Drop the old segments the reader still holds, then delete what nothing uses.
        self.loaded = None;
        self.reader.reload()?;
        let writer = self.writer(1, SYNC_MEMORY)?;
        writer.garbage_collect_files().wait()?;
        writer.wait_merging_threads()?;
        Ok(())
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
        // The heads are read first: documents read afterwards are at least that new, and
        // entries after them are applied again by the next sync, which is idempotent.
        let heads = follow::heads(conn)?;
        writer.delete_all_documents()?;
        let mut indexed = 0;
        for kind in SearchType::ALL {
            let mut stmt = conn.prepare(&kind.sql(false))?;
            let mut rows = stmt.query(params![])?;
            while let Some(row) = rows.next()? {
                writer.add_document(self.document(kind, &row)?)?;
                indexed += 1;
                if indexed % 10_000 == 0 {
                    progress(indexed);
                }
            }
        }
        self.commit(writer, &heads)?;
        progress(indexed);
        Ok(indexed)
    }

    /// Applies the change-feed entries of `tenant` (of every tenant for `None`) after the last
    /// commit's, so that the index holds every write of theirs committed before this call.
    pub(crate) fn sync(&mut self, conn: &Connection, tenant: Option<i64>) -> Result<()> {
        let heads = match tenant {
            Some(tenant) => Positions::from([(tenant, follow::head(conn, tenant)?)]),
            None => follow::heads(conn)?,
        };
        // What is left to apply: `None` when the index must start again (new, of another
        // schema, or ahead of the database).
        let plan = |engine: &Self| -> Result<Option<(Positions, Lagging)>> {
            Ok(engine.applied()?.and_then(|applied| {
                let lagging = behind(&applied, &heads, tenant.is_none()).ok()?;
                Some((applied, lagging))
            }))
        };
        let Some((applied, lagging)) = plan(self)? else {
            return self.rebuild(conn, &mut |_| {}).map(drop);
        };
        if lagging.is_empty() {
            return self.reload(&applied);
        }
        let writer = self.writer(1, SYNC_MEMORY)?;
        // Another process may have caught up while this one waited for the writer.
        let Some((mut applied, lagging)) = plan(self)? else {
            drop(writer);
            return self.rebuild(conn, &mut |_| {}).map(drop);
        };
        if lagging.is_empty() {
            return self.reload(&applied);
        }
        for (tenant, from, head) in lagging {
            let mut follower = Follower::new(tenant, from);
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
                        writer.add_document(self.document(kind, &row)?)?;
                    }
                }
                Ok(())
            })?;
            applied.insert(tenant, follower.applied());
        }
        self.commit(writer, &applied)
    }

    /// Commits with the applied positions in the payload, lets merges finish, releases the
    /// writer and reloads the reader.
    pub(crate) fn commit(
        &mut self,
        mut writer: IndexWriter<TantivyDocument>,
        applied: &Positions,
    ) -> Result<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload(applied));
        prepared.commit()?;
        writer.wait_merging_threads()?;
        // A commit always gets a new searcher, whatever the positions were.
        self.loaded = None;
        self.reload(applied)
    }

    /// Makes the searcher hold at least the commit of `applied`, which the caller read from
    /// the metas before this call (so the searcher may be newer, never older).
    pub(crate) fn reload(&mut self, applied: &Positions) -> Result<()> {
        let key = payload(applied);
        if self.loaded.as_ref() != Some(&key) {
            self.reader.reload()?;
            self.loaded = Some(key);
        }
        Ok(())
    }

    pub(crate) fn key_term(&self, tenant: i64, kind: SearchType, id: i64) -> Term {
        Term::from_field_text(self.fields.key, &format!("{tenant}/{}/{id}", kind.as_str()))
    }

    pub(crate) fn document(
        &self,
        kind: SearchType,
        row: &crate::sql::Row<'_>,
    ) -> Result<TantivyDocument> {
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
        let code = |column: usize, values: &[&str]| -> Result<u64> {
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
    pub(crate) fn snapshot(&mut self, conn: &Connection, tenant: i64) -> Result<Snapshot> {
        self.sync(conn, Some(tenant))?;
        Ok(Snapshot {
            searcher: self.reader.searcher(),
            fields: self.fields,
        })
    }
}

/// The last change-feed sequence applied, per tenant (a tenant missing has applied nothing).
pub(crate) type Positions = std::collections::BTreeMap<i64, i64>;

/// A commit's payload: the schema's tag, then `tenant=seq` for each tenant, comma separated.
fn payload(applied: &Positions) -> String {
    let mut text = format!("{SCHEMA_TAG}:");
    for (i, (tenant, seq)) in applied.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{tenant}={seq}");
    }
    text
}

/// The positions a commit payload says were applied; `None` for another schema or no payload.
pub(crate) fn applied_positions(payload: &str) -> Option<Positions> {
    let rest = payload.strip_prefix(SCHEMA_TAG)?.strip_prefix(':')?;
    rest.split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (tenant, seq) = pair.split_once('=')?;
            Some((tenant.parse().ok()?, seq.parse().ok()?))
        })
        .collect()
}

/// The tenants the index has not caught up with: `(tenant, applied, head)` each.
pub(crate) type Lagging = Vec<(i64, i64, i64)>;

/// A tenant whose entries the index holds beyond the database's feed (a database restored
/// under the index): the index must be rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ahead {
    pub tenant: i64,
    pub applied: i64,
    pub head: i64,
}

/// The tenants of `heads` whose entries the index has not all applied, with where they are and
/// where their feed ends, or the first tenant it is ahead of. With `every` a tenant the index
/// knows that has no entries any more counts as well.
pub(crate) fn behind(
    applied: &Positions,
    heads: &Positions,
    every: bool,
) -> std::result::Result<Lagging, Ahead> {
    let head_of = |tenant: &i64| heads.get(tenant).copied().unwrap_or(0);
    if every && let Some((tenant, seq)) = applied.iter().find(|(t, seq)| **seq > head_of(t)) {
        return Err(Ahead {
            tenant: *tenant,
            applied: *seq,
            head: head_of(tenant),
        });
    }
    let mut behind = Vec::new();
    for (tenant, head) in heads {
        let at = applied.get(tenant).copied().unwrap_or(0);
        match at.cmp(head) {
            std::cmp::Ordering::Greater => {
                return Err(Ahead {
                    tenant: *tenant,
                    applied: at,
                    head: *head,
                });
            }
            std::cmp::Ordering::Less => behind.push((*tenant, at, *head)),
            std::cmp::Ordering::Equal => {}
        }
    }
    Ok(behind)
}

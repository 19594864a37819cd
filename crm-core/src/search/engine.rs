//! The index on disk (or in memory) and its upkeep: opening, rebuilding from SQLite, catching up
//! with the change feed, committing with the applied sequence.

use super::*;

/// The open index of one database.
///
/// The writer is taken only while the index catches up with the feed (or is rebuilt) and is
/// released at once, so several processes on one database take turns: whoever searches applies
/// what the feed holds beyond the last commit, under tantivy's lock, and the others wait for it.
pub(crate) struct Engine {
    pub(crate) index: Index,
    pub(crate) fields: Fields,
    pub(crate) reader: IndexReader,
    /// The feed sequence the reader's searcher is known to hold (it may hold more): while the
    /// committed sequence stays the same the searcher is current, and reloading it (which opens
    /// every segment again) is skipped.
    pub(crate) loaded: Option<i64>,
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

    pub(crate) fn open_dir(dir: &Path, schema: &Schema) -> tantivy::Result<Index> {
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
    pub(crate) fn applied(&self) -> Result<Option<i64>> {
        let payload = self.index.load_metas()?.payload.unwrap_or_default();
        Ok(applied_seq(&payload))
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
        self.sync(conn)?;
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
        // The head is read first: documents read afterwards are at least that new, and entries
        // after it are applied again by the next sync, which is idempotent.
        let head = feed::head(conn)?;
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
                    writer.add_document(self.document(kind, &row)?)?;
                }
            }
            Ok(())
        })?;
        self.commit(writer, follower.applied())
    }

    /// Commits with the applied sequence in the payload, lets merges finish, releases the
    /// writer and reloads the reader.
    pub(crate) fn commit(
        &mut self,
        mut writer: IndexWriter<TantivyDocument>,
        seq: i64,
    ) -> Result<()> {
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
    pub(crate) fn reload(&mut self, seq: i64) -> Result<()> {
        if self.loaded != Some(seq) {
            self.reader.reload()?;
            self.loaded = Some(seq);
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
    pub(crate) fn snapshot(&mut self, conn: &Connection) -> Result<Snapshot> {
        self.sync(conn)?;
        Ok(Snapshot {
            searcher: self.reader.searcher(),
            fields: self.fields,
        })
    }
}

/// The sequence a commit payload says was applied; `None` for another schema or no payload.
pub(crate) fn applied_seq(payload: &str) -> Option<i64> {
    payload
        .strip_prefix(SCHEMA_TAG)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|seq| seq.parse::<i64>().ok())
}

//! A query against one searcher: counting every match (total and facets), ranking a page,
//! snippets.

use super::*;

/// The score of a record found by its number: above every text match (those score below
/// 1 + BM25, far under this).
const NUMBER_SCORE: Score = 1e9;

/// The id a query names: `5584` or `#5584` (spaces around allowed).
fn number_of(q: &str) -> Option<i64> {
    let t = q.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    if t.is_empty() || t.len() > 18 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// The index as of one commit, searched without holding the engine.
pub(crate) struct Snapshot {
    pub(crate) searcher: Searcher,
    pub(crate) fields: Fields,
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
        let mut tally = self.count(searcher, tenant, query, &groups)?;

        // A query that is a record's number finds that record first (of each type the query
        // allows, inside its filters), then the text matches as ranked.
        let numbered = match number_of(&query.q) {
            Some(n) => self.numbered(searcher, tenant, query, n)?,
            None => Vec::new(),
        };
        let ranked = if numbered.is_empty() {
            self.rank(searcher, tenant, query, &groups, limit, offset)?
        } else {
            // Ranked from the top, so the page is a slice of one list: numbered, then the rest.
            let text = self.rank(
                searcher,
                tenant,
                query,
                &groups,
                offset + limit + numbered.len() as u32,
                0,
            )?;
            let in_text: HashSet<DocAddress> = if groups.is_empty() {
                HashSet::new()
            } else {
                let matched = BooleanQuery::new(vec![
                    (Occur::Must, self.ranked(&groups)),
                    (
                        Occur::Must,
                        Box::new(TermSetQuery::new(
                            numbered.iter().map(|(_, _, term)| term.clone()),
                        )),
                    ),
                ]);
                searcher
                    .search(
                        &*self.filtered(tenant, query, Box::new(matched)),
                        &tantivy::collector::DocSetCollector,
                    )?
                    .into_iter()
                    .collect()
            };
            // A numbered record the words do not match is one more match to count.
            for (address, packed, _) in &numbered {
                if !in_text.contains(address) {
                    tally.add_packed(*packed);
                }
            }
            let first: Vec<DocAddress> = numbered.iter().map(|(a, _, _)| *a).collect();
            first
                .iter()
                .map(|a| (NUMBER_SCORE, *a))
                .chain(text.into_iter().filter(|(_, a)| !first.contains(a)))
                .skip(offset as usize)
                .take(limit as usize)
                .collect()
        };

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
                Some("quote") => SearchType::Quote,
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
                context: String::new(),
                score,
            });
        }
        Ok(SearchResults {
            total: tally.total(),
            hits,
            facets: tally.facets(),
        })
    }

    /// The page of text matches: records matching every word as typed first, then the rest.
    fn rank(
        &self,
        searcher: &Searcher,
        tenant: i64,
        query: &SearchQuery,
        groups: &[Vec<Word>],
        limit: u32,
        offset: u32,
    ) -> Result<Vec<(Score, DocAddress)>> {
        // Ranked: records matching every word as typed first (by BM25, the title counting
        // twice), then those that needed a completion or a typo. Only the first tier is scored
        // unless the page reaches past it, so a common query scores plain term intersections.
        let wanted = offset as usize + limit as usize;
        let exact = self.exact(groups);
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
                (Occur::Must, self.ranked(groups)),
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

        Ok(ranked)
    }

    /// The documents whose id is `n`, of the types `query` allows, inside its filters and the
    /// tenant's, in type order: each with its packed facet code and its key term.
    fn numbered(
        &self,
        searcher: &Searcher,
        tenant: i64,
        query: &SearchQuery,
        n: i64,
    ) -> Result<Vec<(DocAddress, u64, Term)>> {
        let f = self.fields;
        let kinds: Vec<SearchType> = query
            .types
            .clone()
            .unwrap_or_else(|| SearchType::ALL.to_vec());
        let mut found = Vec::new();
        for kind in SearchType::ALL.into_iter().filter(|k| kinds.contains(k)) {
            let term = Term::from_field_text(f.key, &format!("{tenant}/{}/{n}", kind.as_str()));
            let one = TermQuery::new(term.clone(), IndexRecordOption::Basic);
            for (_, address) in searcher.search(
                &*self.filtered(tenant, query, Box::new(one)),
                &TopDocs::with_limit(1).order_by_score(),
            )? {
                let codes = searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .u64("codes")?;
                let packed = codes.first(address.doc_id).unwrap_or_default();
                found.push((address, packed, term.clone()));
            }
        }
        Ok(found)
    }

    /// `text` inside the request's filters and the tenant's.
    pub(crate) fn filtered(
        &self,
        tenant: i64,
        query: &SearchQuery,
        text: Box<dyn Query>,
    ) -> Box<dyn Query> {
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
        let lists: [(Field, Option<Vec<&str>>); 3] = [
            (
                f.f_ticket_status,
                filters
                    .ticket_status
                    .as_ref()
                    .map(|v| v.iter().map(|s| s.as_str()).collect()),
            ),
            (
                f.f_ticket_priority,
                filters
                    .ticket_priority
                    .as_ref()
                    .map(|v| v.iter().map(|p| p.as_str()).collect()),
            ),
            (
                f.f_conversation_status,
                filters
                    .conversation_status
                    .as_ref()
                    .map(|v| v.iter().map(|s| s.as_str()).collect()),
            ),
        ];
        for (field, values) in lists {
            if let Some(values) = values {
                clauses.push((
                    Occur::Must,
                    any_of(values.into_iter().map(|v| facet_term(field, v)).collect()),
                ));
            }
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
    pub(crate) fn expand(&self, searcher: &Searcher, q: &str) -> Result<Vec<Vec<Word>>> {
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
    pub(crate) fn forms(
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
    pub(crate) fn count(
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
    pub(crate) fn count_segment(
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
    pub(crate) fn exact(&self, groups: &[Vec<Word>]) -> Box<dyn Query> {
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
    pub(crate) fn ranked(&self, groups: &[Vec<Word>]) -> Box<dyn Query> {
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

/// The one way a query reaches the index: inside the tenant's filter.
///
/// The tenant's term adds the same score to every record of the tenant (each holds it once, in
/// a one-word field), so it does not change the ranking. A query that is all required clauses
/// is flattened into one with the tenant's term, so that an intersection of words stays one
/// intersection of term postings (see the `tenant` field).
pub(crate) fn scoped(f: Fields, tenant: i64, query: Box<dyn Query>) -> Box<dyn Query> {
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

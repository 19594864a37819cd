//! Search at 1,000,000 indexed records (`CRM_BENCH_RECORDS` to change it): the 100,000-customer demo (`CRM_BENCH_CUSTOMERS` to
//! change it) topped up with support tickets from `../shared/datasets` to a million searchable
//! records. Indexing from SQLite, queries with facets (two words, OR, as-you-type prefix), a
//! single write becoming visible, and the same queries on an SQLite FTS5 table of the same
//! records in the same run.
//!
//! Criterion reports means; p50/p99 over 1,000 further calls each are printed and written to
//! `target/criterion/search-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench search

use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::{demo_copy, percentiles, scale, write_report};
use crm_core::search::{SearchQuery, SearchType, document_sql};
use crm_core::store::RawConnection as Connection;
use crm_core::tickets::{Channel, NewTicket};
use std::hint::black_box;
use std::time::Instant;

/// Searchable records to reach: `CRM_BENCH_RECORDS` or a million.
fn records_target() -> u64 {
    std::env::var("CRM_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}
const DATASET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/support-tickets/customer_support_tickets.csv"
);

/// Subjects and descriptions of the real tickets.
fn dataset() -> Vec<(String, String, Channel)> {
    csv::Reader::from_path(DATASET)
        .expect("../shared/datasets must be beside the repository")
        .records()
        .map(|r| {
            let r = r.unwrap();
            let channel = match &r[13] {
                "Email" => Channel::Email,
                "Phone" => Channel::Phone,
                "Chat" => Channel::Chat,
                _ => Channel::Social,
            };
            (r[8].to_owned(), r[9].to_owned(), channel)
        })
        .collect()
}

/// A new ticket with only a subject, a description and a channel.
fn ticket(subject: &str, description: &str, channel: Channel) -> NewTicket {
    NewTicket {
        description: description.to_owned(),
        ..NewTicket::new(subject, channel)
    }
}

/// Starts the process's peak resident memory again from what it holds now (Linux).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory since [`reset_peak_memory`] (Linux's `VmHWM`).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// FTS5 over the same documents, with the facet columns beside them.
fn build_fts(conn: &Connection) {
    conn.execute_batch(
        "DROP TABLE IF EXISTS bench_fts;
         CREATE VIRTUAL TABLE bench_fts USING fts5(
             title, body, kind UNINDEXED, tenant UNINDEXED, ticket_status UNINDEXED,
             ticket_priority UNINDEXED, conversation_status UNINDEXED, channel UNINDEXED,
             team UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');",
    )
    .unwrap();
    for kind in SearchType::ALL {
        conn.execute(
            &format!(
                "WITH d(tenant_id, id, title, body, ts, tp, cs, ch, team) AS ({})
                 INSERT INTO bench_fts (tenant, kind, title, body, ticket_status, ticket_priority,
                                        conversation_status, channel, team)
                 SELECT tenant_id, '{}', title, body, ts, tp, cs, ch, team FROM d",
                document_sql(kind),
                kind.as_str()
            ),
            [],
        )
        .unwrap();
    }
}

/// Top 20 by rank, the total and every facet's counts, as `search.query` returns them.
fn fts_query(conn: &Connection, q: &str) -> (u64, usize) {
    let hits: Vec<i64> = conn
        .prepare_cached(
            "SELECT rowid FROM bench_fts WHERE bench_fts MATCH ?1 AND tenant = 1 ORDER BY rank LIMIT 20",
        )
        .unwrap()
        .query_map([q], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut total = 0;
    let mut stmt = conn
        .prepare_cached(
            "WITH m AS MATERIALIZED (
                 SELECT kind, ticket_status, ticket_priority, conversation_status, channel, team
                   FROM bench_fts WHERE bench_fts MATCH ?1 AND tenant = 1)
             SELECT 'type', kind, COUNT(*) FROM m GROUP BY 2
             UNION ALL SELECT 'ticketStatus', ticket_status, COUNT(*) FROM m WHERE ticket_status IS NOT NULL GROUP BY 2
             UNION ALL SELECT 'ticketPriority', ticket_priority, COUNT(*) FROM m WHERE ticket_priority IS NOT NULL GROUP BY 2
             UNION ALL SELECT 'conversationStatus', conversation_status, COUNT(*) FROM m WHERE conversation_status IS NOT NULL GROUP BY 2
             UNION ALL SELECT 'channels', channel, COUNT(*) FROM m WHERE channel IS NOT NULL GROUP BY 2
             UNION ALL SELECT 'teamId', team, COUNT(*) FROM m WHERE team IS NOT NULL GROUP BY 2",
        )
        .unwrap();
    let rows = stmt
        .query_map([q], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(2)?)))
        .unwrap();
    for row in rows {
        let (facet, n) = row.unwrap();
        if facet == "type" {
            total += n.unsigned_abs();
        }
    }
    (total, hits.len())
}

fn search(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let admin = crm.first_admin("demo").unwrap();
    let scope = crm.scope("demo", admin).unwrap();
    let target = records_target();
    let mut report = vec![format!(
        "search@{customers}+tickets to {target} records (release)"
    )];

    // Top up to a million searchable records with the dataset's tickets.
    let have = crm.searchable_records().unwrap();
    let tickets = dataset();
    let started = Instant::now();
    let mut added = 0u64;
    while have + added < target {
        let n = (target - have - added).min(50_000);
        scope
            .batch(|b| {
                for i in 0..n {
                    let (subject, description, channel) =
                        &tickets[((added + i) % tickets.len() as u64) as usize];
                    b.create_ticket(ticket(subject, description, *channel))?;
                }
                Ok(())
            })
            .unwrap();
        added += n;
    }
    let records = crm.searchable_records().unwrap();
    eprintln!(
        "{records} searchable records ({added} dataset tickets added in {:.1?})",
        started.elapsed()
    );

    // Indexed twice: right after the top-up, while SQLite still reads much of the database
    // through its write-ahead log, and again once the log is checkpointed into the file.
    let raw = crm_core::store::raw_connection(&dir.path().join("bench.db")).unwrap();
    for when in ["right after the top-up", "after a checkpoint"] {
        if when == "after a checkpoint" {
            raw.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
        }
        let log = std::fs::metadata(dir.path().join("bench.db-wal")).map_or(0, |m| m.len());
        reset_peak_memory();
        let started = Instant::now();
        let indexed = crm.rebuild_search(|_| {}).unwrap();
        let secs = started.elapsed().as_secs_f64();
        let line = format!(
            "indexing from SQLite {when} (log {} MB): {indexed} records in {secs:.1} s = {:.0} records/s, peak resident memory {}",
            log / 1_000_000,
            indexed as f64 / secs,
            peak_memory()
        );
        eprintln!("{line}");
        report.push(line);
    }

    let started = Instant::now();
    build_fts(&raw);
    eprintln!("FTS5 table built in {:.1?}", started.elapsed());

    let query = |q: &str| SearchQuery {
        q: q.into(),
        ..Default::default()
    };
    let two_words = query("battery life");
    let or_words = query("refund OR battery");
    let prefix = query("instal");
    let second_word = query("battery li");
    let nothing = query("zzqqxy");
    let cases = [
        ("two words", &two_words, "battery life"),
        ("OR", &or_words, "refund OR battery"),
        ("prefix (as you type)", &prefix, "instal*"),
        ("second word half typed", &second_word, "battery li*"),
        // The cost every query pays: catching up, the searcher, the word's forms.
        ("nothing matches", &nothing, "zzqqxy*"),
    ];
    for (name, q, fts) in &cases {
        let ours = scope.search().query(q).unwrap();
        let theirs = fts_query(&raw, fts);
        let line = format!(
            "{name}: tantivy {} matches, FTS5 {} (tantivy also matches one-typo words)",
            ours.total, theirs.0
        );
        eprintln!("{line}");
        report.push(line);
    }

    let mut group = c.benchmark_group(format!("search@{records}"));
    for (name, q, fts) in &cases {
        group.bench_function(format!("tantivy: {name} with facets"), |b| {
            b.iter(|| black_box(scope.search().query(q).unwrap()));
        });
        group.bench_function(format!("FTS5: {name} with facets"), |b| {
            b.iter(|| black_box(fts_query(&raw, fts)));
        });
    }
    let mut n = 0u64;
    group.sample_size(20);
    group.bench_function("a single write visible to search", |b| {
        b.iter(|| {
            n += 1;
            let word = format!("zqx{n}marker");
            let created = scope
                .tickets()
                .create(ticket(&word, "visibility", Channel::Web))
                .unwrap();
            // Found at once (neighbouring markers also match, with one typo).
            let found = scope.search().query(&query(&word)).unwrap();
            assert_eq!(found.hits[0].id, created.id.0);
        });
    });
    group.finish();

    for (name, q, fts) in &cases {
        percentiles(&mut report, &format!("tantivy: {name}"), 1_000, || {
            black_box(scope.search().query(q).unwrap());
        });
        percentiles(&mut report, &format!("FTS5: {name}"), 50, || {
            black_box(fts_query(&raw, fts));
        });
    }
    // Searches in one process run side by side: only catching up with the feed takes turns.
    for threads in [1usize, 2] {
        let per_thread = 1_000 / threads;
        let started = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let scope = crm.scope("demo", admin).unwrap();
                    for _ in 0..per_thread {
                        black_box(scope.search().query(&two_words).unwrap());
                    }
                });
            }
        });
        let line = format!(
            "two words, {threads} thread(s) searching one handle: {:.0} queries/s",
            (per_thread * threads) as f64 / started.elapsed().as_secs_f64()
        );
        eprintln!("{line}");
        report.push(line);
    }
    write_report("search-percentiles.txt", &report);
}

criterion_group!(benches, search);
criterion_main!(benches);

//! Search over the real support-tickets dataset: results and facet counts against an answer
//! computed here from the records, read-your-writes, updates, tenant isolation, unicode, long
//! and empty queries, a broken index rebuilt, bad input.

mod common;

use common::tenant;
use crm_core::Crm;
use crm_core::conversations::ConversationStatus;
use crm_core::customers::{CustomerChanges, NewCustomer};
use crm_core::demo::{self, DemoOptions};
use crm_core::ids::{ConversationId, TeamId, TicketId};
use crm_core::search::{SearchFilters, SearchHit, SearchQuery, SearchType};
use crm_core::tickets::{Channel, NewTicket, Priority, TicketChanges, TicketStatus};
use std::collections::{BTreeMap, HashSet};

const DATASET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/support-tickets/customer_support_tickets.csv"
);

fn dataset_tickets(limit: usize) -> Vec<NewTicket> {
    let mut reader =
        csv::Reader::from_path(DATASET).expect("../shared/datasets must be beside the repository");
    reader
        .records()
        .take(limit)
        .map(|r| {
            let r = r.unwrap();
            NewTicket {
                external_id: Some(format!("ds-{}", &r[0])),
                customer_id: None,
                subject: r[8].to_owned(),
                description: r[9].to_owned(),
                status: Some(match &r[10] {
                    "Open" => TicketStatus::Open,
                    "Closed" => TicketStatus::Closed,
                    _ => TicketStatus::Pending,
                }),
                priority: Some(match &r[12] {
                    "Low" => Priority::Low,
                    "Medium" => Priority::Normal,
                    "High" => Priority::High,
                    _ => Priority::Urgent,
                }),
                channel: match &r[13] {
                    "Email" => Channel::Email,
                    "Phone" => Channel::Phone,
                    "Chat" => Channel::Chat,
                    _ => Channel::Social,
                },
                team_id: None,
                assignee_id: None,
                requester_email: Some(r[2].to_owned()),
                requester_phone: None,
                requester_company: None,
                created_at: None,
            }
        })
        .collect()
}

fn load(crm: &Crm, key: &str, tickets: &[NewTicket]) {
    let admin = tenant(crm, key);
    crm.scope(key, Some(admin))
        .unwrap()
        .batch(|b| {
            for t in tickets {
                b.create_ticket(t.clone())?;
            }
            Ok(())
        })
        .unwrap();
}

/// Words as the index sees them: runs of letters and digits, lower case.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= 40)
        .map(str::to_lowercase)
        .collect()
}

/// Edit distance with adjacent transpositions costing one.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The tickets a query should find, by the documented rules: every word matches a word of the
/// ticket exactly, or (5+ letters) with one typo; the query's last word also as a prefix; `OR`
/// separates alternatives.
fn expected(tickets: &[NewTicket], q: &str) -> Vec<usize> {
    let groups: Vec<Vec<String>> = q
        .split(" OR ")
        .map(words)
        .filter(|g| !g.is_empty())
        .collect();
    tickets
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            let text = format!(
                "{} {} {} {} {} {}",
                t.subject,
                t.description,
                t.requester_email.as_deref().unwrap_or(""),
                t.status.unwrap(),
                t.priority.unwrap(),
                t.channel
            );
            let have: HashSet<String> = words(&text).into_iter().collect();
            groups.iter().enumerate().any(|(g, query)| {
                query.iter().enumerate().all(|(i, w)| {
                    let prefix = g == groups.len() - 1 && i == query.len() - 1;
                    have.iter().any(|h| {
                        h == w
                            || (prefix && h.starts_with(w.as_str()))
                            || (w.chars().count() >= 5 && distance(h, w) <= 1)
                    })
                })
            })
        })
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn dataset_results_and_facets_match_the_rules() {
    let tickets = dataset_tickets(usize::MAX);
    assert!(tickets.len() > 8_000);
    let crm = common::open();
    load(&crm, "acme", &tickets);
    let scope = crm.scope("acme", None).unwrap();
    for q in [
        "refund",
        "battery life",
        "data loss",
        "softwre",
        "instal",
        "peripheral compatib",
        "xyzzy",
    ] {
        let want = expected(&tickets, q);
        let got = scope
            .search()
            .query(&SearchQuery {
                q: q.into(),
                limit: Some(100),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(got.total, want.len() as u64, "{q:?}");
        assert_eq!(got.hits.len(), want.len().min(100), "{q:?}");
        assert!(got.hits.iter().all(|h| h.hit_type == SearchType::Ticket));
        let mut status: BTreeMap<String, u64> = BTreeMap::new();
        let mut priority: BTreeMap<String, u64> = BTreeMap::new();
        let mut channel: BTreeMap<String, u64> = BTreeMap::new();
        for &i in &want {
            *status
                .entry(tickets[i].status.unwrap().to_string())
                .or_default() += 1;
            *priority
                .entry(tickets[i].priority.unwrap().to_string())
                .or_default() += 1;
            *channel.entry(tickets[i].channel.to_string()).or_default() += 1;
        }
        assert_eq!(got.facets.ticket_status, status, "{q:?}");
        assert_eq!(got.facets.ticket_priority, priority, "{q:?}");
        assert_eq!(got.facets.channels, channel, "{q:?}");
        if !want.is_empty() {
            assert_eq!(got.facets.types.get("ticket"), Some(&(want.len() as u64)));
        }
        // Filters narrow to exactly their facet's count.
        if let Some((value, n)) = status.iter().next() {
            let filtered = scope
                .search()
                .query(&SearchQuery {
                    q: q.into(),
                    filters: SearchFilters {
                        ticket_status: Some(vec![value.parse().unwrap()]),
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(filtered.total, *n, "{q:?} {value}");
        }
        // Two values of one facet: OR, so the counts add up.
        if status.len() >= 2 {
            let two: Vec<(&String, &u64)> = status.iter().take(2).collect();
            let filtered = scope
                .search()
                .query(&SearchQuery {
                    q: q.into(),
                    filters: SearchFilters {
                        ticket_status: Some(two.iter().map(|(v, _)| v.parse().unwrap()).collect()),
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(filtered.total, two[0].1 + two[1].1, "{q:?} {two:?}");
        }
    }
}

#[test]
fn exact_matches_rank_above_typos_and_snippets_mark_the_words() {
    let crm = common::open();
    let admin = tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    for subject in [
        "Printer jammed again",
        "Printers everywhere",
        "Prnter on fire",
    ] {
        scope.tickets().create(common::ticket(subject)).unwrap();
    }
    let got = scope
        .search()
        .query(&SearchQuery {
            q: "printer".into(),
            ..Default::default()
        })
        .unwrap();
    let titles: Vec<&str> = got.hits.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(titles[0], "Printer jammed again", "{titles:?}");
    assert_eq!(
        got.total, 3,
        "printers (prefix) and prnter (one typo) match too"
    );
    assert!(
        got.hits[0].snippet.contains("<b>Printer</b>"),
        "{}",
        got.hits[0].snippet
    );
}

#[test]
fn a_search_sees_every_write_before_it_and_updates() {
    let dir = tempfile::tempdir().unwrap();
    let crm = Crm::open(dir.path().join("crm.db")).unwrap();
    let admin = tenant(&crm, "acme");
    let scope = crm.scope("acme", Some(admin)).unwrap();
    let find = |q: &str| {
        scope
            .search()
            .query(&SearchQuery {
                q: q.into(),
                ..Default::default()
            })
            .unwrap()
    };
    assert_eq!(find("zoë").total, 0);
    let c = scope
        .customers()
        .create(NewCustomer {
            name: "Zoë Ångström".into(),
            email: Some("zoe@example.com".into()),
            tags: vec!["vip".into()],
            ..Default::default()
        })
        .unwrap();
    for q in ["zoe", "ZOË", "angstrom", "vip", "zoe@example.com", "Ång"] {
        let got = find(q);
        assert_eq!(got.total, 1, "{q:?}");
        assert_eq!(
            (got.hits[0].hit_type, got.hits[0].id),
            (SearchType::Customer, c.id.0)
        );
    }
    scope
        .customers()
        .update(CustomerChanges {
            id: Some(c.id),
            name: Some("Grace Hopper".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(find("angstrom").total, 0, "the old name is gone");
    assert_eq!(find("hopper").total, 1);
    let t = scope
        .tickets()
        .create(common::ticket("Kaffeemaschine kaputt"))
        .unwrap();
    assert_eq!(
        find("kaffeemaschine").facets.ticket_status.get("open"),
        Some(&1)
    );
    scope
        .tickets()
        .update(TicketChanges {
            id: Some(t.id),
            status: Some(TicketStatus::Solved),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        find("kaffeemaschine").facets.ticket_status.get("solved"),
        Some(&1)
    );

    // A second handle (another process) sees the first one's writes too, after reopening.
    drop(scope);
    drop(crm);
    let again = Crm::open(dir.path().join("crm.db")).unwrap();
    let scope = again.scope("acme", None).unwrap();
    let got = scope
        .search()
        .query(&SearchQuery {
            q: "hopper".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(got.total, 1);
}

#[test]
fn another_tenants_identical_records_never_appear() {
    let tickets = dataset_tickets(300);
    let crm = common::open();
    load(&crm, "acme", &tickets);
    load(&crm, "globex", &tickets[..100]);
    let q = SearchQuery {
        q: "product".into(),
        limit: Some(100),
        ..Default::default()
    };
    let acme = crm.scope("acme", None).unwrap().search().query(&q).unwrap();
    let globex = crm
        .scope("globex", None)
        .unwrap()
        .search()
        .query(&q)
        .unwrap();
    assert_eq!(acme.total, expected(&tickets, "product").len() as u64);
    assert_eq!(
        globex.total,
        expected(&tickets[..100], "product").len() as u64
    );
    assert!(globex.hits.iter().all(|h| h.id <= 100));
}

#[test]
fn empty_huge_and_odd_queries_are_not_errors_and_bad_input_is() {
    let crm = common::open();
    load(&crm, "acme", &dataset_tickets(50));
    let scope = crm.scope("acme", None).unwrap();
    let run = |q: SearchQuery| scope.search().query(&q);
    assert_eq!(
        run(SearchQuery::default()).unwrap().total,
        50,
        "empty: everything"
    );
    let huge = "refund ".repeat(1_500);
    assert_eq!(huge.len(), 10_500);
    assert!(
        run(SearchQuery {
            q: huge,
            ..Default::default()
        })
        .is_ok()
    );
    for odd in ["\"unclosed", "a AND OR", "title:(", "*", "-", "ü🎉", "(((("] {
        assert!(
            run(SearchQuery {
                q: odd.into(),
                ..Default::default()
            })
            .is_ok(),
            "{odd}"
        );
    }
    let field = |q: SearchQuery| run(q).unwrap_err().field().map(str::to_owned);
    assert_eq!(
        field(SearchQuery {
            limit: Some(0),
            ..Default::default()
        })
        .as_deref(),
        Some("limit")
    );
    assert_eq!(
        field(SearchQuery {
            limit: Some(101),
            ..Default::default()
        })
        .as_deref(),
        Some("limit")
    );
    assert_eq!(
        field(SearchQuery {
            offset: Some(10_001),
            ..Default::default()
        })
        .as_deref(),
        Some("offset")
    );
    assert_eq!(
        field(SearchQuery {
            types: Some(vec![]),
            ..Default::default()
        })
        .as_deref(),
        Some("types")
    );
}

#[test]
fn a_broken_index_is_rebuilt_from_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let crm = Crm::open(&db).unwrap();
    load(&crm, "acme", &dataset_tickets(200));
    let q = SearchQuery {
        q: "refund".into(),
        ..Default::default()
    };
    let total = |crm: &Crm| {
        crm.scope("acme", None)
            .unwrap()
            .search()
            .query(&q)
            .unwrap()
            .total
    };
    let before = total(&crm);
    assert!(before > 0);
    drop(crm);
    let index = crm_core::search::index_dir(&db);
    for entry in std::fs::read_dir(&index).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::write(&path, b"{ not json").unwrap();
        }
    }
    let crm = Crm::open(&db).unwrap();
    assert_eq!(total(&crm), before);
    std::fs::remove_dir_all(&index).unwrap();
    drop(crm);
    let crm = Crm::open(&db).unwrap();
    assert_eq!(total(&crm), before);
}

/// Two handles on one database, as two processes (or two application servers) hold it: on a
/// file they share the index beside it, on PostgreSQL each keeps its own following the feed;
/// either way each finds what the other wrote, changed and deleted.
#[test]
fn two_processes_on_one_database_find_each_others_writes() {
    let shared = common::Shared::new();
    let a = shared.open();
    let admin = tenant(&a, "acme");
    let b = shared.open();
    let find = |crm: &Crm, q: &str| {
        crm.scope("acme", None)
            .unwrap()
            .search()
            .query(&SearchQuery {
                q: q.into(),
                ..Default::default()
            })
            .unwrap()
            .total
    };
    let customer = |crm: &Crm, name: &str| {
        crm.scope("acme", Some(admin))
            .unwrap()
            .customers()
            .create(NewCustomer {
                name: name.into(),
                ..Default::default()
            })
            .unwrap();
    };
    assert_eq!(find(&a, "ada"), 0);
    assert_eq!(find(&b, "ada"), 0, "both have the index open");
    customer(&a, "Ada Lovelace");
    assert_eq!(
        find(&b, "lovelace"),
        1,
        "written by one, found by the other"
    );
    customer(&b, "Grace Hopper");
    assert_eq!(find(&a, "hopper"), 1);
    // A change and a delete by one are seen by the other's next search.
    let scope_b = b.scope("acme", Some(admin)).unwrap();
    let ada = scope_b
        .customers()
        .list(&crm_core::customers::CustomerFilter::default())
        .unwrap()
        .items
        .into_iter()
        .find(|c| c.name == "Ada Lovelace")
        .unwrap();
    scope_b
        .customers()
        .update(CustomerChanges {
            id: Some(ada.id),
            name: Some("Ada King".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((find(&a, "lovelace"), find(&a, "king")), (0, 1));
    scope_b
        .trash()
        .delete(
            crm_core::catalog::RecordKind::Customer,
            &crm_core::trash::DeleteRequest {
                id: ada.id.0,
                cascade: false,
                dry_run: false,
            },
        )
        .unwrap();
    assert_eq!(find(&a, "king"), 0);
    // Both search and write at once: every search sees its own handle's writes.
    std::thread::scope(|s| {
        for (crm, name) in [(&a, "alpha"), (&b, "beta")] {
            s.spawn(move || {
                for i in 0..15u64 {
                    customer(crm, &format!("{name}{i} Tester"));
                    assert_eq!(find(crm, name), i + 1, "{name}{i}");
                }
            });
        }
    });
    assert_eq!(find(&a, "tester"), 30);
    assert_eq!(find(&b, "tester"), 30);
}

/// Every hit of `q`, page by page (`limit` at a time).
fn every_hit(scope: &crm_core::Scope<'_>, q: &SearchQuery, limit: u32) -> Vec<SearchHit> {
    let mut hits = Vec::new();
    loop {
        let page = scope
            .search()
            .query(&SearchQuery {
                limit: Some(limit),
                offset: Some(hits.len() as u32),
                ..q.clone()
            })
            .unwrap();
        if page.hits.is_empty() {
            return hits;
        }
        hits.extend(page.hits);
    }
}

#[test]
fn filters_pages_and_counts_agree_on_every_type() {
    let crm = common::open();
    demo::generate(
        &crm,
        &DemoOptions {
            customers: 120,
            ..Default::default()
        },
        |_, _| {},
    )
    .unwrap();
    let admin = crm.first_admin("demo").unwrap();
    let scope = crm.scope("demo", admin).unwrap();
    let everything = scope.search().query(&SearchQuery::default()).unwrap();
    let team: i64 = everything
        .facets
        .team_id
        .keys()
        .next()
        .expect("demo tickets have teams")
        .parse()
        .unwrap();
    let filters = [
        (None, SearchFilters::default()),
        (Some(vec![SearchType::Ticket]), SearchFilters::default()),
        (
            Some(vec![SearchType::Conversation, SearchType::Deal]),
            SearchFilters::default(),
        ),
        (
            None,
            SearchFilters {
                ticket_status: Some(vec![TicketStatus::Open]),
                ..Default::default()
            },
        ),
        (
            None,
            SearchFilters {
                ticket_status: Some(vec![TicketStatus::Open, TicketStatus::Pending]),
                ticket_priority: Some(vec![Priority::High, Priority::Urgent, Priority::Low]),
                ..Default::default()
            },
        ),
        (
            None,
            SearchFilters {
                conversation_status: Some(vec![ConversationStatus::Open]),
                ..Default::default()
            },
        ),
        (
            None,
            SearchFilters {
                channels: Some(vec![Channel::Email, Channel::Chat]),
                ..Default::default()
            },
        ),
        (
            None,
            SearchFilters {
                team_id: Some(team),
                ..Default::default()
            },
        ),
        (
            Some(vec![SearchType::Ticket]),
            SearchFilters {
                ticket_priority: Some(vec![Priority::High]),
                channels: Some(vec![Channel::Phone, Channel::Web]),
                ..Default::default()
            },
        ),
    ];
    // Everything, a word most records have, and a prefix that needs completions (so pages
    // run from the records matching as typed into those that needed a completion).
    let words = ["", "refund", "in"];
    for q in words {
        for (types, filters) in &filters {
            let query = SearchQuery {
                q: q.into(),
                types: types.clone(),
                filters: filters.clone(),
                ..Default::default()
            };
            let first = scope.search().query(&query).unwrap();
            let hits = every_hit(&scope, &query, 37);
            let what = format!("{q:?} {types:?} {filters:?}");
            assert_eq!(hits.len() as u64, first.total, "{what}");
            let distinct: HashSet<(SearchType, i64)> =
                hits.iter().map(|h| (h.hit_type, h.id)).collect();
            assert_eq!(distinct.len(), hits.len(), "no record twice: {what}");
            assert!(
                hits.windows(2).all(|w| w[0].score >= w[1].score),
                "rank order across pages: {what}"
            );
            // The facets count exactly the hits.
            let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
            for h in &hits {
                *by_type.entry(h.hit_type.as_str().to_owned()).or_default() += 1;
            }
            assert_eq!(first.facets.types, by_type, "{what}");
            // Every hit passes the filters.
            for h in &hits {
                if let Some(types) = types {
                    assert!(types.contains(&h.hit_type), "{what}");
                }
                match h.hit_type {
                    SearchType::Ticket => {
                        let t = scope.tickets().get(TicketId(h.id)).unwrap();
                        assert!(
                            filters
                                .ticket_status
                                .as_ref()
                                .is_none_or(|s| s.contains(&t.status))
                        );
                        assert!(
                            filters
                                .ticket_priority
                                .as_ref()
                                .is_none_or(|p| p.contains(&t.priority))
                        );
                        assert!(
                            filters
                                .channels
                                .as_ref()
                                .is_none_or(|c| c.contains(&t.channel)),
                            "{what}"
                        );
                        assert!(
                            filters
                                .team_id
                                .is_none_or(|team| Some(TeamId(team)) == t.team_id)
                        );
                        assert!(filters.conversation_status.is_none(), "{what}");
                    }
                    SearchType::Conversation => {
                        let c = scope.conversations().get(ConversationId(h.id)).unwrap();
                        assert!(
                            filters
                                .conversation_status
                                .as_ref()
                                .is_none_or(|s| s.contains(&c.status))
                        );
                        assert!(
                            filters
                                .channels
                                .as_ref()
                                .is_none_or(|ch| ch.contains(&c.channel)),
                            "{what}"
                        );
                        assert!(filters.ticket_status.is_none() && filters.team_id.is_none());
                    }
                    _ => assert!(
                        filters.ticket_status.is_none()
                            && filters.ticket_priority.is_none()
                            && filters.conversation_status.is_none()
                            && filters.channels.is_none()
                            && filters.team_id.is_none(),
                        "{what}"
                    ),
                }
            }
        }
    }
    // Whole-word matches come first (scores above 1), then completions (below 1).
    let found = every_hit(
        &scope,
        &SearchQuery {
            q: "in".into(),
            ..Default::default()
        },
        100,
    );
    let whole = found.iter().take_while(|h| h.score > 1.0).count();
    assert!(
        whole > 0 && whole < found.len(),
        "both tiers present: {whole} of {}",
        found.len()
    );
    assert!(found[whole..].iter().all(|h| h.score < 1.0));
}

#[test]
fn a_records_number_finds_it_first_inside_the_types_filters_and_tenant() {
    use crm_core::ids::{CustomerId, DealId, LeadId};
    let crm = common::open();
    demo::generate(
        &crm,
        &DemoOptions {
            customers: 40,
            ..Default::default()
        },
        |_, _| {},
    )
    .unwrap();
    let scope = crm.scope("demo", None).unwrap();
    let n = 7;
    // The oracle: the records numbered 7, read directly, in type order.
    let mut expected = Vec::new();
    if scope.customers().get(CustomerId(n)).is_ok() {
        expected.push((SearchType::Customer, n));
    }
    if scope.leads().get(LeadId(n)).is_ok() {
        expected.push((SearchType::Lead, n));
    }
    if scope.deals().get(DealId(n)).is_ok() {
        expected.push((SearchType::Deal, n));
    }
    let ticket = scope.tickets().get(TicketId(n)).unwrap();
    expected.push((SearchType::Ticket, n));
    if scope.conversations().get(ConversationId(n)).is_ok() {
        expected.push((SearchType::Conversation, n));
    }
    if scope.quotes().get(crm_core::ids::QuoteId(n)).is_ok() {
        expected.push((SearchType::Quote, n));
    }
    assert!(expected.len() >= 3, "{expected:?}");
    let search = |q: &str, types: Option<Vec<SearchType>>, filters: SearchFilters| {
        scope
            .search()
            .query(&SearchQuery {
                q: q.into(),
                types,
                filters,
                ..Default::default()
            })
            .unwrap()
    };
    for q in ["7", "#7", " #7 "] {
        let got = search(q, None, SearchFilters::default());
        let first: Vec<(SearchType, i64)> = got
            .hits
            .iter()
            .take(expected.len())
            .map(|h| (h.hit_type, h.id))
            .collect();
        assert_eq!(first, expected, "{q:?}");
        // One list across pages: no record twice, and the total counts them all.
        let all = every_hit(
            &scope,
            &SearchQuery {
                q: q.into(),
                ..Default::default()
            },
            2,
        );
        assert_eq!(all.len() as u64, got.total, "{q:?}");
        let distinct: HashSet<(SearchType, i64)> = all.iter().map(|h| (h.hit_type, h.id)).collect();
        assert_eq!(distinct.len(), all.len(), "{q:?}");
        assert_eq!(
            got.facets.types.values().sum::<u64>(),
            got.total,
            "the facets count the numbered records too"
        );
    }
    // Only the types asked for; only inside the filters.
    let tickets = search(
        "#7",
        Some(vec![SearchType::Ticket]),
        SearchFilters::default(),
    );
    assert_eq!(
        (tickets.hits[0].hit_type, tickets.hits[0].id),
        (SearchType::Ticket, n)
    );
    assert!(
        tickets
            .hits
            .iter()
            .all(|h| h.hit_type == SearchType::Ticket)
    );
    let other_status = [TicketStatus::Open, TicketStatus::Closed]
        .into_iter()
        .find(|s| *s != ticket.status)
        .unwrap();
    let filtered = search(
        "#7",
        None,
        SearchFilters {
            ticket_status: Some(vec![other_status]),
            ..Default::default()
        },
    );
    assert!(
        !filtered
            .hits
            .iter()
            .any(|h| h.hit_type == SearchType::Ticket && h.id == n),
        "ticket 7 is {}, outside the filter",
        ticket.status
    );
    // Numbers are per tenant: another tenant's customer 1 is theirs, ours is ours.
    let admin = tenant(&crm, "globex");
    let theirs = crm
        .scope("globex", Some(admin))
        .unwrap()
        .customers()
        .create(NewCustomer {
            name: "Globex Only".into(),
            ..Default::default()
        })
        .unwrap();
    let q = format!("#{}", theirs.id.0);
    let ours = scope.customers().get(theirs.id).unwrap();
    let here = search(&q, None, SearchFilters::default());
    assert_eq!(here.hits[0].title, ours.name);
    assert!(here.hits.iter().all(|h| h.title != "Globex Only"));
    let there = crm
        .scope("globex", None)
        .unwrap()
        .search()
        .query(&SearchQuery {
            q,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(there.total, 1);
    assert_eq!(there.hits[0].title, "Globex Only");
    // A quote by its number, as printed on it: the quote first.
    let admin = crm.first_admin("demo").unwrap();
    let writer = crm.scope("demo", admin).unwrap();
    let deal = writer
        .deals()
        .list(&crm_core::deals::DealFilter::default())
        .unwrap()
        .items[0]
        .id;
    let quote = writer
        .quotes()
        .create(
            serde_json::from_value(serde_json::json!({"dealId": deal, "notes": "Kiosk rollout",
                "lines": [{"description": "Kiosk", "quantity": 3, "unitPrice": 120_000}]}))
            .unwrap(),
        )
        .unwrap();
    let got = search(&quote.number, None, SearchFilters::default());
    assert_eq!(
        (
            got.hits[0].hit_type,
            got.hits[0].id,
            got.hits[0].title.as_str()
        ),
        (SearchType::Quote, quote.id.0, quote.label().as_str())
    );
    assert!(got.facets.types.contains_key("quote"));
    assert!(
        got.hits[0].context.starts_with("draft · USD 3,600.00 · "),
        "{}",
        got.hits[0].context
    );
    // Its words find it too: the lines and notes are its document.
    let got = search(
        "kiosk rollout",
        Some(vec![SearchType::Quote]),
        SearchFilters::default(),
    );
    assert_eq!((got.total, got.hits[0].id), (1, quote.id.0));
    // Not a number: words as ever.
    assert!(
        search("#7a", None, SearchFilters::default())
            .hits
            .iter()
            .all(|h| h.score < 1e8)
    );
}

#[test]
fn each_hit_says_what_tells_its_record_apart() {
    use crm_core::ids::{CustomerId, DealId};
    let crm = common::open();
    demo::generate(
        &crm,
        &DemoOptions {
            customers: 30,
            ..Default::default()
        },
        |_, _| {},
    )
    .unwrap();
    let scope = crm.scope("demo", None).unwrap();
    let hit = |q: String, t: SearchType| {
        scope
            .search()
            .query(&SearchQuery {
                q,
                types: Some(vec![t]),
                ..Default::default()
            })
            .unwrap()
            .hits
            .remove(0)
    };
    let ticket = scope.tickets().get(TicketId(3)).unwrap();
    let got = hit("#3".into(), SearchType::Ticket);
    let customer = ticket
        .customer_id
        .map(|c| scope.customers().get(c).unwrap().name);
    let mut want = vec![ticket.status.to_string(), ticket.priority.to_string()];
    want.extend(customer.or(ticket.requester_email.clone()));
    want.push(ticket.created_at.format("%Y-%m-%d").to_string());
    assert_eq!(got.context, want.join(" · "));
    let deal = scope.deals().get(DealId(2)).unwrap();
    let got = hit("#2".into(), SearchType::Deal);
    let stage = scope.pipelines().get(deal.pipeline_id).unwrap().stages;
    let stage = stage.iter().find(|s| s.id == deal.stage_id).unwrap();
    assert!(got.context.starts_with(&stage.name), "{}", got.context);
    assert!(
        got.context.contains(
            &crm_core::money::Money::new(
                deal.value,
                crm_core::money::Currency::parse("currency", &deal.currency).unwrap()
            )
            .to_string()
        ),
        "{}",
        got.context
    );
    if let Some(c) = deal.customer_id {
        let name = scope.customers().get(c).unwrap().name;
        assert!(got.context.ends_with(&name), "{}", got.context);
    }
    let c = scope.customers().get(CustomerId(4)).unwrap();
    let got = hit("#4".into(), SearchType::Customer);
    assert!(
        got.context.contains(c.email.as_deref().unwrap()),
        "{}",
        got.context
    );
}

//! Quotes at the 100,000-customer demo (`CRM_BENCH_CUSTOMERS` to change it) with 100,000 quotes
//! of three lines added: a 20-line quote created (number, lines, audit, feed, activity and
//! its two timeline rows), the totals of 1,000 lines, an accept (the quote and the deal's move
//! to won with its value), and a page of 50 quotes at the start, the middle and the end of the
//! list. p99s are printed and written to `target/criterion/quotes-percentiles.txt`.
//!
//! cargo bench -p crm-benches --bench quotes

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crm_benches::{demo_copy, percentiles, scale, write_report};
use crm_core::catalog::RecordKind;
use crm_core::deals::{DealFilter, DealStatus};
use crm_core::ids::{DealId, QuoteId, UserId};
use crm_core::quotes::totals::{self, LineInput, Quantity, TaxRounding};
use crm_core::quotes::{NewQuote, QuoteFilter};
use crm_core::records::PageRequest;
use serde_json::json;
use std::hint::black_box;

/// Quotes added to the demo before measuring.
const QUOTES: usize = 100_000;

fn new_quote(deal: DealId, lines: usize) -> NewQuote {
    let lines: Vec<_> = (0..lines)
        .map(|i| {
            let rate = [0, 700, 2_200][i % 3];
            json!({"description": format!("Item {i}"), "quantity": format!("{}.25", i % 9 + 1),
                   "unitPrice": 1_999 + i as i64 * 7, "discountBp": (i % 4) * 250,
                   "taxRateBp": rate})
        })
        .collect();
    serde_json::from_value(json!({"dealId": deal, "lines": lines, "discountBp": 300})).unwrap()
}

fn quotes(c: &mut Criterion) {
    let customers = scale();
    let dir = tempfile::tempdir().unwrap();
    let crm = demo_copy(customers, dir.path());
    let scope = crm.scope("demo", Some(UserId(1))).unwrap();
    let open: Vec<DealId> = {
        let mut ids = Vec::new();
        let mut filter = DealFilter {
            status: Some(DealStatus::Open),
            limit: Some(500),
            ..DealFilter::default()
        };
        loop {
            let page = scope.deals().list(&filter).unwrap();
            ids.extend(page.items.iter().map(|d| d.id));
            match page.next_cursor {
                Some(next) => filter.cursor = Some(next),
                None => break,
            }
        }
        ids
    };
    assert!(open.len() > 1_000, "{} open deals", open.len());
    for chunk in 0..QUOTES / 1_000 {
        scope
            .batch(|b| {
                for i in 0..1_000 {
                    b.create_quote(new_quote(open[(chunk * 1_000 + i) % open.len()], 3))?;
                }
                Ok(())
            })
            .unwrap();
    }
    let q = scope.quotes();
    let mut report = Vec::new();
    let mut group = c.benchmark_group(format!("quotes@{customers}"));
    group.sample_size(50);

    let mut next = 0usize;
    let mut create = || {
        next += 1;
        q.create(new_quote(open[next % open.len()], 20)).unwrap()
    };
    group.bench_function("create a 20-line quote (audit, feed, activity)", |b| {
        b.iter(|| black_box(create()));
    });
    percentiles(&mut report, "create a 20-line quote", 500, || {
        black_box(create());
    });

    let inputs: Vec<LineInput> = (0..1_000_i64)
        .map(|i| LineInput {
            quantity: Quantity::from_thousandths(1_000 + i * 13).unwrap(),
            unit_price: 1_999 + i * 7,
            discount_bp: (i % 4) * 250,
            tax_rate_bp: [0, 700, 2_200][(i % 3) as usize],
        })
        .collect();
    for rounding in [TaxRounding::PerLine, TaxRounding::Global] {
        let name = format!("totals of 1,000 lines ({rounding:?})");
        group.bench_function(&name, |b| {
            b.iter(|| black_box(totals::compute(&inputs, 300, rounding).unwrap()));
        });
        percentiles(&mut report, &name, 1_000, || {
            black_box(totals::compute(&inputs, 300, rounding).unwrap());
        });
    }

    // Each accept needs a sent quote of an open deal: made and sent in the setup, untimed.
    let mut deal_at = open.len() / 2;
    let mut sent = || {
        deal_at = (deal_at + 1) % open.len();
        let quote = q.create(new_quote(open[deal_at], 3)).unwrap();
        q.send(quote.id).unwrap().id
    };
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(3));
    group.bench_function(
        "accept (quote + the deal moved to won with its value)",
        |b| {
            b.iter_batched(
                &mut sent,
                |id| black_box(q.accept(id).unwrap()),
                BatchSize::SmallInput,
            );
        },
    );
    let ready: Vec<QuoteId> = (0..330).map(|_| sent()).collect();
    let mut ready = ready.into_iter();
    percentiles(&mut report, "accept", 300, || {
        black_box(q.accept(ready.next().unwrap()).unwrap());
    });

    let newest = q.list(&QuoteFilter::default()).unwrap().items[0].id.0;
    for (name, at) in [
        ("first", None),
        ("middle", Some(newest / 2)),
        ("last", Some(60)),
    ] {
        let filter = QuoteFilter {
            limit: Some(50),
            cursor: at.map(|id| {
                PageRequest::starting_at(RecordKind::Quote, id, Some(50))
                    .cursor
                    .unwrap()
            }),
            ..QuoteFilter::default()
        };
        let label = format!("a page of 50 quotes ({name})");
        group.bench_function(&label, |b| {
            b.iter(|| black_box(q.list(&filter).unwrap()));
        });
        percentiles(&mut report, &label, 2_000, || {
            black_box(q.list(&filter).unwrap());
        });
    }
    group.finish();
    write_report("quotes-percentiles.txt", &report);
}

criterion_group!(benches, quotes);
criterion_main!(benches);

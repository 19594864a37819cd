//! Builds the database of the backfill target: 200,000 leads and 1,000,000 tickets whose
//! requesters share the leads' emails, phones or companies in other spellings (and 50,000 open
//! deals). Time `crm backfill-links` on it:
//!
//! ```sh
//! cargo run --release -p crm-benches --example links_world -- /tmp/links.db [LEADS] [TICKETS]
//! /usr/bin/time -v target/release/crm backfill-links --db /tmp/links.db --dry-run
//! ```

use crm_core::Crm;
use crm_core::deals::{NewDeal, NewPipeline, NewStage, StageKind};
use crm_core::leads::NewLead;
use crm_core::tenancy::{NewAdmin, NewTenant};
use crm_core::tickets::{Channel, NewTicket};

fn phone(i: usize, style: usize) -> String {
    let (exchange, line) = (200 + i / 10_000 % 800, i % 10_000);
    match style % 3 {
        0 => format!("(646) {exchange}-{line:04}"),
        1 => format!("+1 646 {exchange} {line:04}"),
        _ => format!("646.{exchange}.{line:04}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: links_world DB [LEADS] [TICKETS]");
    let leads: usize = args.next().map_or(200_000, |s| s.parse().unwrap());
    let tickets: usize = args.next().map_or(1_000_000, |s| s.parse().unwrap());
    let crm = Crm::open(&path).unwrap();
    let admin = crm
        .create_tenant(NewTenant {
            tenant_id: "scale".into(),
            name: "Scale Co".into(),
            default_region: Some("US".into()),
            admin: NewAdmin {
                name: "Admin".into(),
                email: "admin@scale.example".into(),
            },
        })
        .unwrap()
        .admin
        .id;
    let scope = crm.scope("scale", Some(admin)).unwrap();
    let started = std::time::Instant::now();
    let pipeline = scope
        .pipelines()
        .create(NewPipeline {
            external_id: None,
            name: "Sales".into(),
            stages: vec![NewStage {
                name: "Open".into(),
                position: None,
                probability: 50,
                kind: StageKind::Open,
            }],
        })
        .unwrap();
    for chunk in (0..leads).collect::<Vec<_>>().chunks(10_000) {
        scope
            .batch(|b| {
                for &i in chunk {
                    let lead = b.create_lead(NewLead {
                        name: format!("Lead {i}"),
                        email: Some(format!("lead{i}@corp{}.example", i / 4)),
                        phone: Some(phone(i, i)),
                        // Four leads per company: a company match alone is ambiguous.
                        company: Some(format!("Corp {} Inc", i / 4)),
                        ..Default::default()
                    })?;
                    if i % 4 == 0 {
                        b.create_deal(NewDeal {
                            external_id: None,
                            pipeline_id: pipeline.id,
                            stage_id: None,
                            customer_id: None,
                            lead_id: Some(lead.id),
                            title: format!("Deal {i}"),
                            value: 1_000,
                            currency: "USD".into(),
                            owner_id: None,
                            expected_close_at: None,
                            created_at: None,
                            closed_at: None,
                        })?;
                    }
                }
                Ok(())
            })
            .unwrap();
    }
    for chunk in (0..tickets).collect::<Vec<_>>().chunks(10_000) {
        scope
            .batch(|b| {
                for &j in chunk {
                    let i = j * 7 % leads;
                    let mut t =
                        NewTicket::new(format!("Ticket {j}"), Channel::ALL[j % Channel::ALL.len()]);
                    match j % 5 {
                        0 => t.requester_email = Some(format!("  LEAD{i}@Corp{}.example", i / 4)),
                        1 => t.requester_phone = Some(phone(i, i + 1)),
                        2 => t.requester_company = Some(format!("CORP {}, LLC", i / 4)),
                        3 => t.requester_email = Some(format!("someone{j}@elsewhere.example")),
                        _ => {}
                    }
                    b.create_ticket(t)?;
                }
                Ok(())
            })
            .unwrap();
    }
    println!(
        "{leads} leads, {tickets} tickets in {path} after {:.1?}",
        started.elapsed()
    );
}

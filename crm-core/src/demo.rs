//! Deterministic demo data at any scale: a populated CRM for newcomers, tests and benchmarks.
//!
//! The same seed and scale always give the same records. Everything is written through the
//! public bulk path ([`Scope::batch`](crate::Scope::batch)), so it is validated, audited and in the change feed like
//! any import.

mod generator;
mod words;

use generator::Generator;
use words::{AGENTS, AREA_CODES, REPS, SUFFIXES};

use crate::customers::NewCustomer;
use crate::deals::{NewPipeline, NewStage, StageKind};
use crate::error::Result;
use crate::ids::{ProductId, QuoteTemplateId, TeamId, UserId};
use crate::money::{Currency, Money};
use crate::products::NewProduct;
use crate::quotes::templates::NewQuoteTemplate;
use crate::store::Crm;
use crate::tenancy::{NewAdmin, NewTeam, NewTenant, NewUser, Role};
use crate::time::Timestamp;
use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The tenant to create (it must not exist yet).
    pub tenant: String,
    /// How many customers; everything else scales with it.
    pub customers: usize,
    /// The random seed: the same seed gives the same data.
    pub seed: u64,
    /// The end of the two years of generated history.
    pub until: Timestamp,
    /// Customers (with their records) per transaction.
    pub batch_size: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            tenant: "demo".into(),
            customers: 5_000,
            seed: 42,
            until: Utc
                .with_ymd_and_hms(2026, 11, 1, 9, 0, 0)
                .single()
                .unwrap_or_default(),
            batch_size: 500,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoSummary {
    /// The admin of the demo tenant: open the client as this user.
    pub admin_id: i64,
    /// Customers made.
    pub customers: usize,
    /// Leads made.
    pub leads: usize,
    /// Deals made.
    pub deals: usize,
    /// Stage moves of those deals.
    pub stage_moves: usize,
    /// Tickets made.
    pub tickets: usize,
    /// Events of those tickets.
    pub ticket_events: usize,
    /// Conversations made.
    pub conversations: usize,
    /// Messages of those conversations.
    pub messages: usize,
    /// Calls made.
    pub calls: usize,
    /// Activities made.
    pub activities: usize,
    /// Quotes made.
    pub quotes: usize,
}

pub(super) struct Team {
    pub(super) support: Vec<TeamId>,
    pub(super) agents: Vec<UserId>,
    pub(super) reps: Vec<(UserId, u32)>,
    /// The catalog, by name, and the template quotes start from.
    pub(super) products: Vec<(&'static str, ProductId)>,
    pub(super) template: QuoteTemplateId,
}

/// Creates tenant `options.tenant` and fills it. `progress(done, total)` is called after each
/// batch of customers.
pub fn generate(
    crm: &Crm,
    options: &DemoOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoSummary> {
    let rng = ChaCha8Rng::seed_from_u64(options.seed);
    let created = crm.create_tenant(NewTenant {
        tenant_id: options.tenant.clone(),
        name: "Demo Hardware Co.".into(),
        default_region: Some("US".into()),
        admin: NewAdmin {
            name: "Ada Admin".into(),
            email: "ada.admin@demo.example".into(),
        },
    })?;
    let scope = crm.scope(&options.tenant, Some(created.admin.id))?;
    let start = options.until - Duration::days(730);
    let (team, pipelines) = scope.batch(|b| {
        let mut support = Vec::new();
        for name in ["Tier 1", "Tier 2", "Billing"] {
            support.push(
                b.create_team(NewTeam {
                    external_id: None,
                    name: name.into(),
                })?
                .id,
            );
        }
        let sales = b
            .create_team(NewTeam {
                external_id: None,
                name: "Sales".into(),
            })?
            .id;
        let mut reps = Vec::new();
        for (name, role, win_rate) in REPS {
            let user = b.create_user(new_user(name, *role, vec![sales]))?;
            reps.push((user.id, *win_rate));
        }
        let mut agents = Vec::new();
        for (i, name) in AGENTS.iter().enumerate() {
            agents.push(
                b.create_user(new_user(
                    name,
                    Role::Agent,
                    vec![support[i % support.len()]],
                ))?
                .id,
            );
        }
        b.create_user(new_user("Vera Viewer", Role::Viewer, vec![]))?;
        let pipelines = [
            b.create_pipeline(new_business())?,
            b.create_pipeline(renewals())?,
        ];
        let usd = Currency::parse("currency", "USD")?;
        let mut products = Vec::new();
        for (i, (name, dollars)) in words::PRODUCT_PRICES.iter().enumerate() {
            let product = b.create_product(NewProduct {
                external_id: None,
                name: (*name).into(),
                sku: Some(format!("DHC-{:03}", i + 1)),
                unit_price: Money::new(dollars * 100, usd),
                tax_rate_bp: Some(800),
                active: Some(true),
            })?;
            products.push((*name, product.id));
        }
        let template = b
            .create_quote_template(NewQuoteTemplate {
                external_id: None,
                name: "Standard hardware offer".into(),
                lines: None,
                discount_bp: None,
                notes: None,
                terms: Some(
                    "Payment within 30 days of invoice. Prices exclude shipping. \
                     Hardware carries a two-year warranty."
                        .into(),
                ),
                valid_days: Some(30),
                tax_rounding: None,
            })?
            .id;
        Ok((
            Team {
                support,
                agents,
                reps,
                products,
                template,
            },
            pipelines,
        ))
    })?;

    let mut generator = Generator {
        rng,
        // Quotes draw from their own stream, so adding them left every other record as it was.
        quote_rng: ChaCha8Rng::seed_from_u64(options.seed.wrapping_add(0x5155_4f54)),
        start,
        until: options.until,
        team: &team,
        pipelines: &pipelines,
        summary: DemoSummary {
            admin_id: created.admin.id.0,
            ..DemoSummary::default()
        },
    };
    let batch_size = options.batch_size.max(1);
    let mut done = 0;
    while done < options.customers {
        let n = batch_size.min(options.customers - done);
        scope.batch(|b| {
            for i in done..done + n {
                generator.customer(b, i)?;
            }
            Ok(())
        })?;
        done += n;
        progress(done, options.customers);
    }
    let mut summary = generator.summary;
    summary.customers += duplicates(&scope, options.customers)?;
    workspace(&scope)?;
    Ok(summary)
}

/// Demos from 500 customers get three customers in a thousand entered twice — the email in
/// capitals, the phone written another way, the same name at the same company written
/// another way — so that the duplicates screen has work to show. Returns how many.
fn duplicates(scope: &crate::Scope<'_>, customers: usize) -> Result<usize> {
    if customers < 500 {
        return Ok(0);
    }
    let groups = customers * 3 / 1_000;
    let mut twins = Vec::with_capacity(groups);
    for k in 0..groups {
        // Spread over the whole range, never the same customer twice.
        let i = (k * 7_919 + 13) % customers;
        let Ok(original) = scope.customers().get_by_external_id(&format!("cust-{i}")) else {
            continue;
        };
        twins.push(match (k % 3, &original.phone, &original.company) {
            (1, Some(phone), _) => NewCustomer {
                name: original.name.clone(),
                phone: Some(other_format(phone)),
                ..NewCustomer::default()
            },
            (2, _, Some(company)) => NewCustomer {
                name: original.name.to_uppercase(),
                company: Some(company.to_uppercase()),
                ..NewCustomer::default()
            },
            _ => NewCustomer {
                name: original.name.clone(),
                email: original.email.as_ref().map(|e| e.to_uppercase()),
                ..NewCustomer::default()
            },
        });
    }
    let made = twins.len();
    scope.batch(|b| {
        for twin in twins {
            b.create_customer(twin)?;
        }
        Ok(())
    })?;
    Ok(made)
}

/// A phone number as another person types it: `+1 415 555 0132` or `415-555-0132` →
/// `(415) 555-0132`.
fn other_format(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix('1') {
        Some(rest) if rest.len() == 10 => rest,
        _ => &digits,
    };
    if national.len() == 10 {
        format!(
            "({}) {}-{}",
            &national[..3],
            &national[3..6],
            &national[6..]
        )
    } else {
        format!("+{digits}")
    }
}

/// The lead scoring rules and shared views a newcomer finds in the demo.
fn workspace(scope: &crate::Scope<'_>) -> Result<()> {
    let rules = serde_json::json!([
        {"name": "Qualified", "points": 35,
         "where": {"field": "status", "op": "equals", "value": "qualified"}},
        {"name": "Contacted", "points": 15,
         "where": {"field": "status", "op": "equals", "value": "contacted"}},
        {"name": "Out of play", "points": -40,
         "where": {"field": "status", "op": "in", "value": ["unqualified", "converted"]}},
        {"name": "Referred or met at an event", "points": 20,
         "where": {"field": "source", "op": "in", "value": ["referral", "event"]}},
        {"name": "Active this month", "points": 25,
         "where": {"field": "activity.count", "op": "gte", "value": 1, "withinDays": 30}},
        {"name": "Several touches", "points": 15,
         "where": {"field": "activity.count", "op": "gte", "value": 2}},
        {"name": "Already won a deal", "points": 15,
         "where": {"field": "deal.status", "op": "equals", "value": "won"}},
        {"name": "Customer with open tickets", "points": -10,
         "where": {"field": "ticket.count", "op": "gte", "value": 2, "status": "open"}},
        {"name": "Customer at risk of churning", "points": -15,
         "where": {"field": "customer.churnRisk", "op": "gte", "value": 70}},
    ]);
    scope.scoring().set_rules(crate::leads::scoring::SetRules {
        rules: serde_json::from_value(rules)
            .map_err(|e| crate::Error::Internal(format!("demo rules: {e}")))?,
    })?;
    let views = serde_json::json!([
        {"name": "Hot leads without an owner", "kind": "lead", "shared": true,
         "where": {"all": [{"field": "score", "op": "gte", "value": 50},
                           {"field": "ownerId", "op": "equals", "value": null},
                           {"field": "status", "op": "notIn", "value": ["converted", "unqualified"]}]},
         "sort": {"field": "score", "direction": "desc"},
         "columns": ["score", "name", "company", "status", "source", "createdAt"]},
        {"name": "New leads, newest first", "kind": "lead", "shared": true,
         "where": {"field": "status", "op": "equals", "value": "new"},
         "sort": {"field": "createdAt", "direction": "desc"}},
        {"name": "Open deals by expected close", "kind": "deal", "shared": true,
         "where": {"field": "status", "op": "equals", "value": "open"},
         "sort": {"field": "expectedCloseAt", "direction": "asc"},
         "columns": ["title", "value", "expectedCloseAt", "ownerId", "stageId"]},
        {"name": "Urgent open tickets", "kind": "ticket", "shared": true,
         "where": {"all": [{"field": "priority", "op": "equals", "value": "urgent"},
                           {"field": "status", "op": "in", "value": ["open", "pending"]}]},
         "sort": {"field": "createdAt", "direction": "asc"}},
    ]);
    let views: Vec<crate::views::NewView> = serde_json::from_value(views)
        .map_err(|e| crate::Error::Internal(format!("demo views: {e}")))?;
    for view in views {
        scope.views().create(view)?;
    }
    Ok(())
}

fn new_user(name: &str, role: Role, team_ids: Vec<TeamId>) -> NewUser {
    let email = format!("{}@demo.example", name.to_lowercase().replace(' ', "."));
    NewUser {
        external_id: None,
        name: name.into(),
        email,
        role,
        team_ids,
    }
}

fn stage(name: &str, probability: i64, kind: StageKind) -> NewStage {
    NewStage {
        name: name.into(),
        position: None,
        probability,
        kind,
    }
}

fn new_business() -> NewPipeline {
    NewPipeline {
        external_id: None,
        name: "New business".into(),
        stages: vec![
            stage("Prospecting", 10, StageKind::Open),
            stage("Qualified", 25, StageKind::Open),
            stage("Demo", 50, StageKind::Open),
            stage("Proposal", 70, StageKind::Open),
            stage("Negotiation", 85, StageKind::Open),
            stage("Won", 100, StageKind::Won),
            stage("Lost", 0, StageKind::Lost),
        ],
    }
}

fn renewals() -> NewPipeline {
    NewPipeline {
        external_id: None,
        name: "Renewals".into(),
        stages: vec![
            stage("Up for renewal", 60, StageKind::Open),
            stage("Negotiating", 80, StageKind::Open),
            stage("Renewed", 100, StageKind::Won),
            stage("Churned", 0, StageKind::Lost),
        ],
    }
}

pub(super) fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub(super) fn chance(rng: &mut impl Rng, percent: u32) -> bool {
    rng.random_range(0..100) < percent
}

/// A US number written in one of the ways people write them.
pub(super) fn phone(rng: &mut impl Rng) -> (String, [u16; 3]) {
    let parts = [
        *pick(rng, AREA_CODES),
        rng.random_range(200..1000),
        rng.random_range(0..10_000),
    ];
    (format_phone(rng.random_range(0..5), parts), parts)
}

pub(super) fn format_phone(style: u32, [a, e, l]: [u16; 3]) -> String {
    match style {
        0 => format!("({a}) {e}-{l:04}"),
        1 => format!("+1 {a} {e} {l:04}"),
        2 => format!("{a}.{e}.{l:04}"),
        3 => format!("{a}-{e}-{l:04}"),
        _ => format!("+1{a}{e}{l:04}"),
    }
}

/// The same company as people spell it differently: case, punctuation, legal suffix.
pub(super) fn company_variant(rng: &mut impl Rng, base: &str, suffix: &str) -> String {
    match rng.random_range(0..4) {
        0 => format!("{}, {}", base.to_uppercase(), suffix.trim_end_matches('.')),
        1 => base.to_lowercase(),
        2 => format!("{base} {}", pick(rng, SUFFIXES)),
        _ => format!("{base}  {suffix}"),
    }
}

pub(super) fn email_variant(rng: &mut impl Rng, email: &str) -> String {
    match rng.random_range(0..3) {
        0 => email.to_uppercase(),
        1 => format!("  {email} "),
        _ => {
            let mut chars = email.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

pub(super) fn at_between(rng: &mut impl Rng, from: Timestamp, to: Timestamp) -> Timestamp {
    let span = (to - from).num_minutes().max(1);
    from + Duration::minutes(rng.random_range(0..span))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn phone_of(rng: &mut impl Rng) -> String {
    phone(rng).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::Channel;

    fn small(seed: u64) -> (Crm, DemoSummary) {
        let crm = Crm::open_in_memory().unwrap();
        let summary = generate(
            &crm,
            &DemoOptions {
                customers: 120,
                seed,
                batch_size: 50,
                ..DemoOptions::default()
            },
            |_, _| {},
        )
        .unwrap();
        (crm, summary)
    }

    #[test]
    fn emails_transliterate_accented_names() {
        let (crm, _) = small(3);
        let scope = crm.scope("demo", None).unwrap();
        let customers = scope
            .customers()
            .list(&crate::customers::CustomerFilter {
                limit: Some(200),
                ..Default::default()
            })
            .unwrap()
            .items;
        let mut accented = 0;
        for c in &customers {
            let email = c.email.as_deref().unwrap_or_default();
            assert!(email.is_ascii(), "{email}");
            let first = c.name.split(' ').next().unwrap_or_default();
            let expected = deunicode::deunicode(first).to_lowercase();
            if !first.is_ascii() {
                accented += 1;
                // `Siobhán` → `siobhan.…`: every letter kept, none dropped.
                assert!(
                    email.starts_with(&format!("{expected}.")),
                    "{} <{email}>",
                    c.name
                );
            }
        }
        assert!(accented > 0, "the demo has accented first names");
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let (a, sa) = small(7);
        let (b, sb) = small(7);
        assert_eq!(sa, sb);
        let dump = |crm: &Crm| {
            let scope = crm.scope("demo", None).unwrap();
            let page = scope
                .tickets()
                .list(&crate::tickets::TicketFilter {
                    limit: Some(500),
                    ..Default::default()
                })
                .unwrap();
            page.items
                .into_iter()
                .map(|t| {
                    (
                        t.subject,
                        t.requester_email,
                        t.requester_phone,
                        t.created_at,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(dump(&a), dump(&b));
        let (_, sc) = small(8);
        assert_ne!(sa, sc);
    }

    #[test]
    fn every_kind_of_record_and_every_channel_is_there() {
        let (crm, s) = small(42);
        assert_eq!(s.customers, 120);
        for (what, n) in [
            ("leads", s.leads),
            ("deals", s.deals),
            ("moves", s.stage_moves),
            ("tickets", s.tickets),
            ("messages", s.messages),
            ("calls", s.calls),
            ("activities", s.activities),
        ] {
            assert!(n > 10, "{what}: {n}");
        }
        let scope = crm.scope("demo", None).unwrap();
        for channel in Channel::ALL {
            let page = scope
                .tickets()
                .list(&crate::tickets::TicketFilter {
                    channel: Some(*channel),
                    limit: Some(1),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(page.items.len(), 1, "no {channel} ticket");
        }
        let won = scope
            .deals()
            .list(&crate::deals::DealFilter {
                status: Some(crate::deals::DealStatus::Won),
                limit: Some(1),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(won.items.len(), 1);
    }

    #[test]
    fn requesters_spell_their_details_differently() {
        let (crm, _) = small(42);
        let scope = crm.scope("demo", None).unwrap();
        let tickets = scope
            .tickets()
            .list(&crate::tickets::TicketFilter {
                limit: Some(500),
                ..Default::default()
            })
            .unwrap();
        let mut differs = 0;
        for t in tickets.items.iter().filter(|t| t.customer_id.is_some()) {
            let c = scope.customers().get(t.customer_id.unwrap()).unwrap();
            if let (Some(r), Some(e)) = (&t.requester_email, &c.email) {
                assert!(r.trim().eq_ignore_ascii_case(e), "{r} vs {e}");
                differs += usize::from(r != e);
            }
        }
        assert!(differs > 10);
    }
}

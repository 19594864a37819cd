//! Deterministic demo data at any scale: a populated CRM for newcomers, tests and benchmarks.
//!
//! The same seed and scale always give the same records. Everything is written through the
//! public bulk path ([`Scope::batch`]), so it is validated, audited and in the change feed like
//! any import.

use crate::activities::{ActivityEntity, ActivityKind, NewActivity};
use crate::calls::NewCall;
use crate::conversations::{ConversationStatus, Direction, NewConversation, NewMessage};
use crate::customers::NewCustomer;
use crate::deals::{MoveStage, NewDeal, NewPipeline, NewStage, Pipeline, StageKind};
use crate::error::Result;
use crate::ids::{TeamId, UserId};
use crate::leads::{LeadStatus, NewLead};
use crate::store::Crm;
use crate::tenancy::{NewAdmin, NewTeam, NewTenant, NewUser, Role};
use crate::tickets::{Channel, NewTicket, NewTicketEvent, Priority, TicketEventKind, TicketStatus};
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
    pub customers: usize,
    pub leads: usize,
    pub deals: usize,
    pub stage_moves: usize,
    pub tickets: usize,
    pub ticket_events: usize,
    pub conversations: usize,
    pub messages: usize,
    pub calls: usize,
    pub activities: usize,
}

const FIRST: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofía",
    "Lucas",
    "Mia",
    "Ethan",
    "Amelia",
    "James",
    "Zoë",
    "Søren",
    "Chloé",
    "Łukasz",
    "Ingrid",
    "Raj",
    "Priya",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Fatima",
    "Omar",
    "Aisha",
    "Kwame",
    "Amara",
    "Diego",
    "Camila",
    "José",
    "Ana",
    "Björn",
    "Astrid",
    "Grace",
    "Henry",
    "Isabella",
    "Jack",
    "Kenji",
    "Leila",
    "Marta",
    "Nikolai",
    "Oksana",
    "Pablo",
    "Quentin",
    "Rosa",
    "Siobhán",
    "Tomás",
    "Uma",
    "Viktor",
    "Wanjiru",
    "Xavier",
    "Yara",
    "Zainab",
    "Dmitri",
    "Elena",
    "François",
    "Gabriel",
    "Hana",
    "Ines",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "García",
    "Müller",
    "Nguyễn",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Andersson",
    "O'Brien",
    "Patel",
    "Chen",
    "Tanaka",
    "Kim",
    "Okafor",
    "Mensah",
    "Silva",
    "Fernández",
    "Jensen",
    "Novák",
    "Ivanova",
    "Haddad",
    "Cohen",
    "Murphy",
    "Schmidt",
    "López",
    "Wright",
    "Walker",
    "Young",
    "Hernández",
    "Moore",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Nakamura",
    "Singh",
    "Kumar",
    "Ali",
    "Hansen",
    "Berg",
    "Lindqvist",
    "Petrov",
    "Yilmaz",
    "Demir",
    "Costa",
    "Pereira",
    "Santos",
    "Bianchi",
    "Romano",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
];
const COMPANY_A: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Gringotts",
    "Oceanic",
    "Monarch",
    "Sirius",
    "Blue Sky",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Adventure",
    "Litware",
    "Proseware",
    "Tailspin",
    "Wingtip",
    "Alpine",
    "Coho",
    "Fourth Coffee",
    "Lucerne",
    "Margie's",
    "Nordlys",
    "Sakura",
    "Zenith",
    "Apex",
    "Summit",
    "Pioneer",
    "Vertex",
    "Quantum",
    "Helios",
    "Orion",
];
const COMPANY_B: &[&str] = &[
    "Systems",
    "Industries",
    "Labs",
    "Logistics",
    "Analytics",
    "Foods",
    "Energy",
    "Robotics",
    "Media",
    "Health",
    "Capital",
    "Software",
    "Networks",
    "Motors",
    "Design",
    "Consulting",
    "Retail",
    "Biotech",
];
const SUFFIXES: &[&str] = &[
    "Inc", "Inc.", "LLC", "Ltd", "Ltd.", "GmbH", "Corp", "Corp.", "Co.", "PLC", "S.A.", "AG",
    "B.V.", "Pty Ltd",
];
const AREA_CODES: &[u16] = &[
    212, 305, 312, 415, 503, 617, 702, 713, 206, 303, 404, 512, 602, 646, 720, 818,
];
const TAGS: &[&str] = &[
    "vip",
    "enterprise",
    "smb",
    "trial",
    "churn-watch",
    "eu",
    "apac",
    "beta",
    "partner",
];
const LEAD_SOURCES: &[&str] = &["web", "referral", "event", "outbound", "partner", "webinar"];
const PRODUCTS: &[&str] = &[
    "GTX Pro",
    "MG Special",
    "GTX Plus Basic",
    "GTK 500",
    "MG Advanced",
    "GTX Basic",
];
const TICKET_SUBJECTS: &[&str] = &[
    "Cannot log in to my account",
    "Refund request for last invoice",
    "Product arrived damaged",
    "How do I export my data?",
    "Billing address is wrong",
    "Integration with our CRM fails",
    "Feature request: dark mode",
    "Shipping delayed by two weeks",
    "Password reset email never arrives",
    "Charged twice this month",
    "App crashes on start-up",
    "Need help setting up SSO",
    "Cancel my subscription",
    "Upgrade to the enterprise plan",
    "Data sync is slow",
];
const TICKET_BODIES: &[&str] = &[
    "I have tried everything in the help centre and it still does not work. Please advise.",
    "This is the third time I am writing about this. We need a fix before the end of the week.",
    "Our team relies on this every day; any workaround would help in the meantime.",
    "Steps: open the app, go to settings, press save. Expected it to work; it shows an error instead.",
    "Could you also check whether the same thing affects my colleague's account?",
];
const COMMENTS: &[&str] = &[
    "Thanks for reaching out — we are looking into it.",
    "Could you send a screenshot of the error?",
    "Escalated to the second tier.",
    "A fix is rolling out today; please try again tomorrow.",
    "Customer confirmed the workaround helps.",
    "Refund issued.",
];
const MESSAGES: &[&str] = &[
    "Hi! I have a quick question about my order.",
    "Sure, happy to help. What is the order number?",
    "It's the one from last Tuesday.",
    "Found it. It ships tomorrow morning.",
    "Great, thank you so much!",
    "Is there anything else I can help with?",
    "Can I change the delivery address?",
    "Done — the new address is saved.",
];

/// Reps of the demo tenant, each with how often their closed deals are won (percent).
const REPS: &[(&str, Role, u32)] = &[
    ("Darcel Schlecht", Role::Agent, 63),
    ("Vicki Laflamme", Role::Agent, 55),
    ("Anna Snelling", Role::Agent, 48),
    ("Kary Hendrixson", Role::Agent, 60),
    ("Versie Hillebrand", Role::Agent, 42),
    ("Maureen Marcano", Role::Agent, 51),
    ("Cecily Lampkin", Role::Manager, 58),
    ("Rocco Neubert", Role::Manager, 45),
];
const AGENTS: &[&str] = &[
    "Moses Frase",
    "Zane Levy",
    "Hayden Neloms",
    "Gladys Colclough",
    "Elease Gluck",
];

struct Team {
    support: Vec<TeamId>,
    agents: Vec<UserId>,
    reps: Vec<(UserId, u32)>,
}

/// Creates tenant `options.tenant` and fills it. `progress(done, total)` is called after each
/// batch of customers.
pub fn generate(
    crm: &Crm,
    options: &DemoOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
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
        Ok((
            Team {
                support,
                agents,
                reps,
            },
            pipelines,
        ))
    })?;

    let mut summary = DemoSummary {
        admin_id: created.admin.id.0,
        ..DemoSummary::default()
    };
    let batch_size = options.batch_size.max(1);
    let mut done = 0;
    while done < options.customers {
        let n = batch_size.min(options.customers - done);
        scope.batch(|b| {
            for i in done..done + n {
                generate_customer(
                    b,
                    &mut rng,
                    i,
                    start,
                    options.until,
                    &team,
                    &pipelines,
                    &mut summary,
                )?;
            }
            Ok(())
        })?;
        done += n;
        progress(done, options.customers);
    }
    Ok(summary)
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

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn chance(rng: &mut impl Rng, percent: u32) -> bool {
    rng.random_range(0..100) < percent
}

/// A US number written in one of the ways people write them.
fn phone(rng: &mut impl Rng) -> (String, [u16; 3]) {
    let parts = [
        *pick(rng, AREA_CODES),
        rng.random_range(200..1000),
        rng.random_range(0..10_000),
    ];
    (format_phone(rng.random_range(0..5), parts), parts)
}

fn format_phone(style: u32, [a, e, l]: [u16; 3]) -> String {
    match style {
        0 => format!("({a}) {e}-{l:04}"),
        1 => format!("+1 {a} {e} {l:04}"),
        2 => format!("{a}.{e}.{l:04}"),
        3 => format!("{a}-{e}-{l:04}"),
        _ => format!("+1{a}{e}{l:04}"),
    }
}

/// The same company as people spell it differently: case, punctuation, legal suffix.
fn company_variant(rng: &mut impl Rng, base: &str, suffix: &str) -> String {
    match rng.random_range(0..4) {
        0 => format!("{}, {}", base.to_uppercase(), suffix.trim_end_matches('.')),
        1 => base.to_lowercase(),
        2 => format!("{base} {}", pick(rng, SUFFIXES)),
        _ => format!("{base}  {suffix}"),
    }
}

fn email_variant(rng: &mut impl Rng, email: &str) -> String {
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

fn at_between(rng: &mut impl Rng, from: Timestamp, to: Timestamp) -> Timestamp {
    let span = (to - from).num_minutes().max(1);
    from + Duration::minutes(rng.random_range(0..span))
}

#[allow(clippy::too_many_arguments)]
fn generate_customer(
    b: &mut crate::Batch<'_, '_>,
    rng: &mut ChaCha8Rng,
    i: usize,
    start: Timestamp,
    until: Timestamp,
    team: &Team,
    pipelines: &[Pipeline; 2],
    summary: &mut DemoSummary,
) -> Result<()> {
    let first = *pick(rng, FIRST);
    let last = *pick(rng, LAST);
    let name = format!("{first} {last}");
    let company_base = format!("{} {}", pick(rng, COMPANY_A), pick(rng, COMPANY_B));
    let suffix = *pick(rng, SUFFIXES);
    let has_company = chance(rng, 70);
    let company = has_company.then(|| format!("{company_base} {suffix}"));
    let domain = if has_company {
        format!(
            "{}.example",
            company_base.to_lowercase().replace(['\'', ' '], "")
        )
    } else {
        "mail.example".to_owned()
    };
    let local: String = format!("{first}.{last}")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let email = format!("{local}.{i}@{domain}");
    let (phone, phone_parts) = phone(rng);
    let created_at = at_between(rng, start, until - Duration::days(1));
    let mut tags = Vec::new();
    for _ in 0..rng.random_range(0..3) {
        tags.push((*pick(rng, TAGS)).to_owned());
    }
    let customer = b.create_customer(NewCustomer {
        external_id: Some(format!("cust-{i}")),
        name: name.clone(),
        email: Some(email.clone()),
        phone: chance(rng, 80).then(|| phone.clone()),
        company: company.clone(),
        tags,
        churn_risk: Some(i64::from(rng.random_range(0..100u32).pow(2) / 100)),
        created_at: Some(created_at),
    })?;
    summary.customers += 1;
    let days_known = (until - created_at).num_days().max(1);
    let later = |rng: &mut ChaCha8Rng, after: Timestamp| {
        at_between(rng, after, (after + Duration::days(days_known)).min(until))
    };

    // Leads: most customers started as one; some leads never became customers.
    let mut lead = None;
    if chance(rng, 40) {
        let (rep, _) = *pick(rng, &team.reps);
        let converted = chance(rng, 60);
        let l = b.create_lead(NewLead {
            external_id: None,
            customer_id: Some(customer.id),
            name: name.clone(),
            email: Some(email.clone()),
            phone: Some(format_phone(rng.random_range(0..5), phone_parts)),
            company: company.clone(),
            status: Some(if converted {
                LeadStatus::Converted
            } else {
                *pick(rng, LeadStatus::ALL)
            }),
            score: Some(i64::from(rng.random_range(0..=100u32))),
            owner_id: Some(rep),
            source: Some((*pick(rng, LEAD_SOURCES)).to_owned()),
            created_at: Some(created_at),
        })?;
        summary.leads += 1;
        for _ in 0..rng.random_range(1..3) {
            let kind = *pick(
                rng,
                &[
                    ActivityKind::Email,
                    ActivityKind::Call,
                    ActivityKind::Meeting,
                    ActivityKind::Note,
                ],
            );
            b.create_activity(NewActivity {
                external_id: None,
                entity_type: ActivityEntity::Lead,
                entity_id: l.id.0,
                kind,
                body: Some(format!("{kind} with {first}")),
                occurred_at: Some(later(rng, created_at)),
            })?;
            summary.activities += 1;
        }
        lead = Some(l);
    }
    if chance(rng, 20) {
        // A prospect who is not a customer (yet), sometimes at the same company.
        let (rep, _) = *pick(rng, &team.reps);
        let pf = *pick(rng, FIRST);
        let pl = *pick(rng, LAST);
        b.create_lead(NewLead {
            external_id: None,
            customer_id: None,
            name: format!("{pf} {pl}"),
            email: Some(
                format!("{}.{}.p{i}@{domain}", pf.to_lowercase(), pl.to_lowercase())
                    .replace(|c: char| !c.is_ascii(), ""),
            ),
            phone: chance(rng, 50).then(|| phone_of(rng)),
            company: has_company.then(|| company_variant(rng, &company_base, suffix)),
            status: Some(*pick(
                rng,
                &[
                    LeadStatus::New,
                    LeadStatus::Contacted,
                    LeadStatus::Qualified,
                    LeadStatus::Unqualified,
                ],
            )),
            score: Some(i64::from(rng.random_range(0..=100u32))),
            owner_id: Some(rep),
            source: Some((*pick(rng, LEAD_SOURCES)).to_owned()),
            created_at: Some(later(rng, created_at)),
        })?;
        summary.leads += 1;
    }

    // Deals move forward stage by stage; the older ones are closed, won at the rep's rate.
    if chance(rng, 30) {
        let renewal = chance(rng, 25);
        let pipeline = &pipelines[usize::from(renewal)];
        let (rep, win_rate) = *pick(rng, &team.reps);
        let opened = lead.as_ref().map_or(created_at, |l| l.created_at)
            + Duration::days(rng.random_range(0..30));
        let opened = opened.min(until - Duration::hours(1));
        let product = *pick(rng, PRODUCTS);
        let deal = b.create_deal(NewDeal {
            external_id: None,
            pipeline_id: pipeline.id,
            stage_id: None,
            customer_id: Some(customer.id),
            lead_id: lead.as_ref().map(|l| l.id),
            title: format!("{product} for {}", company.as_deref().unwrap_or(&name)),
            value: i64::from(rng.random_range(500..60_000u32)) * 100,
            currency: "USD".into(),
            owner_id: Some(rep),
            expected_close_at: Some(opened + Duration::days(rng.random_range(14..120))),
            created_at: Some(opened),
        })?;
        summary.deals += 1;
        let open: Vec<_> = pipeline
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .collect();
        let age_days = (until - opened).num_days();
        let closes = age_days > 45 && chance(rng, 85);
        let steps = if closes {
            open.len()
        } else {
            rng.random_range(0..open.len())
        };
        let mut at = opened;
        for next in open.iter().skip(1).take(steps.saturating_sub(1)) {
            at = (at + Duration::hours(rng.random_range(24..24 * 20))).min(until);
            b.move_stage(MoveStage {
                deal_id: deal.id,
                stage_id: next.id,
                at: Some(at),
            })?;
            summary.stage_moves += 1;
        }
        if closes {
            let kind = if chance(rng, win_rate) {
                StageKind::Won
            } else {
                StageKind::Lost
            };
            let end = pipeline
                .stages
                .iter()
                .find(|s| s.kind == kind)
                .map(|s| s.id);
            if let Some(end) = end {
                at = (at + Duration::hours(rng.random_range(24..24 * 20))).min(until);
                b.move_stage(MoveStage {
                    deal_id: deal.id,
                    stage_id: end,
                    at: Some(at),
                })?;
                summary.stage_moves += 1;
            }
        }
        b.create_activity(NewActivity {
            external_id: None,
            entity_type: ActivityEntity::Deal,
            entity_id: deal.id.0,
            kind: ActivityKind::Meeting,
            body: Some(format!("Walked {first} through the {product}")),
            occurred_at: Some(at),
        })?;
        summary.activities += 1;
    }

    // Tickets on every channel; requesters write their details as they please.
    let tickets = match rng.random_range(0..10) {
        0..=2 => 0,
        3..=7 => 1,
        8 => 2,
        _ => 4,
    };
    for _ in 0..tickets {
        let channel = *pick(rng, Channel::ALL);
        let opened = later(rng, created_at);
        let age = (until - opened).num_days();
        let status = match age {
            0..=2 => TicketStatus::Open,
            3..=10 => *pick(
                rng,
                &[
                    TicketStatus::Open,
                    TicketStatus::Pending,
                    TicketStatus::Solved,
                ],
            ),
            _ => *pick(
                rng,
                &[
                    TicketStatus::Solved,
                    TicketStatus::Closed,
                    TicketStatus::Closed,
                ],
            ),
        };
        let anonymous = chance(rng, 8);
        let ticket = b.create_ticket(NewTicket {
            external_id: None,
            customer_id: (!anonymous).then_some(customer.id),
            subject: (*pick(rng, TICKET_SUBJECTS)).to_owned(),
            description: format!(
                "{} Product: {}.",
                pick(rng, TICKET_BODIES),
                pick(rng, PRODUCTS)
            ),
            status: Some(status),
            priority: Some(*pick(
                rng,
                &[
                    Priority::Low,
                    Priority::Normal,
                    Priority::Normal,
                    Priority::High,
                    Priority::Urgent,
                ],
            )),
            channel,
            team_id: Some(*pick(rng, &team.support)),
            assignee_id: chance(rng, 80).then(|| *pick(rng, &team.agents)),
            requester_email: chance(rng, 85).then(|| email_variant(rng, &email)),
            requester_phone: (channel == Channel::Phone || chance(rng, 25))
                .then(|| format_phone(rng.random_range(0..5), phone_parts)),
            requester_company: has_company.then(|| company_variant(rng, &company_base, suffix)),
            created_at: Some(opened),
        })?;
        summary.tickets += 1;
        summary.ticket_events += 1;
        let mut at = opened;
        for _ in 0..rng.random_range(1..4) {
            at = (at + Duration::minutes(rng.random_range(5..60 * 48))).min(until);
            b.add_ticket_event(NewTicketEvent {
                ticket_id: ticket.id,
                kind: if chance(rng, 70) {
                    TicketEventKind::Comment
                } else {
                    TicketEventKind::Note
                },
                body: Some((*pick(rng, COMMENTS)).to_owned()),
                occurred_at: Some(at),
            })?;
            summary.ticket_events += 1;
        }
    }

    // Conversations with a few messages each.
    let conversations = match rng.random_range(0..10) {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    };
    for _ in 0..conversations {
        let opened = later(rng, created_at);
        let conversation = b.create_conversation(NewConversation {
            external_id: None,
            customer_id: customer.id,
            channel: *pick(
                rng,
                &[Channel::Chat, Channel::Email, Channel::Social, Channel::Web],
            ),
            status: Some(*pick(rng, ConversationStatus::ALL)),
            subject: Some((*pick(rng, TICKET_SUBJECTS)).to_owned()),
            created_at: Some(opened),
        })?;
        summary.conversations += 1;
        let mut at = opened;
        for m in 0..rng.random_range(2..6) {
            at = (at + Duration::minutes(rng.random_range(1..240))).min(until);
            b.create_message(NewMessage {
                external_id: None,
                conversation_id: conversation.id,
                direction: if m % 2 == 0 {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                },
                body: (*pick(rng, MESSAGES)).to_owned(),
                sent_at: Some(at),
            })?;
            summary.messages += 1;
        }
    }

    if chance(rng, 50) {
        b.create_call(NewCall {
            external_id: None,
            customer_id: Some(customer.id),
            lead_id: lead.as_ref().filter(|_| chance(rng, 50)).map(|l| l.id),
            deal_id: None,
            direction: Some(if chance(rng, 50) {
                Direction::Inbound
            } else {
                Direction::Outbound
            }),
            duration_seconds: i64::from(rng.random_range(15..3_600u32)),
            outcome: Some(
                (*pick(rng, &["connected", "voicemail", "no answer", "call back"])).to_owned(),
            ),
            notes: chance(rng, 40).then(|| format!("Spoke with {first} about renewal.")),
            occurred_at: Some(later(rng, created_at)),
        })?;
        summary.calls += 1;
    }
    Ok(())
}

fn phone_of(rng: &mut impl Rng) -> String {
    phone(rng).0
}

#[cfg(test)]
mod tests {
    use super::*;

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

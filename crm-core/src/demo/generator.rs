//! The demo's generator: one customer at a time with everything around it — leads, a deal moving
//! through its pipeline, tickets, conversations, a call — drawn from one seeded random stream,
//! so the same seed and scale give the same records.

use super::words::{
    COMMENTS, COMPANY_A, COMPANY_B, FIRST, LAST, LEAD_SOURCES, MESSAGES, PRODUCTS, SUFFIXES, TAGS,
    TICKET_BODIES, TICKET_SUBJECTS,
};
use super::{
    DemoSummary, Team, at_between, chance, company_variant, email_variant, format_phone, phone,
    phone_of, pick,
};
use crate::Batch;
use crate::activities::{ActivityEntity, ActivityKind, NewActivity};
use crate::calls::NewCall;
use crate::conversations::{ConversationStatus, Direction, NewConversation, NewMessage};
use crate::customers::{Customer, NewCustomer};
use crate::deals::{MoveStage, NewDeal, Pipeline, StageKind};
use crate::error::Result;
use crate::leads::{Lead, LeadStatus, NewLead};
use crate::quotes::NewQuote;
use crate::quotes::lifecycle::SendQuote;
use crate::quotes::lines::LineRequest;
use crate::quotes::totals::Quantity;
use crate::tickets::{Channel, NewTicket, NewTicketEvent, Priority, TicketEventKind, TicketStatus};
use crate::time::Timestamp;
use chrono::Duration;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Writes customers and their records into batches, drawing from one random stream.
pub(super) struct Generator<'a> {
    pub(super) rng: ChaCha8Rng,
    pub(super) quote_rng: ChaCha8Rng,
    /// The demo's history runs from `start` to `until`.
    pub(super) start: Timestamp,
    pub(super) until: Timestamp,
    pub(super) team: &'a Team,
    pub(super) pipelines: &'a [Pipeline; 2],
    pub(super) summary: DemoSummary,
}

/// A customer as its records are made: the details the other records repeat or vary.
struct Person {
    i: usize,
    first: &'static str,
    name: String,
    email: String,
    domain: String,
    company_base: String,
    suffix: &'static str,
    has_company: bool,
    company: Option<String>,
    phone_parts: [u16; 3],
    created_at: Timestamp,
    /// Whole days between the customer's creation and the end of the history (at least 1).
    days_known: i64,
    customer: Customer,
}

impl Person {
    /// A moment after `after` within the time the customer has been known, never past `until`.
    fn later(&self, rng: &mut ChaCha8Rng, after: Timestamp, until: Timestamp) -> Timestamp {
        at_between(
            rng,
            after,
            (after + Duration::days(self.days_known)).min(until),
        )
    }
}

impl Generator<'_> {
    /// Customer number `i` and everything around it. The random draws happen in a fixed order,
    /// so a seed always gives the same data.
    pub(super) fn customer(&mut self, b: &mut Batch<'_, '_>, i: usize) -> Result<()> {
        let p = self.person(b, i)?;
        let lead = self.leads(b, &p)?;
        self.deal(b, &p, lead.as_ref())?;
        self.tickets(b, &p)?;
        self.conversations(b, &p)?;
        self.call(b, &p, lead.as_ref())
    }

    /// The customer record.
    fn person(&mut self, b: &mut Batch<'_, '_>, i: usize) -> Result<Person> {
        let (rng, start, until, summary) =
            (&mut self.rng, self.start, self.until, &mut self.summary);
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
                deunicode::deunicode(&company_base)
                    .to_lowercase()
                    .replace(['\'', ' '], "")
            )
        } else {
            "mail.example".to_owned()
        };
        // Transliterated, as people do for an address (Siobhán → siobhan, Łukasz → lukasz).
        let local: String = deunicode::deunicode(&format!("{first}.{last}"))
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
        Ok(Person {
            i,
            first,
            name,
            email,
            domain,
            company_base,
            suffix,
            has_company,
            company,
            phone_parts,
            created_at,
            days_known,
            customer,
        })
    }

    /// Leads: most customers started as one; some leads never became customers. Returns the
    /// customer's own lead.
    fn leads(&mut self, b: &mut Batch<'_, '_>, p: &Person) -> Result<Option<Lead>> {
        let (rng, until, team, summary) = (&mut self.rng, self.until, self.team, &mut self.summary);
        let Person {
            i,
            first,
            name,
            email,
            domain,
            company_base,
            suffix,
            has_company,
            company,
            phone_parts,
            created_at,
            customer,
            ..
        } = p;
        let (i, first, suffix, has_company, phone_parts, created_at) =
            (*i, *first, *suffix, *has_company, *phone_parts, *created_at);
        let later = |rng: &mut ChaCha8Rng, after: Timestamp| p.later(rng, after, until);
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
                // Scores come from the demo's rules; the draw stays so every later record is
                // as it was.
                score: no_score(rng.random_range(0..=100u32)),
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
                company: has_company.then(|| company_variant(rng, company_base, suffix)),
                status: Some(*pick(
                    rng,
                    &[
                        LeadStatus::New,
                        LeadStatus::Contacted,
                        LeadStatus::Qualified,
                        LeadStatus::Unqualified,
                    ],
                )),
                score: no_score(rng.random_range(0..=100u32)),
                // Every fourth prospect waits for an owner (the "Hot leads without an owner"
                // view has work to show).
                owner_id: (i % 4 != 0).then_some(rep),
                source: Some((*pick(rng, LEAD_SOURCES)).to_owned()),
                created_at: Some(later(rng, created_at)),
            })?;
            summary.leads += 1;
        }
        Ok(lead)
    }

    /// A deal, moved forward stage by stage; the older ones are closed, won at the rep's rate.
    fn deal(&mut self, b: &mut Batch<'_, '_>, p: &Person, lead: Option<&Lead>) -> Result<()> {
        let (rng, quote_rng, until, team, pipelines, summary) = (
            &mut self.rng,
            &mut self.quote_rng,
            self.until,
            self.team,
            self.pipelines,
            &mut self.summary,
        );
        let Person {
            first,
            name,
            company,
            created_at,
            customer,
            ..
        } = p;
        let (first, created_at) = (*first, *created_at);
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
                title: format!("{product} for {}", company.as_deref().unwrap_or(name)),
                value: i64::from(rng.random_range(500..60_000u32)) * 100,
                currency: "USD".into(),
                owner_id: Some(rep),
                expected_close_at: Some(opened + Duration::days(rng.random_range(14..120))),
                created_at: Some(opened),
                closed_at: None,
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
            // Deals in talks past their first stage often have a quote out or in the making.
            if !closes && steps > 1 && chance(quote_rng, 60) {
                let product_id = team
                    .products
                    .iter()
                    .find(|(name, _)| *name == product)
                    .map(|(_, id)| *id);
                let units = quote_rng.random_range(1..=20_i64);
                let mut lines = vec![LineRequest {
                    product_id,
                    description: None,
                    quantity: Quantity::from_thousandths(units * 1_000).unwrap_or(Quantity::MAX),
                    unit_price: None,
                    discount_bp: None,
                    tax_rate_bp: None,
                }];
                if chance(quote_rng, 50) {
                    let hours = quote_rng.random_range(2..=16_i64);
                    lines.push(LineRequest::text(
                        "Installation and training (hours)",
                        Quantity::from_thousandths(hours * 500).unwrap_or(Quantity::MAX),
                        12_500,
                    ));
                }
                let made = (at + Duration::hours(quote_rng.random_range(1..48))).min(until);
                // Half from the template, valid 30 days (most of those have lapsed by now);
                // half without a validity date.
                let template = chance(quote_rng, 50).then_some(team.template);
                let quote = b.create_quote(NewQuote {
                    external_id: None,
                    deal_id: deal.id,
                    template_id: template,
                    valid_until: None,
                    lines: Some(lines),
                    discount_bp: Some(*pick(quote_rng, &[0, 0, 500, 1_000])),
                    tax_rounding: None,
                    notes: None,
                    terms: None,
                    created_at: Some(made),
                    dry_run: false,
                })?;
                if chance(quote_rng, 50) {
                    let sent = (made + Duration::hours(quote_rng.random_range(1..72))).min(until);
                    b.send_quote(SendQuote {
                        id: quote.id,
                        at: Some(sent),
                    })?;
                }
                summary.quotes += 1;
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
        Ok(())
    }

    /// Tickets on every channel; requesters write their details as they please.
    fn tickets(&mut self, b: &mut Batch<'_, '_>, p: &Person) -> Result<()> {
        let (rng, until, team, summary) = (&mut self.rng, self.until, self.team, &mut self.summary);
        let Person {
            email,
            company_base,
            suffix,
            has_company,
            phone_parts,
            created_at,
            customer,
            ..
        } = p;
        let (suffix, has_company, phone_parts, created_at) =
            (*suffix, *has_company, *phone_parts, *created_at);
        let later = |rng: &mut ChaCha8Rng, after: Timestamp| p.later(rng, after, until);
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
                requester_email: chance(rng, 85).then(|| email_variant(rng, email)),
                requester_phone: (channel == Channel::Phone || chance(rng, 25))
                    .then(|| format_phone(rng.random_range(0..5), phone_parts)),
                requester_company: has_company.then(|| company_variant(rng, company_base, suffix)),
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
        Ok(())
    }

    /// Conversations with a few messages each.
    fn conversations(&mut self, b: &mut Batch<'_, '_>, p: &Person) -> Result<()> {
        let (rng, until, summary) = (&mut self.rng, self.until, &mut self.summary);
        let Person {
            created_at,
            customer,
            ..
        } = p;
        let created_at = *created_at;
        let later = |rng: &mut ChaCha8Rng, after: Timestamp| p.later(rng, after, until);
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
        Ok(())
    }

    /// Sometimes a call.
    fn call(&mut self, b: &mut Batch<'_, '_>, p: &Person, lead: Option<&Lead>) -> Result<()> {
        let (rng, until, summary) = (&mut self.rng, self.until, &mut self.summary);
        let Person {
            first,
            created_at,
            customer,
            ..
        } = p;
        let (first, created_at) = (*first, *created_at);
        let later = |rng: &mut ChaCha8Rng, after: Timestamp| p.later(rng, after, until);
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
}

/// A drawn score left out: the demo's scoring rules give every lead its score.
fn no_score(_drawn: u32) -> Option<i64> {
    None
}

//! Lead scoring (API.md "Leads workspace"): a tenant's rules are criteria with points, over a
//! lead's own fields and what it relates to (its customer's churn risk and tickets, its deals,
//! activities and calls). A lead's score is the sum of the points of the rules it matches,
//! clamped to 0–100, computed by one SQL expression per batch of leads.
//!
//! Scores stay current the way segment memberships do: a follower of the change feed
//! (`scoring_follower`) evaluates again the leads each change names (a lead itself, a
//! customer's leads, a ticket's customer's leads, a deal's, activity's or call's lead), and it
//! catches up before any lead is read, so no score shown is older than the last committed
//! write, from any process. A score set by hand (`leads.create` or `leads.update` with `score`)
//! is kept until that lead is rescored (`leads.rescore`). Rules that read the clock
//! (`lastNDays`, `withinDays`) move without any change: `leads.rescore` brings them up to date.
//! Changing the rules rescores every lead not set by hand in the same transaction.

use super::{Lead, Leads};
use crate::catalog::{Field, FieldType, RecordKind};
use crate::criteria::sql::Compiler;
use crate::criteria::{CountOption, Criteria, FieldDef, Read, Related};
use crate::error::{Error, Result};
use crate::follow::{self, Follower, Position};
use crate::ids::LeadId;
use crate::methods;
use crate::records;
use crate::sql::Value;
use crate::sql::{Connection, OptionalExtension, params};
use crate::store::Tx;
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The most rules a tenant may have.
pub const MAX_RULES: usize = 100;
/// The points a rule may give or take.
pub const MAX_POINTS: i64 = 100;
/// Leads evaluated per statement.
const BATCH: usize = 10_000;
/// The most leads one `leads.rescore` call takes (by id or by range).
pub const MAX_RESCORE: u32 = 50_000;
/// Feed entries read per step of a catch-up.
const STEP: i64 = 5_000;

/// One rule: a name, criteria over [`fields`], and the points a lead matching them gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// The rule's name, unique among the tenant's rules.
    pub name: String,
    /// Criteria over leads' fields.
    pub r#where: serde_json::Value,
    /// −100 to 100.
    pub points: i64,
}

/// A tenant's rules, as `scoring.getRules` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// The rules, in order.
    pub rules: Vec<Rule>,
    /// When they were last set; `None` while the tenant has never set any.
    #[serde(with = "time::rfc3339::option")]
    pub updated_at: Option<Timestamp>,
}

/// What `scoring.setRules` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetRules {
    /// The rules that replace all of the tenant's (an empty list removes them).
    pub rules: Vec<Rule>,
}

/// What `scoring.setRules` answers: the rules, and the leads scored again by them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesSet {
    /// The rules now in force.
    #[serde(flatten)]
    pub rules: Rules,
    /// Leads scored again.
    pub rescored: u64,
    /// Leads whose score changed.
    pub changed: u64,
}

/// What `leads.rescore` takes: these leads, or a batch of the tenant's leads after `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rescore {
    /// These leads (of this tenant); a batch after `after` when absent.
    pub lead_ids: Option<Vec<LeadId>>,
    /// Without `leadIds`: start after this lead (a previous answer's `next`).
    pub after: Option<LeadId>,
    /// Without `leadIds`: how many leads, 1 to 50,000 (10,000 when absent).
    pub limit: Option<u32>,
}

/// What `leads.rescore` answers. `next` is the `after` of the next batch, `None` when the
/// tenant's leads are done (or `leadIds` was given): call again until it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rescored {
    /// Leads scored.
    pub rescored: u64,
    /// Leads whose score changed.
    pub changed: u64,
    /// Where the next batch starts; `None` when done.
    pub next: Option<LeadId>,
}

/// One rule's part in a lead's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleExplanation {
    /// The rule's name.
    pub name: String,
    /// The points it gives.
    pub points: i64,
    /// Whether the lead matches it.
    pub matched: bool,
    /// The rule's tree with each node's `result` and each condition's `seen` value.
    pub why: serde_json::Value,
}

/// What `leads.explainScore` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreExplanation {
    /// The lead.
    pub lead_id: LeadId,
    /// The score the lead has.
    pub score: u8,
    /// What the rules give it now (`None` without rules).
    pub computed: Option<u8>,
    /// The score was set by hand and stays until the lead is rescored.
    pub by_hand: bool,
    /// Each rule, in order, with whether it matched.
    pub rules: Vec<RuleExplanation>,
}

const CUSTOMER: Related = Related {
    table: "customers",
    key: "id",
    via: "customer_id",
    column: "churn_risk",
    created: "created_at",
};
const TICKETS: Related = Related {
    table: "tickets",
    key: "customer_id",
    via: "customer_id",
    column: "status",
    created: "created_at",
};
const DEALS: Related = Related {
    table: "deals",
    key: "lead_id",
    via: "id",
    column: "status",
    created: "created_at",
};
const ACTIVITIES: Related = Related {
    table: "activities",
    key: "lead_id",
    via: "id",
    column: "",
    created: "occurred_at",
};
const CALLS: Related = Related {
    table: "calls",
    key: "lead_id",
    via: "id",
    column: "",
    created: "occurred_at",
};

const TICKET_COUNT: &[CountOption] = &[
    CountOption::WithinDays,
    CountOption::Status(crate::tickets::TicketStatus::NAMES),
];
/// `DealStatus::NAMES`, written out: `deals` builds on leads, so leads cannot name it (a test
/// holds the two equal).
pub const DEAL_STATUSES: &[&str] = &["open", "won", "lost"];
const DEAL_COUNT: &[CountOption] = &[CountOption::WithinDays, CountOption::Status(DEAL_STATUSES)];

/// The fields a rule may use: the lead's own (but its score), its customer's churn risk, its
/// customer's tickets, and its own deals, activities and calls.
pub fn fields() -> &'static [FieldDef] {
    static FIELDS: OnceLock<Vec<FieldDef>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let mut defs: Vec<FieldDef> = super::FIELDS
            .iter()
            .filter(|f| f.name != "score")
            .map(|f| FieldDef::own(*f))
            .collect();
        let ticket_status = crate::tickets::TicketStatus::NAMES;
        let deal_status = DEAL_STATUSES;
        defs.extend([
            FieldDef {
                field: Field::new(
                    "customer.churnRisk",
                    "churn_risk",
                    FieldType::Number,
                    "Customer's churn risk",
                ),
                read: Read::Related(CUSTOMER),
                options: &[],
            },
            FieldDef {
                field: Field::new(
                    "ticket.status",
                    "status",
                    FieldType::Enum,
                    "Customer's ticket status",
                )
                .values(ticket_status),
                read: Read::Related(TICKETS),
                options: &[],
            },
            FieldDef {
                field: Field::new(
                    "ticket.count",
                    "id",
                    FieldType::Number,
                    "Customer's tickets",
                ),
                read: Read::Count(TICKETS),
                options: TICKET_COUNT,
            },
            FieldDef {
                field: Field::new("deal.status", "status", FieldType::Enum, "Deal status")
                    .values(deal_status),
                read: Read::Related(DEALS),
                options: &[],
            },
            FieldDef {
                field: Field::new("deal.count", "id", FieldType::Number, "Deals"),
                read: Read::Count(DEALS),
                options: DEAL_COUNT,
            },
            FieldDef {
                field: Field::new("activity.count", "id", FieldType::Number, "Activities"),
                read: Read::Count(ACTIVITIES),
                options: &[CountOption::WithinDays],
            },
            FieldDef {
                field: Field::new("call.count", "id", FieldType::Number, "Calls"),
                read: Read::Count(CALLS),
                options: &[CountOption::WithinDays],
            },
        ]);
        defs
    })
}

/// Checks rules, naming the path at fault (`rules[3].where.all[0].op`).
fn check(rules: &[Rule]) -> Result<Vec<(Criteria, i64)>> {
    if rules.len() > MAX_RULES {
        return Err(Error::invalid(
            "rules",
            format!("at most {MAX_RULES} rules, got {}", rules.len()),
        ));
    }
    let mut names = BTreeSet::new();
    rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let name = crate::validate::name(&format!("rules[{i}].name"), &rule.name)?;
            if !names.insert(name.to_lowercase()) {
                return Err(Error::invalid(
                    format!("rules[{i}].name"),
                    format!("{name:?} names another rule already"),
                ));
            }
            if !(-MAX_POINTS..=MAX_POINTS).contains(&rule.points) {
                return Err(Error::invalid(
                    format!("rules[{i}].points"),
                    format!("from -{MAX_POINTS} to {MAX_POINTS}, got {}", rule.points),
                ));
            }
            let criteria =
                Criteria::from_json(&rule.r#where, fields(), &format!("rules[{i}].where"))?;
            Ok((criteria, rule.points))
        })
        .collect()
}

/// The tenant's rules and when they were set.
fn load(conn: &Connection, tenant: i64) -> Result<Option<(Vec<Rule>, Timestamp)>> {
    let row: Option<(String, i64)> = conn
        .prepare_cached("SELECT rules, updated_at FROM scoring_rules WHERE tenant_id = ?1")?
        .query_row(params![tenant], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(rules, at)| {
        serde_json::from_str(&rules)
            .map(|rules| (rules, time::from_millis(at)))
            .map_err(|e| Error::Internal(format!("stored scoring rules: {e}")))
    })
    .transpose()
}

/// The rules of `tenant`, checked, or `None` when it has none.
fn compiled(conn: &Connection, tenant: i64) -> Result<Option<Vec<(Criteria, i64)>>> {
    match load(conn, tenant)? {
        Some((rules, _)) if !rules.is_empty() => check(&rules).map(Some),
        _ => Ok(None),
    }
}

/// The SQL of a lead's score under `rules`, over the row `leads`.
fn score_sql(rules: &[(Criteria, i64)], now: Timestamp, params: &mut Vec<Value>) -> Result<String> {
    let defs = fields();
    let mut sum = Vec::with_capacity(rules.len());
    for (criteria, points) in rules {
        let test = Compiler::new(defs, "leads", now, params).node(&criteria.root)?;
        sum.push(format!("CASE WHEN {test} THEN {points} ELSE 0 END"));
    }
    Ok(format!("MAX(0, MIN(100, {}))", sum.join(" + ")))
}

/// Which leads an evaluation reads.
#[derive(Clone, Copy)]
enum Which<'a> {
    Ids(&'a [i64]),
    After(i64, usize),
}

/// Scores the chosen leads of this tenant that were not set by hand, writing each changed
/// score with its audit and feed entries. Returns (evaluated, changed, last id read).
fn evaluate(
    tx: &mut Tx<'_>,
    rules: &[(Criteria, i64)],
    which: Which<'_>,
) -> Result<(u64, u64, Option<i64>)> {
    let mut params = vec![Value::Integer(tx.tenant)];
    let score = score_sql(rules, tx.now, &mut params)?;
    let mut sql = format!(
        "SELECT id, score, {score} FROM leads WHERE tenant_id = ?1
            AND NOT EXISTS (SELECT 1 FROM lead_scores_by_hand h
                             WHERE h.tenant_id = leads.tenant_id AND h.lead_id = leads.id)"
    );
    match which {
        Which::Ids(ids) => {
            // The list binds with the criteria's values in one list of parameters.
            params.push(Value::ids(ids.iter().copied()));
            let _ = write!(sql, " AND id IN rarray(?{}) ORDER BY id", params.len());
        }
        Which::After(after, limit) => {
            params.push(Value::Integer(after));
            params.push(Value::Integer(limit as i64));
            let _ = write!(
                sql,
                " AND id > ?{} ORDER BY id LIMIT ?{}",
                params.len() - 1,
                params.len()
            );
        }
    }
    // The batch's old and new scores are kept beside the database, so that the scores, audit
    // and feed entries are written by SQLite in three statements, not two round trips a lead.
    // The table is emptied at the end of each batch (and a failed batch rolls its rows back).
    tx.prepare_cached(
        "CREATE TEMP TABLE IF NOT EXISTS rescored
           (n INTEGER PRIMARY KEY, id INTEGER NOT NULL, old INTEGER NOT NULL, new INTEGER NOT NULL)",
    )?
    .execute(params![])?;
    tx.prepare(&format!("INSERT INTO rescored (id, old, new) {sql}"))?
        .execute(&params)?;
    let (evaluated, last): (i64, Option<i64>) = tx
        .prepare_cached("SELECT count(*), max(id) FROM rescored")?
        .query_row(params![], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let unchanged = tx
        .prepare_cached("DELETE FROM rescored WHERE old = new")?
        .execute(params![])?;
    let (evaluated, changed) = (evaluated as u64, (evaluated as u64) - unchanged as u64);
    if changed > 0 {
        tx.prepare_cached(
            "UPDATE leads SET score = r.new FROM rescored r
              WHERE leads.tenant_id = ?1 AND leads.id = r.id",
        )?
        .execute(params![tx.tenant])?;
        // A score's audit entry reads `{"score":40}`.
        tx.record_updates(
            methods::LEADS_RESCORE,
            RecordKind::Lead,
            "SELECT n, id, json_object('score', old) AS before, json_object('score', new) AS after
               FROM rescored",
        )?;
    }
    tx.prepare_cached("DELETE FROM rescored")?
        .execute(params![])?;
    Ok((evaluated, changed, last))
}

/// Every lead of the tenant not set by hand, scored again, a batch at a time.
fn evaluate_all(tx: &mut Tx<'_>, rules: &[(Criteria, i64)]) -> Result<(u64, u64)> {
    let (mut rescored, mut changed, mut after) = (0, 0, 0);
    loop {
        let (n, c, last) = evaluate(tx, rules, Which::After(after, BATCH))?;
        rescored += n;
        changed += c;
        match last {
            Some(last) if n as usize == BATCH => after = last,
            _ => return Ok((rescored, changed)),
        }
    }
}

/// `true` when every change `tenant` committed has been applied to its scores.
pub(crate) fn is_current(conn: &Connection, tenant: i64) -> Result<bool> {
    Position::Scoring.is_current(conn, tenant)
}

/// The leads a feed entry's change may score differently.
fn leads_of(conn: &Connection, tenant: i64, kind: RecordKind, id: i64) -> Result<Vec<i64>> {
    let sql = match kind {
        RecordKind::Lead => return Ok(vec![id]),
        RecordKind::Customer => "SELECT id FROM leads WHERE tenant_id = ?1 AND customer_id = ?2",
        RecordKind::Ticket => {
            "SELECT l.id FROM tickets t JOIN leads l
               ON l.tenant_id = t.tenant_id AND l.customer_id = t.customer_id
              WHERE t.tenant_id = ?1 AND t.id = ?2"
        }
        RecordKind::TicketEvent => {
            "SELECT l.id FROM ticket_events e
               JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
               JOIN leads l ON l.tenant_id = t.tenant_id AND l.customer_id = t.customer_id
              WHERE e.tenant_id = ?1 AND e.id = ?2"
        }
        RecordKind::Deal => {
            "SELECT lead_id FROM deals WHERE tenant_id = ?1 AND id = ?2 AND lead_id IS NOT NULL"
        }
        RecordKind::StageChange => {
            "SELECT d.lead_id FROM deal_stage_history h
               JOIN deals d ON d.tenant_id = h.tenant_id AND d.id = h.deal_id
              WHERE h.tenant_id = ?1 AND h.id = ?2 AND d.lead_id IS NOT NULL"
        }
        RecordKind::Activity => {
            "SELECT lead_id FROM activities WHERE tenant_id = ?1 AND id = ?2 AND lead_id IS NOT NULL"
        }
        RecordKind::Call => {
            "SELECT lead_id FROM calls WHERE tenant_id = ?1 AND id = ?2 AND lead_id IS NOT NULL"
        }
        _ => return Ok(Vec::new()),
    };
    conn.prepare_cached(sql)?
        .query_map(params![tenant, id], |r| r.get(0))?
        .collect::<Result<_, _>>()
}

/// Applies every feed entry of the transaction's tenant not applied yet, when it has rules:
/// the leads each change names are scored again.
pub(crate) fn catch_up(tx: &mut Tx<'_>) -> Result<()> {
    let tenant = tx.tenant;
    let head = follow::head(tx, tenant)?;
    let from = Position::Scoring.get(tx, tenant)?;
    if from.is_some_and(|from| from >= head) {
        return Ok(());
    }
    // Without rules nothing is scored: the follower only moves forward.
    if let Some(rules) = compiled(tx, tenant)? {
        let mut touched: BTreeSet<i64> = BTreeSet::new();
        Follower::new(tenant, from.unwrap_or(0)).catch_up(tx, head, STEP, |entries| {
            for entry in entries {
                if let Some(kind) = entry.kind {
                    touched.extend(leads_of(tx, tenant, kind, entry.id)?);
                }
            }
            Ok(())
        })?;
        let leads: Vec<i64> = touched.into_iter().collect();
        for chunk in leads.chunks(BATCH) {
            evaluate(tx, &rules, Which::Ids(chunk))?;
        }
    }
    // Entries written while applying are score changes, which no rule reads.
    applied_to_head(tx)
}

/// Marks every feed entry of the tenant applied, after writes that were only scores (or
/// rules) — which no rule reads — made once the follower had caught up. Without it the next
/// reader would score again every lead whose score just changed.
fn applied_to_head(tx: &Tx<'_>) -> Result<()> {
    let head = follow::head(tx, tx.tenant)?;
    Position::Scoring.set(tx, tx.tenant, head)
}

/// `scoring.*`: a tenant's lead scoring rules.
#[derive(Debug, Clone, Copy)]
pub struct Scoring<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Lead scoring rules of this tenant.
    pub fn scoring(&self) -> Scoring<'_, 'c> {
        Scoring(self)
    }
}

impl Scoring<'_, '_> {
    /// The rules (an empty list without any).
    pub fn get_rules(&self) -> Result<Rules> {
        self.0.read(|c, t| {
            Ok(match load(c, t)? {
                Some((rules, at)) => Rules {
                    rules,
                    updated_at: Some(at),
                },
                None => Rules {
                    rules: Vec::new(),
                    updated_at: None,
                },
            })
        })
    }

    /// Replaces the rules (admins) and scores every lead not set by hand again. An empty list
    /// turns scoring off: scores then stay as they are.
    pub fn set_rules(&self, request: SetRules) -> Result<RulesSet> {
        let checked = check(&request.rules)?;
        self.0.write_as_admin(methods::SCORING_SET_RULES, |tx| {
            catch_up(tx)?;
            let before = load(tx, tx.tenant)?.map(|(rules, _)| rules);
            tx.prepare_cached(
                "INSERT INTO scoring_rules (tenant_id, rules, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tenant_id) DO UPDATE SET rules = excluded.rules,
                                                       updated_at = excluded.updated_at",
            )?
            .execute(params![
                tx.tenant,
                serde_json::to_string(&request.rules).unwrap_or_default(),
                time::to_millis(tx.now)
            ])?;
            tx.record_change(
                methods::SCORING_SET_RULES,
                RecordKind::ScoringRules,
                1,
                before.as_ref(),
                Some(&request.rules),
            )?;
            let (rescored, changed) = if checked.is_empty() {
                (0, 0)
            } else {
                evaluate_all(tx, &checked)?
            };
            applied_to_head(tx)?;
            Ok(RulesSet {
                rules: Rules {
                    rules: request.rules,
                    updated_at: Some(tx.now),
                },
                rescored,
                changed,
            })
        })
    }
}

impl Leads<'_, '_> {
    /// Runs `f` on a snapshot in which every committed change has been applied to the scores,
    /// catching up first (in a write transaction) when it has not.
    pub(crate) fn current<T>(self, f: impl Fn(&Connection, i64) -> Result<T>) -> Result<T> {
        let fresh = self.0.read(|c, t| {
            if is_current(c, t)? {
                f(c, t).map(Some)
            } else {
                Ok(None)
            }
        })?;
        match fresh {
            Some(answer) => Ok(answer),
            None => self.0.maintain(|tx| {
                catch_up(tx)?;
                f(tx, tx.tenant)
            }),
        }
    }

    /// Brings every score up to date with the committed changes (for readers of scores
    /// outside `leads`: segments, the change feed).
    pub(crate) fn settle(self) -> Result<()> {
        self.current(|_, _| Ok(()))
    }

    /// Scores leads again by the rules: these `leadIds` or the next batch of the tenant's
    /// leads after `after`. A score set by hand is given up for the rules' score.
    pub fn rescore(&self, request: &Rescore) -> Result<Rescored> {
        self.0.write(|tx| {
            catch_up(tx)?;
            let rescored = rescore_in(tx, request)?;
            applied_to_head(tx)?;
            Ok(rescored)
        })
    }

    /// Scores every lead of the tenant again, a batch of 10,000 (its own transaction) at a
    /// time, `progress` hearing of each; interrupted, running it again finishes the work.
    pub fn rescore_all(&self, mut progress: impl FnMut(&Rescored)) -> Result<Rescored> {
        let mut total = Rescored {
            rescored: 0,
            changed: 0,
            next: None,
        };
        loop {
            let batch = self.rescore(&Rescore {
                lead_ids: None,
                after: total.next,
                limit: None,
            })?;
            total.rescored += batch.rescored;
            total.changed += batch.changed;
            total.next = batch.next;
            progress(&batch);
            if total.next.is_none() {
                return Ok(total);
            }
        }
    }

    /// Each rule's part in a lead's score: its points, whether it matched and what its
    /// conditions saw.
    pub fn explain_score(&self, id: LeadId) -> Result<ScoreExplanation> {
        let now = time::now();
        self.current(|c, t| {
            let lead: Lead = records::get(c, t, id.0)?;
            let by_hand: bool = c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM lead_scores_by_hand WHERE tenant_id = ?1 AND lead_id = ?2)",
                )?
                .query_row(params![t, id], |r| r.get(0))?;
            let stored = load(c, t)?.map(|(rules, _)| rules).unwrap_or_default();
            let checked = check(&stored)?;
            let mut rules = Vec::with_capacity(stored.len());
            let mut sum = 0i64;
            for (rule, (criteria, points)) in stored.into_iter().zip(&checked) {
                let (matched, why) =
                    crate::criteria::explain::explain(c, fields(), "leads", t, id.0, criteria, now)?;
                if matched {
                    sum += points;
                }
                rules.push(RuleExplanation {
                    name: rule.name,
                    points: *points,
                    matched,
                    why,
                });
            }
            Ok(ScoreExplanation {
                lead_id: id,
                score: lead.score,
                computed: (!rules.is_empty()).then(|| sum.clamp(0, 100) as u8),
                by_hand,
                rules,
            })
        })
    }
}

/// `leads.rescore` once the follower has caught up.
fn rescore_in(tx: &mut Tx<'_>, request: &Rescore) -> Result<Rescored> {
    let Some(rules) = compiled(tx, tx.tenant)? else {
        return Err(Error::conflict(
            "this tenant has no scoring rules: set them with scoring.setRules",
        ));
    };
    if let Some(ids) = &request.lead_ids {
        if request.after.is_some() {
            return Err(Error::invalid("after", "only without leadIds"));
        }
        if request.limit.is_some() {
            return Err(Error::invalid("limit", "only without leadIds"));
        }
        if ids.is_empty() || ids.len() > MAX_RESCORE as usize {
            return Err(Error::invalid(
                "leadIds",
                format!("1 to {MAX_RESCORE} leads, got {}", ids.len()),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            tx.require::<Lead>(&format!("leadIds[{i}]"), id.0)?;
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        let mut unmark = tx.prepare_cached(
            "DELETE FROM lead_scores_by_hand WHERE tenant_id = ?1 AND lead_id = ?2",
        )?;
        for id in &ids {
            unmark.execute(params![tx.tenant, id])?;
        }
        drop(unmark);
        let (mut rescored, mut changed) = (0, 0);
        for chunk in ids.chunks(BATCH) {
            let (n, c, _) = evaluate(tx, &rules, Which::Ids(chunk))?;
            rescored += n;
            changed += c;
        }
        Ok(Rescored {
            rescored,
            changed,
            next: None,
        })
    } else {
        let limit = match request.limit {
            None => BATCH as u32,
            Some(n @ 1..=MAX_RESCORE) => n,
            Some(n) => {
                return Err(Error::invalid(
                    "limit",
                    format!("1 to {MAX_RESCORE}, got {n}"),
                ));
            }
        };
        let after = request.after.map_or(0, |a| a.0);
        let last: Option<i64> = tx
            .prepare_cached(
                "SELECT MAX(id) FROM (SELECT id FROM leads WHERE tenant_id = ?1 AND id > ?2
                                           ORDER BY id LIMIT ?3) AS batch",
            )?
            .query_row(params![tx.tenant, after, limit], |r| r.get(0))?;
        let Some(last) = last else {
            return Ok(Rescored {
                rescored: 0,
                changed: 0,
                next: None,
            });
        };
        tx.prepare_cached(
            "DELETE FROM lead_scores_by_hand
                  WHERE tenant_id = ?1 AND lead_id > ?2 AND lead_id <= ?3",
        )?
        .execute(params![tx.tenant, after, last])?;
        let (rescored, changed, _) = evaluate(tx, &rules, Which::After(after, limit as usize))?;
        let more: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM leads WHERE tenant_id = ?1 AND id > ?2)")?
            .query_row(params![tx.tenant, last], |r| r.get(0))?;
        Ok(Rescored {
            rescored,
            changed,
            next: more.then_some(LeadId(last)),
        })
    }
}

//! `analytics.repPerformance`: each deal owner's deals created, won and lost in a period and
//! the period before.

use super::periods::{Period, Timeframe};
use super::{Rate, Source, count, days};
use crate::deals::Pipeline;
use crate::error::{Error, Result};
use crate::ids::{PipelineId, TeamId, UserId};
use crate::money::{Currency, Money, round_half_away};
use crate::records;
use crate::sql::{Connection, OptionalExtension, params};
use crate::tenancy::Team;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What `analytics.repPerformance` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RepRequest {
    /// How long a period is: a week, a month or a quarter.
    pub timeframe: Timeframe,
    /// A moment in the period; now when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub at: Option<Timestamp>,
    /// Only this pipeline's deals.
    #[serde(default)]
    pub pipeline_id: Option<PipelineId>,
    /// Only deals owned by members of this team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
}

impl RepRequest {
    /// The period asked for and the one before it.
    pub(super) fn periods(&self, now: Timestamp) -> Result<(Period, Period)> {
        let at = time::given("at", self.at, now)?;
        let period = Period::holding(self.timeframe, at, "at")?;
        Ok((period, period.before(self.timeframe, "at")?))
    }
}

/// Rep performance in a period and the one before.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepPerformance {
    /// How long a period is.
    pub timeframe: Timeframe,
    /// The period asked about.
    pub period: Period,
    /// Each rep with deals in the period.
    pub reps: Vec<RepRow>,
    /// The period before, for comparison.
    pub previous: PeriodReps,
}

/// The reps of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodReps {
    /// The period.
    pub period: Period,
    /// Each rep with deals in it.
    pub reps: Vec<RepRow>,
}

/// One owner's deals in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepRow {
    /// The rep: the user who owns the deals.
    pub user_id: UserId,
    /// The rep's name.
    pub name: String,
    /// Created in the period.
    pub deals_created: u64,
    /// Closed in the period, won now.
    pub deals_won: u64,
    /// Closed in the period, lost now.
    pub deals_lost: u64,
    /// Value of the deals created in the period, per currency (never summed across them).
    pub total_value: Vec<Money>,
    /// Value of the deals won in the period, per currency.
    pub won_value: Vec<Money>,
    /// Won ÷ (won + lost).
    pub win_rate: Option<Rate>,
    /// Won value ÷ deals won, per currency.
    pub average_deal_size: Vec<Average>,
    /// Mean days from creation to close of the deals won.
    pub average_days_to_close: Option<f64>,
    /// Deals won per week of the period.
    pub velocity: f64,
}

/// A mean amount of one currency: `numerator` minor units ÷ `denominator` deals, rounded half
/// away from zero to the minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Average {
    /// The mean, in minor units.
    pub amount: i64,
    /// The currency.
    pub currency: Currency,
    /// The sum of the amounts, in minor units.
    pub numerator: i64,
    /// How many deals it was summed over.
    pub denominator: u64,
}

pub(super) fn read(
    conn: &Connection,
    tenant: i64,
    request: &RepRequest,
    (period, previous): (Period, Period),
    how: Source,
) -> Result<RepPerformance> {
    if let Some(id) = request.pipeline_id {
        records::get::<Pipeline>(conn, tenant, id.0)?;
    }
    if let Some(id) = request.team_id {
        records::get::<Team>(conn, tenant, id.0)?;
    }
    Ok(RepPerformance {
        timeframe: request.timeframe,
        period,
        reps: reps_in(conn, tenant, request, period, how)?,
        previous: PeriodReps {
            period: previous,
            reps: reps_in(conn, tenant, request, previous, how)?,
        },
    })
}

/// One owner's sums in one currency.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    created: i128,
    created_value: i128,
    won: i128,
    won_value: i128,
    won_ms: i128,
    lost: i128,
}

const FROM_SUMS: &str = "
    SELECT owner_id, currency, CAST(SUM(created) AS BIGINT), CAST(SUM(created_value) AS BIGINT),
           CAST(SUM(won) AS BIGINT), CAST(SUM(won_value) AS BIGINT), CAST(SUM(won_ms) AS BIGINT),
           CAST(SUM(lost) AS BIGINT)
      FROM analytics_rep_days
     WHERE tenant_id = ?1 AND day >= ?2 AND day < ?3 AND owner_id <> 0
       AND (CAST(?4 AS BIGINT) IS NULL OR pipeline_id = ?4)
       AND (CAST(?5 AS BIGINT) IS NULL OR owner_id IN
              (SELECT user_id FROM team_members WHERE tenant_id = ?1 AND team_id = ?5))
     GROUP BY owner_id, currency";

const FROM_DEALS: &str = "
    SELECT owner_id, currency, COUNT(*), CAST(SUM(value) AS BIGINT), 0, 0, 0, 0
      FROM deals
     WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND owner_id IS NOT NULL
       AND (CAST(?4 AS BIGINT) IS NULL OR pipeline_id = ?4)
       AND (CAST(?5 AS BIGINT) IS NULL OR owner_id IN
              (SELECT user_id FROM team_members WHERE tenant_id = ?1 AND team_id = ?5))
     GROUP BY owner_id, currency
    UNION ALL
    SELECT owner_id, currency, 0, 0, COUNT(*) FILTER (WHERE status = 'won'),
           CAST(SUM(CASE status WHEN 'won' THEN value ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE status WHEN 'won' THEN closed_at - created_at ELSE 0 END) AS BIGINT),
           COUNT(*) FILTER (WHERE status = 'lost')
      FROM deals
     WHERE tenant_id = ?1 AND closed_at >= ?2 AND closed_at < ?3 AND status <> 'open'
       AND owner_id IS NOT NULL
       AND (CAST(?4 AS BIGINT) IS NULL OR pipeline_id = ?4)
       AND (CAST(?5 AS BIGINT) IS NULL OR owner_id IN
              (SELECT user_id FROM team_members WHERE tenant_id = ?1 AND team_id = ?5))
     GROUP BY owner_id, currency";

fn reps_in(
    conn: &Connection,
    tenant: i64,
    request: &RepRequest,
    period: Period,
    how: Source,
) -> Result<Vec<RepRow>> {
    let (sql, from, to) = match how {
        Source::Sums => {
            let (from, to) = period.days();
            (FROM_SUMS, from, to)
        }
        Source::Deals => (
            FROM_DEALS,
            time::to_millis(period.from),
            time::to_millis(period.to),
        ),
    };
    let mut owners: BTreeMap<i64, BTreeMap<String, Sums>> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params![
        tenant,
        from,
        to,
        request.pipeline_id,
        request.team_id
    ])?;
    while let Some(r) = rows.next()? {
        let sums = owners
            .entry(r.get(0)?)
            .or_default()
            .entry(r.get(1)?)
            .or_default();
        sums.created += i128::from(r.get::<_, i64>(2)?);
        sums.created_value += i128::from(r.get::<_, i64>(3)?);
        sums.won += i128::from(r.get::<_, i64>(4)?);
        sums.won_value += i128::from(r.get::<_, i64>(5)?);
        sums.won_ms += i128::from(r.get::<_, i64>(6)?);
        sums.lost += i128::from(r.get::<_, i64>(7)?);
    }
    let mut name_of =
        conn.prepare_cached("SELECT name FROM users WHERE tenant_id = ?1 AND id = ?2")?;
    let mut reps = Vec::with_capacity(owners.len());
    for (owner, currencies) in owners {
        let total = currencies.values().fold(Sums::default(), |mut a, s| {
            a.created += s.created;
            a.won += s.won;
            a.won_ms += s.won_ms;
            a.lost += s.lost;
            a
        });
        if total.created == 0 && total.won == 0 && total.lost == 0 {
            continue;
        }
        let mut row = RepRow {
            user_id: UserId(owner),
            name: name_of
                .query_row(params![tenant, owner], |r| r.get(0))
                .optional()?
                .unwrap_or_default(),
            deals_created: count(total.created),
            deals_won: count(total.won),
            deals_lost: count(total.lost),
            total_value: Vec::new(),
            won_value: Vec::new(),
            win_rate: Rate::of(count(total.won), count(total.won + total.lost)),
            average_deal_size: Vec::new(),
            average_days_to_close: days(total.won_ms, count(total.won)),
            velocity: velocity(count(total.won), period),
        };
        for (code, s) in &currencies {
            let currency = Currency::parse("currency", code)?;
            if s.created > 0 {
                row.total_value
                    .push(Money::new(amount(s.created_value)?, currency));
            }
            if s.won > 0 {
                let won_value = amount(s.won_value)?;
                row.won_value.push(Money::new(won_value, currency));
                row.average_deal_size.push(Average {
                    amount: amount(round_half_away(s.won_value, s.won))?,
                    currency,
                    numerator: won_value,
                    denominator: count(s.won),
                });
            }
        }
        reps.push(row);
    }
    reps.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
    Ok(reps)
}

fn amount(sum: i128) -> Result<i64> {
    i64::try_from(sum).map_err(|_| {
        Error::Internal("analytics: a sum of deal values passed what 64 bits hold".into())
    })
}

/// Deals won per week: `won` ÷ (the period's days ÷ 7).
#[allow(clippy::cast_precision_loss)] // counts of deals and days are far below 2^52
fn velocity(won: u64, period: Period) -> f64 {
    won as f64 * 7.0 / period.length_days() as f64
}

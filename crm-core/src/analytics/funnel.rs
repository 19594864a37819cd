//! `analytics.funnel`: a pipeline's stages as its deals passed through them.

use super::periods::DAY_MS;
use super::rollup::{self, DealSet, FunnelSums, StageInfo, Stages};
use super::{Rate, Source, count, days};
use crate::deals::{self, StageKind};
use crate::error::{Error, Result};
use crate::ids::{PipelineId, StageId};
use crate::sql::{Connection, params};
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What `analytics.funnel` takes: the cohort is the pipeline's deals created in `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FunnelRequest {
    /// The pipeline whose deals are counted.
    pub pipeline_id: PipelineId,
    /// No lower bound when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub from: Option<Timestamp>,
    /// Exclusive; no upper bound when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub to: Option<Timestamp>,
}

impl FunnelRequest {
    pub(super) fn checked(&self) -> Result<FunnelRequest> {
        let from = time::check_opt("from", self.from)?;
        let to = time::check_opt("to", self.to)?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::invalid(
                "to",
                format!(
                    "must not be before from ({})",
                    f.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                ),
            ));
        }
        Ok(FunnelRequest {
            pipeline_id: self.pipeline_id,
            from,
            to,
        })
    }
}

/// A pipeline's funnel (API.md "Analytics"; the definitions are in [`crate::analytics`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Funnel {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// The start of the cohort (deals created from then), if one was given.
    #[serde(with = "time::rfc3339::option")]
    pub from: Option<Timestamp>,
    /// The end of the cohort (deals created before then), if one was given.
    #[serde(with = "time::rfc3339::option")]
    pub to: Option<Timestamp>,
    /// Deals in the cohort.
    pub deals: u64,
    /// Open stages by position, then won stages.
    pub stages: Vec<FunnelStage>,
    /// Cohort deals in a won stage now.
    pub won: u64,
    /// Cohort deals in a lost stage now.
    pub lost: u64,
    /// Cohort deals in an open stage now.
    pub open: u64,
    /// Won ÷ reached(first stage).
    pub overall_conversion: Option<Rate>,
}

/// One stage of a funnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunnelStage {
    /// The stage.
    pub stage_id: StageId,
    /// The stage's name.
    pub name: String,
    /// Whether the stage is open, won or lost.
    pub kind: StageKind,
    /// Cohort deals whose history shows them in this stage or a later open or won one.
    pub reached: u64,
    /// Cohort deals in it now.
    pub current: u64,
    /// Cohort deals lost now whose furthest open stage was this one.
    pub lost_after: u64,
    /// reached(next) ÷ reached(this); none for a won stage.
    pub conversion_to_next: Option<Rate>,
    /// 1 − `conversionToNext`: (reached(this) − reached(next)) ÷ reached(this).
    pub drop_off: Option<Rate>,
    /// Mean length of the completed stays in it, in days.
    pub average_days_in_stage: Option<f64>,
    /// Completed stays in it.
    pub exits: u64,
}

pub(super) fn read(
    conn: &Connection,
    tenant: i64,
    request: &FunnelRequest,
    how: Source,
) -> Result<Funnel> {
    let pipeline = deals::pipeline_with_stages(conn, tenant, request.pipeline_id)?;
    // The cohort's deals are all in this pipeline: its stages are the ones they visit.
    let stages: Stages = pipeline
        .stages
        .iter()
        .map(|s| {
            (
                s.id.0,
                StageInfo {
                    kind: s.kind,
                    position: s.position,
                },
            )
        })
        .collect();
    let from = request.from.map(time::to_millis);
    let to = request.to.map(time::to_millis);
    let totals = match how {
        Source::Sums => totals(conn, tenant, &stages, pipeline.id.0, from, to)?,
        Source::Deals => from_deals(
            conn,
            tenant,
            &stages,
            pipeline.id.0,
            from.unwrap_or(i64::MIN),
            to.unwrap_or(i64::MAX),
        )?,
    };
    let of = |id: StageId| totals.get(&id.0).copied().unwrap_or_default();
    let mut funnel: Vec<_> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind != StageKind::Lost)
        .collect();
    funnel.sort_by_key(|s| (s.kind == StageKind::Won, s.position));
    // reached(i) = deals whose furthest stage is i or later.
    let mut reached = vec![0_u64; funnel.len() + 1];
    for i in (0..funnel.len()).rev() {
        reached[i] = reached[i + 1] + count(of(funnel[i].id).furthest);
    }
    let mut out = Funnel {
        pipeline_id: pipeline.id,
        from: request.from,
        to: request.to,
        deals: 0,
        stages: Vec::with_capacity(funnel.len()),
        won: 0,
        lost: 0,
        open: 0,
        overall_conversion: None,
    };
    for stage in &pipeline.stages {
        let current = count(of(stage.id).current);
        out.deals += current;
        match stage.kind {
            StageKind::Open => out.open += current,
            StageKind::Won => out.won += current,
            StageKind::Lost => out.lost += current,
        }
    }
    for (i, stage) in funnel.iter().enumerate() {
        let sums = of(stage.id);
        let has_next = stage.kind == StageKind::Open && i + 1 < funnel.len();
        let exits = count(sums.exits);
        out.stages.push(FunnelStage {
            stage_id: stage.id,
            name: stage.name.clone(),
            kind: stage.kind,
            reached: reached[i],
            current: count(sums.current),
            lost_after: count(sums.lost_after),
            conversion_to_next: has_next
                .then(|| Rate::of(reached[i + 1], reached[i]))
                .flatten(),
            drop_off: has_next
                .then(|| Rate::of(reached[i] - reached[i + 1], reached[i]))
                .flatten(),
            average_days_in_stage: days(sums.stay_ms, exits),
            exits,
        });
    }
    out.overall_conversion = Rate::of(out.won, reached[0]);
    Ok(out)
}

/// The cohort's sums per stage: whole days from the daily sums, the part-days at either end
/// from the deals created in them.
fn totals(
    conn: &Connection,
    tenant: i64,
    stages: &Stages,
    pipeline: i64,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<HashMap<i64, FunnelSums>> {
    // Whole days: [first, end).
    let first = from.map_or(i64::MIN, |f| {
        f.div_euclid(DAY_MS) + i64::from(f.rem_euclid(DAY_MS) != 0)
    });
    let end = to.map_or(i64::MAX, |t| t.div_euclid(DAY_MS));
    let mut totals: HashMap<i64, FunnelSums> = HashMap::new();
    let mut edge = |a: i64, b: i64| -> Result<()> {
        if a < b {
            for (stage, sums) in from_deals(conn, tenant, stages, pipeline, a, b)? {
                totals.entry(stage).or_default().add(sums);
            }
        }
        Ok(())
    };
    if first >= end {
        // Within one day (both bounds given).
        return match (from, to) {
            (Some(f), Some(t)) => {
                edge(f, t)?;
                Ok(totals)
            }
            _ => Ok(totals),
        };
    }
    if let Some(f) = from {
        edge(f, first * DAY_MS)?;
    }
    if let Some(t) = to {
        edge(end * DAY_MS, t)?;
    }
    let mut stmt = conn.prepare_cached(
        "SELECT stage_id, CAST(SUM(furthest) AS BIGINT), CAST(SUM(current) AS BIGINT),
                CAST(SUM(lost_after) AS BIGINT), CAST(SUM(exits) AS BIGINT), CAST(SUM(stay_ms) AS BIGINT)
           FROM analytics_funnel_days
          WHERE tenant_id = ?1 AND pipeline_id = ?2 AND day >= ?3 AND day < ?4
          GROUP BY stage_id",
    )?;
    let mut rows = stmt.query(params![tenant, pipeline, first, end])?;
    while let Some(r) = rows.next()? {
        totals.entry(r.get(0)?).or_default().add(FunnelSums {
            furthest: r.get::<_, i64>(1)?.into(),
            current: r.get::<_, i64>(2)?.into(),
            lost_after: r.get::<_, i64>(3)?.into(),
            exits: r.get::<_, i64>(4)?.into(),
            stay_ms: r.get::<_, i64>(5)?.into(),
        });
    }
    Ok(totals)
}

/// The sums per stage of the pipeline's deals created in `[from, to)`, from the deals.
fn from_deals(
    conn: &Connection,
    tenant: i64,
    stages: &Stages,
    pipeline: i64,
    from: i64,
    to: i64,
) -> Result<HashMap<i64, FunnelSums>> {
    let sums = rollup::fold_sources(
        conn,
        tenant,
        stages,
        DealSet::Cohort { pipeline, from, to },
        |_, _| Ok(()),
    )?;
    let mut totals: HashMap<i64, FunnelSums> = HashMap::new();
    for (key, s) in sums.funnel {
        totals.entry(key.stage).or_default().add(s);
    }
    Ok(totals)
}

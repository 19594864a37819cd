//! The daily sums the funnel and rep performance read, and how they are kept exact.
//!
//! Each deal contributes a *share*: to the funnel sums of its pipeline on the day it was created
//! (its furthest stage, its current stage, its furthest open stage if lost, and every completed
//! stay), and to the rep sums of its owner (on the day it was created, and on the day it was
//! closed if won or lost). `analytics_deals` keeps the share each deal contributes now.
//!
//! A [`Follower`] reads the change feed; every deal named there is *refolded*: its stored
//! share is taken away, the stage changes recorded since are folded into its path (each one
//! completes a stay), and its new share is added. Refolding a deal twice changes nothing, so a
//! catch-up interrupted or replayed leaves the sums exact. Every stage change comes with a
//! deal entry in the feed (`deals.create` and `deals.moveStage` write one), and a deal's
//! history only grows at its end (a move cannot be dated before the last), so the rows after
//! the last folded one are exactly the new ones.

use super::periods::day_of_ms;
use crate::catalog::RecordKind;
use crate::deals::{DealStatus, StageKind};
use crate::error::{Error, Result};
use crate::follow::{self, Follower, Position};
use crate::sql::{Connection, OptionalExtension, params};
use crate::store::Tx;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Feed entries read per step of a catch-up.
const STEP: i64 = 5_000;

/// A stage as the funnel orders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StageInfo {
    pub kind: StageKind,
    pub position: i64,
}

impl StageInfo {
    /// Its place in the funnel: open stages by position, then won stages by position; a lost
    /// stage has none. Stages added later keep the order of those already there.
    pub(super) fn rank(self) -> Option<(bool, i64)> {
        match self.kind {
            StageKind::Open => Some((false, self.position)),
            StageKind::Won => Some((true, self.position)),
            StageKind::Lost => None,
        }
    }
}

/// A tenant's stages by id.
pub(super) type Stages = HashMap<i64, StageInfo>;

pub(super) fn stages(conn: &Connection, tenant: i64) -> Result<Stages> {
    let mut stmt =
        conn.prepare_cached("SELECT id, kind, position FROM stages WHERE tenant_id = ?1")?;
    let rows = stmt.query_map(params![tenant], |r| {
        Ok((
            r.get(0)?,
            StageInfo {
                kind: r.get(1)?,
                position: r.get(2)?,
            },
        ))
    })?;
    rows.collect::<Result<_>>()
}

/// A deal as the sums see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DealRow {
    pub id: i64,
    pub pipeline: i64,
    pub created_at: i64,
    pub owner: Option<i64>,
    pub currency: String,
    pub value: i64,
    pub status: DealStatus,
    pub closed_at: Option<i64>,
    pub stage: i64,
}

const DEAL_COLUMNS: &str =
    "id, pipeline_id, created_at, owner_id, currency, value, status, closed_at, stage_id";

fn deal_row(r: &crate::sql::Row<'_>) -> Result<DealRow> {
    Ok(DealRow {
        id: r.get(0)?,
        pipeline: r.get(1)?,
        created_at: r.get(2)?,
        owner: r.get(3)?,
        currency: r.get(4)?,
        value: r.get(5)?,
        status: r.get(6)?,
        closed_at: r.get(7)?,
        stage: r.get(8)?,
    })
}

/// Where a deal's stage history has taken it so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Path {
    /// The stage of the last change folded in; `None` before the first.
    pub stage: Option<i64>,
    /// When it entered that stage.
    pub entered_at: i64,
    /// The furthest open or won stage it has been in.
    pub furthest: Option<i64>,
    /// The furthest open stage it has been in.
    pub furthest_open: Option<i64>,
    /// The last history row folded in.
    pub history_id: i64,
}

/// One row of a deal's stage history.
#[derive(Debug, Clone, Copy)]
pub(super) struct Move {
    pub id: i64,
    pub to: i64,
    pub at: i64,
}

impl Path {
    /// Folds the next stage change in; `completed` hears of the stay it ends (stage, length).
    pub(super) fn step(&mut self, mv: Move, stages: &Stages, completed: impl FnOnce(i64, i64)) {
        if let Some(stage) = self.stage {
            completed(stage, mv.at - self.entered_at);
        }
        self.stage = Some(mv.to);
        self.entered_at = mv.at;
        self.history_id = mv.id;
        let rank_of = |id: Option<i64>| id.and_then(|s| stages.get(&s)).and_then(|s| s.rank());
        let Some(info) = stages.get(&mv.to) else {
            return;
        };
        if let Some(rank) = info.rank() {
            if rank_of(self.furthest).is_none_or(|r| rank > r) {
                self.furthest = Some(mv.to);
            }
            if info.kind == StageKind::Open && rank_of(self.furthest_open).is_none_or(|r| rank > r)
            {
                self.furthest_open = Some(mv.to);
            }
        }
    }
}

/// Funnel sums of one pipeline, day and stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FunnelSums {
    pub furthest: i128,
    pub current: i128,
    pub lost_after: i128,
    pub exits: i128,
    pub stay_ms: i128,
}

impl FunnelSums {
    fn columns(self) -> [i128; 5] {
        [
            self.furthest,
            self.current,
            self.lost_after,
            self.exits,
            self.stay_ms,
        ]
    }

    pub(super) fn add(&mut self, other: FunnelSums) {
        self.furthest += other.furthest;
        self.current += other.current;
        self.lost_after += other.lost_after;
        self.exits += other.exits;
        self.stay_ms += other.stay_ms;
    }
}

/// Rep sums of one day, pipeline, owner and currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct RepSums {
    pub created: i128,
    pub created_value: i128,
    pub won: i128,
    pub won_value: i128,
    pub won_ms: i128,
    pub lost: i128,
}

impl RepSums {
    fn columns(self) -> [i128; 6] {
        [
            self.created,
            self.created_value,
            self.won,
            self.won_value,
            self.won_ms,
            self.lost,
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct FunnelKey {
    pub tenant: i64,
    pub pipeline: i64,
    pub day: i64,
    pub stage: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct RepKey {
    pub tenant: i64,
    pub day: i64,
    pub pipeline: i64,
    /// 0 for a deal without an owner.
    pub owner: i64,
    pub currency: String,
}

/// Sums to add to the stored ones (or, read back, the stored ones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Sums {
    pub funnel: HashMap<FunnelKey, FunnelSums>,
    pub reps: HashMap<RepKey, RepSums>,
}

impl Sums {
    fn funnel_at(&mut self, tenant: i64, deal: &DealRow, stage: i64) -> &mut FunnelSums {
        self.funnel
            .entry(FunnelKey {
                tenant,
                pipeline: deal.pipeline,
                day: day_of_ms(deal.created_at),
                stage,
            })
            .or_default()
    }

    fn reps_at(&mut self, tenant: i64, deal: &DealRow, at: i64) -> &mut RepSums {
        self.reps
            .entry(RepKey {
                tenant,
                day: day_of_ms(at),
                pipeline: deal.pipeline,
                owner: deal.owner.unwrap_or(0),
                currency: deal.currency.clone(),
            })
            .or_default()
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) what a deal in this state contributes,
    /// its completed stays aside (they are added once, as they complete).
    pub(super) fn share(&mut self, tenant: i64, deal: &DealRow, path: &Path, sign: i128) {
        self.funnel_at(tenant, deal, deal.stage).current += sign;
        if let Some(furthest) = path.furthest {
            self.funnel_at(tenant, deal, furthest).furthest += sign;
        }
        if deal.status == DealStatus::Lost
            && let Some(open) = path.furthest_open
        {
            self.funnel_at(tenant, deal, open).lost_after += sign;
        }
        let created = self.reps_at(tenant, deal, deal.created_at);
        created.created += sign;
        created.created_value += sign * i128::from(deal.value);
        if let Some(closed) = deal.closed_at {
            let at_close = self.reps_at(tenant, deal, closed);
            match deal.status {
                DealStatus::Won => {
                    at_close.won += sign;
                    at_close.won_value += sign * i128::from(deal.value);
                    at_close.won_ms += sign * i128::from(closed - deal.created_at);
                }
                DealStatus::Lost => at_close.lost += sign,
                DealStatus::Open => {}
            }
        }
    }

    /// Adds a completed stay of `ms` in `stage`.
    pub(super) fn stay(&mut self, tenant: i64, deal: &DealRow, stage: i64, ms: i64) {
        let sums = self.funnel_at(tenant, deal, stage);
        sums.exits += 1;
        sums.stay_ms += i128::from(ms);
    }

    /// Takes away a completed stay that [`Sums::stay`] added.
    fn unstay(&mut self, tenant: i64, deal: &DealRow, stage: i64, ms: i64) {
        let sums = self.funnel_at(tenant, deal, stage);
        sums.exits -= 1;
        sums.stay_ms -= i128::from(ms);
    }

    /// Adds these sums to the stored ones; a row whose every sum comes to 0 is removed.
    fn store(&self, tx: &Tx<'_>) -> Result<()> {
        let mut read = tx.prepare_cached(
            "SELECT furthest, current, lost_after, exits, stay_ms FROM analytics_funnel_days
              WHERE tenant_id = ?1 AND pipeline_id = ?2 AND day = ?3 AND stage_id = ?4",
        )?;
        let mut write = tx.prepare_cached(
            "INSERT INTO analytics_funnel_days
               (tenant_id, pipeline_id, day, stage_id, furthest, current, lost_after, exits, stay_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (tenant_id, pipeline_id, day, stage_id) DO UPDATE SET
               furthest = excluded.furthest, current = excluded.current,
               lost_after = excluded.lost_after, exits = excluded.exits, stay_ms = excluded.stay_ms",
        )?;
        let mut delete = tx.prepare_cached(
            "DELETE FROM analytics_funnel_days
              WHERE tenant_id = ?1 AND pipeline_id = ?2 AND day = ?3 AND stage_id = ?4",
        )?;
        for (k, delta) in &self.funnel {
            let key = params![k.tenant, k.pipeline, k.day, k.stage];
            let old: [i64; 5] = read
                .query_row(key, |r| {
                    Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
                })
                .optional()?
                .unwrap_or_default();
            let new = added(old, delta.columns())?;
            if new == [0; 5] {
                delete.execute(key)?;
            } else {
                write.execute(params![
                    k.tenant, k.pipeline, k.day, k.stage, new[0], new[1], new[2], new[3], new[4]
                ])?;
            }
        }
        let mut read = tx.prepare_cached(
            "SELECT created, created_value, won, won_value, won_ms, lost FROM analytics_rep_days
              WHERE tenant_id = ?1 AND day = ?2 AND pipeline_id = ?3 AND owner_id = ?4
                AND currency = ?5",
        )?;
        let mut write = tx.prepare_cached(
            "INSERT INTO analytics_rep_days
               (tenant_id, day, pipeline_id, owner_id, currency,
                created, created_value, won, won_value, won_ms, lost)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (tenant_id, day, pipeline_id, owner_id, currency) DO UPDATE SET
               created = excluded.created, created_value = excluded.created_value,
               won = excluded.won, won_value = excluded.won_value, won_ms = excluded.won_ms,
               lost = excluded.lost",
        )?;
        let mut delete = tx.prepare_cached(
            "DELETE FROM analytics_rep_days
              WHERE tenant_id = ?1 AND day = ?2 AND pipeline_id = ?3 AND owner_id = ?4
                AND currency = ?5",
        )?;
        for (k, delta) in &self.reps {
            let key = params![k.tenant, k.day, k.pipeline, k.owner, k.currency];
            let old: [i64; 6] = read
                .query_row(key, |r| {
                    Ok([
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ])
                })
                .optional()?
                .unwrap_or_default();
            let new = added(old, delta.columns())?;
            if new == [0; 6] {
                delete.execute(key)?;
            } else {
                write.execute(params![
                    k.tenant, k.day, k.pipeline, k.owner, k.currency, new[0], new[1], new[2],
                    new[3], new[4], new[5]
                ])?;
            }
        }
        Ok(())
    }
}

/// `old + delta`, column by column, refusing a sum that 64 bits cannot hold (SQLite would
/// quietly turn it into an inexact real).
fn added<const N: usize>(old: [i64; N], delta: [i128; N]) -> Result<[i64; N]> {
    let mut out = [0; N];
    for i in 0..N {
        out[i] = i64::try_from(i128::from(old[i]) + delta[i]).map_err(|_| {
            Error::Internal(
                "analytics: a daily sum of deal values or durations passed what 64 bits hold"
                    .into(),
            )
        })?;
    }
    Ok(out)
}

/// Which deals [`fold_sources`] reads.
#[derive(Debug, Clone, Copy)]
pub(super) enum DealSet {
    /// Every deal of the tenant.
    All,
    /// A pipeline's deals created in `[from, to)` (milliseconds).
    Cohort { pipeline: i64, from: i64, to: i64 },
}

/// Computes the sums of `deals` from the deals and their stage histories alone, handing
/// each deal and its path to `each`. What the stored sums must equal (`verify`), how they
/// are built (`rebuild`), and how a cohort's part-days are read.
pub(super) fn fold_sources(
    conn: &Connection,
    tenant: i64,
    stages: &Stages,
    deals: DealSet,
    mut each: impl FnMut(&DealRow, &Path) -> Result<()>,
) -> Result<Sums> {
    let (deals_sql, history_sql, args) = match deals {
        DealSet::All => (
            format!("SELECT {DEAL_COLUMNS} FROM deals WHERE tenant_id = ?1 ORDER BY id"),
            "SELECT deal_id, id, to_stage_id, at FROM deal_stage_history
              WHERE tenant_id = ?1 ORDER BY deal_id, at, id",
            vec![tenant],
        ),
        DealSet::Cohort { pipeline, from, to } => (
            format!(
                "SELECT {DEAL_COLUMNS} FROM deals
                  WHERE tenant_id = ?1 AND pipeline_id = ?2 AND created_at >= ?3 AND created_at < ?4
                  ORDER BY id"
            ),
            // CROSS JOIN keeps the cohort's deals the outer loop (found by their creation
            // time); SQLite would otherwise walk every history row in deal order. (The join's
            // condition is in WHERE: PostgreSQL takes no ON after CROSS JOIN.)
            "SELECT h.deal_id, h.id, h.to_stage_id, h.at
               FROM deals d CROSS JOIN deal_stage_history h
              WHERE h.tenant_id = d.tenant_id AND h.deal_id = d.id
                AND d.tenant_id = ?1 AND d.pipeline_id = ?2 AND d.created_at >= ?3 AND d.created_at < ?4
              ORDER BY h.deal_id, h.at, h.id",
            vec![tenant, pipeline, from, to],
        ),
    };
    let mut deals_stmt = conn.prepare_cached(&deals_sql)?;
    let mut deals = deals_stmt.query(&args)?;
    let mut history_stmt = conn.prepare_cached(history_sql)?;
    let mut history = history_stmt.query(&args)?;
    let mut pending: Option<(i64, Move)> = next_move(&mut history)?;
    let mut sums = Sums::default();
    while let Some(row) = deals.next()? {
        let deal = deal_row(&row)?;
        let mut path = Path::default();
        // Both run in deal order; rows of deals outside the set (none, by the queries) are
        // skipped rather than misattributed.
        while let Some((deal_id, mv)) = pending {
            if deal_id > deal.id {
                break;
            }
            if deal_id == deal.id {
                path.step(mv, stages, |stage, ms| sums.stay(tenant, &deal, stage, ms));
            }
            pending = next_move(&mut history)?;
        }
        sums.share(tenant, &deal, &path, 1);
        each(&deal, &path)?;
    }
    Ok(sums)
}

fn next_move(rows: &mut crate::sql::Rows<'_>) -> Result<Option<(i64, Move)>> {
    Ok(match rows.next()? {
        Some(r) => Some((
            r.get(0)?,
            Move {
                id: r.get(1)?,
                to: r.get(2)?,
                at: r.get(3)?,
            },
        )),
        None => None,
    })
}

/// `true` when the tenant's sums have applied every change it committed that this connection
/// sees.
pub(super) fn current(conn: &Connection, tenant: i64) -> Result<bool> {
    Position::Analytics.is_current(conn, tenant)
}

/// Brings the tenant's sums up to date with every change it committed (built from its deals
/// the first time).
pub(super) fn catch_up(tx: &mut Tx<'_>) -> Result<()> {
    let tenant = tx.tenant;
    let head = follow::head(tx, tenant)?;
    match Position::Analytics.get(tx, tenant)? {
        None => rebuild(tx, tenant)?,
        Some(applied) if applied >= head => return Ok(()),
        Some(applied) => {
            let mut touched: BTreeSet<i64> = BTreeSet::new();
            Follower::new(tenant, applied).catch_up(tx, head, STEP, |entries| {
                touched.extend(
                    entries
                        .iter()
                        .filter(|e| e.kind == Some(RecordKind::Deal))
                        .map(|e| e.id),
                );
                Ok(())
            })?;
            let mut sums = Sums::default();
            let stages = stages(tx, tenant)?;
            for deal in touched {
                refold(tx, tenant, deal, &stages, &mut sums)?;
            }
            sums.store(tx)?;
        }
    }
    Position::Analytics.set(tx, tenant, head)
}

/// Takes a deal's stored share away, folds in its stage changes since, and adds its new share.
fn refold(tx: &Tx<'_>, tenant: i64, id: i64, stages: &Stages, sums: &mut Sums) -> Result<()> {
    let deal = tx
        .prepare_cached(&format!(
            "SELECT {DEAL_COLUMNS} FROM deals WHERE tenant_id = ?1 AND id = ?2"
        ))?
        .query_row(params![tenant, id], deal_row)
        .optional()?;
    let stored = stored_share(tx, tenant, id)?;
    // A deal in the trash (or gone) takes its share away; restored, it is folded from the start.
    let Some(deal) = deal else {
        if let Some((old, old_path)) = &stored {
            sums.share(tenant, old, old_path, -1);
            tx.prepare_cached("DELETE FROM analytics_deals WHERE tenant_id = ?1 AND deal_id = ?2")?
                .execute(params![tenant, id])?;
        }
        return Ok(());
    };
    let mut path = Path::default();
    if let Some((old, old_path)) = &stored {
        sums.share(tenant, old, old_path, -1);
        path = *old_path;
    }
    let mut moves = tx.prepare_cached(
        "SELECT id, to_stage_id, at FROM deal_stage_history
          WHERE tenant_id = ?1 AND deal_id = ?2 AND +id > ?3 ORDER BY at, id",
    )?;
    let mut rows = moves.query(params![tenant, id, path.history_id])?;
    while let Some(r) = rows.next()? {
        let mv = Move {
            id: r.get(0)?,
            to: r.get(1)?,
            at: r.get(2)?,
        };
        path.step(mv, stages, |stage, ms| sums.stay(tenant, &deal, stage, ms));
    }
    sums.share(tenant, &deal, &path, 1);
    save_share(tx, tenant, &deal, &path)
}

/// Takes deals that are leaving their table (for the trash, or for good) out of the sums:
/// their share and the stays their history completed, read while that history is still
/// there. Restored, a deal has no stored share and is folded again from its first move.
pub(super) fn forget(tx: &mut Tx<'_>, tenant: i64, deals: &[i64]) -> Result<()> {
    if deals.is_empty() {
        return Ok(());
    }
    catch_up(tx)?;
    let stages = stages(tx, tenant)?;
    let mut sums = Sums::default();
    for &id in deals {
        let Some((deal, stored)) = stored_share(tx, tenant, id)? else {
            continue;
        };
        sums.share(tenant, &deal, &stored, -1);
        let mut path = Path::default();
        let mut moves = tx.prepare_cached(
            "SELECT id, to_stage_id, at FROM deal_stage_history
              WHERE tenant_id = ?1 AND deal_id = ?2 AND +id <= ?3 ORDER BY at, id",
        )?;
        let mut rows = moves.query(params![tenant, id, stored.history_id])?;
        while let Some(r) = rows.next()? {
            let mv = Move {
                id: r.get(0)?,
                to: r.get(1)?,
                at: r.get(2)?,
            };
            path.step(mv, &stages, |stage, ms| {
                sums.unstay(tenant, &deal, stage, ms);
            });
        }
        tx.prepare_cached("DELETE FROM analytics_deals WHERE tenant_id = ?1 AND deal_id = ?2")?
            .execute(params![tenant, id])?;
    }
    sums.store(tx)
}

/// The share a deal contributes to the stored sums now, as its last refold saved it.
fn stored_share(conn: &Connection, tenant: i64, deal: i64) -> Result<Option<(DealRow, Path)>> {
    conn.prepare_cached(
        "SELECT deal_id, pipeline_id, created_at, owner_id, currency, value, status,
                    closed_at, stage_id, entered_at, furthest_stage_id, furthest_open_stage_id,
                    history_id
               FROM analytics_deals WHERE tenant_id = ?1 AND deal_id = ?2",
    )?
    .query_row(params![tenant, deal], |r| {
        Ok((
            deal_row(r)?,
            Path {
                stage: Some(r.get(8)?),
                entered_at: r.get(9)?,
                furthest: r.get(10)?,
                furthest_open: r.get(11)?,
                history_id: r.get(12)?,
            },
        ))
    })
    .optional()
}

fn save_share(conn: &Connection, tenant: i64, deal: &DealRow, path: &Path) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO analytics_deals
           (tenant_id, deal_id, pipeline_id, created_at, owner_id, currency, value, status,
            closed_at, stage_id, entered_at, furthest_stage_id, furthest_open_stage_id, history_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (tenant_id, deal_id) DO UPDATE SET
           pipeline_id = excluded.pipeline_id, created_at = excluded.created_at,
           owner_id = excluded.owner_id, currency = excluded.currency, value = excluded.value,
           status = excluded.status, closed_at = excluded.closed_at, stage_id = excluded.stage_id,
           entered_at = excluded.entered_at, furthest_stage_id = excluded.furthest_stage_id,
           furthest_open_stage_id = excluded.furthest_open_stage_id,
           history_id = excluded.history_id",
    )?
    .execute(params![
        tenant,
        deal.id,
        deal.pipeline,
        deal.created_at,
        deal.owner,
        deal.currency,
        deal.value,
        deal.status,
        deal.closed_at,
        deal.stage,
        path.entered_at,
        path.furthest,
        path.furthest_open,
        path.history_id
    ])?;
    Ok(())
}

const TABLES: [&str; 3] = [
    "analytics_deals",
    "analytics_funnel_days",
    "analytics_rep_days",
];

/// Builds a tenant's sums again from its deals.
pub(super) fn rebuild(tx: &Tx<'_>, tenant: i64) -> Result<()> {
    for table in TABLES {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE tenant_id = ?1"))?
            .execute(params![tenant])?;
    }
    let stages = stages(tx, tenant)?;
    let sums = fold_sources(tx, tenant, &stages, DealSet::All, |deal, path| {
        save_share(tx, tenant, deal, path)
    })?;
    sums.store(tx)
}

/// The stored sums of a tenant against the ones its deals give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsCheck {
    /// Deals read.
    pub deals: u64,
    /// Daily sums (funnel and reps) the deals give.
    pub expected: u64,
    /// Daily sums stored that differ from what the deals give, or are missing or extra.
    pub wrong: u64,
    /// Deals whose stored share differs from the one their record and history give.
    pub wrong_deals: u64,
}

impl AnalyticsCheck {
    /// `true` when the stored sums are exactly what the deals give.
    pub fn consistent(&self) -> bool {
        self.wrong == 0 && self.wrong_deals == 0
    }
}

/// Compares a tenant's stored sums with the ones computed from its deals now.
pub(super) fn verify(conn: &Connection, tenant: i64) -> Result<AnalyticsCheck> {
    let stages = stages(conn, tenant)?;
    let mut check = AnalyticsCheck::default();
    let mut with_share = 0_u64;
    let expected = fold_sources(conn, tenant, &stages, DealSet::All, |deal, path| {
        check.deals += 1;
        let found = stored_share(conn, tenant, deal.id)?;
        let mut expected_path = *path;
        // The stored path keeps the deal's stage; a deal always has a first history row.
        expected_path.stage = expected_path.stage.map(|_| deal.stage);
        with_share += u64::from(found.is_some());
        if found.as_ref() != Some(&(deal.clone(), expected_path)) {
            check.wrong_deals += 1;
        }
        Ok(())
    })?;
    let all_stored: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM analytics_deals WHERE tenant_id = ?1")?
        .query_row(params![tenant], |r| r.get(0))?;
    // Shares of deals that do not exist.
    check.wrong_deals += all_stored.unsigned_abs().saturating_sub(with_share);
    let stored = stored_sums(conn, tenant)?;
    let funnel: HashMap<_, _> = expected
        .funnel
        .into_iter()
        .filter(|(_, v)| *v != FunnelSums::default())
        .collect();
    let reps: HashMap<_, _> = expected
        .reps
        .into_iter()
        .filter(|(_, v)| *v != RepSums::default())
        .collect();
    check.expected = (funnel.len() + reps.len()) as u64;
    check.wrong = differing(&funnel, &stored.funnel) + differing(&reps, &stored.reps);
    Ok(check)
}

/// Keys whose values differ between two maps, counting keys in only one of them.
fn differing<K: Eq + std::hash::Hash, V: PartialEq>(a: &HashMap<K, V>, b: &HashMap<K, V>) -> u64 {
    let changed = a.iter().filter(|(k, v)| b.get(k) != Some(v)).count();
    let extra = b.keys().filter(|k| !a.contains_key(k)).count();
    (changed + extra) as u64
}

fn stored_sums(conn: &Connection, tenant: i64) -> Result<Sums> {
    let mut sums = Sums::default();
    let mut stmt = conn.prepare_cached(
        "SELECT pipeline_id, day, stage_id, furthest, current, lost_after, exits, stay_ms
           FROM analytics_funnel_days WHERE tenant_id = ?1",
    )?;
    let mut rows = stmt.query(params![tenant])?;
    while let Some(r) = rows.next()? {
        sums.funnel.insert(
            FunnelKey {
                tenant,
                pipeline: r.get(0)?,
                day: r.get(1)?,
                stage: r.get(2)?,
            },
            FunnelSums {
                furthest: r.get::<_, i64>(3)?.into(),
                current: r.get::<_, i64>(4)?.into(),
                lost_after: r.get::<_, i64>(5)?.into(),
                exits: r.get::<_, i64>(6)?.into(),
                stay_ms: r.get::<_, i64>(7)?.into(),
            },
        );
    }
    let mut stmt = conn.prepare_cached(
        "SELECT day, pipeline_id, owner_id, currency, created, created_value, won, won_value,
                won_ms, lost
           FROM analytics_rep_days WHERE tenant_id = ?1",
    )?;
    let mut rows = stmt.query(params![tenant])?;
    while let Some(r) = rows.next()? {
        sums.reps.insert(
            RepKey {
                tenant,
                day: r.get(0)?,
                pipeline: r.get(1)?,
                owner: r.get(2)?,
                currency: r.get(3)?,
            },
            RepSums {
                created: r.get::<_, i64>(4)?.into(),
                created_value: r.get::<_, i64>(5)?.into(),
                won: r.get::<_, i64>(6)?.into(),
                won_value: r.get::<_, i64>(7)?.into(),
                won_ms: r.get::<_, i64>(8)?.into(),
                lost: r.get::<_, i64>(9)?.into(),
            },
        );
    }
    Ok(sums)
}

//! Analytics (API.md "Analytics"): the pipeline funnel and rep performance, exact as of the last
//! committed write.
//!
//! Both read daily sums of deals (`rollup`) that follow the change feed and are brought up to
//! date before every answer, in the same snapshot the answer is read from: a change committed
//! by this process or another before the call is always in it. A cohort that starts or ends
//! inside a day reads that day's deals from the deals themselves.
//!
//! # The funnel, by example
//!
//! Take a pipeline `Lead (0) → Qualified (1) → Proposal (2) → Won (3)`, `Lost (4)` (positions in
//! brackets). The funnel lists open stages by position, then won ones; lost stages are exits.
//! A deal *reached* a stage when its history shows it there or in any later open or won stage.
//!
//! - **Skipping stages (implied passage).** A deal created in Lead and moved straight to
//!   Proposal reached Lead, Qualified and Proposal; it had one completed stay (Lead) and no stay
//!   in Qualified, so Qualified's `exits` and `averageDaysInStage` do not count it.
//! - **Moving backwards.** Lead → Proposal → Qualified reached Proposal (the furthest), is
//!   `current` in Qualified, and has completed stays in Lead and Proposal; its stay in Qualified
//!   is still open, so it is not in Qualified's `exits` yet.
//! - **Reopened after won or lost.** Lead → Won → Proposal reached Won (so every stage), but is
//!   now open: `won` does not count it, `open` does, `current` is Proposal's, and its stay in
//!   Won (completed when it was reopened) is one of Won's `exits`. A deal lost and reopened is
//!   `lost` only while it is in a lost stage.
//! - **Lost.** Lead → Qualified → Lost is in Qualified's `lostAfter` (its furthest open stage
//!   was Qualified) and counts in `lost`; Lead → Won → Lost reached Won, and its furthest open
//!   stage is Lead, whose `lostAfter` counts it. A deal created in a lost stage reached nothing.
//! - **Re-entries.** Lead → Qualified → Lead → Qualified → Proposal has two completed stays in
//!   Lead and two in Qualified (`exits` 2 each); a stay of zero length (two moves at one
//!   instant) counts with length 0.
//! - **Stages added later.** If `Demo (1.5)` is added between Qualified and Proposal after a
//!   deal went Lead → Qualified → Proposal, that deal reached Demo (a later stage is in its
//!   history) though it was never in it; a deal still in Qualified did not.
//!
//! `conversionToNext` is reached(next) ÷ reached(this) and `dropOff` 1 − that, each with its
//! numerator and denominator, null when reached(this) is 0 and for won stages (there is no next);
//! `overallConversion` is won ÷ reached(first stage).
//!
//! # Rep performance
//!
//! Per deal owner, over the ISO week (Monday), month or quarter holding `at`, in UTC, with the
//! period before beside it: deals created in it (and their value, per currency), deals won and
//! lost in it (closed in it and won or lost now), won value, `winRate` = won ÷ (won + lost),
//! `averageDealSize` = won value ÷ deals won, per currency, rounded half away from zero to the
//! minor unit, `averageDaysToClose` over the deals won, and `velocity` = won ÷ the period's
//! length in weeks. Deals without an owner are left out, as are owners with nothing created or
//! closed in the period.

mod funnel;
pub mod periods;
mod reps;
mod rollup;

pub use funnel::{Funnel, FunnelRequest, FunnelStage};
pub use periods::{Period, Timeframe};
pub use reps::{Average, PeriodReps, RepPerformance, RepRequest, RepRow};
pub use rollup::AnalyticsCheck;

use crate::error::Result;
use crate::sql::Connection;
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use serde::Serialize;

/// A rate with what it was computed from: `rate` = `numerator` ÷ `denominator`. Where the
/// denominator would be 0 the rate is absent (`null`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    /// `numerator` ÷ `denominator`.
    pub rate: f64,
    /// What was counted.
    pub numerator: u64,
    /// What it was counted out of (never 0).
    pub denominator: u64,
}

impl Rate {
    /// `numerator ÷ denominator`, or `None` when the denominator is 0.
    pub fn of(numerator: u64, denominator: u64) -> Option<Rate> {
        #[allow(clippy::cast_precision_loss)] // counts of deals are far below 2^52
        (denominator != 0).then(|| Rate {
            rate: numerator as f64 / denominator as f64,
            numerator,
            denominator,
        })
    }
}

/// Where an answer's sums come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The daily sums (a cohort's part-days from the deals).
    Sums,
    /// The deals and their histories alone: the design the sums replaced, for the benchmark.
    Deals,
}

/// `analytics.*`.
#[derive(Debug, Clone, Copy)]
pub struct Analytics<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// The funnel and rep performance of this tenant.
    pub fn analytics(&self) -> Analytics<'_, 'c> {
        Analytics(self)
    }
}

impl Analytics<'_, '_> {
    /// The funnel of a pipeline's deals created in `[from, to)` (`analytics.funnel`).
    pub fn funnel(&self, request: &FunnelRequest) -> Result<Funnel> {
        let request = request.checked()?;
        self.answer(|c, t| funnel::read(c, t, &request, Source::Sums))
    }

    /// [`Analytics::funnel`] computed from the deals and their histories alone, without the
    /// daily sums: the design the sums replaced, kept for the benchmark that compares them.
    #[doc(hidden)]
    pub fn funnel_from_deals(&self, request: &FunnelRequest) -> Result<Funnel> {
        let request = request.checked()?;
        self.0
            .read(|c, t| funnel::read(c, t, &request, Source::Deals))
    }

    /// Rep performance in the period holding `at` (now when absent) and the one before
    /// (`analytics.repPerformance`).
    pub fn rep_performance(&self, request: &RepRequest) -> Result<RepPerformance> {
        self.rep_performance_at(request, time::now())
    }

    /// [`Analytics::rep_performance`] with `now` as the default `at`.
    pub fn rep_performance_at(
        &self,
        request: &RepRequest,
        now: Timestamp,
    ) -> Result<RepPerformance> {
        let periods = request.periods(now)?;
        self.answer(|c, t| reps::read(c, t, request, periods, Source::Sums))
    }

    /// [`Analytics::rep_performance_at`] computed from the deals alone, for the benchmark.
    #[doc(hidden)]
    pub fn rep_performance_from_deals(
        &self,
        request: &RepRequest,
        now: Timestamp,
    ) -> Result<RepPerformance> {
        let periods = request.periods(now)?;
        self.0
            .read(|c, t| reps::read(c, t, request, periods, Source::Deals))
    }

    /// Brings the sums up to date with every committed change now (every answer does it
    /// anyway).
    pub fn catch_up(&self) -> Result<()> {
        self.0.maintain(rollup::catch_up)
    }

    /// Compares this tenant's sums with what its deals give now.
    pub fn verify(&self) -> Result<AnalyticsCheck> {
        self.0.maintain(|tx| {
            rollup::catch_up(tx)?;
            rollup::verify(tx, tx.tenant)
        })
    }

    /// Builds this tenant's sums again from its deals (admin only); returns the check made
    /// before, so the caller sees what was repaired.
    pub fn rebuild(&self) -> Result<AnalyticsCheck> {
        self.0.write_as_admin("rebuilding analytics", |tx| {
            rollup::catch_up(tx)?;
            let before = rollup::verify(tx, tx.tenant)?;
            rollup::rebuild(tx, tx.tenant)?;
            Ok(before)
        })
    }

    /// Answers from one read snapshot when the sums are current in it; otherwise catches up
    /// and answers inside that write transaction. Either way the sums and the deals read
    /// beside them are of one moment, after every change committed before the call.
    fn answer<T>(self, f: impl Fn(&Connection, i64) -> Result<T>) -> Result<T> {
        let quick = self.0.read(|c, t| {
            let snapshot = c.begin_read()?;
            if rollup::current(&snapshot, t)? {
                f(&snapshot, t).map(Some)
            } else {
                Ok(None)
            }
        })?;
        match quick {
            Some(answer) => Ok(answer),
            None => self.0.maintain(|tx| {
                rollup::catch_up(tx)?;
                f(tx, tx.tenant)
            }),
        }
    }
}

/// Takes deals that are leaving their table (the trash, erasure) out of the sums, in the
/// transaction that moves them, while their stage history can still be read.
pub(crate) fn forget_deals(tx: &mut crate::store::Tx<'_>, deals: &[i64]) -> Result<()> {
    let tenant = tx.tenant;
    rollup::forget(tx, tenant, deals)
}

/// Counts read from sums, which are never negative when the sums are whole.
fn count(n: i128) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Milliseconds as days.
#[allow(clippy::cast_precision_loss)] // sums of stays are far below 2^52 days' worth
fn days(ms: i128, of: u64) -> Option<f64> {
    (of != 0).then(|| ms as f64 / of as f64 / periods::DAY_MS as f64)
}

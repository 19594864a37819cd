//! `crm report funnel|reps`: the analytics as a table for people, JSON or CSV for scripts.

use crate::client::format::{amounts, percent};
use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use crm_core::Crm;
use crm_core::analytics::{
    Funnel, FunnelRequest, Rate, RepPerformance, RepRequest, RepRow, Timeframe,
};
use crm_core::ids::{PipelineId, TeamId};
use crm_core::money::Money;
use crm_core::time::Timestamp;
use std::io::Write;

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for a person.
    Table,
    /// The API's answer, as JSON.
    Json,
    /// One row per stage or rep, amounts in minor units.
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Where a pipeline's deals drop out: reached, conversion and drop-off, days in stage.
    Funnel {
        /// The pipeline (id); the tenant's first when absent.
        #[arg(long)]
        pipeline: Option<i64>,
        /// Only deals created from this day or moment (UTC: 2026-04-01 or RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Only deals created before this day or moment.
        #[arg(long)]
        to: Option<String>,
        /// The tenant (its key); the first when absent.
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Each rep's deals created, won and lost in a period, beside the period before.
    Reps {
        /// week (ISO, from Monday), month or quarter.
        #[arg(long, default_value = "quarter")]
        timeframe: Timeframe,
        /// A day or moment in the period (UTC); now when absent.
        #[arg(long)]
        at: Option<String>,
        /// Only this pipeline's deals (id).
        #[arg(long)]
        pipeline: Option<i64>,
        /// Only deals owned by this team's members (id).
        #[arg(long)]
        team: Option<i64>,
        /// The tenant (its key); the first when absent.
        #[arg(long)]
        tenant_id: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

impl ReportCommand {
    pub(super) fn output(&self) -> super::common::Output {
        match self {
            ReportCommand::Funnel { format, .. } | ReportCommand::Reps { format, .. }
                if *format == Format::Json =>
            {
                super::common::Output::Json
            }
            _ => super::common::Output::Text,
        }
    }
}

/// A day (`2026-04-01`, midnight UTC) or an RFC 3339 moment.
fn moment(flag: &'static str, text: &str) -> Result<Timestamp> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            super::common::invalid(
                flag,
                format!("{text:?}: give a day (2026-04-01) or an RFC 3339 time"),
            )
        })
}

pub fn run(crm: &Crm, command: ReportCommand, out: &mut impl Write) -> Result<()> {
    let tenant_of = |key: Option<String>| -> Result<String> {
        super::common::tenant_keys(crm, key.as_deref())?
            .into_iter()
            .next()
            .ok_or_else(|| super::common::missing("the database has no tenant yet"))
    };
    match command {
        ReportCommand::Funnel {
            pipeline,
            from,
            to,
            tenant_id,
            format,
        } => {
            let scope = crm.scope(&tenant_of(tenant_id)?, None)?;
            let pipeline = match pipeline {
                Some(id) => PipelineId(id),
                None => match scope
                    .pipelines()
                    .list(crm_core::ListRequest::default())?
                    .items
                    .last()
                {
                    Some(p) => p.id,
                    None => return Err(super::common::missing("the tenant has no pipeline yet")),
                },
            };
            let request = FunnelRequest {
                pipeline_id: pipeline,
                from: from.as_deref().map(|t| moment("--from", t)).transpose()?,
                to: to.as_deref().map(|t| moment("--to", t)).transpose()?,
            };
            let funnel = scope.analytics().funnel(&request)?;
            let name = scope.pipelines().get(pipeline)?.name;
            match format {
                Format::Json => super::common::json_line(out, &funnel)?,
                Format::Csv => funnel_csv(&funnel, out)?,
                Format::Table => funnel_table(&name, &funnel, out)?,
            }
        }
        ReportCommand::Reps {
            timeframe,
            at,
            pipeline,
            team,
            tenant_id,
            format,
        } => {
            let scope = crm.scope(&tenant_of(tenant_id)?, None)?;
            let request = RepRequest {
                timeframe,
                at: at.as_deref().map(|t| moment("--at", t)).transpose()?,
                pipeline_id: pipeline.map(PipelineId),
                team_id: team.map(TeamId),
            };
            let reps = scope.analytics().rep_performance(&request)?;
            match format {
                Format::Json => super::common::json_line(out, &reps)?,
                Format::Csv => reps_csv(&reps, out)?,
                Format::Table => reps_table(&reps, out)?,
            }
        }
    }
    Ok(())
}

fn decimal(rate: Option<Rate>) -> String {
    rate.map_or_else(String::new, |r| r.rate.to_string())
}

fn day(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "…".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn funnel_table(name: &str, f: &Funnel, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "Funnel of {name} (pipeline {}), deals created {} to {}",
        f.pipeline_id,
        day(f.from),
        day(f.to)
    )?;
    writeln!(
        out,
        "{} deals: {} won, {} lost, {} open; overall conversion {}",
        f.deals,
        f.won,
        f.lost,
        f.open,
        percent(f.overall_conversion)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<24} {:>9} {:>9} {:>10} {:>9} {:>10} {:>9} {:>7}",
        "Stage", "Reached", "Current", "To next", "Drop-off", "Lost after", "Avg days", "Exits"
    )?;
    for s in &f.stages {
        writeln!(
            out,
            "{:<24} {:>9} {:>9} {:>10} {:>9} {:>10} {:>9} {:>7}",
            clip(&s.name, 24),
            s.reached,
            s.current,
            percent(s.conversion_to_next),
            percent(s.drop_off),
            s.lost_after,
            s.average_days_in_stage
                .map_or_else(|| "–".into(), |d| format!("{d:.1}")),
            s.exits
        )?;
    }
    Ok(())
}

fn funnel_csv(f: &Funnel, out: &mut impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "stage_id",
        "stage",
        "kind",
        "reached",
        "current",
        "lost_after",
        "conversion_to_next",
        "drop_off",
        "average_days_in_stage",
        "exits",
    ])?;
    for s in &f.stages {
        w.write_record([
            s.stage_id.to_string(),
            s.name.clone(),
            s.kind.as_str().to_owned(),
            s.reached.to_string(),
            s.current.to_string(),
            s.lost_after.to_string(),
            decimal(s.conversion_to_next),
            decimal(s.drop_off),
            s.average_days_in_stage
                .map(|d| d.to_string())
                .unwrap_or_default(),
            s.exits.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

fn reps_table(r: &RepPerformance, out: &mut impl Write) -> Result<()> {
    let span = |p: crm_core::analytics::Period| {
        format!(
            "{} to {}",
            p.from.format("%Y-%m-%d"),
            (p.to - chrono::Duration::days(1)).format("%Y-%m-%d")
        )
    };
    writeln!(
        out,
        "Rep performance, {} {} (before: {})",
        r.timeframe.as_str(),
        span(r.period),
        span(r.previous.period)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<24} {:>8} {:>11} {:>5} {:>9} {:>9} {:>8} {:<20} {:<20}",
        "Rep",
        "Created",
        "Won (±)",
        "Lost",
        "Win rate",
        "Avg days",
        "Per week",
        "Won value",
        "Avg deal"
    )?;
    if r.reps.is_empty() {
        writeln!(out, "(no deals created or closed in the period)")?;
    }
    for rep in &r.reps {
        let before = r.previous.reps.iter().find(|p| p.user_id == rep.user_id);
        let change = i128::from(rep.deals_won) - before.map_or(0, |b| i128::from(b.deals_won));
        writeln!(
            out,
            "{:<24} {:>8} {:>11} {:>5} {:>9} {:>9} {:>8.2} {:<20} {:<20}",
            clip(&rep.name, 24),
            rep.deals_created,
            format!("{} ({change:+})", rep.deals_won),
            rep.deals_lost,
            percent(rep.win_rate),
            rep.average_days_to_close
                .map_or_else(|| "–".into(), |d| format!("{d:.1}")),
            rep.velocity,
            amounts(&rep.won_value),
            amounts(
                &rep.average_deal_size
                    .iter()
                    .map(|a| Money::new(a.amount, a.currency))
                    .collect::<Vec<_>>()
            )
        )?;
    }
    Ok(())
}

fn reps_csv(r: &RepPerformance, out: &mut impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "period",
        "from",
        "to",
        "user_id",
        "name",
        "deals_created",
        "deals_won",
        "deals_lost",
        "win_rate",
        "average_days_to_close",
        "velocity",
        "currency",
        "total_value",
        "won_value",
        "average_deal_size",
    ])?;
    let mut rows =
        |which: &str, period: crm_core::analytics::Period, reps: &[RepRow]| -> Result<()> {
            for rep in reps {
                // One row per currency the rep dealt in (amounts are never summed across them).
                let mut currencies: Vec<_> = rep
                    .total_value
                    .iter()
                    .chain(&rep.won_value)
                    .map(|m| m.currency)
                    .collect();
                currencies.sort_by(|a, b| a.code().cmp(b.code()));
                currencies.dedup();
                for currency in currencies {
                    let of = |list: &[Money]| {
                        list.iter()
                            .find(|m| m.currency == currency)
                            .map(|m| m.amount.to_string())
                            .unwrap_or_default()
                    };
                    w.write_record([
                        which.to_owned(),
                        period
                            .from
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        period
                            .to
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        rep.user_id.to_string(),
                        rep.name.clone(),
                        rep.deals_created.to_string(),
                        rep.deals_won.to_string(),
                        rep.deals_lost.to_string(),
                        decimal(rep.win_rate),
                        rep.average_days_to_close
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        rep.velocity.to_string(),
                        currency.code().to_owned(),
                        of(&rep.total_value),
                        of(&rep.won_value),
                        rep.average_deal_size
                            .iter()
                            .find(|a| a.currency == currency)
                            .map(|a| a.amount.to_string())
                            .unwrap_or_default(),
                    ])?;
                }
            }
            Ok(())
        };
    rows("current", r.period, &r.reps)?;
    rows("previous", r.previous.period, &r.previous.reps)?;
    w.flush()?;
    Ok(())
}

//! `deals.board` and `deals.boardColumn`: a pipeline's deals as a column per stage, each with
//! the count and value totals of every deal in it and a page of cards.
//!
//! Without a `where`, counts and totals come from `board_totals`, which triggers keep in the
//! transaction of every write to a deal (exact at each commit, read in time proportional to
//! the stages); with one, the matching deals are summed. Cards are pages of the column by
//! keyset, like every list, under a cursor bound to their column.

use super::{Deal, FIELDS, Stage, StageKind, stages_of};
use crate::error::{Error, Result};
use crate::ids::{PipelineId, StageId};
use crate::money::{Currency, Money};
use crate::records::{Direction, Listing, Order, Page, PageRequest, Record, Sort};
use crate::sql::Value;
use crate::sql::{Connection, OptionalExtension, params};
use crate::tenancy::Scope;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Cards per column when the request does not say.
pub const PER_COLUMN: u32 = 20;
/// Most cards per column a board request may ask for.
pub const MAX_PER_COLUMN: u32 = 200;

/// What `deals.board` takes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BoardRequest {
    /// The pipeline shown.
    pub pipeline_id: PipelineId,
    /// Only the deals these criteria hold for (the deals' own fields), in cards, counts and
    /// totals alike.
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The cards' order in every column; newest activity (the deal's last change) first when
    /// absent.
    #[serde(default)]
    pub sort: Option<Sort>,
    /// Cards in each column's first page: 1 to [`MAX_PER_COLUMN`], [`PER_COLUMN`] when absent.
    #[serde(default)]
    pub per_column: Option<u32>,
}

/// What `deals.boardColumn` takes: the next (or previous) page of one column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ColumnRequest {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// The column: a stage of the pipeline.
    pub stage_id: StageId,
    /// Criteria over deals' fields, as the board was asked with.
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order of the cards, as the board was asked with.
    #[serde(default)]
    pub sort: Option<Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    #[serde(default)]
    pub limit: Option<u32>,
    /// A `nextCursor` or `prevCursor` of this column (with the same sort); the first page
    /// when absent.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A pipeline's board: its stages in position order, won and lost last.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    /// The pipeline shown.
    pub pipeline_id: PipelineId,
    /// One column per stage.
    pub columns: Vec<Column>,
}

/// One stage of a board.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// The stage.
    pub stage_id: StageId,
    /// The stage's name.
    pub name: String,
    /// Whether deals in it are open, won or lost.
    pub kind: StageKind,
    /// How likely a deal in it is to be won, 0 to 100.
    pub probability: u8,
    /// Deals in the column (matching `where`), not only those returned.
    pub count: u64,
    /// Their value, per currency in code order.
    pub totals: Vec<Money>,
    /// The first page of cards.
    pub items: Vec<Card>,
    /// Pass to `deals.boardColumn` for the next page; `None` when every card is here.
    pub next_cursor: Option<String>,
}

/// A deal as a card shows it: the deal, with its customer's and owner's names and when it
/// entered its stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    /// The deal.
    #[serde(flatten)]
    pub deal: Deal,
    /// Its customer's name, if it has a customer.
    pub customer_name: Option<String>,
    /// Its owner's name, if it has an owner.
    pub owner_name: Option<String>,
    /// When the deal entered the stage it is in (its last stage change).
    #[serde(with = "time::rfc3339")]
    pub in_stage_since: Timestamp,
}

/// The order of a board's cards: the request's sort, newest activity first by default.
fn order(sort: Option<&Sort>) -> Result<Order> {
    let newest = Sort::new("updatedAt", Direction::Desc);
    Order::read(Some(sort.unwrap_or(&newest)), FIELDS)
}

/// The stages of `pipeline` as a board orders them: by position, won then lost last.
fn columns_of(c: &Connection, tenant: i64, pipeline: PipelineId) -> Result<Vec<Stage>> {
    let exists: Option<i64> = c
        .prepare_cached("SELECT 1 FROM pipelines WHERE tenant_id = ?1 AND id = ?2")?
        .query_row(params![tenant, pipeline], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        return Err(Error::not_found("pipeline", pipeline));
    }
    let mut stages = stages_of(c, tenant, pipeline)?;
    stages.sort_by_key(|s| match s.kind {
        StageKind::Open => 0,
        StageKind::Won => 1,
        StageKind::Lost => 2,
    });
    Ok(stages)
}

/// The cursor name of one column, so a cursor of another column (or list) is refused.
fn column_name(pipeline: PipelineId, stage: StageId) -> String {
    format!("deals.board {pipeline} {stage}")
}

/// One page of a column's cards.
fn cards(
    c: &Connection,
    tenant: i64,
    pipeline: PipelineId,
    stage: StageId,
    test: &crate::criteria::Where,
    order: &Order,
    page: &PageRequest,
) -> Result<Page<Card>> {
    let name = column_name(pipeline, stage);
    let listing = Listing::of::<Deal>(&name)?;
    let filters = vec![
        ("pipeline_id", Some(Value::Integer(pipeline.0))),
        ("stage_id", Some(Value::Integer(stage.0))),
    ];
    let deals = listing.page(
        c,
        tenant,
        filters,
        order,
        page,
        |p| test.sql(p),
        Deal::from_row,
    )?;
    let items = deals
        .items
        .into_iter()
        .map(|deal| card(c, tenant, deal))
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        next_cursor: deals.next_cursor,
        prev_cursor: deals.prev_cursor,
    })
}

fn card(c: &Connection, tenant: i64, deal: Deal) -> Result<Card> {
    let name = |sql: &str, id: Option<i64>| -> Result<Option<String>> {
        match id {
            None => Ok(None),
            Some(id) => Ok(c
                .prepare_cached(sql)?
                .query_row(params![tenant, id], |r| r.get(0))
                .optional()?),
        }
    };
    let customer_name = name(
        "SELECT name FROM customers WHERE tenant_id = ?1 AND id = ?2",
        deal.customer_id.map(|i| i.0),
    )?;
    let owner_name = name(
        "SELECT name FROM users WHERE tenant_id = ?1 AND id = ?2",
        deal.owner_id.map(|i| i.0),
    )?;
    let since: Option<i64> = c
        .prepare_cached(
            "SELECT MAX(at) FROM deal_stage_history WHERE tenant_id = ?1 AND deal_id = ?2",
        )?
        .query_row(params![tenant, deal.id], |r| r.get(0))?;
    let in_stage_since = since.map_or(deal.created_at, time::from_millis);
    Ok(Card {
        deal,
        customer_name,
        owner_name,
        in_stage_since,
    })
}

/// Count and totals per column: from the kept sums, or summed over the deals `test` holds for.
fn sums(
    c: &Connection,
    tenant: i64,
    pipeline: PipelineId,
    test: &crate::criteria::Where,
) -> Result<BTreeMap<i64, (u64, Vec<Money>)>> {
    let mut args: Vec<Value> = vec![Value::Integer(tenant), Value::Integer(pipeline.0)];
    let test = test.sql(&mut args)?;
    let sql = if test == "TRUE" {
        "SELECT stage_id, currency, deals, value FROM board_totals
          WHERE tenant_id = ?1 AND pipeline_id = ?2 AND deals > 0
          ORDER BY stage_id, currency"
            .to_owned()
    } else {
        format!(
            "SELECT stage_id, currency, COUNT(*), CAST(SUM(value) AS BIGINT) FROM deals
              WHERE tenant_id = ?1 AND pipeline_id = ?2 AND {test}
              GROUP BY stage_id, currency ORDER BY stage_id, currency"
        )
    };
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(&args, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Value>(3)?,
        ))
    })?;
    let mut sums: BTreeMap<i64, (u64, Vec<Money>)> = BTreeMap::new();
    for row in rows {
        let (stage, currency, count, value) = row?;
        // A sum past what 64 bits hold became a real number in SQLite: say so, never round.
        let Value::Integer(amount) = value else {
            return Err(Error::Internal(format!(
                "the {currency} value of stage {stage}'s deals is past what a total can hold"
            )));
        };
        let entry = sums.entry(stage).or_default();
        entry.0 += u64::try_from(count).unwrap_or(0);
        entry
            .1
            .push(Money::new(amount, Currency::parse("currency", &currency)?));
    }
    Ok(sums)
}

/// `deals.*` as a board.
impl super::Deals<'_, '_> {
    /// The pipeline's board: every stage's count and totals and its first cards.
    pub fn board(&self, request: &BoardRequest) -> Result<Board> {
        let test = crate::criteria::Where::read(request.r#where.as_ref(), FIELDS, "deals")?;
        let order = order(request.sort.as_ref())?;
        let per_column = match request.per_column {
            None => PER_COLUMN,
            Some(n @ 1..=MAX_PER_COLUMN) => n,
            Some(n) => {
                return Err(Error::invalid(
                    "perColumn",
                    format!("must be between 1 and {MAX_PER_COLUMN}, got {n}"),
                ));
            }
        };
        let scope: &Scope<'_> = self.0;
        scope.read(|c, t| {
            let stages = columns_of(c, t, request.pipeline_id)?;
            let mut sums = sums(c, t, request.pipeline_id, &test)?;
            let page = PageRequest {
                limit: Some(per_column),
                cursor: None,
            };
            let columns = stages
                .into_iter()
                .map(|stage| {
                    let (count, totals) = sums.remove(&stage.id.0).unwrap_or_default();
                    let cards = if count == 0 {
                        Page {
                            items: Vec::new(),
                            next_cursor: None,
                            prev_cursor: None,
                        }
                    } else {
                        cards(c, t, request.pipeline_id, stage.id, &test, &order, &page)?
                    };
                    Ok(Column {
                        stage_id: stage.id,
                        name: stage.name,
                        kind: stage.kind,
                        probability: stage.probability,
                        count,
                        totals,
                        items: cards.items,
                        next_cursor: cards.next_cursor,
                    })
                })
                .collect::<Result<_>>()?;
            Ok(Board {
                pipeline_id: request.pipeline_id,
                columns,
            })
        })
    }

    /// A page of one column's cards.
    pub fn board_column(&self, request: &ColumnRequest) -> Result<Page<Card>> {
        let test = crate::criteria::Where::read(request.r#where.as_ref(), FIELDS, "deals")?;
        let order = order(request.sort.as_ref())?;
        let page = PageRequest {
            limit: request.limit,
            cursor: request.cursor.clone(),
        };
        self.0.read(|c, t| {
            let stages = columns_of(c, t, request.pipeline_id)?;
            if !stages.iter().any(|s| s.id == request.stage_id) {
                return Err(Error::invalid(
                    "stageId",
                    format!(
                        "stage {} is not a stage of pipeline {}",
                        request.stage_id, request.pipeline_id
                    ),
                ));
            }
            cards(
                c,
                t,
                request.pipeline_id,
                request.stage_id,
                &test,
                &order,
                &page,
            )
        })
    }
}

/// What [`Boards::verify`] found: the kept column sums against the deals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardCheck {
    /// (pipeline, stage, currency) sums kept.
    pub sums: u64,
    /// Those that differ from the deals', and those the deals have that are not kept.
    pub wrong: u64,
}

impl BoardCheck {
    /// Whether every column sum matches the deals.
    pub fn consistent(&self) -> bool {
        self.wrong == 0
    }
}

/// The kept sums of a tenant's boards: checked and rebuilt by `crm check`.
#[derive(Debug, Clone, Copy)]
pub struct Boards<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// The kept sums behind this tenant's deal boards.
    pub fn boards(&self) -> Boards<'_, 'c> {
        Boards(self)
    }
}

/// The (pipeline, stage, currency) columns whose kept sum differs from the deals' — kept but
/// wrong, kept but not the deals', or the deals' but not kept (a column emptied keeps a row of
/// zeros, which is no sum).
const DIFFERENCES: &str = "
    SELECT COUNT(*) FROM (SELECT DISTINCT pipeline_id, stage_id, currency FROM (
        SELECT pipeline_id, stage_id, currency, deals, value FROM board_totals
         WHERE tenant_id = ?1 AND (deals <> 0 OR value <> 0)
        EXCEPT
        SELECT pipeline_id, stage_id, currency, COUNT(*), SUM(value) FROM deals
         WHERE tenant_id = ?1 GROUP BY pipeline_id, stage_id, currency
        UNION ALL
        SELECT * FROM (
            SELECT pipeline_id, stage_id, currency, COUNT(*), SUM(value) FROM deals
             WHERE tenant_id = ?1 GROUP BY pipeline_id, stage_id, currency
            EXCEPT
            SELECT pipeline_id, stage_id, currency, deals, value FROM board_totals
             WHERE tenant_id = ?1 AND (deals <> 0 OR value <> 0)) AS missing) AS differing) AS columns";

fn verify(c: &Connection, tenant: i64) -> Result<BoardCheck> {
    let wrong: i64 = c.query_row(DIFFERENCES, params![tenant], |r| r.get(0))?;
    let sums: i64 = c.query_row(
        "SELECT COUNT(*) FROM board_totals WHERE tenant_id = ?1 AND (deals <> 0 OR value <> 0)",
        params![tenant],
        |r| r.get(0),
    )?;
    Ok(BoardCheck {
        sums: u64::try_from(sums).unwrap_or(0),
        wrong: u64::try_from(wrong).unwrap_or(0),
    })
}

impl Boards<'_, '_> {
    /// Compares the kept sums with the deals.
    pub fn verify(&self) -> Result<BoardCheck> {
        self.0.read(verify)
    }

    /// Sums every column again from the deals (admin only); returns the check made before, so
    /// the caller sees what was repaired.
    pub fn rebuild(&self) -> Result<BoardCheck> {
        self.0.write_as_admin("rebuilding board totals", |tx| {
            let before = verify(tx, tx.tenant)?;
            tx.execute(
                "DELETE FROM board_totals WHERE tenant_id = ?1",
                params![tx.tenant],
            )?;
            tx.execute(
                "INSERT INTO board_totals (tenant_id, pipeline_id, stage_id, currency, deals, value)
                 SELECT tenant_id, pipeline_id, stage_id, currency, COUNT(*), SUM(value)
                   FROM deals WHERE tenant_id = ?1
                  GROUP BY pipeline_id, stage_id, currency",
                params![tx.tenant],
            )?;
            Ok(before)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Crm;
    use crate::records::Bound;

    /// The README says a column page by `updatedAt` or `value` is one range of an index: every
    /// step of either sort, either way, reads `deals_board_*` and sorts nothing.
    #[test]
    fn a_column_page_by_activity_or_value_is_a_range_of_a_board_index() {
        let crm = Crm::open_in_memory().unwrap();
        let listing = Listing::of::<Deal>("deals.board 1 1").unwrap();
        crm.with_writer(|conn| {
            for field in ["updatedAt", "value"] {
                for direction in [Direction::Asc, Direction::Desc] {
                    let order = Order::read(Some(&Sort::new(field, direction)), FIELDS)?;
                    let key = serde_json::Value::from(5);
                    for bound in [
                        Bound::None,
                        Bound::SameKey(key.clone(), 7),
                        Bound::KeyBeyond(key),
                    ] {
                        for desc in [false, true] {
                            let mut args =
                                vec![Value::Integer(1), Value::Integer(1), Value::Integer(1)];
                            let sql = listing.part_sql(
                                " WHERE tenant_id = ?1 AND pipeline_id = ?2 AND stage_id = ?3",
                                &order,
                                0,
                                &bound,
                                desc,
                                &mut args,
                            );
                            let plan: Vec<String> = conn
                                .prepare(&format!("EXPLAIN QUERY PLAN {sql} LIMIT 21"))?
                                .query_map(&args, |r| r.get::<_, String>(3))?
                                .collect::<Result<_>>()?;
                            let plan = plan.join("; ");
                            assert!(
                                plan.contains("USING INDEX deals_board_")
                                    && !plan.contains("TEMP B-TREE"),
                                "{field} {direction:?} {bound:?} desc={desc}: {plan}"
                            );
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    }
}

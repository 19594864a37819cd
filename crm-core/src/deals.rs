//! Pipelines with their stages, deals, and each deal's stage history; `board`: deals as a
//! column per stage.

pub mod board;

use crate::activities::{self, ActivityEntity, ActivityKind, NewActivity};
use crate::catalog::{self, Field, FieldType, RecordKind};
use crate::customers::Customer;
use crate::error::{Error, Result};
use crate::ids::{CustomerId, DealId, LeadId, PipelineId, StageId, UserId};
use crate::leads::Lead;
use crate::methods;
use crate::records::{self, ListRequest, Page, PageRequest, Record, id_value, string_enum, table};
use crate::sql::Value;
use crate::sql::{Connection, Row, params};
use crate::store::{EntityType, Tx, WriteCtx};
use crate::tenancy::{Scope, User};
use crate::time::{self, Timestamp};
use crate::validate;
use serde::{Deserialize, Serialize};

/// Most stages a pipeline may have.
pub const MAX_STAGES: usize = 50;

string_enum! {
    /// Whether a stage keeps a deal open or closes it.
    StageKind {
        /// Deals in it are open.
        Open = "open",
        /// Deals in it are won.
        Won = "won",
        /// Deals in it are lost.
        Lost = "lost",
    }
}

string_enum! {
    /// Where a deal stands; follows the kind of its stage.
    DealStatus {
        /// Still being worked.
        Open = "open",
        /// Won.
        Won = "won",
        /// Lost.
        Lost = "lost",
    }
}

impl From<StageKind> for DealStatus {
    fn from(kind: StageKind) -> Self {
        match kind {
            StageKind::Open => DealStatus::Open,
            StageKind::Won => DealStatus::Won,
            StageKind::Lost => DealStatus::Lost,
        }
    }
}

/// A stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    /// Its id, counted per tenant.
    pub id: StageId,
    /// The stage's name.
    pub name: String,
    /// Order within the pipeline, ascending.
    pub position: i64,
    /// Chance of winning a deal in this stage, 0 to 100.
    pub probability: u8,
    /// Whether deals in it are open, won or lost.
    pub kind: StageKind,
}

/// A sales pipeline: an ordered list of stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    /// Its id, counted per tenant.
    pub id: PipelineId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The pipeline's name.
    pub name: String,
    /// Its stages, in position order.
    pub stages: Vec<Stage>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// The fields of a pipeline (its stages are a list of their own).
pub const PIPELINE_FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Pipeline),
    catalog::EXTERNAL_ID,
    Field::new("name", "name", FieldType::Text, "Name").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Pipeline {
    const ENTITY: EntityType = EntityType::Pipeline;
    table!(
        "pipelines",
        ["id", "external_id", "name", "created_at", "updated_at"]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Pipeline {
            id: row.get(0)?,
            external_id: row.get(1)?,
            name: row.get(2)?,
            stages: Vec::new(),
            created_at: time::from_millis(row.get(3)?),
            updated_at: time::from_millis(row.get(4)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.name,
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at)
        ])
    }
}

/// A stage of a new pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewStage {
    /// The stage's name.
    pub name: String,
    /// The stage's index in `stages` when absent.
    #[serde(default)]
    pub position: Option<i64>,
    /// How likely a deal in it is to be won, 0 to 100.
    pub probability: i64,
    /// Whether deals in it are open, won or lost.
    pub kind: StageKind,
}

/// What `pipelines.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPipeline {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The pipeline's name (not empty).
    pub name: String,
    /// At least one, and at least one of kind `open`.
    pub stages: Vec<NewStage>,
}

/// What `pipelines.addStage` takes: a stage added to a pipeline that has deals already.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddStage {
    /// The pipeline the stage is added to.
    pub pipeline_id: PipelineId,
    /// The stage's name.
    pub name: String,
    /// After the last stage when absent.
    #[serde(default)]
    pub position: Option<i64>,
    /// How likely a deal in it is to be won, 0 to 100.
    pub probability: i64,
    /// Whether deals in it are open, won or lost.
    pub kind: StageKind,
}

/// A deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deal {
    /// Its id, counted per tenant.
    pub id: DealId,
    /// Its id in another system, unique per tenant and kind; `get` finds the record by it too.
    pub external_id: Option<String>,
    /// The pipeline it belongs to.
    pub pipeline_id: PipelineId,
    /// The stage it belongs to.
    pub stage_id: StageId,
    /// The customer it belongs to, if any.
    pub customer_id: Option<CustomerId>,
    /// The lead it belongs to, if any.
    pub lead_id: Option<LeadId>,
    /// What is being sold, in words.
    pub title: String,
    /// In minor units of `currency`.
    pub value: i64,
    /// The currency of `value` (ISO 4217).
    pub currency: String,
    /// The owning user it belongs to, if any.
    pub owner_id: Option<UserId>,
    /// Open, won or lost: the kind of its stage.
    pub status: DealStatus,
    /// When it is expected to close, if anyone said.
    #[serde(with = "time::rfc3339::option")]
    pub expected_close_at: Option<Timestamp>,
    /// When it was won or lost.
    #[serde(with = "time::rfc3339::option")]
    pub closed_at: Option<Timestamp>,
    /// When it was created: as imported, or the moment of the write.
    #[serde(with = "time::rfc3339")]
    pub created_at: Timestamp,
    /// When it last changed.
    #[serde(with = "time::rfc3339")]
    pub updated_at: Timestamp,
}

/// This kind's search document (`search`'s columns: tenant, id, title, body, ticket status,
/// ticket priority, conversation status, channel, team), `x` being the row; kept beside the
/// record so that a new column is searchable by a change here alone.
pub(crate) const SEARCH_DOCUMENT: &str =
    "SELECT x.tenant_id, x.id, x.title, concat_ws(' ', c.name, s.name),
                        NULL, NULL, NULL, NULL, NULL
                   FROM deals x
                   LEFT JOIN customers c ON c.tenant_id = x.tenant_id AND c.id = x.customer_id
                   LEFT JOIN stages s ON s.tenant_id = x.tenant_id AND s.id = x.stage_id";

/// The fields of a deal, as filters, sorts, list columns and imports read them.
pub const FIELDS: &[Field] = &[
    catalog::id_field(RecordKind::Deal),
    catalog::EXTERNAL_ID,
    Field::new("pipelineId", "pipeline_id", FieldType::Id, "Pipeline").refers(RecordKind::Pipeline),
    Field::new("stageId", "stage_id", FieldType::Id, "Stage")
        .sortable()
        .refers(RecordKind::Stage),
    Field::new("customerId", "customer_id", FieldType::Id, "Customer").refers(RecordKind::Customer),
    Field::new("leadId", "lead_id", FieldType::Id, "Lead").refers(RecordKind::Lead),
    Field::new("title", "title", FieldType::Text, "Title").sortable(),
    Field::new("value", "value", FieldType::Money, "Value").sortable(),
    Field::new("currency", "currency", FieldType::Text, "Currency").sortable(),
    Field::new("ownerId", "owner_id", FieldType::Id, "Owner")
        .sortable()
        .refers(RecordKind::User),
    Field::new("status", "status", FieldType::Enum, "Status")
        .sortable()
        .values(DealStatus::NAMES),
    Field::new(
        "expectedCloseAt",
        "expected_close_at",
        FieldType::Time,
        "Expected close",
    )
    .sortable(),
    Field::new("closedAt", "closed_at", FieldType::Time, "Closed").sortable(),
    catalog::CREATED_AT,
    catalog::UPDATED_AT,
];

impl Record for Deal {
    const ENTITY: EntityType = EntityType::Deal;
    table!(
        "deals",
        [
            "id",
            "external_id",
            "pipeline_id",
            "stage_id",
            "customer_id",
            "lead_id",
            "title",
            "value",
            "currency",
            "owner_id",
            "status",
            "expected_close_at",
            "closed_at",
            "created_at",
            "updated_at"
        ]
    );

    fn id(&self) -> i64 {
        self.id.0
    }
    fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Deal {
            id: row.get(0)?,
            external_id: row.get(1)?,
            pipeline_id: row.get(2)?,
            stage_id: row.get(3)?,
            customer_id: row.get(4)?,
            lead_id: row.get(5)?,
            title: row.get(6)?,
            value: row.get(7)?,
            currency: row.get(8)?,
            owner_id: row.get(9)?,
            status: row.get(10)?,
            expected_close_at: row.get::<_, Option<i64>>(11)?.map(time::from_millis),
            closed_at: row.get::<_, Option<i64>>(12)?.map(time::from_millis),
            created_at: time::from_millis(row.get(13)?),
            updated_at: time::from_millis(row.get(14)?),
        })
    }
    fn write(&self, stmt: &mut crate::sql::Statement<'_>, ctx: &WriteCtx<'_>) -> Result<usize> {
        stmt.execute(params![
            ctx.tenant,
            self.id,
            self.external_id,
            self.pipeline_id,
            self.stage_id,
            self.customer_id,
            self.lead_id,
            self.title,
            self.value,
            self.currency,
            self.owner_id,
            self.status,
            self.expected_close_at.map(time::to_millis),
            self.closed_at.map(time::to_millis),
            time::to_millis(self.created_at),
            time::to_millis(self.updated_at),
        ])
    }
}

/// What `deals.create` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDeal {
    /// An id from another system, unique per tenant and kind.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The pipeline it belongs to (of this tenant).
    pub pipeline_id: PipelineId,
    /// The pipeline's first open stage when absent.
    #[serde(default)]
    pub stage_id: Option<StageId>,
    /// The customer it belongs to (of this tenant), if any.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// The lead it belongs to (of this tenant), if any.
    #[serde(default)]
    pub lead_id: Option<LeadId>,
    /// What is being sold, in words (not empty).
    pub title: String,
    /// Minor units, at least 0.
    pub value: i64,
    /// The currency of `value` (ISO 4217).
    pub currency: String,
    /// The owning user it belongs to (of this tenant), if any.
    #[serde(default)]
    pub owner_id: Option<UserId>,
    /// When it is expected to close.
    #[serde(default, with = "time::rfc3339::option")]
    pub expected_close_at: Option<Timestamp>,
    /// When it was created, for history brought in from elsewhere; the moment of the write when
    /// absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub created_at: Option<Timestamp>,
    /// When a deal created in a won or lost stage closed (an imported history): `createdAt`
    /// when absent; refused for an open stage and before `createdAt`.
    #[serde(default, with = "time::rfc3339::option")]
    pub closed_at: Option<Timestamp>,
}

/// What `deals.update` takes: `id` and the fields to change (`null` clears). Stages change only
/// through `deals.moveStage`, so that every change is in the stage history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DealChanges {
    /// The deal to change.
    pub id: Option<DealId>,
    /// The new `externalId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub external_id: Option<Option<String>>,
    /// The new `customerId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub customer_id: Option<Option<CustomerId>>,
    /// The new `leadId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub lead_id: Option<Option<LeadId>>,
    /// The new `title`; absent leaves it.
    pub title: Option<String>,
    /// The new `value`; absent leaves it.
    pub value: Option<i64>,
    /// The new `currency`; absent leaves it.
    pub currency: Option<String>,
    /// The new `ownerId`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub owner_id: Option<Option<UserId>>,
    /// The new `expectedCloseAt`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "time::rfc3339::patch::deserialize")]
    pub expected_close_at: Option<Option<Timestamp>>,
}

/// Filters of `deals.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DealFilter {
    /// Only those whose `status` is this.
    pub status: Option<DealStatus>,
    /// Only those of this pipeline.
    pub pipeline_id: Option<PipelineId>,
    /// Only those of this stage.
    pub stage_id: Option<StageId>,
    /// Only those of this owning user.
    pub owner_id: Option<UserId>,
    /// Only those of this customer.
    pub customer_id: Option<CustomerId>,
    /// Only those of this lead.
    pub lead_id: Option<LeadId>,
    /// Only the records these criteria hold for, over the kind's own fields (API.md
    /// "Criteria"; `schema.fields` lists them).
    #[serde(default)]
    pub r#where: Option<serde_json::Value>,
    /// The order: a field the catalog marks sortable and a direction (newest first when
    /// absent).
    #[serde(default)]
    pub sort: Option<crate::records::Sort>,
    /// How many items a page holds: 50 when absent, at most 500.
    pub limit: Option<u32>,
    /// Where the page starts: an earlier page's `nextCursor` or `prevCursor`; the first page when
    /// absent.
    pub cursor: Option<String>,
}

/// What `deals.moveStage` takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveStage {
    /// The deal to move.
    pub deal_id: DealId,
    /// The stage it moves to, of its own pipeline.
    pub stage_id: StageId,
    /// When it moved, for history brought in from elsewhere; the moment of the write when absent.
    #[serde(default, with = "time::rfc3339::option")]
    pub at: Option<Timestamp>,
}

/// One entry of a deal's stage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageChange {
    /// The deal.
    pub deal_id: DealId,
    /// The stage it left (none for the stage it was created in).
    pub from_stage_id: Option<StageId>,
    /// The stage it entered.
    pub to_stage_id: StageId,
    /// The user who moved it.
    pub actor_id: Option<UserId>,
    /// When it moved.
    #[serde(with = "time::rfc3339")]
    pub at: Timestamp,
}

fn stages_of(c: &Connection, tenant: i64, pipeline: PipelineId) -> Result<Vec<Stage>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, name, position, probability, kind FROM stages
         WHERE tenant_id = ?1 AND pipeline_id = ?2 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![tenant, pipeline], |r| {
        Ok(Stage {
            id: r.get(0)?,
            name: r.get(1)?,
            position: r.get(2)?,
            probability: r.get(3)?,
            kind: r.get(4)?,
        })
    })?;
    rows.collect::<Result<_, _>>()
}

pub(crate) fn pipeline_with_stages(
    c: &Connection,
    tenant: i64,
    id: PipelineId,
) -> Result<Pipeline> {
    let mut pipeline: Pipeline = records::get(c, tenant, id.0)?;
    pipeline.stages = stages_of(c, tenant, id)?;
    Ok(pipeline)
}

pub(crate) fn create_pipeline(tx: &mut Tx<'_>, new: NewPipeline) -> Result<Pipeline> {
    let name = validate::name("name", &new.name)?;
    let external_id = validate::external_id(new.external_id)?;
    if new.stages.is_empty() || new.stages.len() > MAX_STAGES {
        return Err(Error::invalid(
            "stages",
            format!("a pipeline has 1 to {MAX_STAGES} stages"),
        ));
    }
    if !new.stages.iter().any(|s| s.kind == StageKind::Open) {
        return Err(Error::invalid(
            "stages",
            "a pipeline needs at least one open stage",
        ));
    }
    let mut stages: Vec<Stage> = Vec::with_capacity(new.stages.len());
    for (i, stage) in new.stages.into_iter().enumerate() {
        let stage = Stage {
            id: StageId(0),
            name: validate::name(&format!("stages[{i}].name"), &stage.name)?,
            position: stage.position.unwrap_or(i as i64),
            probability: validate::percent(&format!("stages[{i}].probability"), stage.probability)?,
            kind: stage.kind,
        };
        if stages.iter().any(|s| s.position == stage.position) {
            return Err(Error::invalid(
                format!("stages[{i}].position"),
                format!("position {} is used twice", stage.position),
            ));
        }
        if stages
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(&stage.name))
        {
            return Err(Error::invalid(
                format!("stages[{i}].name"),
                format!("stage {:?} is named twice", stage.name),
            ));
        }
        stages.push(stage);
    }
    stages.sort_by_key(|s| s.position);
    let mut pipeline = Pipeline {
        id: PipelineId(tx.next_id(RecordKind::Pipeline)?),
        external_id,
        name,
        stages: Vec::new(),
        created_at: tx.now,
        updated_at: tx.now,
    };
    for stage in &mut stages {
        stage.id = StageId(tx.next_id(RecordKind::Stage)?);
    }
    pipeline.stages = stages;
    // The pipeline row first: stages reference it.
    tx.insert(methods::PIPELINES_CREATE, &pipeline)?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO stages (tenant_id, id, pipeline_id, name, position, probability, kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for s in &pipeline.stages {
            stmt.execute(params![
                tx.tenant,
                s.id,
                pipeline.id,
                s.name,
                s.position,
                s.probability,
                s.kind
            ])?;
        }
    }
    Ok(pipeline)
}

fn add_stage(tx: &mut Tx<'_>, add: &AddStage) -> Result<Pipeline> {
    let before = pipeline_with_stages(tx, tx.tenant, add.pipeline_id)?;
    if before.stages.len() >= MAX_STAGES {
        return Err(Error::invalid(
            "pipelineId",
            format!(
                "pipeline {} has {MAX_STAGES} stages, the most a pipeline may have",
                before.id
            ),
        ));
    }
    let name = validate::name("name", &add.name)?;
    if let Some(taken) = before
        .stages
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(&name))
    {
        return Err(Error::conflict_on(
            "name",
            format!("the pipeline has a stage named {:?} already", taken.name),
        ));
    }
    let last = before.stages.iter().map(|s| s.position).max().unwrap_or(-1);
    let position = add.position.unwrap_or(last.saturating_add(1));
    if before.stages.iter().any(|s| s.position == position) {
        return Err(Error::conflict_on(
            "position",
            format!("the pipeline has a stage at position {position} already"),
        ));
    }
    let stage = Stage {
        id: StageId(tx.next_id(RecordKind::Stage)?),
        name,
        position,
        probability: validate::percent("probability", add.probability)?,
        kind: add.kind,
    };
    tx.prepare_cached(
        "INSERT INTO stages (tenant_id, id, pipeline_id, name, position, probability, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        tx.tenant,
        stage.id,
        before.id,
        stage.name,
        stage.position,
        stage.probability,
        stage.kind
    ])?;
    let mut after = before.clone();
    after.stages.push(stage);
    after.stages.sort_by_key(|s| s.position);
    after.updated_at = tx.now;
    tx.replace(methods::PIPELINES_ADD_STAGE, &before, &after)?;
    Ok(after)
}

fn stage_in(tx: &Tx<'_>, pipeline: PipelineId, stage: StageId) -> Result<Stage> {
    stages_of(tx, tx.tenant, pipeline)?
        .into_iter()
        .find(|s| s.id == stage)
        .ok_or_else(|| {
            Error::invalid(
                "stageId",
                format!("stage {stage} is not a stage of pipeline {pipeline}"),
            )
        })
}

fn check_refs(tx: &Tx<'_>, deal: &Deal) -> Result<()> {
    if let Some(id) = deal.customer_id {
        tx.require::<Customer>("customerId", id.0)?;
    }
    if let Some(id) = deal.lead_id {
        tx.require::<Lead>("leadId", id.0)?;
    }
    if let Some(id) = deal.owner_id {
        tx.require::<User>("ownerId", id.0)?;
    }
    Ok(())
}

fn value(v: i64) -> Result<i64> {
    if v < 0 {
        return Err(Error::invalid(
            "value",
            format!("must be at least 0, got {v}"),
        ));
    }
    Ok(v)
}

pub(crate) fn create_deal(tx: &mut Tx<'_>, new: NewDeal) -> Result<Deal> {
    tx.require::<Pipeline>("pipelineId", new.pipeline_id.0)?;
    let stage = match new.stage_id {
        Some(id) => stage_in(tx, new.pipeline_id, id)?,
        None => stages_of(tx, tx.tenant, new.pipeline_id)?
            .into_iter()
            .find(|s| s.kind == StageKind::Open)
            .ok_or_else(|| Error::invalid("stageId", "the pipeline has no open stage"))?,
    };
    let at = time::given("createdAt", new.created_at, tx.now)?;
    let status = DealStatus::from(stage.kind);
    let closed_at = match (status, time::check_opt("closedAt", new.closed_at)?) {
        (DealStatus::Open, Some(_)) => {
            return Err(Error::invalid(
                "closedAt",
                format!(
                    "stage {:?} is open: an open deal has not closed",
                    stage.name
                ),
            ));
        }
        (DealStatus::Open, None) => None,
        (_, Some(closed)) if closed < at => {
            return Err(Error::invalid("closedAt", "before createdAt"));
        }
        (_, closed) => Some(closed.unwrap_or(at)),
    };
    let deal = Deal {
        id: DealId(0),
        external_id: validate::external_id(new.external_id)?,
        pipeline_id: new.pipeline_id,
        stage_id: stage.id,
        customer_id: new.customer_id,
        lead_id: new.lead_id,
        title: validate::name("title", &new.title)?,
        value: value(new.value)?,
        currency: validate::currency("currency", &new.currency)?,
        owner_id: new.owner_id,
        status,
        expected_close_at: time::check_opt("expectedCloseAt", new.expected_close_at)?,
        closed_at,
        created_at: at,
        updated_at: at,
    };
    check_refs(tx, &deal)?;
    let deal = Deal {
        id: DealId(tx.next_id(RecordKind::Deal)?),
        ..deal
    };
    tx.insert(methods::DEALS_CREATE, &deal)?;
    add_history(tx, deal.id, None, stage.id, at)?;
    Ok(deal)
}

fn add_history(
    tx: &mut Tx<'_>,
    deal: DealId,
    from: Option<StageId>,
    to: StageId,
    at: Timestamp,
) -> Result<()> {
    let id = tx.next_id(RecordKind::StageChange)?;
    tx.prepare_cached(
        "INSERT INTO deal_stage_history (tenant_id, id, deal_id, from_stage_id, to_stage_id, actor_id, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![tx.tenant, id, deal, from, to, tx.actor, time::to_millis(at)])?;
    Ok(())
}

pub(crate) fn update_deal(tx: &mut Tx<'_>, changes: DealChanges) -> Result<Deal> {
    let id = changes.id.ok_or_else(|| Error::invalid("id", "required"))?;
    let before: Deal = records::get(tx, tx.tenant, id.0)?;
    let mut after = before.clone();
    if let Some(v) = changes.external_id {
        after.external_id = validate::external_id(v)?;
    }
    after.customer_id = validate::apply(after.customer_id, changes.customer_id);
    after.lead_id = validate::apply(after.lead_id, changes.lead_id);
    if let Some(v) = changes.title {
        after.title = validate::name("title", &v)?;
    }
    if let Some(v) = changes.value {
        after.value = value(v)?;
    }
    if let Some(v) = changes.currency {
        after.currency = validate::currency("currency", &v)?;
    }
    after.owner_id = validate::apply(after.owner_id, changes.owner_id);
    after.expected_close_at = time::check_opt(
        "expectedCloseAt",
        validate::apply(after.expected_close_at, changes.expected_close_at),
    )?;
    check_refs(tx, &after)?;
    after.updated_at = tx.now;
    tx.replace(methods::DEALS_UPDATE, &before, &after)?;
    Ok(after)
}

#[allow(clippy::needless_pass_by_value)] // every batch operation takes its input by value
pub(crate) fn move_stage(tx: &mut Tx<'_>, mv: MoveStage) -> Result<Deal> {
    move_stage_with(tx, &mv, |_| {}, None)
}

/// [`move_stage`], with `also` changing the deal in the same write (an accepted quote sets its
/// value) and `note` saying why in the audit entry.
pub(crate) fn move_stage_with(
    tx: &mut Tx<'_>,
    mv: &MoveStage,
    also: impl FnOnce(&mut Deal),
    note: Option<&str>,
) -> Result<Deal> {
    let before: Deal = records::get(tx, tx.tenant, mv.deal_id.0)?;
    let stages = stages_of(tx, tx.tenant, before.pipeline_id)?;
    let to = stages.iter().find(|s| s.id == mv.stage_id).ok_or_else(|| {
        Error::invalid(
            "stageId",
            format!(
                "stage {} is not a stage of pipeline {}",
                mv.stage_id, before.pipeline_id
            ),
        )
    })?;
    if to.id == before.stage_id {
        return Err(Error::conflict(format!(
            "deal {} is already in stage {:?}",
            before.id, to.name
        )));
    }
    let from_name = stages
        .iter()
        .find(|s| s.id == before.stage_id)
        .map_or("?", |s| s.name.as_str());
    let at = time::given("at", mv.at, tx.now)?;
    // History is read in time order; a move dated before the previous one would rewrite it.
    let last: i64 = tx
        .prepare_cached(
            "SELECT MAX(at) FROM deal_stage_history WHERE tenant_id = ?1 AND deal_id = ?2",
        )?
        .query_row(params![tx.tenant, before.id], |r| r.get(0))?;
    if time::to_millis(at) < last {
        return Err(Error::invalid(
            "at",
            format!(
                "the deal's last stage change was at {}; a move cannot be dated before it",
                time::from_millis(last).to_rfc3339()
            ),
        ));
    }
    let mut after = before.clone();
    after.stage_id = to.id;
    after.status = DealStatus::from(to.kind);
    // Closing stamps the time; reopening (a won/lost deal moved back to an open stage) clears it.
    after.closed_at = match after.status {
        DealStatus::Open => None,
        _ if before.status == after.status => before.closed_at,
        _ => Some(at),
    };
    after.updated_at = tx.now;
    also(&mut after);
    tx.replace_noted(methods::DEALS_MOVE_STAGE, &before, &after, note)?;
    add_history(tx, after.id, Some(before.stage_id), to.id, at)?;
    activities::create(
        tx,
        NewActivity {
            external_id: None,
            entity_type: ActivityEntity::Deal,
            entity_id: after.id.0,
            kind: ActivityKind::StageChange,
            body: Some(format!("{from_name} → {}", to.name)),
            occurred_at: Some(at),
        },
    )?;
    Ok(after)
}

/// `pipelines.*`.
#[derive(Debug, Clone, Copy)]
pub struct Pipelines<'s, 'c>(&'s Scope<'c>);

/// `deals.*`.
#[derive(Debug, Clone, Copy)]
pub struct Deals<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// Pipelines of this tenant.
    pub fn pipelines(&self) -> Pipelines<'_, 'c> {
        Pipelines(self)
    }

    /// Deals of this tenant.
    pub fn deals(&self) -> Deals<'_, 'c> {
        Deals(self)
    }
}

impl Pipelines<'_, '_> {
    /// Creates a pipeline with its stages (`pipelines.create`).
    pub fn create(&self, new: NewPipeline) -> Result<Pipeline> {
        self.0.write(|tx| create_pipeline(tx, new))
    }

    /// The pipeline with this id, with its stages (`not_found` for another tenant's).
    pub fn get(&self, id: PipelineId) -> Result<Pipeline> {
        self.0.read(|c, t| pipeline_with_stages(c, t, id))
    }

    /// Adds a stage to a pipeline (`pipelines.addStage`); deals already in it keep their
    /// history, and the funnel counts a deal as having reached the new stage when a later
    /// stage is in its history.
    pub fn add_stage(&self, add: &AddStage) -> Result<Pipeline> {
        self.0.write(|tx| add_stage(tx, add))
    }

    /// The pipeline with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Pipeline> {
        self.0.read(|c, t| {
            let p: Pipeline = records::get_by_external_id(c, t, external_id)?;
            pipeline_with_stages(c, t, p.id)
        })
    }

    /// A page of pipelines with their stages, newest first.
    pub fn list(&self, request: impl Into<ListRequest>) -> Result<Page<Pipeline>> {
        let request = request.into();
        let test =
            crate::criteria::Where::read(request.r#where.as_ref(), PIPELINE_FIELDS, "pipelines")?;
        let order = crate::records::Order::read(request.sort.as_ref(), PIPELINE_FIELDS)?;
        self.0.read(|c, t| {
            let mut page: Page<Pipeline> =
                records::list_where(c, t, Vec::new(), &order, &request.page(), |p| test.sql(p))?;
            for p in &mut page.items {
                p.stages = stages_of(c, t, p.id)?;
            }
            Ok(page)
        })
    }
}

impl Deals<'_, '_> {
    /// Creates a deal (`deals.create`) in its first open stage (or the one given).
    pub fn create(&self, new: NewDeal) -> Result<Deal> {
        self.0.write(|tx| create_deal(tx, new))
    }

    /// The deal with this id (`not_found` for another tenant's).
    pub fn get(&self, id: DealId) -> Result<Deal> {
        self.0.read(|c, t| records::get(c, t, id.0))
    }

    /// The deal with this external id.
    pub fn get_by_external_id(&self, external_id: &str) -> Result<Deal> {
        self.0
            .read(|c, t| records::get_by_external_id(c, t, external_id))
    }

    /// Changes a deal (`deals.update`): only the fields given change; stages through `move_stage`.
    pub fn update(&self, changes: DealChanges) -> Result<Deal> {
        self.0.write(|tx| update_deal(tx, changes))
    }

    /// Moves a deal to another stage of its pipeline, recording the stage history and a
    /// `stage_change` activity; a won or lost stage closes the deal, an open one reopens it.
    pub fn move_stage(&self, mv: MoveStage) -> Result<Deal> {
        self.0.write(|tx| move_stage(tx, mv))
    }

    /// A deal's stage history, oldest first.
    pub fn stage_history(&self, id: DealId) -> Result<Vec<StageChange>> {
        self.0.read(|c, t| {
            records::get::<Deal>(c, t, id.0)?;
            let mut stmt = c.prepare_cached(
                "SELECT deal_id, from_stage_id, to_stage_id, actor_id, at FROM deal_stage_history
                 WHERE tenant_id = ?1 AND deal_id = ?2 ORDER BY at, id",
            )?;
            let rows = stmt.query_map(params![t, id], |r| {
                Ok(StageChange {
                    deal_id: r.get(0)?,
                    from_stage_id: r.get(1)?,
                    to_stage_id: r.get(2)?,
                    actor_id: r.get(3)?,
                    at: time::from_millis(r.get(4)?),
                })
            })?;
            rows.collect::<Result<_, _>>()
        })
    }

    /// Up to `limit` deals whose title contains `text`, newest first.
    pub fn containing(&self, text: &str, limit: u32) -> Result<Vec<Deal>> {
        self.0
            .read(|c, t| records::containing(c, t, &["title"], text, limit))
    }

    /// A page of deals, newest first.
    pub fn list(&self, filter: &DealFilter) -> Result<Page<Deal>> {
        let page = PageRequest {
            limit: filter.limit,
            cursor: filter.cursor.clone(),
        };
        let filters = vec![
            ("status", filter.status.map(Value::from)),
            ("pipeline_id", id_value(filter.pipeline_id)),
            ("stage_id", id_value(filter.stage_id)),
            ("owner_id", id_value(filter.owner_id)),
            ("customer_id", id_value(filter.customer_id)),
            ("lead_id", id_value(filter.lead_id)),
        ];
        let test = crate::criteria::Where::read(filter.r#where.as_ref(), FIELDS, "deals")?;
        let order = crate::records::Order::read(filter.sort.as_ref(), FIELDS)?;
        self.0
            .read(|c, t| records::list_where(c, t, filters, &order, &page, |p| test.sql(p)))
    }
}

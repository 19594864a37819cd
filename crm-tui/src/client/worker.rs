//! The worker: database work off the UI thread, and the protocol the screens speak to it —
//! [`Request`]s in, [`Reply`]s out. It imports no screen: screens depend on it, never the reverse.

mod fetch;

pub use fetch::answer;

use crm_core::Crm;
use crm_core::Page;
use crm_core::activities::Activity;
use crm_core::analytics::{Funnel, Period, RepPerformance, RepRequest};
use crm_core::calls::Call;
use crm_core::catalog::RecordKind;
use crm_core::conversations::{Conversation, Message};
use crm_core::customers::Customer;
use crm_core::deals::board::{Board, Card};
use crm_core::deals::{Deal, Pipeline, StageChange};
use crm_core::erasure::Erased;
use crm_core::export::ExportRequest;
use crm_core::ids::{
    CustomerId, DealId, LeadId, PipelineId, QuoteId, QuoteTemplateId, SegmentId, StageId, TicketId,
    UserId, ViewId,
};
use crm_core::import::{ImportField, ImportRequest, Layout, Mapping, Outcome, Preview};
use crm_core::leads::scoring::{Rescored, ScoreExplanation};
use crm_core::leads::{Assign, Assigned, Lead};
use crm_core::links::{AutoLinkReport, TicketLinks};
use crm_core::merge::{DuplicateGroup, MergeRequest, Merged};
use crm_core::money::Money;
use crm_core::products::Product;
use crm_core::quotes::Quote;
use crm_core::quotes::lines::LineRequest;
use crm_core::quotes::templates::QuoteTemplate;
use crm_core::quotes::totals::TaxRounding;
use crm_core::records::Sort;
use crm_core::schema::FieldInfo;
use crm_core::search::{SearchQuery, SearchResults, SearchType};
use crm_core::segments::{BothForms, Explanation, RefreshReport, Segment};
use crm_core::tickets::{Ticket, TicketEvent};
use crm_core::timeline::{TimelineEvent, TimelinePage, TimelineQuery};
use crm_core::trash::{Deleted, Purged, Restored, TrashItem};
use crm_core::views::{NewView, View, ViewChanges};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::Receiver;

/// Rows fetched per page: a few screens' worth.
pub const PAGE_ROWS: u32 = 100;

/// The record lists of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Customers,
    Leads,
    Deals,
    Tickets,
    Quotes,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Customers,
        Tab::Leads,
        Tab::Deals,
        Tab::Tickets,
        Tab::Quotes,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Customers => "Customers",
            Tab::Leads => "Leads",
            Tab::Deals => "Deals",
            Tab::Tickets => "Tickets",
            Tab::Quotes => "Quotes",
        }
    }

    /// The kind of record the tab lists.
    pub fn kind(self) -> RecordKind {
        match self {
            Tab::Customers => RecordKind::Customer,
            Tab::Leads => RecordKind::Lead,
            Tab::Deals => RecordKind::Deal,
            Tab::Tickets => RecordKind::Ticket,
            Tab::Quotes => RecordKind::Quote,
        }
    }

    /// The fields of the tab's records (what sorts, filters and columns read).
    pub fn fields(self) -> &'static [crm_core::catalog::Field] {
        crm_core::schema::fields(self.kind()).unwrap_or(&[])
    }

    /// The tab listing a search hit's kind; conversations have none.
    pub fn of(kind: SearchType) -> Option<Tab> {
        match kind {
            SearchType::Customer => Some(Tab::Customers),
            SearchType::Lead => Some(Tab::Leads),
            SearchType::Deal => Some(Tab::Deals),
            SearchType::Ticket => Some(Tab::Tickets),
            SearchType::Conversation => None,
            SearchType::Quote => Some(Tab::Quotes),
        }
    }
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Customer(Customer),
    Lead(Lead),
    Deal(Deal),
    Ticket(Ticket),
    // Boxed: a quote's totals would make every row larger.
    Quote(Box<Quote>),
}

impl Record {
    pub fn id(&self) -> i64 {
        match self {
            Record::Customer(r) => r.id.0,
            Record::Lead(r) => r.id.0,
            Record::Deal(r) => r.id.0,
            Record::Ticket(r) => r.id.0,
            Record::Quote(r) => r.id.0,
        }
    }

    /// The record as JSON, the names of its fields as the catalog has them (what columns
    /// read).
    pub fn json(&self) -> serde_json::Value {
        let value = match self {
            Record::Customer(r) => serde_json::to_value(r),
            Record::Lead(r) => serde_json::to_value(r),
            Record::Deal(r) => serde_json::to_value(r),
            Record::Ticket(r) => serde_json::to_value(r),
            Record::Quote(r) => serde_json::to_value(r),
        };
        value.unwrap_or_default()
    }
}

/// What a tab's list asks for besides its page: the filter and the order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub r#where: Option<serde_json::Value>,
    pub sort: Option<Sort>,
}

/// Which page of a list to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    First,
    Last,
    /// Older rows, after the last one held.
    After(String),
    /// Newer rows, before the first one held.
    Before(String),
    /// The rows from one record on (a search hit opened in its tab).
    At(i64),
}

/// A fetched page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageData {
    pub rows: Vec<Record>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

/// Names for ids, fetched once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    pub tenant_name: String,
    pub users: HashMap<i64, String>,
    /// Users who may own leads (not viewers), by name.
    pub owners: Vec<(i64, String)>,
    /// Teams, by name.
    pub teams: Vec<(i64, String)>,
    pub stages: HashMap<i64, String>,
}

/// What a detail shows beside a record's own fields: its related records, and the names of
/// the records its fields point at (a customer's name where the record holds its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub related: Related,
    pub names: Names,
}

/// The records a record points at (a ticket's customer; a deal's customer and lead; a quote's
/// deal and customer): `(id, name)` each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub customer: Option<(i64, String)>,
    pub lead: Option<(i64, String)>,
    pub deal: Option<(i64, String)>,
}

/// Records related to the selected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Related {
    Customer {
        tickets: Vec<Ticket>,
        deals: Vec<Deal>,
    },
    Lead {
        activities: Vec<Activity>,
        deals: Vec<Deal>,
        tickets: Vec<Ticket>,
    },
    Deal {
        history: Vec<StageChange>,
        tickets: Vec<Ticket>,
    },
    /// A quote with its lines.
    Quote(Box<Quote>),
    // Boxed: a lead and a deal inline would make every `Detail` (and reply) several times larger.
    Ticket {
        events: Vec<TicketEvent>,
        lead: Option<Box<Lead>>,
        deal: Option<Box<Deal>>,
    },
}

/// The record a timeline event or a search hit was opened into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    Record(Record, Box<Detail>),
    /// A conversation, its latest messages and its customer's name.
    Conversation(Conversation, Vec<Message>, String),
    Call(Call),
}

/// What a picker picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    Lead,
    Deal,
}

/// A link change asked of the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChange {
    ToLead(i64),
    ToDeal(i64),
    UnlinkLead,
    UnlinkDeal,
}

/// Which record a detail request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordKey {
    pub tab: Tab,
    pub id: i64,
}

/// A request for a page of a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAsk {
    pub query: TimelineQuery,
    pub generation: u64,
}

/// A search to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchAsk {
    pub query: SearchQuery,
    pub generation: u64,
}

/// What the UI asks of the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// User and stage names, to show names instead of ids.
    Lookups,
    /// A page of a tab's list. `generation` comes back with the answer so stale ones are dropped.
    Page {
        tab: Tab,
        kind: PageKind,
        query: ListQuery,
        generation: u64,
    },
    /// How many records a tab's filter keeps.
    Count {
        tab: Tab,
        query: ListQuery,
        generation: u64,
    },
    /// The saved views of a kind the user sees.
    Views(RecordKind),
    /// Save a view: a new one, or changes to one.
    SaveView(ViewSave),
    DeleteView(ViewId),
    /// Give leads an owner, or round-robin over a team.
    Assign(Assign),
    /// Score leads again by the rules.
    Rescore(Vec<LeadId>),
    /// Each rule's part in a lead's score.
    ExplainScore(LeadId),
    /// The related records shown beside the selected one.
    Detail {
        record: RecordKey,
    },
    /// Leads or deals containing `query`, for the link picker.
    Pick {
        kind: PickKind,
        query: String,
    },
    /// Link or unlink a ticket.
    Link {
        ticket: i64,
        change: LinkChange,
    },
    /// An auto-link dry run over all tickets.
    AutoLinkPlan,
    /// Auto-link these tickets (the ones the reviewed dry run would link).
    AutoLinkApply {
        tickets: Vec<TicketId>,
    },
    /// A page of a timeline.
    Timeline(PageAsk),
    /// The record behind a timeline event.
    OpenEvent(Box<TimelineEvent>),
    /// A search of the palette.
    Search(SearchAsk),
    /// A quote as `crm quote render` prints it (text).
    QuoteDocument(crm_core::ids::QuoteId),
    /// The record of a search hit.
    OpenHit(SearchType, i64),
    /// The saved segments with their member counts.
    Segments,
    /// The fields a segment's criteria may use.
    SegmentFields,
    /// The fields a list's filter may use (its kind's own), answered as `SegmentFields`.
    KindFields(RecordKind),
    /// How many records of a kind a filter keeps and its text form, answered as `Previewed`
    /// (without members).
    ListPreview {
        kind: RecordKind,
        criteria: serde_json::Value,
        generation: u64,
    },
    /// A list's filter read from its text form, answered as `Parsed`.
    ParseFor {
        kind: RecordKind,
        text: String,
        generation: u64,
    },
    /// The count, first members and text form of unsaved criteria.
    Preview {
        criteria: serde_json::Value,
        generation: u64,
    },
    /// Criteria read from their text form.
    Parse {
        text: String,
        generation: u64,
    },
    /// Save criteria as a new segment (`id` absent) or into an existing one.
    SaveSegment {
        id: Option<SegmentId>,
        name: String,
        criteria: serde_json::Value,
    },
    DeleteSegment(SegmentId),
    /// Evaluate every segment again (clock-dependent criteria).
    RefreshSegments,
    /// A page of a segment's members.
    SegmentMembers {
        id: SegmentId,
        cursor: Option<String>,
    },
    /// Why a customer is in or out: of a saved segment, or of unsaved criteria.
    Explain {
        segment: Option<SegmentId>,
        criteria: Option<serde_json::Value>,
        customer: CustomerId,
    },
    /// The tenant's pipelines, for the analytics screen's and the board's pickers.
    Pipelines,
    /// A pipeline's board: every column's count, totals and first cards, under the Deals
    /// list's filter and order.
    Board {
        pipeline: PipelineId,
        query: ListQuery,
        per_column: u32,
        generation: u64,
    },
    /// The next cards of one column of the board.
    BoardColumn {
        pipeline: PipelineId,
        stage: StageId,
        query: ListQuery,
        cursor: String,
        generation: u64,
    },
    /// Move a deal to a stage (a card moved on the board).
    MoveStage {
        deal: DealId,
        stage: StageId,
    },
    /// A pipeline's funnel over all its deals.
    Funnel {
        pipeline: PipelineId,
        generation: u64,
    },
    /// Rep performance in a period and the one before.
    Reps {
        request: RepRequest,
        generation: u64,
    },
    /// Deals won and their value in the twelve periods up to the one `request` holds.
    Trend {
        request: RepRequest,
        generation: u64,
    },
    /// A deal's quotes, newest first, without their lines.
    Quotes(DealId),
    /// One quote with its lines.
    Quote(QuoteId),
    /// The quote a new draft of `deal` would be (from `template` or none), made and rolled
    /// back (`quotes.create` with `dryRun`): the composer shows it, and it is made on the first
    /// save. The answer is a `Reply::Quote`.
    NewQuote {
        deal: DealId,
        template: Option<QuoteTemplateId>,
    },
    /// What a composer offers: the templates and the products on offer.
    QuoteSetup,
    /// A step of a quote's life.
    QuoteAct(QuoteAct),
    /// A file's columns, the mapping its header suggests (or the one given, checked) and what
    /// the kind's import fills.
    ImportSetup(Box<ImportRequest>),
    /// Every row of an import planned by a dry run; the first ones shown.
    ImportPreview(Box<ImportRequest>),
    /// An import run, telling `progress` as it goes and stopping when it is cancelled; the
    /// failed rows are written beside the file (or in the temporary folder).
    ImportRun(Box<ImportRequest>, Progress),
    /// A list or a segment written to a file.
    Export(Box<ExportRequest>),
    /// What deleting a record (with what depends on it) would move to the trash: a dry run,
    /// for the question asked before.
    DeletePlan {
        kind: RecordKind,
        id: i64,
    },
    /// Move a record and what depends on it to the trash.
    Delete {
        kind: RecordKind,
        id: i64,
    },
    /// A page of the trash, newest first.
    Trash {
        cursor: Option<String>,
    },
    /// Bring back a deleted record and its group.
    Restore {
        kind: RecordKind,
        id: i64,
    },
    /// Remove everything in the trash for good (admin).
    Purge,
    /// A page of groups of duplicate customers.
    Duplicates {
        cursor: Option<String>,
    },
    /// The customers of a duplicate group, in its order.
    GroupCustomers(Vec<CustomerId>),
    /// A merge of customers (a dry run when the request says so).
    Merge(Box<MergeRequest>),
    /// Erase a customer for good, `confirm` typed by the person.
    Erase {
        id: CustomerId,
        confirm: String,
    },
}

/// How far an import running on the worker has got: the wizard reads it on each tick and sets
/// `cancel` to stop the import after the row in hand.
#[derive(Debug, Clone, Default)]
pub struct Progress(pub Arc<ProgressCounts>);

/// The counters of a [`Progress`].
#[derive(Debug, Default)]
pub struct ProgressCounts {
    pub bytes: AtomicU64,
    pub rows: AtomicU64,
    pub created: AtomicU64,
    pub updated: AtomicU64,
    pub failed: AtomicU64,
    pub cancel: AtomicBool,
}

impl PartialEq for Progress {
    /// The same run's progress.
    fn eq(&self, other: &Progress) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What the import wizard maps a file with.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSetup {
    pub layout: Layout,
    pub mapping: Mapping,
    pub fields: Vec<ImportField>,
}

/// What an import did, and where its failed rows are.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub outcome: Outcome,
    pub errors_file: Option<std::path::PathBuf>,
}

/// A view to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewSave {
    New(NewView),
    Change(ViewChanges),
}

/// Which quote a draft's content goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftOf {
    /// A draft in the database.
    Quote(QuoteId),
    /// A new quote of this deal (from this template), made by the save.
    New {
        deal: DealId,
        template: Option<QuoteTemplateId>,
    },
}

/// A draft's content as the composer holds it, to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteDraft {
    pub of: DraftOf,
    pub lines: Vec<LineRequest>,
    pub discount_bp: i64,
    pub tax_rounding: TaxRounding,
    pub valid_until: Option<crm_core::time::Timestamp>,
    pub notes: Option<String>,
    pub terms: Option<String>,
}

/// What a quote screen asks to be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteAct {
    Save(QuoteDraft),
    /// Save, then send.
    Send(QuoteDraft),
    Accept(QuoteId),
    Reject {
        id: QuoteId,
        reason: Option<String>,
    },
    Revise(QuoteId),
}

impl QuoteAct {
    /// What was done, as the notice says it.
    pub fn done(&self) -> &'static str {
        match self {
            QuoteAct::Save(_) => "saved",
            QuoteAct::Send(_) => "sent",
            QuoteAct::Accept(_) => "accepted: the deal is won",
            QuoteAct::Reject { .. } => "rejected",
            QuoteAct::Revise(_) => "revised: a new draft",
        }
    }
}

/// What the team won in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub period: Period,
    pub won: u64,
    /// Per currency.
    pub won_value: Vec<Money>,
}

/// What a builder's preview shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previewed {
    pub text: String,
    pub count: u64,
    pub items: Vec<Customer>,
}

/// The answer to a [`Request`], carrying what the screen needs to match it to what it asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Lookups(Result<Lookups, Failure>),
    Page {
        tab: Tab,
        kind: PageKind,
        generation: u64,
        result: Result<PageData, Failure>,
    },
    Counted {
        tab: Tab,
        generation: u64,
        result: Result<u64, Failure>,
    },
    Views {
        kind: RecordKind,
        result: Result<Vec<View>, Failure>,
    },
    ViewSaved(Result<View, Failure>),
    ViewDeleted(Result<ViewId, Failure>),
    Assigned(Result<Assigned, Failure>),
    Rescored(Result<Rescored, Failure>),
    ScoreExplained(Result<ScoreExplanation, Failure>),
    Detail {
        record: RecordKey,
        result: Result<Detail, Failure>,
    },
    Picked {
        kind: PickKind,
        query: String,
        result: Result<Vec<(i64, String)>, Failure>,
    },
    Linked {
        change: LinkChange,
        result: Result<TicketLinks, Failure>,
    },
    QuoteDocument {
        id: crm_core::ids::QuoteId,
        result: Result<String, Failure>,
    },
    AutoLinkPlanned(Result<AutoLinkReport, Failure>),
    AutoLinkApplied(Result<AutoLinkReport, Failure>),
    /// A page of a timeline.
    Timeline {
        generation: u64,
        result: Result<TimelinePage, Failure>,
    },
    /// The record behind a timeline event or a search hit.
    Opened(Result<Box<Opened>, Failure>),
    /// Results of the palette's search.
    Searched {
        generation: u64,
        result: Result<SearchResults, Failure>,
    },
    Segments(Result<Vec<Segment>, Failure>),
    SegmentFields(Result<Vec<FieldInfo>, Failure>),
    Previewed {
        generation: u64,
        result: Result<Previewed, Failure>,
    },
    Parsed {
        generation: u64,
        result: Result<BothForms, Failure>,
    },
    SegmentSaved(Result<Segment, Failure>),
    SegmentDeleted(Result<SegmentId, Failure>),
    SegmentsRefreshed(Result<RefreshReport, Failure>),
    SegmentMembers {
        id: SegmentId,
        result: Result<Page<Customer>, Failure>,
    },
    Explained(Result<Explanation, Failure>),
    Pipelines(Result<Vec<Pipeline>, Failure>),
    Board {
        generation: u64,
        result: Result<Board, Failure>,
    },
    BoardColumn {
        generation: u64,
        stage: StageId,
        result: Result<Page<Card>, Failure>,
    },
    Moved {
        deal: DealId,
        result: Result<(), Failure>,
    },
    Funnel {
        generation: u64,
        result: Result<Funnel, Failure>,
    },
    Reps {
        generation: u64,
        result: Result<RepPerformance, Failure>,
    },
    Trend {
        generation: u64,
        result: Result<Vec<TrendPoint>, Failure>,
    },
    Quotes {
        deal: DealId,
        result: Result<Vec<Quote>, Failure>,
    },
    // Boxed: a quote inline would make every reply several times larger.
    Quote(Result<Box<Quote>, Failure>),
    QuoteSetup(Result<(Vec<QuoteTemplate>, Vec<Product>), Failure>),
    QuoteActed {
        act: QuoteAct,
        result: Result<Box<Quote>, Failure>,
    },
    ImportSetup(Result<ImportSetup, Failure>),
    ImportPreview(Result<Box<Preview>, Failure>),
    Imported(Result<Imported, Failure>),
    Exported {
        path: String,
        result: Result<u64, Failure>,
    },
    DeletePlanned(Result<Deleted, Failure>),
    Deleted(Result<Deleted, Failure>),
    Trash {
        /// The page asked for came after this cursor (`None`: the first page).
        after: Option<String>,
        result: Result<Page<TrashItem>, Failure>,
    },
    Restored(Result<Restored, Failure>),
    Purged(Result<Purged, Failure>),
    Duplicates {
        after: Option<String>,
        result: Result<Page<DuplicateGroup>, Failure>,
    },
    GroupCustomers {
        ids: Vec<CustomerId>,
        result: Result<Vec<Customer>, Failure>,
    },
    Merged(Result<Merged, Failure>),
    Erased(Result<Erased, Failure>),
}

/// A failed request as the client shows it: crm-core's stable code kept beside the message,
/// so a screen can tell `not_found` from `storage` and the person sees which it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
}

impl From<crm_core::Error> for Failure {
    fn from(e: crm_core::Error) -> Self {
        Failure {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Answers requests on its own thread until the request channel closes; join the handle to
/// know its share of the database handle is released. `deliver` hands each reply to the UI
/// and says whether it is still listening.
pub fn spawn(
    crm: Arc<Crm>,
    tenant: String,
    actor: Option<UserId>,
    requests: Receiver<Request>,
    deliver: impl Fn(Reply) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("crm-worker".into())
        .spawn(move || {
            for request in requests {
                let started = std::time::Instant::now();
                let reply = answer(&crm, &tenant, actor, request.clone());
                tracing::debug!(?request, elapsed = ?started.elapsed(), "answered");
                if !deliver(reply) {
                    break;
                }
            }
        })
        .expect("cannot start the worker thread")
}

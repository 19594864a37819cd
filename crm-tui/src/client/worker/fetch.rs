//! The database side of each request: crm-core calls shaped into what the screens show.

use super::{
    Detail, DraftOf, Failure, LinkChange, ListQuery, Lookups, Names, Opened, PAGE_ROWS, PageData,
    PageKind, PickKind, QuoteAct, QuoteDraft, Record, RecordKey, Related, Reply, Request, Tab,
    ViewSave,
};
use crm_core::deals::board::{BoardRequest, ColumnRequest};
use crm_core::deals::{DealFilter, MoveStage};
use crm_core::ids::{DealId, LeadId, TicketId, UserId};
use crm_core::links::{
    AutoLink, DealLink, DealTickets, LeadLink, LeadTickets, TicketLinks, TicketRef,
};
use crm_core::products::{Product, ProductFilter};
use crm_core::quotes::lifecycle::Reject;
use crm_core::quotes::templates::QuoteTemplate;
use crm_core::quotes::{NewQuote, Quote, QuoteChanges, QuoteFilter};
use crm_core::search::SearchType;
use crm_core::segments::{
    ExplainRequest, FormatRequest, MembersRequest, NewSegment, ParseRequest, PreviewRequest,
    RefreshRequest, SegmentChanges,
};
use crm_core::tickets::{TicketEventFilter, TicketFilter};
use crm_core::timeline::{EventType, TimelineEvent};
use crm_core::{Crm, PageRequest};

/// Members a segment's page holds.
const SEGMENT_MEMBERS: u32 = 100;
/// Members a builder's preview shows.
const PREVIEW_MEMBERS: u32 = 20;

/// Quotes a deal's list holds (a deal has a handful; revisions included).
const QUOTES: u32 = 200;

/// The templates, oldest first, and the products on offer, by name.
fn quote_setup(crm: &Crm, tenant: &str) -> crm_core::Result<(Vec<QuoteTemplate>, Vec<Product>)> {
    let scope = crm.scope(tenant, None)?;
    let mut templates = scope
        .quote_templates()
        .list(crm_core::ListRequest {
            limit: Some(500),
            ..Default::default()
        })?
        .items;
    templates.reverse();
    let mut products = scope
        .products()
        .list(&ProductFilter {
            active: Some(true),
            limit: Some(500),
            ..ProductFilter::default()
        })?
        .items;
    products.sort_by_key(|p| p.name.to_lowercase());
    Ok((templates, products))
}

fn quote_act(
    crm: &Crm,
    tenant: &str,
    actor: Option<UserId>,
    act: &QuoteAct,
) -> crm_core::Result<Quote> {
    let scope = crm.scope(tenant, actor)?;
    let quotes = scope.quotes();
    let save = |draft: &QuoteDraft| match draft.of {
        DraftOf::Quote(id) => quotes.update(QuoteChanges {
            id,
            external_id: None,
            valid_until: Some(draft.valid_until),
            lines: Some(draft.lines.clone()),
            discount_bp: Some(draft.discount_bp),
            tax_rounding: Some(draft.tax_rounding),
            notes: Some(draft.notes.clone()),
            terms: Some(draft.terms.clone()),
        }),
        // The first save makes the quote, with what the composer holds (the template's
        // content was copied into it from the dry run).
        DraftOf::New { deal, template } => quotes.create(NewQuote {
            external_id: None,
            deal_id: deal,
            template_id: template,
            valid_until: draft.valid_until,
            lines: Some(draft.lines.clone()),
            discount_bp: Some(draft.discount_bp),
            tax_rounding: Some(draft.tax_rounding),
            notes: draft.notes.clone(),
            terms: draft.terms.clone(),
            created_at: None,
            dry_run: false,
        }),
    };
    match act {
        QuoteAct::Save(draft) => save(draft),
        QuoteAct::Send(draft) => {
            let saved = save(draft)?;
            quotes.send(saved.id)
        }
        QuoteAct::Accept(id) => quotes.accept(*id),
        QuoteAct::Reject { id, reason } => quotes.reject(Reject {
            id: *id,
            reason: reason.clone(),
        }),
        QuoteAct::Revise(id) => quotes.revise(*id),
    }
}

/// A builder's preview: the count and first members of the criteria, and their text form.
fn preview(
    crm: &Crm,
    tenant: &str,
    criteria: serde_json::Value,
) -> crm_core::Result<super::Previewed> {
    let scope = crm.scope(tenant, None)?;
    let text = scope
        .segments()
        .format(&FormatRequest {
            criteria: criteria.clone(),
        })?
        .text;
    let preview = scope.segments().preview(&PreviewRequest {
        criteria,
        limit: Some(PREVIEW_MEMBERS),
    })?;
    Ok(super::Previewed {
        text,
        count: preview.count,
        items: preview.items,
    })
}

/// Periods the analytics chart shows.
const TREND_PERIODS: usize = 12;

/// Deals won and their value per period, oldest first, for the `TREND_PERIODS` periods up to
/// the one `request` holds (each answer holds two periods: the one asked and the one before).
fn trend(
    crm: &Crm,
    tenant: &str,
    request: &crm_core::analytics::RepRequest,
) -> crm_core::Result<Vec<super::TrendPoint>> {
    let scope = crm.scope(tenant, None)?;
    let point =
        |period, reps: &[crm_core::analytics::RepRow]| -> crm_core::Result<super::TrendPoint> {
            let mut won_value: Vec<crm_core::money::Money> = Vec::new();
            for m in reps.iter().flat_map(|r| &r.won_value) {
                match won_value.iter_mut().find(|w| w.currency == m.currency) {
                    Some(w) => *w = w.checked_add(*m, "wonValue")?,
                    None => won_value.push(*m),
                }
            }
            Ok(super::TrendPoint {
                period,
                won: reps.iter().map(|r| r.deals_won).sum(),
                won_value,
            })
        };
    let mut points = Vec::with_capacity(TREND_PERIODS);
    let mut at = request.at;
    while points.len() < TREND_PERIODS {
        let answer = scope
            .analytics()
            .rep_performance(&crm_core::analytics::RepRequest {
                at,
                ..request.clone()
            })?;
        points.push(point(answer.period, &answer.reps)?);
        points.push(point(answer.previous.period, &answer.previous.reps)?);
        at = Some(answer.previous.period.from - chrono::Duration::milliseconds(1));
    }
    points.reverse();
    Ok(points)
}

/// Entries a picker shows.
const PICK_ROWS: u32 = 20;

/// Runs one request; also used directly by tests.
pub fn answer(crm: &Crm, tenant: &str, actor: Option<UserId>, request: Request) -> Reply {
    let err = Failure::from;
    match request {
        Request::Lookups => Reply::Lookups(lookups(crm, tenant).map_err(Failure::from)),
        Request::Page {
            tab,
            kind,
            query,
            generation,
        } => Reply::Page {
            tab,
            kind: kind.clone(),
            generation,
            result: page(crm, tenant, tab, &kind, &query).map_err(Failure::from),
        },
        Request::Count {
            tab,
            query,
            generation,
        } => Reply::Counted {
            tab,
            generation,
            result: crm
                .scope(tenant, None)
                .and_then(|s| {
                    s.views().count(&crm_core::views::CountRequest {
                        kind: tab.kind(),
                        r#where: query.r#where,
                    })
                })
                .map(|c| c.count)
                .map_err(err),
        },
        Request::Views(kind) => Reply::Views {
            kind,
            result: views(crm, tenant, actor, kind).map_err(err),
        },
        Request::SaveView(save) => Reply::ViewSaved(
            crm.scope(tenant, actor)
                .and_then(|s| match save {
                    ViewSave::New(new) => s.views().create(new),
                    ViewSave::Change(changes) => s.views().update(changes),
                })
                .map_err(err),
        ),
        Request::DeleteView(id) => Reply::ViewDeleted(
            crm.scope(tenant, actor)
                .and_then(|s| s.views().delete(id))
                .map(|v| v.id)
                .map_err(err),
        ),
        Request::Assign(assign) => Reply::Assigned(
            crm.scope(tenant, actor)
                .and_then(|s| s.leads().assign(&assign))
                .map_err(err),
        ),
        Request::Rescore(ids) => Reply::Rescored(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.leads().rescore(&crm_core::leads::scoring::Rescore {
                        lead_ids: Some(ids),
                        after: None,
                        limit: None,
                    })
                })
                .map_err(err),
        ),
        Request::ExplainScore(id) => Reply::ScoreExplained(
            crm.scope(tenant, actor)
                .and_then(|s| s.leads().explain_score(id))
                .map_err(err),
        ),
        Request::Detail { record } => Reply::Detail {
            record,
            result: detail(crm, tenant, record).map_err(Failure::from),
        },
        Request::Pick { kind, query } => Reply::Picked {
            kind,
            result: pick(crm, tenant, kind, &query).map_err(err),
            query,
        },
        Request::Link { ticket, change } => Reply::Linked {
            change,
            result: link(crm, tenant, actor, ticket, change).map_err(err),
        },
        Request::AutoLinkPlan => Reply::AutoLinkPlanned(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.links().auto_link(&AutoLink {
                        dry_run: true,
                        ..AutoLink::default()
                    })
                })
                .map_err(err),
        ),
        Request::Timeline(ask) => Reply::Timeline {
            generation: ask.generation,
            result: crm
                .scope(tenant, None)
                .and_then(|s| s.timeline().get(&ask.query))
                .map_err(err),
        },
        Request::ImportSetup(request) => Reply::ImportSetup(
            crm.scope(tenant, actor)
                .and_then(|s| s.import().mapping(&request))
                .and_then(|(layout, mapping)| {
                    Ok(super::ImportSetup {
                        layout,
                        mapping,
                        fields: crm_core::import::fields(request.kind)?,
                    })
                })
                .map_err(err),
        ),
        Request::ImportPreview(request) => Reply::ImportPreview(
            crm.scope(tenant, actor)
                .and_then(|s| s.import().preview(&request))
                .map(Box::new)
                .map_err(err),
        ),
        Request::ImportRun(request, progress) => {
            Reply::Imported(import(crm, tenant, actor, &request, &progress).map_err(err))
        }
        Request::DeletePlan { kind, id } => Reply::DeletePlanned(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.trash().delete(
                        kind,
                        &crm_core::trash::DeleteRequest {
                            id,
                            cascade: true,
                            dry_run: true,
                        },
                    )
                })
                .map_err(err),
        ),
        Request::Delete { kind, id } => Reply::Deleted(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.trash().delete(
                        kind,
                        &crm_core::trash::DeleteRequest {
                            id,
                            cascade: true,
                            dry_run: false,
                        },
                    )
                })
                .map_err(err),
        ),
        Request::Trash { cursor } => Reply::Trash {
            after: cursor.clone(),
            result: crm
                .scope(tenant, actor)
                .and_then(|s| {
                    s.trash().list(&crm_core::trash::TrashRequest {
                        kind: None,
                        limit: Some(100),
                        cursor,
                    })
                })
                .map_err(err),
        },
        Request::Restore { kind, id } => Reply::Restored(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.trash()
                        .restore(&crm_core::trash::RestoreRequest { kind, id })
                })
                .map_err(err),
        ),
        Request::Purge => Reply::Purged(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.trash()
                        .purge(&crm_core::trash::PurgeRequest { older_than_days: 0 })
                })
                .map_err(err),
        ),
        Request::Duplicates { cursor } => Reply::Duplicates {
            after: cursor.clone(),
            result: crm
                .scope(tenant, actor)
                .and_then(|s| {
                    s.merging().duplicates(&crm_core::merge::DuplicatesRequest {
                        limit: Some(100),
                        cursor,
                    })
                })
                .map_err(err),
        },
        Request::GroupCustomers(ids) => Reply::GroupCustomers {
            result: crm
                .scope(tenant, actor)
                .and_then(|s| ids.iter().map(|id| s.customers().get(*id)).collect())
                .map_err(err),
            ids,
        },
        Request::Merge(request) => Reply::Merged(
            crm.scope(tenant, actor)
                .and_then(|s| s.merging().customers(&request))
                .map_err(err),
        ),
        Request::Erase { id, confirm } => Reply::Erased(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.erasure()
                        .erase(&crm_core::erasure::EraseRequest { id, confirm })
                })
                .map_err(err),
        ),
        Request::Export(request) => Reply::Exported {
            path: request.path.clone(),
            result: crm
                .scope(tenant, actor)
                .and_then(|s| s.export().run(&request))
                .map(|e| e.rows)
                .map_err(err),
        },
        Request::QuoteDocument(id) => Reply::QuoteDocument {
            id,
            result: crm
                .scope(tenant, None)
                .and_then(|s| {
                    s.quotes().render(&crm_core::quotes::render::RenderRequest {
                        id,
                        format: crm_core::quotes::render::Format::Text,
                    })
                })
                .map(|r| r.content)
                .map_err(err),
        },
        Request::Search(ask) => Reply::Searched {
            generation: ask.generation,
            result: crm
                .scope(tenant, None)
                .and_then(|s| search_with_other_values(&s, &ask.query))
                .map_err(err),
        },
        Request::OpenHit(kind, id) => Reply::Opened(
            open_record(crm, tenant, kind, id)
                .map(Box::new)
                .map_err(err),
        ),
        Request::OpenEvent(event) => {
            Reply::Opened(open_event(crm, tenant, &event).map(Box::new).map_err(err))
        }
        Request::Pipelines => Reply::Pipelines(
            crm.scope(tenant, None)
                .and_then(|s| {
                    s.pipelines().list(crm_core::ListRequest {
                        limit: Some(500),
                        ..Default::default()
                    })
                })
                // Oldest first: the order they were set up in.
                .map(|page| page.items.into_iter().rev().collect())
                .map_err(err),
        ),
        Request::Board {
            pipeline,
            query,
            per_column,
            generation,
        } => Reply::Board {
            generation,
            result: crm
                .scope(tenant, None)
                .and_then(|s| {
                    s.deals().board(&BoardRequest {
                        pipeline_id: pipeline,
                        r#where: query.r#where,
                        sort: query.sort,
                        per_column: Some(per_column),
                    })
                })
                .map_err(err),
        },
        Request::BoardColumn {
            pipeline,
            stage,
            query,
            cursor,
            generation,
        } => Reply::BoardColumn {
            generation,
            stage,
            result: crm
                .scope(tenant, None)
                .and_then(|s| {
                    s.deals().board_column(&ColumnRequest {
                        pipeline_id: pipeline,
                        stage_id: stage,
                        r#where: query.r#where,
                        sort: query.sort,
                        limit: None,
                        cursor: Some(cursor),
                    })
                })
                .map_err(err),
        },
        Request::MoveStage { deal, stage } => Reply::Moved {
            deal,
            result: crm
                .scope(tenant, actor)
                .and_then(|s| {
                    s.deals().move_stage(MoveStage {
                        deal_id: deal,
                        stage_id: stage,
                        at: None,
                    })
                })
                .map(drop)
                .map_err(err),
        },
        Request::Funnel {
            pipeline,
            generation,
        } => Reply::Funnel {
            generation,
            result: crm
                .scope(tenant, None)
                .and_then(|s| {
                    s.analytics().funnel(&crm_core::analytics::FunnelRequest {
                        pipeline_id: pipeline,
                        from: None,
                        to: None,
                    })
                })
                .map_err(err),
        },
        Request::Reps {
            request,
            generation,
        } => Reply::Reps {
            generation,
            result: crm
                .scope(tenant, None)
                .and_then(|s| s.analytics().rep_performance(&request))
                .map_err(err),
        },
        Request::Trend {
            request,
            generation,
        } => Reply::Trend {
            generation,
            result: trend(crm, tenant, &request).map_err(err),
        },
        Request::Quotes(deal) => Reply::Quotes {
            deal,
            result: crm
                .scope(tenant, None)
                .and_then(|s| {
                    s.quotes().list(&QuoteFilter {
                        deal_id: Some(deal),
                        limit: Some(QUOTES),
                        ..QuoteFilter::default()
                    })
                })
                .map(|page| page.items)
                .map_err(err),
        },
        Request::NewQuote { deal, template } => Reply::Quote(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.quotes().create(NewQuote {
                        external_id: None,
                        deal_id: deal,
                        template_id: template,
                        valid_until: None,
                        lines: None,
                        discount_bp: None,
                        tax_rounding: None,
                        notes: None,
                        terms: None,
                        created_at: None,
                        dry_run: true,
                    })
                })
                .map(Box::new)
                .map_err(err),
        ),
        Request::Quote(id) => Reply::Quote(
            crm.scope(tenant, None)
                .and_then(|s| s.quotes().get(id))
                .map(Box::new)
                .map_err(err),
        ),
        Request::QuoteSetup => Reply::QuoteSetup(quote_setup(crm, tenant).map_err(err)),
        Request::QuoteAct(act) => Reply::QuoteActed {
            result: quote_act(crm, tenant, actor, &act)
                .map(Box::new)
                .map_err(err),
            act,
        },
        Request::Segments => Reply::Segments(
            crm.scope(tenant, None)
                .and_then(|s| {
                    s.segments().list(&PageRequest {
                        limit: Some(500),
                        cursor: None,
                    })
                })
                .map(|page| page.items)
                .map_err(err),
        ),
        Request::SegmentFields => Reply::SegmentFields(
            crm.scope(tenant, None)
                .and_then(|s| {
                    s.schema().fields(&crm_core::schema::FieldsRequest {
                        kind: crm_core::catalog::RecordKind::Segment,
                    })
                })
                .map(|f| f.fields)
                .map_err(err),
        ),
        Request::Preview {
            criteria,
            generation,
        } => Reply::Previewed {
            generation,
            result: preview(crm, tenant, criteria).map_err(err),
        },
        Request::KindFields(kind) => Reply::SegmentFields(
            crm.scope(tenant, None)
                .and_then(|s| s.schema().fields(&crm_core::schema::FieldsRequest { kind }))
                .map(|k| k.fields)
                .map_err(err),
        ),
        Request::ListPreview {
            kind,
            criteria,
            generation,
        } => Reply::Previewed {
            generation,
            result: list_preview(crm, tenant, kind, criteria).map_err(err),
        },
        Request::ParseFor {
            kind,
            text,
            generation,
        } => Reply::Parsed {
            generation,
            result: list_parse(kind, &text).map_err(err),
        },
        Request::Parse { text, generation } => Reply::Parsed {
            generation,
            result: crm
                .scope(tenant, None)
                .and_then(|s| s.segments().parse(&ParseRequest { text }))
                .map_err(err),
        },
        Request::SaveSegment { id, name, criteria } => Reply::SegmentSaved(
            crm.scope(tenant, actor)
                .and_then(|s| match id {
                    None => s.segments().create(NewSegment {
                        name,
                        criteria,
                        description: None,
                    }),
                    Some(id) => s.segments().update(&SegmentChanges {
                        id,
                        name: Some(name),
                        criteria: Some(criteria),
                        description: None,
                    }),
                })
                .map_err(err),
        ),
        Request::DeleteSegment(id) => Reply::SegmentDeleted(
            crm.scope(tenant, actor)
                .and_then(|s| s.segments().delete(id))
                .map(|r| r.id)
                .map_err(err),
        ),
        Request::RefreshSegments => Reply::SegmentsRefreshed(
            crm.scope(tenant, actor)
                .and_then(|s| s.segments().refresh(&RefreshRequest::default()))
                .map_err(err),
        ),
        Request::SegmentMembers { id, cursor } => Reply::SegmentMembers {
            id,
            result: crm
                .scope(tenant, None)
                .and_then(|s| {
                    s.segments().members(&MembersRequest {
                        id,
                        limit: Some(SEGMENT_MEMBERS),
                        cursor,
                    })
                })
                .map_err(err),
        },
        Request::Explain {
            segment,
            criteria,
            customer,
        } => Reply::Explained(
            crm.scope(tenant, None)
                .and_then(|s| {
                    s.segments().explain(&ExplainRequest {
                        id: segment,
                        criteria,
                        customer_id: customer,
                    })
                })
                .map_err(err),
        ),
        Request::AutoLinkApply { tickets } => Reply::AutoLinkApplied(
            crm.scope(tenant, actor)
                .and_then(|s| {
                    s.links().auto_link(&AutoLink {
                        ticket_ids: Some(tickets),
                        ..AutoLink::default()
                    })
                })
                .map_err(err),
        ),
    }
}

/// A customer, lead, deal, ticket (each with its related records) or conversation (with its
/// messages): what a search hit or a timeline event opens.
fn open_record(crm: &Crm, tenant: &str, kind: SearchType, id: i64) -> crm_core::Result<Opened> {
    use crm_core::ids::{ConversationId, CustomerId};
    let scope = crm.scope(tenant, None)?;
    let (tab, record) = match kind {
        SearchType::Customer => (
            Tab::Customers,
            Record::Customer(scope.customers().get(CustomerId(id))?),
        ),
        SearchType::Lead => (Tab::Leads, Record::Lead(scope.leads().get(LeadId(id))?)),
        SearchType::Deal => (Tab::Deals, Record::Deal(scope.deals().get(DealId(id))?)),
        SearchType::Ticket => (
            Tab::Tickets,
            Record::Ticket(scope.tickets().get(TicketId(id))?),
        ),
        SearchType::Conversation => return conversation(&scope, ConversationId(id)),
        SearchType::Quote => (
            Tab::Quotes,
            Record::Quote(Box::new(scope.quotes().get(crm_core::ids::QuoteId(id))?)),
        ),
    };
    Ok(Opened::Record(
        record,
        Box::new(detail(crm, tenant, RecordKey { tab, id })?),
    ))
}

/// A conversation with its latest messages, oldest first.
fn conversation(
    scope: &crm_core::Scope<'_>,
    id: crm_core::ids::ConversationId,
) -> crm_core::Result<Opened> {
    use crm_core::conversations::MessageFilter;
    let conversation = scope.conversations().get(id)?;
    let mut messages = scope
        .messages()
        .list(&MessageFilter {
            conversation_id: Some(id),
            limit: Some(THREAD_MESSAGES),
            ..MessageFilter::default()
        })?
        .items;
    // Newest first from the list; a thread reads oldest first.
    messages.reverse();
    let customer = scope.customers().get(conversation.customer_id)?.name;
    Ok(Opened::Conversation(conversation, messages, customer))
}

/// Messages shown with a conversation opened from a timeline.
const THREAD_MESSAGES: u32 = 50;

/// The record a timeline event comes from: its ticket, lead, deal, conversation or call.
fn open_event(crm: &Crm, tenant: &str, event: &TimelineEvent) -> crm_core::Result<Opened> {
    let missing = || crm_core::Error::Internal(format!("event {} names no record", event.id));
    let (kind, id) = match event.event_type {
        EventType::TicketEvent => (SearchType::Ticket, event.ticket_id.map(|i| i.0)),
        EventType::LeadActivity => (SearchType::Lead, event.lead_id.map(|i| i.0)),
        // A quote's step opens its deal, whose quotes are one `Q` away.
        EventType::DealActivity | EventType::QuoteActivity => {
            (SearchType::Deal, event.deal_id.map(|i| i.0))
        }
        EventType::Message | EventType::Conversation => {
            (SearchType::Conversation, event.conversation_id.map(|i| i.0))
        }
        EventType::Call => {
            let call = crm
                .scope(tenant, None)?
                .calls()
                .get(crm_core::ids::CallId(event.source.id))?;
            return Ok(Opened::Call(call));
        }
    };
    open_record(crm, tenant, kind, id.ok_or_else(missing)?)
}

fn pick(
    crm: &Crm,
    tenant: &str,
    kind: PickKind,
    query: &str,
) -> crm_core::Result<Vec<(i64, String)>> {
    let scope = crm.scope(tenant, None)?;
    Ok(match kind {
        PickKind::Lead => scope
            .leads()
            .containing(query, PICK_ROWS)?
            .into_iter()
            .map(|l| {
                let at = l
                    .company
                    .or(l.email)
                    .map(|c| format!(" · {c}"))
                    .unwrap_or_default();
                (l.id.0, format!("#{} {}{at} · {}", l.id, l.name, l.status))
            })
            .collect(),
        PickKind::Deal => scope
            .deals()
            .containing(query, PICK_ROWS)?
            .into_iter()
            .map(|d| (d.id.0, format!("#{} {} · {}", d.id, d.title, d.status)))
            .collect(),
    })
}

fn link(
    crm: &Crm,
    tenant: &str,
    actor: Option<UserId>,
    ticket: i64,
    change: LinkChange,
) -> crm_core::Result<TicketLinks> {
    let scope = crm.scope(tenant, actor)?;
    let links = scope.links();
    let ticket_id = TicketId(ticket);
    match change {
        LinkChange::ToLead(lead) => links.link_ticket_to_lead(LeadLink {
            ticket_id,
            lead_id: LeadId(lead),
        }),
        LinkChange::ToDeal(deal) => links.link_ticket_to_deal(DealLink {
            ticket_id,
            deal_id: DealId(deal),
        }),
        LinkChange::UnlinkLead => links.unlink_ticket_from_lead(TicketRef { ticket_id }),
        LinkChange::UnlinkDeal => links.unlink_ticket_from_deal(TicketRef { ticket_id }),
    }
}

fn lookups(crm: &Crm, tenant: &str) -> crm_core::Result<Lookups> {
    let scope = crm.scope(tenant, None)?;
    let mut lookups = Lookups {
        tenant_name: scope.tenant().name.clone(),
        ..Lookups::default()
    };
    let mut cursor = None;
    loop {
        let page = scope.users().list(&crm_core::tenancy::UserFilter {
            limit: Some(500),
            cursor,
            ..Default::default()
        })?;
        for u in page.items {
            if u.role != crm_core::tenancy::Role::Viewer {
                lookups.owners.push((u.id.0, u.name.clone()));
            }
            lookups.users.insert(u.id.0, u.name);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    lookups.owners.sort_by(|a, b| a.1.cmp(&b.1));
    let mut cursor = None;
    loop {
        let page = scope.teams().list(crm_core::ListRequest {
            limit: Some(500),
            cursor,
            ..crm_core::ListRequest::default()
        })?;
        lookups
            .teams
            .extend(page.items.into_iter().map(|t| (t.id.0, t.name)));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    lookups.teams.sort_by(|a, b| a.1.cmp(&b.1));
    let mut cursor = None;
    loop {
        let page = scope.pipelines().list(crm_core::ListRequest {
            limit: Some(500),
            cursor,
            ..crm_core::ListRequest::default()
        })?;
        for p in page.items {
            for s in p.stages {
                lookups
                    .stages
                    .insert(s.id.0, format!("{} · {}", p.name, s.name));
            }
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(lookups)
}

fn page(
    crm: &Crm,
    tenant: &str,
    tab: Tab,
    kind: &PageKind,
    query: &ListQuery,
) -> crm_core::Result<PageData> {
    let scope = crm.scope(tenant, None)?;
    // A jump to the end or to one record builds its cursor for the default order; a sorted
    // list starts over instead (the tab then shows its first page).
    let sorted = query.sort.is_some();
    let cursor = match kind {
        PageKind::First => None,
        PageKind::Last | PageKind::At(_) if sorted => None,
        PageKind::Last => PageRequest::last(tab.kind(), None).cursor,
        PageKind::After(c) | PageKind::Before(c) => Some(c.clone()),
        PageKind::At(id) => PageRequest::starting_at(tab.kind(), *id, None).cursor,
    };
    let request = serde_json::json!({
        "limit": PAGE_ROWS,
        "cursor": cursor,
        "where": query.r#where,
        "sort": query.sort,
    });
    let bad = |e: serde_json::Error| crm_core::Error::InvalidInput {
        field: "query".into(),
        message: e.to_string(),
    };
    macro_rules! fetch {
        ($handle:ident, $variant:expr) => {{
            let page = scope
                .$handle()
                .list(&serde_json::from_value(request).map_err(bad)?)?;
            PageData {
                rows: page.items.into_iter().map($variant).collect(),
                next_cursor: page.next_cursor,
                prev_cursor: page.prev_cursor,
            }
        }};
    }
    Ok(match tab {
        Tab::Customers => fetch!(customers, Record::Customer),
        Tab::Leads => fetch!(leads, Record::Lead),
        Tab::Deals => fetch!(deals, Record::Deal),
        Tab::Tickets => fetch!(tickets, Record::Ticket),
        Tab::Quotes => fetch!(quotes, |q| Record::Quote(Box::new(q))),
    })
}

/// A list's filter from its text form, over the kind's own fields.
fn list_parse(
    kind: crm_core::catalog::RecordKind,
    text: &str,
) -> crm_core::Result<crm_core::segments::BothForms> {
    let fields = crm_core::schema::fields(kind).unwrap_or(&[]);
    let defs = crm_core::criteria::own_fields(fields);
    let criteria = crm_core::criteria::text::parse(text, &defs, "text")?;
    Ok(crm_core::segments::BothForms {
        criteria: criteria.to_json(),
        text: crm_core::criteria::text::format(&criteria),
    })
}

/// How many records of `kind` `criteria` keep, and the criteria's text form.
fn list_preview(
    crm: &Crm,
    tenant: &str,
    kind: crm_core::catalog::RecordKind,
    criteria: serde_json::Value,
) -> crm_core::Result<super::Previewed> {
    let fields = crm_core::schema::fields(kind).unwrap_or(&[]);
    let defs = crm_core::criteria::own_fields(fields);
    let text = crm_core::criteria::text::format(&crm_core::criteria::Criteria::from_json(
        &criteria, &defs, "criteria",
    )?);
    let count = crm
        .scope(tenant, None)?
        .views()
        .count(&crm_core::views::CountRequest {
            kind,
            r#where: Some(criteria),
        })?;
    Ok(super::Previewed {
        text,
        count: count.count,
        items: Vec::new(),
    })
}

/// Every view of `kind` the actor sees, by name.
fn views(
    crm: &Crm,
    tenant: &str,
    actor: Option<UserId>,
    kind: crm_core::catalog::RecordKind,
) -> crm_core::Result<Vec<crm_core::views::View>> {
    let scope = crm.scope(tenant, actor)?;
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = scope.views().list(&crm_core::views::ViewFilter {
            kind: Some(kind),
            limit: Some(500),
            cursor,
        })?;
        all.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Ok(all);
        }
    }
}

/// How many related records a detail pane shows.
const DETAIL_ROWS: u32 = 8;

fn detail(crm: &Crm, tenant: &str, record: RecordKey) -> crm_core::Result<Detail> {
    let related = related(crm, tenant, record)?;
    let names = names(crm, tenant, record)?;
    Ok(Detail { related, names })
}

/// The records related to `record`.
fn related(crm: &Crm, tenant: &str, record: RecordKey) -> crm_core::Result<Related> {
    use crm_core::ids::CustomerId;
    let scope = crm.scope(tenant, None)?;
    let limit = Some(DETAIL_ROWS);
    Ok(match record.tab {
        Tab::Customers => {
            let id = CustomerId(record.id);
            Related::Customer {
                tickets: scope
                    .tickets()
                    .list(&TicketFilter {
                        customer_id: Some(id),
                        limit,
                        ..Default::default()
                    })?
                    .items,
                deals: scope
                    .deals()
                    .list(&DealFilter {
                        customer_id: Some(id),
                        limit,
                        ..Default::default()
                    })?
                    .items,
            }
        }
        Tab::Leads => Related::Lead {
            activities: scope
                .activities()
                .list(&crm_core::activities::ActivityFilter {
                    entity_type: Some(crm_core::activities::ActivityEntity::Lead),
                    entity_id: Some(record.id),
                    limit,
                    ..Default::default()
                })?
                .items,
            deals: scope
                .deals()
                .list(&DealFilter {
                    lead_id: Some(LeadId(record.id)),
                    limit,
                    ..Default::default()
                })?
                .items,
            tickets: scope
                .links()
                .lead_tickets(&LeadTickets {
                    lead_id: Some(LeadId(record.id)),
                    limit,
                    cursor: None,
                })?
                .items,
        },
        Tab::Deals => Related::Deal {
            history: scope.deals().stage_history(DealId(record.id))?,
            tickets: scope
                .links()
                .deal_tickets(&DealTickets {
                    deal_id: Some(DealId(record.id)),
                    limit,
                    cursor: None,
                })?
                .items,
        },
        Tab::Quotes => Related::Quote(Box::new(
            scope.quotes().get(crm_core::ids::QuoteId(record.id))?,
        )),
        Tab::Tickets => {
            let ticket_id = TicketId(record.id);
            let links = scope.links().ticket_links(TicketRef { ticket_id })?;
            Related::Ticket {
                events: scope
                    .tickets()
                    .list_events(&TicketEventFilter {
                        ticket_id,
                        limit,
                        cursor: None,
                    })?
                    .items,
                lead: links.lead.map(Box::new),
                deal: links.deal.map(Box::new),
            }
        }
    })
}

/// The names of the customer, lead and deal `record` points at.
fn names(crm: &Crm, tenant: &str, record: RecordKey) -> crm_core::Result<Names> {
    use crm_core::ids::CustomerId;
    let scope = crm.scope(tenant, None)?;
    let (customer, lead, deal): (Option<CustomerId>, Option<LeadId>, Option<DealId>) =
        match record.tab {
            Tab::Customers => (None, None, None),
            Tab::Leads => (
                scope.leads().get(LeadId(record.id))?.customer_id,
                None,
                None,
            ),
            Tab::Deals => {
                let d = scope.deals().get(DealId(record.id))?;
                (d.customer_id, d.lead_id, None)
            }
            // Its lead and deal are its links, among its related records.
            Tab::Tickets => (
                scope.tickets().get(TicketId(record.id))?.customer_id,
                None,
                None,
            ),
            Tab::Quotes => {
                let q = scope.quotes().get(crm_core::ids::QuoteId(record.id))?;
                (q.customer_id, None, Some(q.deal_id))
            }
        };
    Ok(Names {
        customer: customer
            .map(|c| scope.customers().get(c).map(|c| (c.id.0, c.name)))
            .transpose()?,
        lead: lead
            .map(|l| scope.leads().get(l).map(|l| (l.id.0, l.name)))
            .transpose()?,
        deal: deal
            .map(|d| scope.deals().get(d).map(|d| (d.id.0, d.title)))
            .transpose()?,
    })
}

/// A search whose facets also count the values a filtered group leaves out: each group with a
/// filter is counted again without its own filter (the others kept), so `open` chosen still
/// shows `pending` with its count to add — several values of one group can be chosen.
fn search_with_other_values(
    scope: &crm_core::Scope<'_>,
    query: &crm_core::search::SearchQuery,
) -> crm_core::Result<crm_core::search::SearchResults> {
    use crm_core::search::SearchQuery;
    let mut results = scope.search().query(query)?;
    let counted = |q: SearchQuery| -> crm_core::Result<crm_core::search::Facets> {
        Ok(scope
            .search()
            .query(&SearchQuery {
                limit: Some(1),
                offset: None,
                ..q
            })?
            .facets)
    };
    if query.types.is_some() {
        results.facets.types = counted(SearchQuery {
            types: None,
            ..query.clone()
        })?
        .types;
    }
    let f = &query.filters;
    let without = |change: &dyn Fn(&mut crm_core::search::SearchFilters)| {
        let mut q = query.clone();
        change(&mut q.filters);
        q
    };
    if f.ticket_status.is_some() {
        results.facets.ticket_status = counted(without(&|f| f.ticket_status = None))?.ticket_status;
    }
    if f.ticket_priority.is_some() {
        results.facets.ticket_priority =
            counted(without(&|f| f.ticket_priority = None))?.ticket_priority;
    }
    if f.conversation_status.is_some() {
        results.facets.conversation_status =
            counted(without(&|f| f.conversation_status = None))?.conversation_status;
    }
    if f.channels.is_some() {
        results.facets.channels = counted(without(&|f| f.channels = None))?.channels;
    }
    Ok(results)
}

/// Runs an import, counting into `progress` and stopping when it is cancelled; the failed rows
/// go to `NAME-errors.csv` beside the file, or in the temporary folder when that one cannot be
/// written.
fn import(
    crm: &Crm,
    tenant: &str,
    actor: Option<UserId>,
    request: &crm_core::import::ImportRequest,
    progress: &super::Progress,
) -> crm_core::Result<super::Imported> {
    use std::sync::atomic::Ordering::Relaxed;
    let path = std::path::Path::new(request.path.as_deref().unwrap_or("import.csv"));
    let stem = path
        .file_stem()
        .map_or_else(|| "import".into(), |s| s.to_string_lossy().into_owned());
    let folder = path
        .parent()
        .filter(|f| tempfile::NamedTempFile::new_in(f).is_ok())
        .map_or_else(std::env::temp_dir, std::path::Path::to_path_buf);
    let mut errors = crm_core::import::ErrorFile::new(folder.join(format!("{stem}-errors.csv")));
    let mut failure = None;
    let counts = &progress.0;
    let outcome = crm.scope(tenant, actor)?.import().run_observed(
        request,
        &mut |row: &crm_core::import::PlannedRow, bytes: u64| {
            counts.bytes.store(bytes, Relaxed);
            counts.rows.fetch_add(1, Relaxed);
            match row.action {
                crm_core::import::Action::Create => counts.created.fetch_add(1, Relaxed),
                crm_core::import::Action::Update => counts.updated.fetch_add(1, Relaxed),
                crm_core::import::Action::Error => counts.failed.fetch_add(1, Relaxed),
                crm_core::import::Action::Skip => 0,
            };
            if let Err(e) = errors.add(row) {
                failure = Some(e);
                return false;
            }
            !counts.cancel.load(Relaxed)
        },
    )?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(super::Imported {
        outcome,
        errors_file: errors.finish()?,
    })
}

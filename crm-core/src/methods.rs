//! The name of every method of the request contract (`API.md`), declared once: the C ABI
//! dispatches by them and the audit log records them as an entry's `action`, so the two never
//! disagree.

macro_rules! methods {
    ($($name:ident = $text:literal;)*) => {
        $(
            #[doc = concat!("`", $text, "`")]
            pub const $name: &str = $text;
        )*
        /// Every method, in alphabetical order.
        pub const ALL: &[&str] = &[$($name),*];
    };
}

methods! {
    ACTIVITIES_CREATE = "activities.create";
    ACTIVITIES_DELETE = "activities.delete";
    ACTIVITIES_LIST = "activities.list";
    ANALYTICS_FUNNEL = "analytics.funnel";
    ANALYTICS_REP_PERFORMANCE = "analytics.repPerformance";
    AUDIT_LIST = "audit.list";
    CALLS_CREATE = "calls.create";
    CALLS_DELETE = "calls.delete";
    CALLS_LIST = "calls.list";
    CHANGES_LIST = "changes.list";
    CONVERSATIONS_CREATE = "conversations.create";
    CONVERSATIONS_DELETE = "conversations.delete";
    CONVERSATIONS_GET = "conversations.get";
    CONVERSATIONS_LIST = "conversations.list";
    CUSTOMERS_CREATE = "customers.create";
    CUSTOMERS_DELETE = "customers.delete";
    CUSTOMERS_DUPLICATES = "customers.duplicates";
    CUSTOMERS_ERASE = "customers.erase";
    CUSTOMERS_EXPORT_DATA = "customers.exportData";
    CUSTOMERS_GET = "customers.get";
    CUSTOMERS_LIST = "customers.list";
    CUSTOMERS_MERGE = "customers.merge";
    CUSTOMERS_UPDATE = "customers.update";
    DEALS_BOARD = "deals.board";
    DEALS_BOARD_COLUMN = "deals.boardColumn";
    DEALS_CREATE = "deals.create";
    DEALS_DELETE = "deals.delete";
    DEALS_GET = "deals.get";
    DEALS_LIST = "deals.list";
    DEALS_MOVE_STAGE = "deals.moveStage";
    DEALS_STAGE_HISTORY = "deals.stageHistory";
    DEALS_UPDATE = "deals.update";
    EXPORT_RUN = "export.run";
    IMPORT_FIELDS = "import.fields";
    IMPORT_PREVIEW = "import.preview";
    IMPORT_RUN = "import.run";
    LEADS_ASSIGN = "leads.assign";
    LEADS_CREATE = "leads.create";
    LEADS_DELETE = "leads.delete";
    LEADS_EXPLAIN_SCORE = "leads.explainScore";
    LEADS_GET = "leads.get";
    LEADS_LIST = "leads.list";
    LEADS_MERGE = "leads.merge";
    LEADS_RESCORE = "leads.rescore";
    LEADS_UPDATE = "leads.update";
    LINKS_AUTO_LINK = "links.autoLink";
    LINKS_GET_DEAL_TICKETS = "links.getDealTickets";
    LINKS_GET_LEAD_TICKETS = "links.getLeadTickets";
    LINKS_GET_TICKET_LINKS = "links.getTicketLinks";
    LINKS_LINK_TICKET_TO_DEAL = "links.linkTicketToDeal";
    LINKS_LINK_TICKET_TO_LEAD = "links.linkTicketToLead";
    LINKS_UNLINK_TICKET_FROM_DEAL = "links.unlinkTicketFromDeal";
    LINKS_UNLINK_TICKET_FROM_LEAD = "links.unlinkTicketFromLead";
    MESSAGES_CREATE = "messages.create";
    MESSAGES_DELETE = "messages.delete";
    MESSAGES_LIST = "messages.list";
    PIPELINES_ADD_STAGE = "pipelines.addStage";
    PIPELINES_CREATE = "pipelines.create";
    PIPELINES_GET = "pipelines.get";
    PIPELINES_LIST = "pipelines.list";
    PRODUCTS_CREATE = "products.create";
    PRODUCTS_DELETE = "products.delete";
    PRODUCTS_GET = "products.get";
    PRODUCTS_LIST = "products.list";
    PRODUCTS_UPDATE = "products.update";
    QUOTE_TEMPLATES_CREATE = "quoteTemplates.create";
    QUOTE_TEMPLATES_DELETE = "quoteTemplates.delete";
    QUOTE_TEMPLATES_GET = "quoteTemplates.get";
    QUOTE_TEMPLATES_LIST = "quoteTemplates.list";
    QUOTE_TEMPLATES_UPDATE = "quoteTemplates.update";
    QUOTES_ACCEPT = "quotes.accept";
    QUOTES_CREATE = "quotes.create";
    QUOTES_DELETE = "quotes.delete";
    QUOTES_GET = "quotes.get";
    QUOTES_GET_SETTINGS = "quotes.getSettings";
    QUOTES_LIST = "quotes.list";
    QUOTES_REFRESH = "quotes.refresh";
    QUOTES_REJECT = "quotes.reject";
    QUOTES_RENDER = "quotes.render";
    QUOTES_REVISE = "quotes.revise";
    QUOTES_SEND = "quotes.send";
    QUOTES_UPDATE = "quotes.update";
    QUOTES_UPDATE_SETTINGS = "quotes.updateSettings";
    SCHEMA_FIELDS = "schema.fields";
    SCORING_GET_RULES = "scoring.getRules";
    SCORING_SET_RULES = "scoring.setRules";
    SEARCH_QUERY = "search.query";
    SEARCH_REBUILD = "search.rebuild";
    SEGMENTS_CREATE = "segments.create";
    SEGMENTS_DELETE = "segments.delete";
    SEGMENTS_EXPLAIN = "segments.explain";
    SEGMENTS_FORMAT = "segments.format";
    SEGMENTS_GET = "segments.get";
    SEGMENTS_HISTORY = "segments.history";
    SEGMENTS_LIST = "segments.list";
    SEGMENTS_MEMBERS = "segments.members";
    SEGMENTS_PARSE = "segments.parse";
    SEGMENTS_PREVIEW = "segments.preview";
    SEGMENTS_REFRESH = "segments.refresh";
    SEGMENTS_UPDATE = "segments.update";
    SYSTEM_BACKUP = "system.backup";
    SYSTEM_VERSION = "system.version";
    TEAMS_ADD_MEMBER = "teams.addMember";
    TEAMS_CREATE = "teams.create";
    TEAMS_LIST = "teams.list";
    TENANTS_CREATE = "tenants.create";
    TENANTS_LIST = "tenants.list";
    TICKETS_ADD_EVENT = "tickets.addEvent";
    TICKETS_CREATE = "tickets.create";
    TICKETS_DELETE = "tickets.delete";
    TICKETS_GET = "tickets.get";
    TICKETS_LIST = "tickets.list";
    TICKETS_LIST_EVENTS = "tickets.listEvents";
    TICKETS_UPDATE = "tickets.update";
    TIMELINE_GET = "timeline.get";
    TRASH_LIST = "trash.list";
    TRASH_PURGE = "trash.purge";
    TRASH_RESTORE = "trash.restore";
    USERS_CREATE = "users.create";
    USERS_GET = "users.get";
    USERS_LIST = "users.list";
    USERS_UPDATE = "users.update";
    VIEWS_COUNT = "views.count";
    VIEWS_CREATE = "views.create";
    VIEWS_DELETE = "views.delete";
    VIEWS_GET = "views.get";
    VIEWS_LIST = "views.list";
    VIEWS_UPDATE = "views.update";
}

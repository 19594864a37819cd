-- crm schema, version 1.
--
-- Every table but `tenants` and `change_feed` is keyed by (tenant_id, id): ids are assigned per
-- tenant, and every reference between records is a composite foreign key (tenant_id, x_id), so the
-- database itself refuses a record of tenant A pointing at a record of tenant B.
-- Timestamps are INTEGER milliseconds since the Unix epoch, UTC.

CREATE TABLE tenants (
    id             INTEGER PRIMARY KEY,
    key            TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    default_region TEXT NOT NULL DEFAULT 'US',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Per-tenant id allocation: the last id handed out for each kind of record.
CREATE TABLE id_sequences (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    kind      TEXT NOT NULL,
    last_id   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind)
) WITHOUT ROWID;

CREATE TABLE users (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    id          INTEGER NOT NULL,
    external_id TEXT,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'agent', 'viewer')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_external_id ON users (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_role ON users (tenant_id, role, id);

CREATE TABLE teams (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    id          INTEGER NOT NULL,
    external_id TEXT,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX teams_external_id ON teams (tenant_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE team_members (
    tenant_id INTEGER NOT NULL,
    team_id   INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, team_id, user_id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX team_members_user ON team_members (tenant_id, user_id, team_id);

CREATE TABLE customers (
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
    id              INTEGER NOT NULL,
    external_id     TEXT,
    name            TEXT NOT NULL,
    email           TEXT,
    phone           TEXT,
    company         TEXT,
    tags            TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    churn_risk      INTEGER NOT NULL DEFAULT 0 CHECK (churn_risk BETWEEN 0 AND 100),
    last_contact_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX customers_external_id ON customers (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX customers_email ON customers (tenant_id, email) WHERE email IS NOT NULL;

CREATE TABLE leads (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    id          INTEGER NOT NULL,
    external_id TEXT,
    customer_id INTEGER,
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    company     TEXT,
    status      TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'qualified', 'unqualified', 'converted')),
    score       INTEGER NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    owner_id    INTEGER,
    source      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX leads_external_id ON leads (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX leads_status ON leads (tenant_id, status, id);
CREATE INDEX leads_owner ON leads (tenant_id, owner_id, id) WHERE owner_id IS NOT NULL;
CREATE INDEX leads_customer ON leads (tenant_id, customer_id, id) WHERE customer_id IS NOT NULL;

CREATE TABLE pipelines (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    id          INTEGER NOT NULL,
    external_id TEXT,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX pipelines_external_id ON pipelines (tenant_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE stages (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    pipeline_id INTEGER NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    kind        TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, pipeline_id, id),
    UNIQUE (tenant_id, pipeline_id, position),
    FOREIGN KEY (tenant_id, pipeline_id) REFERENCES pipelines (tenant_id, id)
);

CREATE TABLE deals (
    tenant_id         INTEGER NOT NULL REFERENCES tenants(id),
    id                INTEGER NOT NULL,
    external_id       TEXT,
    pipeline_id       INTEGER NOT NULL,
    stage_id          INTEGER NOT NULL,
    customer_id       INTEGER,
    lead_id           INTEGER,
    title             TEXT NOT NULL,
    value             INTEGER NOT NULL CHECK (value >= 0),
    currency          TEXT NOT NULL,
    owner_id          INTEGER,
    status            TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    expected_close_at INTEGER,
    closed_at         INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    -- The stage must belong to the deal's pipeline: the database checks it.
    FOREIGN KEY (tenant_id, pipeline_id, stage_id) REFERENCES stages (tenant_id, pipeline_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX deals_external_id ON deals (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX deals_status ON deals (tenant_id, status, id);
CREATE INDEX deals_stage ON deals (tenant_id, pipeline_id, stage_id, id);
CREATE INDEX deals_owner ON deals (tenant_id, owner_id, id) WHERE owner_id IS NOT NULL;
CREATE INDEX deals_customer ON deals (tenant_id, customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX deals_lead ON deals (tenant_id, lead_id, id) WHERE lead_id IS NOT NULL;

CREATE TABLE deal_stage_history (
    tenant_id     INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    deal_id       INTEGER NOT NULL,
    from_stage_id INTEGER,
    to_stage_id   INTEGER NOT NULL,
    actor_id      INTEGER,
    at            INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id),
    FOREIGN KEY (tenant_id, from_stage_id) REFERENCES stages (tenant_id, id),
    FOREIGN KEY (tenant_id, to_stage_id) REFERENCES stages (tenant_id, id)
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (tenant_id, deal_id, at, id);

CREATE TABLE tickets (
    tenant_id         INTEGER NOT NULL REFERENCES tenants(id),
    id                INTEGER NOT NULL,
    external_id       TEXT,
    customer_id       INTEGER,
    subject           TEXT NOT NULL,
    description       TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'pending', 'solved', 'closed')),
    priority          TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    channel           TEXT NOT NULL CHECK (channel IN ('email', 'chat', 'phone', 'web', 'social', 'api')),
    team_id           INTEGER,
    assignee_id       INTEGER,
    requester_email   TEXT,
    requester_phone   TEXT,
    requester_company TEXT,
    related_lead_id   INTEGER,
    related_deal_id   INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id),
    FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, related_lead_id) REFERENCES leads (tenant_id, id),
    FOREIGN KEY (tenant_id, related_deal_id) REFERENCES deals (tenant_id, id)
);
CREATE UNIQUE INDEX tickets_external_id ON tickets (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX tickets_status ON tickets (tenant_id, status, id);
CREATE INDEX tickets_customer ON tickets (tenant_id, customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_related_lead ON tickets (tenant_id, related_lead_id, id) WHERE related_lead_id IS NOT NULL;
CREATE INDEX tickets_related_deal ON tickets (tenant_id, related_deal_id, id) WHERE related_deal_id IS NOT NULL;

CREATE TABLE ticket_events (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    ticket_id   INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('created', 'status_changed', 'priority_changed', 'assigned',
                                              'comment', 'note', 'linked', 'unlinked')),
    body        TEXT,
    actor_id    INTEGER,
    occurred_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
    FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX ticket_events_ticket ON ticket_events (tenant_id, ticket_id, occurred_at, id);

CREATE TABLE conversations (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    id          INTEGER NOT NULL,
    external_id TEXT,
    customer_id INTEGER NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'chat', 'phone', 'web', 'social', 'api')),
    status      TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    subject     TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE UNIQUE INDEX conversations_external_id ON conversations (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX conversations_customer ON conversations (tenant_id, customer_id, id);

CREATE TABLE messages (
    tenant_id       INTEGER NOT NULL,
    id              INTEGER NOT NULL,
    external_id     TEXT,
    conversation_id INTEGER NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    body            TEXT NOT NULL,
    sent_at         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
);
CREATE UNIQUE INDEX messages_external_id ON messages (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages (tenant_id, conversation_id, id);

CREATE TABLE calls (
    tenant_id        INTEGER NOT NULL,
    id               INTEGER NOT NULL,
    external_id      TEXT,
    customer_id      INTEGER,
    lead_id          INTEGER,
    deal_id          INTEGER,
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    duration_seconds INTEGER NOT NULL CHECK (duration_seconds >= 0),
    outcome          TEXT,
    notes            TEXT,
    occurred_at      INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id)
);
CREATE UNIQUE INDEX calls_external_id ON calls (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX calls_customer ON calls (tenant_id, customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX calls_lead ON calls (tenant_id, lead_id, id) WHERE lead_id IS NOT NULL;
CREATE INDEX calls_deal ON calls (tenant_id, deal_id, id) WHERE deal_id IS NOT NULL;

-- Activities belong to exactly one lead or deal (quotes arrive with their own migration).
CREATE TABLE activities (
    tenant_id   INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    external_id TEXT,
    entity_type TEXT NOT NULL CHECK (entity_type IN ('lead', 'deal')),
    lead_id     INTEGER,
    deal_id     INTEGER,
    kind        TEXT NOT NULL,
    body        TEXT,
    actor_id    INTEGER,
    occurred_at INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK ((entity_type = 'lead' AND lead_id IS NOT NULL AND deal_id IS NULL)
        OR (entity_type = 'deal' AND deal_id IS NOT NULL AND lead_id IS NULL)),
    FOREIGN KEY (tenant_id, lead_id) REFERENCES leads (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES deals (tenant_id, id),
    FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX activities_external_id ON activities (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX activities_lead ON activities (tenant_id, lead_id, id) WHERE lead_id IS NOT NULL;
CREATE INDEX activities_deal ON activities (tenant_id, deal_id, id) WHERE deal_id IS NOT NULL;

CREATE TABLE audit_log (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    id          INTEGER NOT NULL,
    actor_id    INTEGER,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    before      TEXT,  -- JSON of the record before the change, NULL on create
    after       TEXT,  -- JSON of the record after the change
    at          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_type, entity_id, id);

-- The change feed orders every change of every tenant: derived structures (search index, caches)
-- apply it in `seq` order and remember how far they got. `seq` is the rowid: each new entry gets
-- one more than the largest, so it only grows as long as the newest entry is never deleted
-- (compaction keeps it). That saves AUTOINCREMENT's extra page write on every commit.
CREATE TABLE change_feed (
    seq         INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    entity_type TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    at          INTEGER NOT NULL
);

-- PostgreSQL's version 10 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V10__lists.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Lists you can work in (API.md "Leads workspace, views and the board"): the indexes behind
-- the sorts of the busiest lists, saved views, lead scoring and round-robin assignment.

-- Sorts. Each index is the tenant, the sort key exactly as `records::sort_key` writes it
-- (text as `lower(column)`, an enumeration as its declared position), then the id that
-- breaks ties; a sorted page is then one range of one index in either direction. Rows without
-- a value sit together at the start of each index and are read as the list's last part.
-- Owner indexes cover every row now (a list of the leads without an owner reads them too).
DROP INDEX leads_owner;
CREATE INDEX leads_owner ON leads (tenant_id, owner_id, id);
CREATE INDEX leads_sort_name ON leads (tenant_id, lower(name), id);
CREATE INDEX leads_sort_status ON leads (tenant_id, (CASE status WHEN 'new' THEN 0 WHEN 'contacted' THEN 1 WHEN 'qualified' THEN 2 WHEN 'unqualified' THEN 3 WHEN 'converted' THEN 4 END), id);
CREATE INDEX leads_sort_score ON leads (tenant_id, score, id);
CREATE INDEX leads_sort_created ON leads (tenant_id, created_at, id);
CREATE INDEX leads_sort_updated ON leads (tenant_id, updated_at, id);

DROP INDEX deals_owner;
CREATE INDEX deals_owner ON deals (tenant_id, owner_id, id);
CREATE INDEX deals_sort_title ON deals (tenant_id, lower(title), id);
CREATE INDEX deals_sort_value ON deals (tenant_id, value, id);
CREATE INDEX deals_sort_status ON deals (tenant_id, (CASE status WHEN 'open' THEN 0 WHEN 'won' THEN 1 WHEN 'lost' THEN 2 END), id);
CREATE INDEX deals_sort_expected_close ON deals (tenant_id, expected_close_at, id);
CREATE INDEX deals_sort_closed ON deals (tenant_id, closed_at, id);
CREATE INDEX deals_sort_created ON deals (tenant_id, created_at, id);
CREATE INDEX deals_sort_updated ON deals (tenant_id, updated_at, id);

CREATE INDEX customers_sort_name ON customers (tenant_id, lower(name), id);
CREATE INDEX customers_sort_churn_risk ON customers (tenant_id, churn_risk, id);
CREATE INDEX customers_sort_last_contact ON customers (tenant_id, last_contact_at, id);
CREATE INDEX customers_sort_created ON customers (tenant_id, created_at, id);
CREATE INDEX customers_sort_updated ON customers (tenant_id, updated_at, id);

CREATE INDEX tickets_sort_status ON tickets (tenant_id, (CASE status WHEN 'open' THEN 0 WHEN 'pending' THEN 1 WHEN 'solved' THEN 2 WHEN 'closed' THEN 3 END), id);
CREATE INDEX tickets_sort_priority ON tickets (tenant_id, (CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 END), id);
CREATE INDEX tickets_sort_created ON tickets (tenant_id, created_at, id);
CREATE INDEX tickets_sort_updated ON tickets (tenant_id, updated_at, id);

CREATE INDEX quotes_sort_number ON quotes (tenant_id, lower(number), id);
CREATE INDEX quotes_sort_total ON quotes (tenant_id, total, id);
CREATE INDEX quotes_sort_valid_until ON quotes (tenant_id, valid_until, id);
CREATE INDEX quotes_sort_created ON quotes (tenant_id, created_at, id);

-- Saved views of a list: the owner's alone unless shared with the tenant. A name is unique
-- among one owner's views of a kind, in any case.
CREATE TABLE views (
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    id         BIGINT NOT NULL,
    owner_id   BIGINT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    -- The criteria (`where`) and sort (`{field, direction}`) as JSON, NULL when absent.
    criteria   TEXT,
    sort       TEXT,
    -- The visible columns in order, a JSON array of field names.
    columns    TEXT NOT NULL,
    shared     BIGINT NOT NULL CHECK (shared IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) DEFERRABLE
);
CREATE UNIQUE INDEX views_name ON views (tenant_id, owner_id, kind, lower(name));
CREATE INDEX views_shared ON views (tenant_id, shared, kind);

-- Where each team's round-robin assignment of leads stopped: the member who got the last lead.
-- Read and written inside the assigning write transaction, which holds the database's write
-- lock, so two processes assigning at once continue one rotation.
CREATE TABLE round_robin (
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    team_id      BIGINT NOT NULL,
    last_user_id BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, team_id)
);

-- Lead scoring: a tenant's rules (a JSON array of {name, where, points}), the leads whose
-- score was set by hand (kept until they are rescored), and how far the scores have followed
-- the change feed. Nothing existing is rescored: no tenant has rules yet.
CREATE TABLE scoring_rules (
    tenant_id  BIGINT PRIMARY KEY REFERENCES tenants(id) DEFERRABLE,
    rules      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE lead_scores_by_hand (
    tenant_id BIGINT NOT NULL,
    lead_id   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, lead_id)
);
CREATE TABLE scoring_follower (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    applied BIGINT NOT NULL
);
INSERT INTO scoring_follower (id, applied) SELECT 1, COALESCE(MAX(seq), 0) FROM change_feed;

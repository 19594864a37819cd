-- Segments: saved criteria over a tenant's customers (the criteria as canonical JSON), and
-- their memberships, which follow the change feed (`segment_follower` holds how far) so each
-- customer's entering and leaving is kept with its time and told to hosts through the feed.
CREATE TABLE segments (
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    id           INTEGER NOT NULL,
    external_id  TEXT,
    name         TEXT NOT NULL,
    description  TEXT,
    criteria     TEXT NOT NULL,
    refreshed_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX segments_name ON segments (tenant_id, name);
CREATE UNIQUE INDEX segments_external_id ON segments (tenant_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE segment_members (
    tenant_id   INTEGER NOT NULL,
    segment_id  INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    entered_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, segment_id, customer_id),
    FOREIGN KEY (tenant_id, segment_id) REFERENCES segments (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE segment_history (
    seq         INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    segment_id  INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('entered', 'exited')),
    at          INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, segment_id) REFERENCES segments (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX segment_history_segment ON segment_history (tenant_id, segment_id, seq);
CREATE INDEX segment_history_customer ON segment_history (tenant_id, segment_id, customer_id, seq);

-- One row: the last change-feed sequence the memberships have applied. No segment exists yet,
-- so everything up to now is applied.
CREATE TABLE segment_follower (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    applied INTEGER NOT NULL
);
INSERT INTO segment_follower (id, applied) SELECT 1, COALESCE(MAX(seq), 0) FROM change_feed;

-- A membership entry of the feed names its segment here (`entity_id` is the customer).
ALTER TABLE change_feed ADD COLUMN parent_id INTEGER;

-- Related-record conditions: a customer's tickets by creation time (`ticket.count` with
-- `withinDays`, `ticket.lastCreatedDays`).
CREATE INDEX tickets_customer_created ON tickets (tenant_id, customer_id, created_at) WHERE customer_id IS NOT NULL;

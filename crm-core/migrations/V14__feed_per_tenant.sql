-- Followers of the change feed keep their place per tenant. Within a tenant commit order is
-- sequence order (a writer holds its tenant's write lock from its first statement to its
-- commit); across tenants it need not be on a server where tenants write side by side, so a
-- single position for every tenant could pass an entry still in flight. Segment memberships,
-- lead scores and analytics sums each have a row per tenant here (none yet: the follower has
-- not run for the tenant); the search index keeps its positions in its own commits.
CREATE TABLE feed_positions (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    -- `segments`, `scoring` or `analytics`.
    follower  TEXT NOT NULL,
    -- The last sequence of this tenant's feed the follower has applied.
    applied   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, follower)
);

-- The one position each follower had applies to every tenant: everything at or below it is
-- applied. Analytics sums never built (NULL) stay without a row.
INSERT INTO feed_positions (tenant_id, follower, applied)
SELECT t.id, 'segments', f.applied FROM tenants t, segment_follower f;
INSERT INTO feed_positions (tenant_id, follower, applied)
SELECT t.id, 'scoring', f.applied FROM tenants t, scoring_follower f;
INSERT INTO feed_positions (tenant_id, follower, applied)
SELECT t.id, 'analytics', f.applied FROM tenants t, analytics_follower f
 WHERE f.applied IS NOT NULL;

DROP TABLE segment_follower;
DROP TABLE scoring_follower;
DROP TABLE analytics_follower;

-- The feed and segment histories are numbered per tenant, from the tenant's counters in
-- `id_sequences` (`change_feed`, `segment_history`), taken inside the writing transaction, and
-- keyed by (tenant_id, seq) like every tenant table (what sharding by tenant needs). Entries
-- keep their numbers, which already grew within each tenant; the counters go on from the
-- largest, so a host's `after` stays valid.
CREATE TABLE change_feed_new (
    seq         INTEGER NOT NULL,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    entity_type TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    at          INTEGER NOT NULL,
    action      TEXT,
    actor_id    INTEGER,
    parent_id   INTEGER,
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
INSERT INTO change_feed_new (seq, tenant_id, entity_type, entity_id, op, at, action, actor_id, parent_id)
SELECT seq, tenant_id, entity_type, entity_id, op, at, action, actor_id, parent_id FROM change_feed;
DROP TABLE change_feed;
ALTER TABLE change_feed_new RENAME TO change_feed;

CREATE TABLE segment_history_new (
    seq         INTEGER NOT NULL,
    tenant_id   INTEGER NOT NULL,
    segment_id  INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('entered', 'exited')),
    at          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    FOREIGN KEY (tenant_id, segment_id) REFERENCES segments (tenant_id, id)
) WITHOUT ROWID;
INSERT INTO segment_history_new (seq, tenant_id, segment_id, customer_id, change, at)
SELECT seq, tenant_id, segment_id, customer_id, change, at FROM segment_history;
DROP TABLE segment_history;
ALTER TABLE segment_history_new RENAME TO segment_history;
CREATE INDEX segment_history_segment ON segment_history (tenant_id, segment_id, seq);
CREATE INDEX segment_history_customer ON segment_history (tenant_id, segment_id, customer_id, seq);

INSERT INTO id_sequences (tenant_id, kind, last_id)
SELECT tenant_id, 'change_feed', MAX(seq) FROM change_feed GROUP BY tenant_id
ON CONFLICT (tenant_id, kind) DO UPDATE SET last_id = MAX(id_sequences.last_id, excluded.last_id);
INSERT INTO id_sequences (tenant_id, kind, last_id)
SELECT tenant_id, 'segment_history', MAX(seq) FROM segment_history GROUP BY tenant_id
ON CONFLICT (tenant_id, kind) DO UPDATE SET last_id = MAX(id_sequences.last_id, excluded.last_id);

-- PostgreSQL's version 14 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V14__feed_per_tenant.sql (crm-core's `postgres_schema` test compares
-- the two). Integers are BIGINT.

-- Followers of the change feed keep their place per tenant. Within a tenant commit order is
-- sequence order (a writer holds its tenant's write lock from its first statement to its
-- commit); across tenants it need not be on a server where tenants write side by side, so a
-- single position for every tenant could pass an entry still in flight. Segment memberships,
-- lead scores and analytics sums each have a row per tenant here (none yet: the follower has
-- not run for the tenant); the search index keeps its positions in its own commits.
CREATE TABLE feed_positions (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    -- `segments`, `scoring` or `analytics`.
    follower  TEXT NOT NULL,
    -- The last sequence of this tenant's feed the follower has applied.
    applied   BIGINT NOT NULL,
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
ALTER TABLE change_feed ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE change_feed DROP CONSTRAINT change_feed_pkey;
ALTER TABLE change_feed ADD PRIMARY KEY (tenant_id, seq);
DROP INDEX change_feed_tenant;

ALTER TABLE segment_history ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE segment_history DROP CONSTRAINT segment_history_new_pkey;
ALTER TABLE segment_history ADD PRIMARY KEY (tenant_id, seq);

INSERT INTO id_sequences (tenant_id, kind, last_id)
SELECT tenant_id, 'change_feed', MAX(seq) FROM change_feed GROUP BY tenant_id
ON CONFLICT (tenant_id, kind) DO UPDATE SET last_id = GREATEST(id_sequences.last_id, excluded.last_id);
INSERT INTO id_sequences (tenant_id, kind, last_id)
SELECT tenant_id, 'segment_history', MAX(seq) FROM segment_history GROUP BY tenant_id
ON CONFLICT (tenant_id, kind) DO UPDATE SET last_id = GREATEST(id_sequences.last_id, excluded.last_id);

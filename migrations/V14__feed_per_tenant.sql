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

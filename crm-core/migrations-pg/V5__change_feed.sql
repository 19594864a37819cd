-- PostgreSQL's version 5 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V5__change_feed.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Hosts read a tenant's change feed in commit order (`changes.list`): index it by tenant so a page
-- costs the same however many changes other tenants made. Entries also keep the action (the
-- method: `links.linkTicketToLead`) and the actor, as the audit entry written beside them does;
-- entries written before V5 have neither.
CREATE INDEX change_feed_tenant ON change_feed (tenant_id, seq);
ALTER TABLE change_feed ADD COLUMN action TEXT;
ALTER TABLE change_feed ADD COLUMN actor_id BIGINT;

-- PostgreSQL's version 2 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V2__queue_indexes.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Helpdesk queues list a team's tickets and a channel's open conversations; index both so those
-- pages cost the same at any depth.
CREATE INDEX tickets_team ON tickets (tenant_id, team_id, id) WHERE team_id IS NOT NULL;
CREATE INDEX conversations_status ON conversations (tenant_id, status, id);

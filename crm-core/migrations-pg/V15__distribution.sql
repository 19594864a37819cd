-- PostgreSQL's version 15 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V15__distribution.sql (nothing changes them).

-- With the Citus extension in the database, the tables are spread over its nodes by tenant:
-- `tenants` becomes a reference table (a copy on every node) and every table with a
-- `tenant_id` a distributed table on that column, all co-located, so a tenant's rows live on
-- one node and every statement (each names its tenant) runs there. Every key, unique index
-- and foreign key of a tenant table leads with `tenant_id`, as Citus requires (CI proves the
-- shape on plain PostgreSQL by partitioning every tenant table by hash of `tenant_id`). Tables
-- are distributed after the ones their foreign keys point at. The timeline's and the board's
-- triggers write rows of the same tenant, on the same node: Citus runs them with
-- `citus.enable_unsafe_triggers`. Without Citus nothing happens; `crm_distribute_by_tenant()`
-- stays for a database that gains Citus later (and for the test of its order).
CREATE FUNCTION crm_distribute_by_tenant() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    pending TEXT[];
    t TEXT;
    progressed BOOLEAN;
BEGIN
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    EXECUTE 'SELECT create_reference_table(''tenants'')';
    SELECT array_agg(CAST(c.relname AS TEXT) ORDER BY c.relname) INTO pending
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
     WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind = 'r';
    WHILE cardinality(pending) > 0 LOOP
        progressed := FALSE;
        FOREACH t IN ARRAY pending LOOP
            IF NOT EXISTS (
                SELECT 1 FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid
                 WHERE k.contype = 'f' AND k.conrelid = CAST(quote_ident(t) AS regclass)
                   AND k.confrelid <> k.conrelid
                   AND CAST(r.relname AS TEXT) = ANY (pending)
            ) THEN
                EXECUTE format('SELECT create_distributed_table(%L, %L)', quote_ident(t), 'tenant_id');
                pending := array_remove(pending, t);
                progressed := TRUE;
            END IF;
        END LOOP;
        IF NOT progressed THEN
            RAISE EXCEPTION 'foreign keys in a circle among %', pending;
        END IF;
    END LOOP;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM crm_distribute_by_tenant();
    END IF;
END
$$;

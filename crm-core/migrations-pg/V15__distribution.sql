-- PostgreSQL's version 15 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V15__distribution.sql (nothing changes them).

-- With the Citus extension in the database, the tables are spread over its nodes by tenant:
-- `tenants` becomes a reference table (a copy on every node) and every table with a
-- `tenant_id` a distributed table on that column, all co-located, so a tenant's rows live on
-- one node and every statement (each names its tenant) runs there. Every key, unique index
-- and foreign key of a tenant table leads with `tenant_id`, as Citus requires (CI proves the
-- shape on plain PostgreSQL by partitioning every tenant table by hash of `tenant_id`).
--
-- Citus refuses a foreign key between a local and a distributed table in either direction,
-- so no order of distributing the tables one by one works while they point at each other:
-- the foreign keys are taken off, every table is distributed, and the same keys are put back
-- (Citus makes them on every shard), all in this transaction. `SET CONSTRAINTS ALL DEFERRED`
-- reaches only the node it runs on, and Citus runs a tenant's statements on its worker, so
-- there the keys are checked at commit (`INITIALLY DEFERRED`), where the engine's deferring
-- writes (merge, erasure, restore) need them checked. Rows already there (a database that
-- gains Citus later, the way to move a SQLite file onto Citus) move into the shards as they
-- are, with the triggers off. The timeline's and the board's triggers write rows of the same
-- tenant, on the same node: Citus runs them with `citus.enable_unsafe_triggers`, and their
-- functions name this schema as their search path (a worker's session does not). Views are
-- made again so that Citus puts them on every node. Without Citus nothing happens;
-- `crm_distribute_by_tenant()` stays for a database that gains Citus later.
--
-- (The first text of this version distributed the tables one by one, referenced tables
-- first, which Citus refuses; it never ran on Citus. A database that applied it without
-- Citus is brought to this text when crm opens it: see `store::migrate_postgres`.)
CREATE OR REPLACE FUNCTION crm_distribute_by_tenant() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k RECORD;
    f OID;
    v OID;
    t TEXT;
    keys TEXT[] := '{}';
    tables TEXT[] := '{}';
    definitions TEXT[] := '{}';
    distributed TEXT[];
BEGIN
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    -- Foreign keys to the reference table are made in the same transaction as the shards:
    -- Citus then needs one connection per worker, not several at once.
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    FOR k IN
        SELECT CAST(c.relname AS TEXT) AS tab, CAST(f.conname AS TEXT) AS name,
               pg_get_constraintdef(f.oid) AS definition
          FROM pg_constraint f
          JOIN pg_class c ON c.oid = f.conrelid
         WHERE f.contype = 'f' AND f.connamespace = CAST(current_schema() AS regnamespace)
         ORDER BY 1, 2
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', k.tab, k.name);
        tables := tables || k.tab;
        keys := keys || k.name;
        definitions := definitions || k.definition;
    END LOOP;
    -- Triggers run on the workers, where a session's search path does not name this schema:
    -- their functions carry it.
    FOR f IN
        SELECT p.oid FROM pg_proc p
         WHERE p.pronamespace = CAST(current_schema() AS regnamespace)
           AND p.prorettype = CAST('trigger' AS regtype)
         ORDER BY p.proname
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I',
                       CAST(f AS regprocedure), current_schema());
    END LOOP;
    SELECT array_agg(CAST(c.relname AS TEXT) ORDER BY c.relname) INTO distributed
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
     WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind = 'r';
    -- Rows already there are moved into the shards as they are, with what the triggers
    -- derived from them: the triggers are off while they move.
    FOREACH t IN ARRAY distributed LOOP
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', t);
    END LOOP;
    EXECUTE 'SELECT create_reference_table(''tenants'')';
    FOREACH t IN ARRAY distributed LOOP
        EXECUTE format('SELECT create_distributed_table(%L, %L)', quote_ident(t), 'tenant_id');
    END LOOP;
    FOR i IN 1 .. cardinality(keys) LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s INITIALLY DEFERRED',
                       tables[i], keys[i], definitions[i]);
    END LOOP;
    FOREACH t IN ARRAY distributed LOOP
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', t);
    END LOOP;
    -- A view made before its tables were distributed stays on this node, and a query that
    -- Citus sends to a worker through it fails there: made again, it is on every node. (Not
    -- the views an extension owns, Citus's own among them.)
    FOR v IN
        SELECT c.oid FROM pg_class c
         WHERE c.relkind = 'v' AND c.relnamespace = CAST(current_schema() AS regnamespace)
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
         ORDER BY c.oid
    LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', CAST(v AS regclass), pg_get_viewdef(v));
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

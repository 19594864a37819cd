-- PostgreSQL's version 12 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V12__imports.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- How far each import of a file got (API.md "Import and export": re-running a file creates
-- nothing twice). An import commits its rows in batches, each with this row's `rows_done`; a
-- run of the same file (the same bytes, kind and options: `fingerprint`) starts after it.
CREATE TABLE import_runs (
    tenant_id   BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rows_done   BIGINT NOT NULL,
    finished    BIGINT NOT NULL CHECK (finished IN (0, 1)),
    started_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint)
);

-- The rows of such an import that failed: a later run of the same file tries them again (once
-- the owner they named is a user, say), while the rows it wrote are not written twice.
CREATE TABLE import_failures (
    tenant_id   BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    row         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint, row)
);

-- How far each import of a file got (API.md "Import and export": re-running a file creates
-- nothing twice). An import commits its rows in batches, each with this row's `rows_done`; a
-- run of the same file (the same bytes, kind and options: `fingerprint`) starts after it.
CREATE TABLE import_runs (
    tenant_id   INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    kind        TEXT NOT NULL,
    rows_done   INTEGER NOT NULL,
    finished    INTEGER NOT NULL CHECK (finished IN (0, 1)),
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint)
) WITHOUT ROWID;

-- The rows of such an import that failed: a later run of the same file tries them again (once
-- the owner they named is a user, say), while the rows it wrote are not written twice.
CREATE TABLE import_failures (
    tenant_id   INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    row         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint, row)
) WITHOUT ROWID;

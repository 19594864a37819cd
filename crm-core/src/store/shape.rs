//! The shape sharding by tenant needs, proved on plain PostgreSQL: every tenant table turned
//! into one partitioned by hash of `tenant_id`. PostgreSQL then enforces what Citus does for a
//! distributed table — every primary key and unique index holds `tenant_id` — and the tests
//! run on it (`CRM_TEST_PARTITIONS`). `tenants` stays an ordinary table, as Citus keeps it a
//! reference table.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Turns every table of the current schema that has a `tenant_id` column into a table
/// partitioned by hash of it into `partitions` parts, keeping its columns, defaults, keys,
/// checks, indexes, triggers, its rows and the foreign keys and views around it. A key or
/// unique index without `tenant_id` makes it fail, naming it.
pub fn partition_by_tenant(client: &mut postgres::Client, partitions: u32) -> Result<()> {
    if partitions == 0 {
        return Err(Error::invalid("partitions", "must be 1 or more"));
    }
    let mut tx = client.transaction()?;
    // The schema's tables and views, in one pass over the catalog (a shared test server holds
    // many schemas); everything else is looked up by their oids, through the catalog's indexes.
    let mut tables: Vec<String> = Vec::new();
    let mut oids: Vec<u32> = Vec::new();
    let mut all: Vec<u32> = Vec::new();
    let mut views: Vec<(String, u32)> = Vec::new();
    for r in tx.query(
        "SELECT c.oid, CAST(c.relname AS TEXT), CAST(c.relkind AS TEXT),
                EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
           FROM pg_class c
          WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relkind IN ('r', 'v')
          ORDER BY 2",
        &[],
    )? {
        let (oid, name, kind, tenant): (u32, String, String, bool) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        match kind.as_str() {
            "v" => views.push((name, oid)),
            _ if tenant => {
                tables.push(name);
                oids.push(oid);
                all.push(oid);
            }
            _ => all.push(oid),
        }
    }
    let views: Vec<(String, String)> = views
        .into_iter()
        .map(|(name, oid)| {
            let definition: String = tx
                .query_one("SELECT pg_get_viewdef(CAST($1 AS oid))", &[&oid])?
                .get(0);
            Ok((name, definition))
        })
        .collect::<Result<_>>()?;
    // Every foreign key of the schema, dropped first and made again last: some point at the
    // tables being rebuilt.
    let foreign_keys: Vec<(String, String, String)> = tx
        .query(
            "SELECT CAST(CAST(conrelid AS regclass) AS TEXT), CAST(conname AS TEXT), pg_get_constraintdef(oid)
               FROM pg_constraint WHERE conrelid = ANY ($1) AND contype = 'f'",
            &[&all],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    // Keys and checks of each table, the primary key first.
    let mut constraints: HashMap<String, Vec<String>> = HashMap::new();
    for r in tx.query(
        "SELECT CAST(c.relname AS TEXT),
                format('ALTER TABLE %I ADD CONSTRAINT %I %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
          WHERE k.conrelid = ANY ($1) AND k.contype IN ('p', 'u', 'c')
          ORDER BY 1, k.contype <> 'p', k.conname",
        &[&oids],
    )? {
        constraints.entry(r.get(0)).or_default().push(r.get(1));
    }
    // Then indexes that back no constraint, and triggers.
    let mut rest: HashMap<String, Vec<String>> = HashMap::new();
    for r in tx.query(
        "SELECT CAST(c.relname AS TEXT), pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          WHERE i.indrelid = ANY ($1)
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
         UNION ALL
         SELECT CAST(c.relname AS TEXT), pg_get_triggerdef(t.oid)
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          WHERE t.tgrelid = ANY ($1) AND NOT t.tgisinternal",
        &[&oids],
    )? {
        rest.entry(r.get(0)).or_default().push(r.get(1));
    }
    let mut script = String::new();
    for view in &views {
        let _ = writeln!(script, "DROP VIEW \"{}\";", view.0);
    }
    for fk in &foreign_keys {
        let _ = writeln!(script, "ALTER TABLE {} DROP CONSTRAINT \"{}\";", fk.0, fk.1);
    }
    for table in &tables {
        let _ = writeln!(
            script,
            "ALTER TABLE \"{table}\" RENAME TO \"{table}__whole\";
             CREATE TABLE \"{table}\" (LIKE \"{table}__whole\" INCLUDING DEFAULTS INCLUDING GENERATED)
               PARTITION BY HASH (tenant_id);"
        );
        for part in 0..partitions {
            let _ = writeln!(
                script,
                "CREATE TABLE \"{table}_p{part}\" PARTITION OF \"{table}\"
                   FOR VALUES WITH (MODULUS {partitions}, REMAINDER {part});"
            );
        }
        let _ = writeln!(
            script,
            "INSERT INTO \"{table}\" SELECT * FROM \"{table}__whole\"; DROP TABLE \"{table}__whole\";"
        );
    }
    tx.batch_execute(&script)?;
    // Keys and indexes one table at a time, so that one without `tenant_id` is named.
    for table in &tables {
        let statements = constraints.get(table).into_iter().flatten();
        let statements = statements.chain(rest.get(table).into_iter().flatten());
        let batch: Vec<&String> = statements.collect();
        let joined = batch
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(";\n");
        tx.batch_execute("SAVEPOINT keys")?;
        if tx.batch_execute(&joined).is_err() {
            // Again one by one, to name the statement refused.
            tx.batch_execute("ROLLBACK TO SAVEPOINT keys")?;
            for statement in batch {
                tx.batch_execute(statement)
                    .map_err(|e| shape_error(table, statement, &e))?;
            }
        }
    }
    let mut script = String::new();
    for fk in &foreign_keys {
        let _ = writeln!(
            script,
            "ALTER TABLE {} ADD CONSTRAINT \"{}\" {};",
            fk.0, fk.1, fk.2
        );
    }
    for view in &views {
        let _ = writeln!(script, "CREATE VIEW \"{}\" AS {}", view.0, view.1);
    }
    tx.batch_execute(&script)?;
    tx.commit()?;
    Ok(())
}

fn shape_error(table: &str, what: &str, e: &postgres::Error) -> Error {
    let message = e
        .as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_owned());
    Error::Internal(format!(
        "{table} cannot be partitioned by tenant: {what}: {message}"
    ))
}

//! Auto-link over many tickets: one transaction per batch, so a run interrupted anywhere
//! finishes when run again.

use super::{AutoLink, AutoLinkReport, DEFAULT_BATCH_SIZE, Links, MAX_BATCH_SIZE, examine, settle};
use crate::error::Error;
use crate::error::Result;
use crate::methods;
use crate::records;
use crate::sql::Connection;
use crate::sql::params;
use crate::tickets::Ticket;

/// The next batch of tickets after `after` (by id), or the given ones.
pub(crate) fn ticket_batch(
    c: &Connection,
    tenant: i64,
    after: i64,
    limit: u32,
) -> Result<Vec<Ticket>> {
    use crate::records::Record as _;
    let sql = format!(
        "{} WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        Ticket::SELECT
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![tenant, after, limit], Ticket::from_row)?;
    rows.collect::<Result<_, _>>()
}

impl Links<'_, '_> {
    /// Links tickets that have neither a lead nor a deal link (admin only). See [`AutoLink`].
    pub fn auto_link(&self, req: &AutoLink) -> Result<AutoLinkReport> {
        let mut report = AutoLinkReport {
            dry_run: req.dry_run,
            ..AutoLinkReport::default()
        };
        self.auto_link_batches(req, |batch| {
            report.add_counts(batch);
            report.matches.extend(batch.matches.iter().cloned());
            report.ambiguities.extend(batch.ambiguities.iter().cloned());
        })?;
        Ok(report)
    }

    /// Auto-link, one transaction per batch, calling `progress` with each batch's report. Memory
    /// stays flat however many tickets there are; a run that stops part-way leaves whole batches
    /// done, and the next run carries on (linked tickets are skipped).
    pub fn auto_link_batches(
        &self,
        req: &AutoLink,
        mut progress: impl FnMut(&AutoLinkReport),
    ) -> Result<()> {
        let batch = match req.batch_size {
            None => DEFAULT_BATCH_SIZE,
            Some(n @ 1..=MAX_BATCH_SIZE) => n,
            Some(n) => {
                return Err(Error::invalid(
                    "batchSize",
                    format!("must be between 1 and {MAX_BATCH_SIZE}, got {n}"),
                ));
            }
        };
        // Check the role before reading anything.
        self.0.admin(methods::LINKS_AUTO_LINK)?;
        let region = self.0.tenant().default_region.clone();
        if let Some(ids) = &req.ticket_ids {
            // Every id must be a ticket of this tenant, or nothing happens.
            self.0.read(|c, t| {
                for (i, id) in ids.iter().enumerate() {
                    if records::find::<Ticket>(c, t, id.0)?.is_none() {
                        return Err(Error::invalid(
                            format!("ticketIds[{i}]"),
                            format!("ticket {id} not found"),
                        ));
                    }
                }
                Ok(())
            })?;
            for chunk in ids.chunks(batch as usize) {
                let report = self.run(req.dry_run, &region, |c, t| {
                    chunk.iter().map(|id| records::get(c, t, id.0)).collect()
                })?;
                progress(&report);
            }
            return Ok(());
        }
        let mut after = 0;
        loop {
            let mut last = None;
            let report = self.run(req.dry_run, &region, |c, t| {
                let tickets = ticket_batch(c, t, after, batch)?;
                last = tickets.last().map(|t| t.id.0);
                Ok(tickets)
            })?;
            match last {
                Some(id) => after = id,
                None => return Ok(()),
            }
            progress(&report);
        }
    }

    /// One batch: in a write transaction, or on a read snapshot for a dry run.
    fn run(
        self,
        dry_run: bool,
        region: &str,
        load: impl FnOnce(&Connection, i64) -> Result<Vec<Ticket>>,
    ) -> Result<AutoLinkReport> {
        if dry_run {
            self.0.read(|c, t| {
                let tickets = load(c, t)?;
                // One snapshot for the whole batch, as the write path has.
                let snapshot = c.begin_read()?;
                let mut report = AutoLinkReport::default();
                for ticket in tickets {
                    if let Some(decision) = examine(&snapshot, t, region, &ticket, &mut report)? {
                        settle(None, &ticket, decision, &mut report)?;
                    }
                }
                snapshot.rollback()?;
                Ok(report)
            })
        } else {
            self.0.write_as_admin(methods::LINKS_AUTO_LINK, |tx| {
                let tickets = load(tx, tx.tenant)?;
                let (tenant, region) = (tx.tenant, tx.region.clone());
                // Decisions read through the same transaction they write in.
                let mut report = AutoLinkReport::default();
                for ticket in tickets {
                    if let Some(decision) = examine(tx, tenant, &region, &ticket, &mut report)? {
                        settle(Some(tx), &ticket, decision, &mut report)?;
                    }
                }
                Ok(report)
            })
        }
    }
}

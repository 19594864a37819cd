//! `changes.list`: a tenant's change feed for hosts that mirror, notify or sync (API.md "Change
//! feed"). Derived data that writes to the feed — segment memberships — catches up first, so a
//! host reading the feed sees a customer entering a segment right after the change that moved
//! them.

use crate::error::Result;
use crate::feed::{self, ChangesPage, ChangesRequest};
use crate::tenancy::Scope;

/// `changes.*`.
#[derive(Debug, Clone, Copy)]
pub struct Changes<'s, 'c>(&'s Scope<'c>);

impl<'c> Scope<'c> {
    /// This tenant's change feed.
    pub fn changes(&self) -> Changes<'_, 'c> {
        Changes(self)
    }
}

impl Changes<'_, '_> {
    /// The tenant's changes after `after`, oldest first, in commit order.
    pub fn list(&self, request: &ChangesRequest) -> Result<ChangesPage> {
        crate::segments::catch_up(self.0)?;
        feed::list(self.0, request)
    }

    /// The tenant's latest change-feed sequence: a cache key that moves with every write the
    /// tenant commits, from this process or any other sharing the database.
    pub fn head(&self) -> Result<i64> {
        self.0.read(crate::follow::head)
    }
}

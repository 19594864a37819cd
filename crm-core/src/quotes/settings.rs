//! What a tenant's quotes share: the tax rounding a new quote takes when neither the request
//! nor its template says, and the seller's block printed under the tenant's name.

use super::totals::TaxRounding;
use crate::catalog::RecordKind;
use crate::error::Result;
use crate::methods;
use crate::sql::{Connection, OptionalExtension, params};
use crate::store::Tx;
use crate::time;
use crate::validate;
use serde::{Deserialize, Serialize};

/// A tenant's quote settings (`quotes.getSettings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteSettings {
    /// `perLine` until an admin changes it.
    pub tax_rounding: TaxRounding,
    /// Printed under the seller's name on every quote: address, tax number, contact.
    pub seller: Option<String>,
}

/// What `quotes.updateSettings` takes (admins only); `seller: null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsChanges {
    /// The new `taxRounding`; absent leaves it.
    pub tax_rounding: Option<TaxRounding>,
    /// The new `seller`; `null` clears it, absent leaves it.
    #[serde(default, deserialize_with = "validate::patch")]
    pub seller: Option<Option<String>>,
}

pub(crate) fn read(c: &Connection, tenant: i64) -> Result<QuoteSettings> {
    Ok(
        c.prepare_cached("SELECT tax_rounding, seller FROM quote_settings WHERE tenant_id = ?1")?
            .query_row(params![tenant], |r| {
                let rounding: String = r.get(0)?;
                Ok(QuoteSettings {
                    tax_rounding: if rounding == "global" {
                        TaxRounding::Global
                    } else {
                        TaxRounding::PerLine
                    },
                    seller: r.get(1)?,
                })
            })
            .optional()?
            .unwrap_or_default(),
    )
}

fn update(tx: &mut Tx<'_>, changes: SettingsChanges) -> Result<QuoteSettings> {
    let before = read(tx, tx.tenant)?;
    let mut after = before.clone();
    if let Some(v) = changes.tax_rounding {
        after.tax_rounding = v;
    }
    if let Some(v) = changes.seller {
        after.seller = validate::opt_body("seller", v)?.filter(|s| !s.trim().is_empty());
    }
    tx.prepare_cached(
        "INSERT INTO quote_settings (tenant_id, tax_rounding, seller, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id) DO UPDATE SET tax_rounding = excluded.tax_rounding,
             seller = excluded.seller, updated_at = excluded.updated_at",
    )?
    .execute(params![
        tx.tenant,
        after.tax_rounding,
        after.seller,
        time::to_millis(tx.now)
    ])?;
    // The settings belong to the tenant: audited and fed as a change of it.
    let tenant = tx.tenant;
    tx.record_change(
        methods::QUOTES_UPDATE_SETTINGS,
        RecordKind::Tenant,
        tenant,
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

impl super::Quotes<'_, '_> {
    /// The tenant's quote settings.
    pub fn settings(&self) -> Result<QuoteSettings> {
        self.0.read(read)
    }

    /// Changes the tenant's quote settings (admins only).
    pub fn update_settings(&self, changes: SettingsChanges) -> Result<QuoteSettings> {
        self.0
            .write_as_admin(methods::QUOTES_UPDATE_SETTINGS, |tx| update(tx, changes))
    }
}

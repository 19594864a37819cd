//! Match keys: an email, a phone number and a company name written the way people write them,
//! folded to one spelling each, so records can be matched across spellings.

use crate::error::Result;
use crate::sql::{Connection, params};

/// The version of the key rules; rows with an older version get their keys recomputed on open.
pub const KEYS_VERSION: i64 = 1;

/// Legal-form words dropped from the end of a company name (after dots are removed, so
/// `S.A.` is `sa` and `B.V.` is `bv`).
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "gmbh",
    "mbh",
    "corp",
    "corporation",
    "co",
    "company",
    "plc",
    "sa",
    "sas",
    "sarl",
    "ag",
    "bv",
    "nv",
    "pty",
    "pte",
    "srl",
    "spa",
    "oy",
    "ab",
    "as",
    "kg",
    "kk",
    "se",
];

/// The three keys of a record with an email, a phone and a company, in that order.
pub fn keys(
    email: Option<&str>,
    phone: Option<&str>,
    company: Option<&str>,
    region: &str,
) -> [Option<String>; 3] {
    [
        email.and_then(email_key),
        phone.and_then(|p| phone_key(p, region)),
        company.and_then(company_key),
    ]
}

/// An email's key: trimmed and lower-cased; `None` if nothing is left.
pub fn email_key(email: &str) -> Option<String> {
    let key = email.trim().to_lowercase();
    (!key.is_empty()).then_some(key)
}

/// A phone number's key: E.164 (`+14155550132`), reading numbers without a country code as
/// numbers of `region` (ISO 3166 alpha-2). `None` if it is not a phone number.
pub fn phone_key(phone: &str, region: &str) -> Option<String> {
    let country = region.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(country, phone.trim()).ok()?;
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// A company's key: lower case, punctuation and spacing folded, trailing legal forms removed
/// (`ACME, Inc.`, `Acme  Inc` and `acme` are all `acme`). `None` if nothing is left.
pub fn company_key(company: &str) -> Option<String> {
    let lower = company.to_lowercase();
    let mut folded = String::with_capacity(lower.len());
    for c in lower.chars() {
        match c {
            // Dots and apostrophes join (`S.A.` → `sa`, `Margie's` → `margies`).
            '.' | '\'' | '’' => {}
            c if c.is_alphanumeric() => folded.push(c),
            _ => folded.push(' '),
        }
    }
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    // A name that is nothing but a legal form keeps it.
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    (!words.is_empty()).then(|| words.join(" "))
}

/// Computes the match keys of customers and leads written before they existed (`keys_version`
/// 0). Runs when a database is opened; does nothing once every row has its keys.
pub(crate) fn fill_keys(conn: &Connection) -> Result<()> {
    for table in ["customers", "leads"] {
        let pending: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE keys_version = 0"),
            params![],
            |r| r.get(0),
        )?;
        if pending == 0 {
            continue;
        }
        let tx = conn.begin_write(crate::sql::WriteLock::Database)?;
        {
            let mut read = tx.prepare(&format!(
                "SELECT r.tenant_id, r.id, r.email, r.phone, r.company, t.default_region
                 FROM {table} r JOIN tenants t ON t.id = r.tenant_id WHERE r.keys_version = 0"
            ))?;
            let mut write = tx.prepare(&format!(
                "UPDATE {table} SET email_key = ?3, phone_key = ?4, company_key = ?5, keys_version = ?6
                 WHERE tenant_id = ?1 AND id = ?2"
            ))?;
            let mut rows = read.query(params![])?;
            while let Some(r) = rows.next()? {
                let (tenant, id): (i64, i64) = (r.get(0)?, r.get(1)?);
                let (email, phone, company): (Option<String>, Option<String>, Option<String>) =
                    (r.get(2)?, r.get(3)?, r.get(4)?);
                let region: String = r.get(5)?;
                let [email_key, phone_key, company_key] = keys(
                    email.as_deref(),
                    phone.as_deref(),
                    company.as_deref(),
                    &region,
                );
                write.execute(params![
                    tenant,
                    id,
                    email_key,
                    phone_key,
                    company_key,
                    KEYS_VERSION
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_written_differently_are_one_number() {
        let key = phone_key("(415) 555-0132", "US");
        assert_eq!(key.as_deref(), Some("+14155550132"));
        for spelling in [
            "+1 415 555 0132",
            "415.555.0132",
            "415-555-0132",
            "+14155550132",
            " 4155550132 ",
        ] {
            assert_eq!(phone_key(spelling, "US"), key, "{spelling}");
        }
        // The region decides how a national number is read.
        assert_eq!(
            phone_key("030 1234567", "DE").as_deref(),
            Some("+49301234567")
        );
        assert_ne!(phone_key("415 555 0132", "GB"), key);
        assert_eq!(phone_key("not a phone", "US"), None);
        assert_eq!(phone_key("", "US"), None);
    }

    #[test]
    fn companies_fold_case_punctuation_spacing_and_legal_forms() {
        for spelling in [
            "Acme Inc",
            "ACME, Inc.",
            "acme",
            "Acme  Inc",
            "Acme LLC",
            "Acme Corp.",
            "Acme Pty Ltd",
        ] {
            assert_eq!(company_key(spelling).as_deref(), Some("acme"), "{spelling}");
        }
        assert_eq!(company_key("Blue Sky S.A.").as_deref(), Some("blue sky"));
        assert_eq!(
            company_key("Margie's Travel B.V.").as_deref(),
            Some("margies travel")
        );
        assert_eq!(company_key("Müller GmbH").as_deref(), Some("müller"));
        assert_eq!(
            company_key("Coho Winery").as_deref(),
            Some("coho winery"),
            "a word that starts like a suffix stays"
        );
        assert_eq!(
            company_key("AG").as_deref(),
            Some("ag"),
            "a name that is only a legal form keeps it"
        );
        assert_eq!(company_key(" ,. ").as_deref(), None);
    }

    #[test]
    fn emails_fold_case_and_space() {
        assert_eq!(
            email_key("  Ann.Lee@Example.COM ").as_deref(),
            Some("ann.lee@example.com")
        );
        assert_eq!(email_key("   "), None);
    }
}

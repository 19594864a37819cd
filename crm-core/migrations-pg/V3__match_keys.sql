-- PostgreSQL's version 3 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V3__match_keys.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Match keys for linking tickets to leads and customers: email (trimmed, lower case), phone
-- (E.164, read with the tenant's default region) and company (folded, legal forms removed).
-- They are computed in Rust (crm_core::matching) on every write. Rows written before this
-- migration have keys_version 0; crm-core fills their keys when it opens the database.
ALTER TABLE customers ADD COLUMN email_key TEXT;
ALTER TABLE customers ADD COLUMN phone_key TEXT;
ALTER TABLE customers ADD COLUMN company_key TEXT;
ALTER TABLE customers ADD COLUMN keys_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN email_key TEXT;
ALTER TABLE leads ADD COLUMN phone_key TEXT;
ALTER TABLE leads ADD COLUMN company_key TEXT;
ALTER TABLE leads ADD COLUMN keys_version BIGINT NOT NULL DEFAULT 0;

CREATE INDEX customers_email_key ON customers (tenant_id, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX customers_phone_key ON customers (tenant_id, phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX customers_company_key ON customers (tenant_id, company_key) WHERE company_key IS NOT NULL;
CREATE INDEX customers_keys_version ON customers (keys_version) WHERE keys_version = 0;
CREATE INDEX leads_email_key ON leads (tenant_id, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX leads_phone_key ON leads (tenant_id, phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX leads_company_key ON leads (tenant_id, company_key) WHERE company_key IS NOT NULL;
CREATE INDEX leads_keys_version ON leads (keys_version) WHERE keys_version = 0;

-- Why a change was made, where the record itself does not say (an auto-link's evidence).
ALTER TABLE audit_log ADD COLUMN note TEXT;

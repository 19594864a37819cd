-- PostgreSQL's version 8 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V8__products.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Products a quote's lines may name: a unit price in one currency, a default tax rate in basis
-- points, and whether they are offered now. A SKU is unique within a tenant, in any case.
CREATE TABLE products (
    tenant_id   BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    id          BIGINT NOT NULL,
    external_id TEXT,
    name        TEXT NOT NULL,
    sku         TEXT,
    unit_price  BIGINT NOT NULL CHECK (unit_price >= 0),
    currency    TEXT NOT NULL,
    tax_rate_bp BIGINT NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    active      BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX products_sku ON products (tenant_id, lower(sku)) WHERE sku IS NOT NULL;
CREATE UNIQUE INDEX products_external_id ON products (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX products_active ON products (tenant_id, active, id);

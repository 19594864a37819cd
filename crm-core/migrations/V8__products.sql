-- Products a quote's lines may name: a unit price in one currency, a default tax rate in basis
-- points, and whether they are offered now. A SKU is unique within a tenant, in any case.
CREATE TABLE products (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    id          INTEGER NOT NULL,
    external_id TEXT,
    name        TEXT NOT NULL,
    sku         TEXT,
    unit_price  INTEGER NOT NULL CHECK (unit_price >= 0),
    currency    TEXT NOT NULL,
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX products_sku ON products (tenant_id, sku COLLATE NOCASE) WHERE sku IS NOT NULL;
CREATE UNIQUE INDEX products_external_id ON products (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX products_active ON products (tenant_id, active, id);

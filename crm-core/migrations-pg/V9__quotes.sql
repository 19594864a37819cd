-- PostgreSQL's version 9 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V9__quotes.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Quotes (API.md "Products and quotes"): per-tenant settings, gap-free numbers, templates,
-- quotes with their lines, and the activities that put them on deal and customer timelines.
-- Money is in minor units of the quote's currency, rates and discounts in basis points,
-- quantities in thousandths: integers only.

-- What a tenant's quotes share: the default tax rounding and the seller's block printed under
-- the tenant's name (address, tax number). A tenant without a row has the defaults.
CREATE TABLE quote_settings (
    tenant_id    BIGINT PRIMARY KEY REFERENCES tenants(id) DEFERRABLE,
    tax_rounding TEXT NOT NULL CHECK (tax_rounding IN ('perLine', 'global')),
    seller       TEXT,
    updated_at   BIGINT NOT NULL
);

-- The last number given per tenant and year (`Q-2026-0001`). Taken inside the creating write
-- transaction, which holds the database's write lock: two processes never get the same number,
-- and a failed create rolls its number back with it, so numbers have no gaps.
CREATE TABLE quote_numbers (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    year      BIGINT NOT NULL,
    last      BIGINT NOT NULL CHECK (last >= 1),
    PRIMARY KEY (tenant_id, year)
);

CREATE TABLE quote_templates (
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    id           BIGINT NOT NULL,
    external_id  TEXT,
    name         TEXT NOT NULL,
    -- The default lines, as the JSON array `quotes.create` takes.
    lines        TEXT NOT NULL,
    discount_bp  BIGINT NOT NULL CHECK (discount_bp BETWEEN 0 AND 10000),
    notes        TEXT,
    terms        TEXT,
    valid_days   BIGINT CHECK (valid_days BETWEEN 0 AND 3650),
    tax_rounding TEXT CHECK (tax_rounding IN ('perLine', 'global')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX quote_templates_name ON quote_templates (tenant_id, lower(name));
CREATE UNIQUE INDEX quote_templates_external_id ON quote_templates (tenant_id, external_id) WHERE external_id IS NOT NULL;

-- One row per revision. `expired` is written by a refresh; a sent quote past `valid_until` reads
-- as expired before that, so the stored `sent` is never shown as sendable.
CREATE TABLE quotes (
    tenant_id     BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    id            BIGINT NOT NULL,
    external_id   TEXT,
    number        TEXT NOT NULL,
    revision      BIGINT NOT NULL CHECK (revision >= 1),
    -- The revision this one revised.
    previous_id   BIGINT,
    deal_id       BIGINT NOT NULL,
    -- The customer the quote is addressed to: the deal's when the first revision was made.
    customer_id   BIGINT,
    template_id   BIGINT,
    currency      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'accepted', 'rejected', 'expired', 'superseded')),
    valid_until   BIGINT,
    discount_bp   BIGINT NOT NULL CHECK (discount_bp BETWEEN 0 AND 10000),
    tax_rounding  TEXT NOT NULL CHECK (tax_rounding IN ('perLine', 'global')),
    notes         TEXT,
    terms         TEXT,
    line_count    BIGINT NOT NULL CHECK (line_count >= 0),
    -- `{subtotal, discount, tax: [{rateBp, base, amount}], total}` of the lines below; `total`
    -- also on its own for lists and sorting.
    totals        TEXT NOT NULL,
    total         BIGINT NOT NULL,
    -- The document as sent (seller, customer, deal, lines with product names, totals, terms):
    -- what is rendered from then on, whatever later happens to the records it names.
    snapshot      TEXT,
    sent_at       BIGINT,
    decided_at    BIGINT,
    reject_reason TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number, revision)
);
CREATE UNIQUE INDEX quotes_external_id ON quotes (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX quotes_deal ON quotes (tenant_id, deal_id, id);
CREATE INDEX quotes_customer ON quotes (tenant_id, customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX quotes_status ON quotes (tenant_id, status, id);
-- What a refresh looks for: sent quotes by the day they lapse.
CREATE INDEX quotes_lapsing ON quotes (tenant_id, valid_until) WHERE status = 'sent';

CREATE TABLE quote_lines (
    tenant_id   BIGINT NOT NULL,
    quote_id    BIGINT NOT NULL,
    position    BIGINT NOT NULL CHECK (position >= 0),
    product_id  BIGINT,
    description TEXT NOT NULL,
    quantity    BIGINT NOT NULL CHECK (quantity > 0),
    unit_price  BIGINT NOT NULL CHECK (unit_price >= 0),
    discount_bp BIGINT NOT NULL CHECK (discount_bp BETWEEN 0 AND 10000),
    tax_rate_bp BIGINT NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    gross       BIGINT NOT NULL,
    net         BIGINT NOT NULL,
    tax         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, quote_id, position)
);

-- Create, send, accept, reject, revise and expire: each on the deal's and customer's timelines.
CREATE TABLE quote_activities (
    tenant_id   BIGINT NOT NULL REFERENCES tenants(id) DEFERRABLE,
    id          BIGINT NOT NULL,
    quote_id    BIGINT NOT NULL,
    deal_id     BIGINT NOT NULL,
    customer_id BIGINT,
    kind        TEXT NOT NULL CHECK (kind IN ('created', 'sent', 'accepted', 'rejected', 'revised', 'expired')),
    body        TEXT,
    actor_id    BIGINT,
    occurred_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX quote_activities_quote ON quote_activities (tenant_id, quote_id, id);

-- The timeline's sources gain quote activities (V4 defined the rest; unchanged here).
DROP VIEW timeline_sources;
CREATE VIEW timeline_sources (tenant_id, owner_type, owner_id, occurred_at, kind, source_id, channel) AS
    SELECT tenant_id, 'customer', customer_id, created_at, 'conversation', id, channel
      FROM conversations
    UNION ALL
    SELECT m.tenant_id, 'customer', c.customer_id, m.sent_at, 'message', m.id, c.channel
      FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
    UNION ALL
    SELECT e.tenant_id, 'customer', t.customer_id, e.occurred_at, 'ticket_event', e.id, t.channel
      FROM ticket_events e JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
     WHERE t.customer_id IS NOT NULL
    UNION ALL
    SELECT e.tenant_id, 'lead', t.related_lead_id, e.occurred_at, 'ticket_event', e.id, t.channel
      FROM ticket_events e JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
     WHERE t.related_lead_id IS NOT NULL
    UNION ALL
    SELECT e.tenant_id, 'deal', t.related_deal_id, e.occurred_at, 'ticket_event', e.id, t.channel
      FROM ticket_events e JOIN tickets t ON t.tenant_id = e.tenant_id AND t.id = e.ticket_id
     WHERE t.related_deal_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'lead', lead_id, occurred_at, 'lead_activity', id, NULL
      FROM activities WHERE lead_id IS NOT NULL
    UNION ALL
    SELECT a.tenant_id, 'customer', l.customer_id, a.occurred_at, 'lead_activity', a.id, NULL
      FROM activities a JOIN leads l ON l.tenant_id = a.tenant_id AND l.id = a.lead_id
     WHERE l.customer_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'deal', deal_id, occurred_at, 'deal_activity', id, NULL
      FROM activities WHERE deal_id IS NOT NULL
    UNION ALL
    SELECT a.tenant_id, 'customer', d.customer_id, a.occurred_at, 'deal_activity', a.id, NULL
      FROM activities a JOIN deals d ON d.tenant_id = a.tenant_id AND d.id = a.deal_id
     WHERE d.customer_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'customer', customer_id, occurred_at, 'call', id, 'phone'
      FROM calls WHERE customer_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'lead', lead_id, occurred_at, 'call', id, 'phone'
      FROM calls WHERE lead_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'deal', deal_id, occurred_at, 'call', id, 'phone'
      FROM calls WHERE deal_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, 'deal', deal_id, occurred_at, 'quote_activity', id, NULL
      FROM quote_activities
    UNION ALL
    SELECT tenant_id, 'customer', customer_id, occurred_at, 'quote_activity', id, NULL
      FROM quote_activities WHERE customer_id IS NOT NULL;

CREATE FUNCTION timeline_quote_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timeline_entries VALUES
        (NEW.tenant_id, 'deal', NEW.deal_id, NEW.occurred_at, 'quote_activity', NEW.id, NULL);
    INSERT INTO timeline_entries
    SELECT NEW.tenant_id, 'customer', NEW.customer_id, NEW.occurred_at, 'quote_activity', NEW.id, NULL
     WHERE NEW.customer_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_quote_activity_insert AFTER INSERT ON quote_activities
FOR EACH ROW
EXECUTE FUNCTION timeline_quote_activity_insert();
CREATE FUNCTION timeline_quote_activities_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: quote_activities.deal_id/customer_id/occurred_at cannot change' USING ERRCODE = 'check_violation';
    RETURN NEW;
END
$$;
CREATE TRIGGER timeline_quote_activities_fixed BEFORE UPDATE OF deal_id, customer_id, occurred_at ON quote_activities
FOR EACH ROW
WHEN (OLD.deal_id IS DISTINCT FROM NEW.deal_id OR OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at)
EXECUTE FUNCTION timeline_quote_activities_fixed();
CREATE FUNCTION timeline_quote_activities_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline: quote_activities cannot be deleted' USING ERRCODE = 'check_violation';
    RETURN OLD;
END
$$;
CREATE TRIGGER timeline_quote_activities_kept BEFORE DELETE ON quote_activities
FOR EACH ROW
EXECUTE FUNCTION timeline_quote_activities_kept();

-- PostgreSQL's version 11 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V11__board.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Deals as a board (API.md `deals.board`): each column's count and value totals per currency,
-- kept by triggers in the transaction of the write that changed a deal, so they are exact at
-- every commit and a board reads them in time proportional to its stages, not its deals. A
-- board with a `where` sums the matching deals instead. `crm check` compares them with the
-- deals and `--repair` rebuilds them.
CREATE TABLE board_totals (
    tenant_id   BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    stage_id    BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    deals       BIGINT NOT NULL,
    value       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, pipeline_id, stage_id, currency)
);

INSERT INTO board_totals (tenant_id, pipeline_id, stage_id, currency, deals, value)
SELECT tenant_id, pipeline_id, stage_id, currency, COUNT(*), SUM(value)
  FROM deals GROUP BY tenant_id, pipeline_id, stage_id, currency;

CREATE FUNCTION board_totals_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO board_totals (tenant_id, pipeline_id, stage_id, currency, deals, value)
    VALUES (new.tenant_id, new.pipeline_id, new.stage_id, new.currency, 1, new.value)
    ON CONFLICT (tenant_id, pipeline_id, stage_id, currency) DO UPDATE
    SET deals = board_totals.deals + 1, value = board_totals.value + excluded.value;
    RETURN NULL;
END
$$;
CREATE TRIGGER board_totals_insert AFTER INSERT ON deals
FOR EACH ROW
EXECUTE FUNCTION board_totals_insert();

CREATE FUNCTION board_totals_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE board_totals SET deals = deals - 1, value = value - old.value
     WHERE tenant_id = old.tenant_id AND pipeline_id = old.pipeline_id
       AND stage_id = old.stage_id AND currency = old.currency;
    INSERT INTO board_totals (tenant_id, pipeline_id, stage_id, currency, deals, value)
    VALUES (new.tenant_id, new.pipeline_id, new.stage_id, new.currency, 1, new.value)
    ON CONFLICT (tenant_id, pipeline_id, stage_id, currency) DO UPDATE
    SET deals = board_totals.deals + 1, value = board_totals.value + excluded.value;
    RETURN NULL;
END
$$;
CREATE TRIGGER board_totals_update AFTER UPDATE OF pipeline_id, stage_id, currency, value ON deals
FOR EACH ROW
EXECUTE FUNCTION board_totals_update();

CREATE FUNCTION board_totals_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE board_totals SET deals = deals - 1, value = value - old.value
     WHERE tenant_id = old.tenant_id AND pipeline_id = old.pipeline_id
       AND stage_id = old.stage_id AND currency = old.currency;
    RETURN NULL;
END
$$;
CREATE TRIGGER board_totals_delete AFTER DELETE ON deals
FOR EACH ROW
EXECUTE FUNCTION board_totals_delete();

-- A column's cards: newest activity (the deal's last change) first, or by value; each a range
-- of one index. Other sorts of a column read the column's deals and sort them.
CREATE INDEX deals_board_updated ON deals (tenant_id, pipeline_id, stage_id, updated_at, id);
CREATE INDEX deals_board_value ON deals (tenant_id, pipeline_id, stage_id, value, id);

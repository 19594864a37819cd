-- PostgreSQL's version 7 of the schema: the same tables, columns, keys, indexes, views and
-- triggers as ../migrations/V7__analytics.sql (crm-core's `postgres_schema` test compares the two).
-- Integers are BIGINT, triggers call PL/pgSQL functions, `IS NOT` between values is
-- `IS DISTINCT FROM`, text compared ignoring case is indexed as `lower(column)`.

-- Analytics: the funnel and rep performance read daily sums of deals, kept current from the
-- change feed (`analytics_follower` holds how far) and brought up to date before each answer.

-- One row: the last change-feed sequence the sums have applied; NULL until they are first
-- built from the deals themselves (databases made before this version have deals already).
CREATE TABLE analytics_follower (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    applied BIGINT
);
INSERT INTO analytics_follower (id, applied) VALUES (1, NULL);

-- What each deal adds to the sums now, so a change can take its old share away.
CREATE TABLE analytics_deals (
    tenant_id              BIGINT NOT NULL,
    deal_id                BIGINT NOT NULL,
    pipeline_id            BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    owner_id               BIGINT,
    currency               TEXT NOT NULL,
    value                  BIGINT NOT NULL,
    status                 TEXT NOT NULL,
    closed_at              BIGINT,
    stage_id               BIGINT NOT NULL,
    -- When the deal entered the stage it is in (its last stage change).
    entered_at             BIGINT NOT NULL,
    -- The furthest open or won stage its history shows, and the furthest open one.
    furthest_stage_id      BIGINT,
    furthest_open_stage_id BIGINT,
    -- The last stage-history row folded in.
    history_id             BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, deal_id)
);

-- Per pipeline, per day of deal creation (days since 1970-01-01 UTC), per stage: deals whose
-- furthest stage it is, deals in it now, deals lost whose furthest open stage it is, completed
-- stays in it and their total length in milliseconds.
CREATE TABLE analytics_funnel_days (
    tenant_id   BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    day         BIGINT NOT NULL,
    stage_id    BIGINT NOT NULL,
    furthest    BIGINT NOT NULL,
    current     BIGINT NOT NULL,
    lost_after  BIGINT NOT NULL,
    exits       BIGINT NOT NULL,
    stay_ms     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, pipeline_id, day, stage_id)
);

-- Per day, pipeline, owner (0: none) and currency: deals created and their value; deals won
-- (closed in a won stage that day), their value and their total days-to-close in
-- milliseconds; deals lost.
CREATE TABLE analytics_rep_days (
    tenant_id     BIGINT NOT NULL,
    day           BIGINT NOT NULL,
    pipeline_id   BIGINT NOT NULL,
    owner_id      BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    created       BIGINT NOT NULL,
    created_value BIGINT NOT NULL,
    won           BIGINT NOT NULL,
    won_value     BIGINT NOT NULL,
    won_ms        BIGINT NOT NULL,
    lost          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, pipeline_id, owner_id, currency)
);

-- A cohort's deals created in part of a day are read from the deals themselves.
CREATE INDEX deals_pipeline_created ON deals (tenant_id, pipeline_id, created_at);

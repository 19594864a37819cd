-- Analytics: the funnel and rep performance read daily sums of deals, kept current from the
-- change feed (`analytics_follower` holds how far) and brought up to date before each answer.

-- One row: the last change-feed sequence the sums have applied; NULL until they are first
-- built from the deals themselves (databases made before this version have deals already).
CREATE TABLE analytics_follower (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    applied INTEGER
);
INSERT INTO analytics_follower (id, applied) VALUES (1, NULL);

-- What each deal adds to the sums now, so a change can take its old share away.
CREATE TABLE analytics_deals (
    tenant_id              INTEGER NOT NULL,
    deal_id                INTEGER NOT NULL,
    pipeline_id            INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    owner_id               INTEGER,
    currency               TEXT NOT NULL,
    value                  INTEGER NOT NULL,
    status                 TEXT NOT NULL,
    closed_at              INTEGER,
    stage_id               INTEGER NOT NULL,
    -- When the deal entered the stage it is in (its last stage change).
    entered_at             INTEGER NOT NULL,
    -- The furthest open or won stage its history shows, and the furthest open one.
    furthest_stage_id      INTEGER,
    furthest_open_stage_id INTEGER,
    -- The last stage-history row folded in.
    history_id             INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, deal_id)
) WITHOUT ROWID;

-- Per pipeline, per day of deal creation (days since 1970-01-01 UTC), per stage: deals whose
-- furthest stage it is, deals in it now, deals lost whose furthest open stage it is, completed
-- stays in it and their total length in milliseconds.
CREATE TABLE analytics_funnel_days (
    tenant_id   INTEGER NOT NULL,
    pipeline_id INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    stage_id    INTEGER NOT NULL,
    furthest    INTEGER NOT NULL,
    current     INTEGER NOT NULL,
    lost_after  INTEGER NOT NULL,
    exits       INTEGER NOT NULL,
    stay_ms     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, pipeline_id, day, stage_id)
) WITHOUT ROWID;

-- Per day, pipeline, owner (0: none) and currency: deals created and their value; deals won
-- (closed in a won stage that day), their value and their total days-to-close in
-- milliseconds; deals lost.
CREATE TABLE analytics_rep_days (
    tenant_id     INTEGER NOT NULL,
    day           INTEGER NOT NULL,
    pipeline_id   INTEGER NOT NULL,
    owner_id      INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    created       INTEGER NOT NULL,
    created_value INTEGER NOT NULL,
    won           INTEGER NOT NULL,
    won_value     INTEGER NOT NULL,
    won_ms        INTEGER NOT NULL,
    lost          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, pipeline_id, owner_id, currency)
) WITHOUT ROWID;

-- A cohort's deals created in part of a day are read from the deals themselves.
CREATE INDEX deals_pipeline_created ON deals (tenant_id, pipeline_id, created_at);

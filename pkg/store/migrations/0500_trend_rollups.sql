-- 0500: team-wide trends (fatigue service, TrendsService and team-trend detection).
--
-- trend_sets_daily is a daily rollup of training_sets per (team, day, athlete, lift category):
-- 50M raw set rows shrink to about one row per athlete, day and lift, which is what weekly
-- volume-load, hard sets and best-e1RM series read. Sessions and wellness are about one row per
-- athlete and day already, so their trends read the raw tables with FINAL.
--
-- How the rollup stays exact although a materialized view sees every inserted block, duplicates
-- included (ingestion's recorder skips ids it already stored, but two deliveries of one batch
-- racing each other can still insert an event twice until ReplacingMergeTree merges):
--   * max-type states (best_e1rm_kg) are idempotent: a duplicate row cannot change a maximum.
--   * sum-type states are Int64/Float64 sums, so they can be corrected additively: the trends
--     reconciler (services/fatigue/internal/trends) periodically recomputes the days that had
--     rows recorded recently from training_sets FINAL (deduplicated by event id), compares them
--     with the rollup and inserts the difference (negative when a duplicate inflated a sum).
--     A pass is idempotent and self-healing: after it, the rollup equals the deduplicated raw
--     rows for those days, and anything a race left wrong is fixed by the next pass.
-- Readers merge with sumMerge/maxMerge and GROUP BY, never trusting a single stored row.
CREATE TABLE IF NOT EXISTS trend_sets_daily (
    team_id String,
    day Date,
    athlete_id String,
    lift_category String,
    set_rows AggregateFunction(sum, Int64),
    working_sets AggregateFunction(sum, Int64),
    volume_load_kg AggregateFunction(sum, Float64),
    hard_sets AggregateFunction(sum, Int64),
    best_e1rm_kg AggregateFunction(max, Float64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (team_id, day, athlete_id, lift_category);

-- Backfill what was recorded before this migration, deduplicated, only into an empty rollup so a
-- migration re-run after a partial failure cannot double it. It runs before the view exists: a
-- row recorded in between is missed here and added by the reconciler's first pass.
INSERT INTO trend_sets_daily (team_id, day, athlete_id, lift_category, set_rows, working_sets, volume_load_kg, hard_sets, best_e1rm_kg)
SELECT team_id, day, athlete_id, lift_category,
    sumState(toInt64(1)),
    sumState(toInt64(is_working)),
    sumState(if(is_working = 1, volume_load_kg, 0.)),
    sumState(toInt64(is_hard_set)),
    maxState(ifNull(e1rm_kg, 0.))
FROM training_sets FINAL
WHERE (SELECT count() FROM trend_sets_daily) = 0
GROUP BY team_id, day, athlete_id, lift_category;

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_sets_daily_mv TO trend_sets_daily AS
SELECT team_id, day, athlete_id, lift_category,
    sumState(toInt64(1)) AS set_rows,
    sumState(toInt64(is_working)) AS working_sets,
    sumState(if(is_working = 1, volume_load_kg, 0.)) AS volume_load_kg,
    sumState(toInt64(is_hard_set)) AS hard_sets,
    maxState(ifNull(e1rm_kg, 0.)) AS best_e1rm_kg
FROM training_sets
GROUP BY team_id, day, athlete_id, lift_category;

-- Position groups, from AthleteProfileUpdated on PROGRAMMING (the profile's KV revision is the
-- version, so a replayed older event never wins).
CREATE TABLE IF NOT EXISTS trend_athlete_profiles (
    team_id String,
    athlete_id String,
    position_group String,
    active UInt8,
    revision UInt64,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(revision)
ORDER BY (team_id, athlete_id);

-- Team-trend episodes: one row per episode id (deterministic per team, group, rule and start
-- week), rewritten when it ends; version orders the rewrites. payload is the TeamTrendDetected
-- (protobuf, base64) as published.
CREATE TABLE IF NOT EXISTS trend_episodes (
    episode_id String,
    team_id String,
    position_group String,
    rule UInt8,
    week_start Date,
    last_held_week Date,
    is_open UInt8,
    ended_week_start Date,
    payload String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (team_id, episode_id);

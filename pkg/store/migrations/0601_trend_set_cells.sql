-- 0601: trend_set_cells, the trends' set cells kept up to date by a materialized view: one row
-- per (team, athlete, day, lift category, exercise, reps, load) instead of one per set, so a
-- squad's 12-week set metrics read about a tenth of the rows and no FINAL over the wide raw
-- table (ClickHouse 18.16's FINAL merges every column it reads and was most of the query).
--
-- Why it stays exact although the view sees every inserted block, duplicates included (0501
-- dropped a rollup for that): set_rows counts every row the view saw. training_sets FINAL keeps
-- one row per (team, athlete, occurred_at, event_id), all of them on the row's day, so for one
-- athlete and day the rollup holds exactly the deduplicated sets when its set_rows equals the
-- number of rows in training_sets FINAL; any duplicate or re-recorded set makes set_rows larger.
-- The reader (services/fatigue/internal/trends/adapters) compares the two per athlete and day
-- and reads the days that differ from training_sets FINAL instead, so a duplicate costs speed,
-- never correctness.
--
-- Numbered after 0600 although it belongs to the trends (05xx): Migrate refuses a migration
-- older than the latest applied one, so a 05xx file would stop every database that has 0600.
CREATE TABLE IF NOT EXISTS trend_set_cells (
    team_id String,
    athlete_id String,
    day Date,
    lift_category String,
    exercise String,
    reps UInt32,
    load_kg Float64,
    set_rows AggregateFunction(sum, UInt64),
    working_sets AggregateFunction(sum, UInt64),
    hard_sets AggregateFunction(sum, UInt64),
    volume_load_kg AggregateFunction(sum, Float64),
    best_e1rm_kg AggregateFunction(max, Float64),
    rated_sets AggregateFunction(sum, UInt64),
    rpe_sum AggregateFunction(sum, Float64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (team_id, athlete_id, day, lift_category, exercise, reps, load_kg);

-- The view first, then the backfill: a set recorded in between is counted by both, which the
-- reader sees as a duplicate (it reads that day raw). The other order would miss it silently.
CREATE MATERIALIZED VIEW IF NOT EXISTS trend_set_cells_mv TO trend_set_cells AS
SELECT team_id, athlete_id, day, lift_category, exercise, reps, load_kg,
    sumState(toUInt64(1)) AS set_rows,
    sumState(toUInt64(is_working)) AS working_sets,
    sumState(toUInt64(is_hard_set)) AS hard_sets,
    sumState(if(is_working = 1, volume_load_kg, 0.)) AS volume_load_kg,
    maxState(ifNull(e1rm_kg, 0.)) AS best_e1rm_kg,
    sumState(toUInt64(is_working = 1 AND isNotNull(effective_rir) AND load_kg > 0)) AS rated_sets,
    sumState(if(is_working = 1 AND isNotNull(effective_rir) AND load_kg > 0, 10 - assumeNotNull(effective_rir), 0.)) AS rpe_sum
FROM training_sets
GROUP BY team_id, athlete_id, day, lift_category, exercise, reps, load_kg;

-- Without FINAL, like the view: rows not yet merged away count as duplicates, and those days
-- are read raw. A re-run after a failed backfill double counts the same way (slower, still
-- exact).
INSERT INTO trend_set_cells (team_id, athlete_id, day, lift_category, exercise, reps, load_kg, set_rows, working_sets, hard_sets,
    volume_load_kg, best_e1rm_kg, rated_sets, rpe_sum)
SELECT team_id, athlete_id, day, lift_category, exercise, reps, load_kg,
    sumState(toUInt64(1)),
    sumState(toUInt64(is_working)),
    sumState(toUInt64(is_hard_set)),
    sumState(if(is_working = 1, volume_load_kg, 0.)),
    maxState(ifNull(e1rm_kg, 0.)),
    sumState(toUInt64(is_working = 1 AND isNotNull(effective_rir) AND load_kg > 0)),
    sumState(if(is_working = 1 AND isNotNull(effective_rir) AND load_kg > 0, 10 - assumeNotNull(effective_rir), 0.))
FROM training_sets
GROUP BY team_id, athlete_id, day, lift_category, exercise, reps, load_kg;

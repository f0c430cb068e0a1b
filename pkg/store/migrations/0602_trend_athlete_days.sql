-- 0602: trend_athlete_days, what the team trends need of one athlete's day, computed ahead by the
-- fatigue service's trend summarizer (services/fatigue/internal/trends), and trend_day_inserts,
-- the count of rows ever inserted per athlete and day that tells when such a summary is stale.
--
-- Why: a squad's 12-week answer read five tables (set cells with their stored-set check,
-- sessions, first load days, wellness, assessments); on chDB each read costs 5-40 ms however few
-- rows it returns, so the answer took 20-30x a bare count() of the same sets. Read from here it is
-- three small reads (insert counts, stored days, stored days summed per bucket): about 7x.
--
-- How a summary stays exact without reading the raw tables at query time:
--   * trend_day_inserts counts every row inserted into the four source tables per (team,
--     athlete, day), duplicates included, by materialized views: a count only grows. Readers
--     sum a day's rows (SummingMergeTree merges them eventually, not at once).
--   * A summary row of day D stores token = the athlete's insert count over every day <= D at the
--     moment the summarizer began reading the raw rows (FINAL) it was computed from. Every metric
--     of day D depends only on rows of days <= D (RPE baselines look back 28 days, the first load
--     day back to the first session), so the row is exact while the count of days <= D still
--     equals its token. A row inserted later on any day <= D raises the count: the reader then
--     computes that athlete from the raw tables, and the summarizer's next pass rewrites the days
--     from the earliest changed one.
--   * A count that moved between the summarizer's reads makes the token smaller than the count
--     (a needless recomputation, never a wrong answer).
--   * A rewritten day is stored twice until ClickHouse merges the versions; readers skip FINAL
--     (slow on 18.16), notice the second row and compute that athlete from the raw tables.
-- Rows deleted from the source tables would not lower the count; nothing in the platform deletes
-- them.
CREATE TABLE IF NOT EXISTS trend_day_inserts (
    team_id String,
    athlete_id String,
    day Date,
    inserted UInt64
) ENGINE = SummingMergeTree(inserted)
ORDER BY (team_id, athlete_id, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_day_inserts_sets_mv TO trend_day_inserts AS
SELECT team_id, athlete_id, day, toUInt64(count()) AS inserted FROM training_sets GROUP BY team_id, athlete_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_day_inserts_sessions_mv TO trend_day_inserts AS
SELECT team_id, athlete_id, day, toUInt64(count()) AS inserted FROM training_sessions GROUP BY team_id, athlete_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_day_inserts_wellness_mv TO trend_day_inserts AS
SELECT team_id, athlete_id, day, toUInt64(count()) AS inserted FROM training_wellness GROUP BY team_id, athlete_id, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS trend_day_inserts_assessments_mv TO trend_day_inserts AS
SELECT team_id, athlete_id, as_of AS day, toUInt64(count()) AS inserted FROM fatigue_assessments GROUP BY team_id, athlete_id, as_of;

-- The views first, then the counts of what is already stored: a row inserted in between is
-- counted twice, which only makes its days look stale. A re-run double counts the same way.
INSERT INTO trend_day_inserts (team_id, athlete_id, day, inserted)
SELECT team_id, athlete_id, day, sum(n) FROM (
    SELECT team_id, athlete_id, day, toUInt64(count()) AS n FROM training_sets GROUP BY team_id, athlete_id, day
    UNION ALL SELECT team_id, athlete_id, day, toUInt64(count()) AS n FROM training_sessions GROUP BY team_id, athlete_id, day
    UNION ALL SELECT team_id, athlete_id, day, toUInt64(count()) AS n FROM training_wellness GROUP BY team_id, athlete_id, day
    UNION ALL SELECT team_id, athlete_id, as_of AS day, toUInt64(count()) AS n FROM fatigue_assessments GROUP BY team_id, athlete_id, as_of)
GROUP BY team_id, athlete_id, day;

-- One row per athlete and day with any stored row; version (the summarizer's clock) picks the
-- newest computation. The lift arrays have one element per lift category in the order of
-- services/fatigue/internal/trends/domain.LiftCategories; the wellness arrays one per item in the
-- order of its WellnessItems.
CREATE TABLE IF NOT EXISTS trend_athlete_days (
    team_id String,
    athlete_id String,
    day Date,
    token UInt64,
    version UInt64,
    set_rows Array(UInt64),
    working_sets Array(UInt64),
    hard_sets Array(UInt64),
    volume_load_kg Array(Float64),
    best_e1rm_kg Array(Float64),
    rpe_deviation_sum Float64,
    rpe_deviations UInt64,
    rpe_deviation_sets UInt64,
    session_load_au Float64,
    load_sessions UInt64,
    first_load_day Date,
    wellness_reports UInt64,
    wellness_sums Array(Float64),
    wellness_counts Array(UInt64),
    status UInt8,
    status_rows UInt64,
    other_rows UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (team_id, athlete_id, day);

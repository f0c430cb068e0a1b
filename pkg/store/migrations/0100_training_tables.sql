-- 0100: training data as recorded by the ingestion service's recorder (a durable consumer of the
-- TRAINING stream). One table per kind: training_sets, training_sessions, training_wellness,
-- training_readiness. Fatigue, trends and exports read them.
--
-- Conventions of all four tables:
--   * event_id is the event's UUID (client-supplied or derived from the record's content) and
--     the row key: ReplacingMergeTree collapses a replayed event at merge time. The recorder
--     also skips ids it already stored, but a crash between insert and ack can still leave a
--     duplicate until the next merge, so read with FINAL (or argMax(..., recorded_at) grouped by
--     event_id) where exact counts matter.
--   * team_id, athlete_id: subject-safe tokens; occurred_at: when it happened (UTC, seconds);
--     day: its UTC calendar day; recorded_at: when ingestion accepted it (the version column,
--     so the latest acceptance wins); source: app, device or import format ("strong", "hevy",
--     "fitnotes", "template", "pmdata").
--   * ORDER BY (team_id, athlete_id, occurred_at, event_id): per-athlete time ranges are
--     primary-key scans. PARTITION BY toYYYYMM(occurred_at).
--   * Optional measures are Nullable: NULL means "not reported", never 0.
-- Plain String rather than LowCardinality and DateTime rather than DateTime64 keep the schema
-- valid on ClickHouse 18.16 and chDB 26 alike.

-- One performed set. Loads are kilograms. Derived columns (computed by ingestion's domain
-- package at record time, so every reader agrees on them):
--   lift_category      squat | bench_press | deadlift | overhead_press | row | pull_up | other
--   set_type           warm_up | working | failure | drop
--   effective_rir      rir, else 10 - rpe, else 0 for a failure set, else NULL (unknown)
--   volume_load_kg     load_kg * reps
--   is_working         1 for working and failure sets (they feed e1RM, hard sets, signals)
--   is_hard_set        1 for a working set at effective_rir <= 3
--   e1rm_kg            estimated 1RM: RTS chart on reps + effective_rir for rated sets at
--                      RPE >= 7 and <= 10 reps; Epley load*(1+reps/30) for unrated sets <= 10
--                      reps; NULL when not eligible (warm-up, drop, no load, > 10 reps, RPE < 7)
--   e1rm_method        'rts' | 'epley' | '' (none)
--   e1rm_low_confidence 1 when e1rm_method = 'epley' (no rating: distance to failure unknown)
--   mean_velocity_mps  mean of rep_velocities_mps, NULL when not measured
--   best_velocity_mps  fastest rep; velocity loss in the set = 1 - last rep / best rep
CREATE TABLE IF NOT EXISTS training_sets (
    event_id String,
    team_id String,
    athlete_id String,
    occurred_at DateTime,
    day Date,
    recorded_at DateTime,
    source String,
    session_id String,
    exercise String,
    lift_category String,
    set_type String,
    set_index UInt32,
    load_kg Float64,
    original_unit String,
    reps UInt32,
    rpe Nullable(Float64),
    rir Nullable(Float64),
    effective_rir Nullable(Float64),
    volume_load_kg Float64,
    is_working UInt8,
    is_hard_set UInt8,
    e1rm_kg Nullable(Float64),
    e1rm_method String,
    e1rm_low_confidence UInt8,
    rep_velocities_mps Array(Float64),
    mean_velocity_mps Nullable(Float64),
    best_velocity_mps Nullable(Float64),
    notes String
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (team_id, athlete_id, occurred_at, event_id);

-- One session. occurred_at is its start.
--   session_rpe      CR-10 0-10, NULL when not reported (never invented)
--   session_load_au  session_rpe * duration_minutes (Foster 2001), NULL without session_rpe
--   activity         lowercase free text, e.g. "strength", "running", "soccer"
CREATE TABLE IF NOT EXISTS training_sessions (
    event_id String,
    team_id String,
    athlete_id String,
    occurred_at DateTime,
    day Date,
    recorded_at DateTime,
    source String,
    session_id String,
    name String,
    activity String,
    duration_minutes Float64,
    session_rpe Nullable(Float64),
    session_load_au Nullable(Float64),
    notes String
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (team_id, athlete_id, occurred_at, event_id);

-- One daily wellness questionnaire. Items 1-5 oriented so that 5 is best (McLean 2010); NULL
-- when skipped. joint_pain_locations[i] has score joint_pain_scores[i] (0-5);
-- joint_pain_max is the highest score (0 when none reported). readiness is 0-10 (PMData).
CREATE TABLE IF NOT EXISTS training_wellness (
    event_id String,
    team_id String,
    athlete_id String,
    occurred_at DateTime,
    day Date,
    recorded_at DateTime,
    source String,
    fatigue Nullable(UInt8),
    sleep_quality Nullable(UInt8),
    soreness Nullable(UInt8),
    stress Nullable(UInt8),
    mood Nullable(UInt8),
    motivation Nullable(UInt8),
    sleep_hours Nullable(Float64),
    readiness Nullable(UInt8),
    joint_pain_locations Array(String),
    joint_pain_scores Array(UInt8),
    joint_pain_max UInt8,
    soreness_areas Array(String),
    notes String
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (team_id, athlete_id, occurred_at, event_id);

-- One readiness measurement; every measure NULL when not taken.
--   ln_rmssd  natural log of hrv_rmssd_ms (what the HRV rule averages)
--   cmj_height_cm is the average of cmj_jump_count jumps
CREATE TABLE IF NOT EXISTS training_readiness (
    event_id String,
    team_id String,
    athlete_id String,
    occurred_at DateTime,
    day Date,
    recorded_at DateTime,
    source String,
    hrv_rmssd_ms Nullable(Float64),
    ln_rmssd Nullable(Float64),
    resting_hr_bpm Nullable(Float64),
    cmj_height_cm Nullable(Float64),
    cmj_jump_count Nullable(UInt32),
    notes String
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (team_id, athlete_id, occurred_at, event_id);

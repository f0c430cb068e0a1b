-- 0200: fatigue assessments. One row per published AthleteAssessed event, keyed on its event id
-- (ReplacingMergeTree: a replayed event replaces its own row). payload holds the whole
-- AthleteAssessed (protobuf, base64) so history can be explained later exactly as published.
CREATE TABLE IF NOT EXISTS fatigue_assessments (
    event_id String,
    team_id String,
    athlete_id String,
    as_of Date,
    assessed_at DateTime,
    status UInt8,
    score Float64,
    confidence Float64,
    abnormal_families Array(UInt8),
    rule_fired String,
    payload String,
    recorded_at DateTime
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(as_of)
ORDER BY (team_id, athlete_id, as_of, event_id);

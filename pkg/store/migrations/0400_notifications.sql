-- 0400: notifications. Every alert lifecycle change (raised, updated, delivered, failed,
-- acknowledged, resolved, escalated) as one row per NOTIFY event, and the delivery log: one row
-- per attempt with status code and latency. Keyed on the event id (deterministic per attempt),
-- so a replayed NOTIFY event collapses under FINAL.
CREATE TABLE IF NOT EXISTS alert_events (
    event_id String,
    alert_id String,
    team_id String,
    athlete_id String,
    change String,
    alert_kind String,
    severity String,
    detail String,
    occurred_at DateTime,
    recorded_at DateTime
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (team_id, alert_id, occurred_at, event_id);

CREATE TABLE IF NOT EXISTS alert_deliveries (
    event_id String,
    alert_id String,
    team_id String,
    athlete_id String,
    subscription_id String,
    channel String,
    destination String,
    attempt UInt32,
    delivered UInt8,
    status_code UInt32,
    latency_ms Float64,
    error String,
    will_retry UInt8,
    dead_lettered UInt8,
    digest UInt8,
    attempted_at DateTime
) ENGINE = ReplacingMergeTree(attempted_at)
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (team_id, alert_id, attempted_at, event_id);

-- Who did what: every AuditRecorded event of the AUDIT stream (key creation and revocation,
-- grant and team changes, signing-key rotation, coach decisions), one row per event, so staff
-- and auditors can query the trail with SQL. Written by the audit recorder (pkg/audit).
CREATE TABLE IF NOT EXISTS audit_log (
    event_id      String,    -- the Event id (UUIDv7), the row key: a redelivery replaces, never duplicates
    team_id       String,    -- team the action concerns; "_platform" for platform-wide actions
    occurred_at   DateTime,  -- when it happened (UTC, seconds)
    actor_subject String,    -- who: API key id, token subject or service name
    actor_role    String,    -- their role: device, athlete, coach, staff, admin, or empty for a service
    action        String,    -- e.g. "api_key.create", "grants.set", "deload.approve"
    resource_type String,    -- what kind of thing it acted on, e.g. "api_key"
    resource_id   String,    -- which one
    rpc           String,    -- the gRPC method that did it, when there was one
    detail        String,    -- a human sentence with the specifics (never a secret)
    recorded_at   DateTime   -- when the recorder stored it
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (team_id, occurred_at, event_id)

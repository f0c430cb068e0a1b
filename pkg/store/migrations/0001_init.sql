-- 0001: the platform's baseline. Facts about this installation as key/value pairs (for example
-- when it was initialised), so operators can tell what a database holds.
-- Every table is created IF NOT EXISTS because ClickHouse DDL is not transactional: a migration
-- that failed half-way runs again from the top. Second-precision DateTime keeps it valid
-- on ClickHouse 18.16 and chDB alike.
CREATE TABLE IF NOT EXISTS platform_meta (
    key String,
    value String,
    updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key;

INSERT INTO platform_meta (key, value, updated_at) SELECT 'initialised_at', toString(now()), now();

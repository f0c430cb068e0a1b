-- 0501: the trends read training_sets with FINAL (one grouped primary-key scan per query), so the
-- daily set rollup of 0500 and its view go: they were slower than the raw scan at squad size,
-- needed a reconciler to undo duplicates the view counted, and cost every set insert a second
-- write. The view goes first so no insert feeds a table being dropped.
DROP TABLE IF EXISTS trend_sets_daily_mv;
DROP TABLE IF EXISTS trend_sets_daily;

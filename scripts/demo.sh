#!/usr/bin/env bash
# `make demo`: start the all-in-one platform (data in ./.data, like `make run`), stream a
# simulated squad through its gRPC ingestion path with `sc demo`, show what it concluded, and
# keep the platform running for `sc status`, `sc explain`, `sc trends`, `sc alerts watch`.
# Ctrl-C stops the platform.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
data="${SC_DEMO_DATA_DIR:-./.data}"

bin/supercomp --data-dir "$data" --log-level warn &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 120); do
	if bin/sc --data-dir "$data" health --timeout 1s >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "demo: supercomp exited; see the messages above" >&2
		exit 1
	fi
	sleep 0.5
done
bin/sc --data-dir "$data" health >/dev/null

bin/sc --data-dir "$data" demo "$@"
echo
echo "supercomp keeps running on 127.0.0.1:7400 (Ctrl-C stops it); try the commands above in another terminal."
wait "$pid"

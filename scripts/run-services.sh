#!/usr/bin/env bash
# `make run-services`: the four services as separate processes, as in production but on one
# machine: one NATS JetStream server (natsd, the embedded server in a small launcher) and the
# ClickHouse server on 127.0.0.1:9000 (installed and started by scripts/clickhouse.sh).
# Data: ./.data/services (NATS) and the ClickHouse database `supercomp`. Ctrl-C stops them all.
#
# The services share one admin API key, kept in ./.data/services/credentials (mode 0600) and
# printed below; send it as `authorization: Bearer <key>`, e.g.
#   bin/sc --addr 127.0.0.1:7402 --token "$(cat .data/services/credentials)" status --team t1
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
data="${SC_SERVICES_DATA_DIR:-./.data/services}"
dsn="${SC_CLICKHOUSE_DSN:-clickhouse://127.0.0.1:9000/supercomp}"
mkdir -p "$data"

scripts/clickhouse.sh
if [ ! -s "$data/credentials" ]; then
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$data/credentials")
fi
key="$(cat "$data/credentials")"

pids=()
# Stop in reverse start order and wait for each, so the services drain while NATS still runs.
cleanup() {
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[$i]}" 2>/dev/null || true
		wait "${pids[$i]}" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# natsd gets a session of its own so a Ctrl-C in this terminal reaches only the services: NATS
# must outlive them while they drain, and cleanup stops it last.
setsid bin/natsd --store-dir "$data/nats" --port 4222 > "$data/natsd.url" &
pids+=($!)
for _ in $(seq 1 50); do grep -q NATS_URL "$data/natsd.url" 2>/dev/null && break; sleep 0.1; done
nats_url="$(sed -n 's/^NATS_URL=//p' "$data/natsd.url")"
[ -n "$nats_url" ] || { echo "run-services: natsd did not start" >&2; exit 1; }

# One after the other: the first applies the ClickHouse migrations for all.
for entry in ingestion:7401:7481:IngestionService fatigue:7402:7482:FatigueService \
	programming:7403:7483:ProgrammingService notifications:7404:7484:NotificationService; do
	IFS=: read -r name grpc http svc <<<"$entry"
	# The key goes through the environment, not argv, so `ps` does not show it.
	SC_ADMIN_KEY="$key" bin/"$name" --nats-url "$nats_url" --clickhouse-dsn "$dsn" \
		--grpc-addr "127.0.0.1:$grpc" --http-addr "127.0.0.1:$http" --log-format console &
	pids+=($!)
	for _ in $(seq 1 120); do
		bin/sc --addr "127.0.0.1:$grpc" health --timeout 1s --service "supercomp.$name.v1.$svc" >/dev/null 2>&1 && break
		sleep 0.5
	done
	bin/sc --addr "127.0.0.1:$grpc" health --service "supercomp.$name.v1.$svc" >/dev/null
	echo "run-services: $name serving on 127.0.0.1:$grpc (metrics on 127.0.0.1:$http)"
done
# The web console: a gRPC client of the four services (it reads neither NATS nor ClickHouse).
bin/console --http-addr 127.0.0.1:7405 --auth-addr 127.0.0.1:7401 --fatigue-addr 127.0.0.1:7402 \
	--programming-addr 127.0.0.1:7403 --notifications-addr 127.0.0.1:7404 --log-format console &
pids+=($!)
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:7405/healthz >/dev/null 2>&1 && break; sleep 0.1; done
echo "run-services: console on http://127.0.0.1:7405/ (sign in with a key, or: bin/sc console link --url http://127.0.0.1:7405 ...)"
echo "run-services: all four services up; NATS at $nats_url, ClickHouse at $dsn"
echo "run-services: admin key in $data/credentials; Ctrl-C stops everything"
wait

#!/usr/bin/env bash
# Make sure a ClickHouse server answers on 127.0.0.1 (native 9000, HTTP 8123) for the tests.
#
# Idempotent: if a server already answers, nothing is touched. Otherwise installs Debian's
# clickhouse-server and clickhouse-client (18.16) with apt when the binary is missing, and starts
# the packaged configuration as a daemon. The packaged config listens only on 127.0.0.1 and ::1.
# The pid file lives in <repo>/.cache/clickhouse.pid; stop the server with
#   kill "$(cat .cache/clickhouse.pid)"
#
# Environment:
#   SC_CLICKHOUSE_CONFIG   server config (default /etc/clickhouse-server/config.xml)
#   SC_CLICKHOUSE_WAIT     seconds to wait for the server to answer (default 30)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${SC_CLICKHOUSE_CONFIG:-/etc/clickhouse-server/config.xml}"
wait_s="${SC_CLICKHOUSE_WAIT:-30}"
pid_file="$repo/.cache/clickhouse.pid"

say() { echo "clickhouse.sh: $*"; }

answers() {
	if command -v curl >/dev/null 2>&1; then
		[ "$(curl -s --max-time 2 http://127.0.0.1:8123/ping 2>/dev/null)" = "Ok." ] && return 0
	fi
	if command -v clickhouse-client >/dev/null 2>&1; then
		clickhouse-client --host 127.0.0.1 --port 9000 --query 'SELECT 1' >/dev/null 2>&1 && return 0
	fi
	return 1
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		say "need root (or sudo) to run: $*"
		exit 1
	fi
}

if answers; then
	say "a ClickHouse server already answers on 127.0.0.1 (ports 8123/9000); nothing to do"
	exit 0
fi

if ! command -v clickhouse-server >/dev/null 2>&1; then
	say "clickhouse-server is not installed; installing clickhouse-server and clickhouse-client with apt"
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clickhouse-server clickhouse-client
fi

if [ ! -e "$config" ]; then
	say "server config $config not found (set SC_CLICKHOUSE_CONFIG)"
	exit 1
fi
# The packaged config listens on 127.0.0.1 and ::1 only; refuse to start one that opens the
# server to the network (an uncommented wildcard listen_host here or in config.d).
for f in "$config" "$(dirname "$config")"/config.d/*.xml; do
	[ -e "$f" ] || continue
	if grep -v '<!--' "$f" | grep -Eq '<listen_host>[[:space:]]*(::|0\.0\.0\.0)[[:space:]]*</listen_host>'; then
		say "$f makes ClickHouse listen on every interface; the tests expect the packaged loopback-only config"
		exit 1
	fi
done

mkdir -p "$repo/.cache"
# A stale pid file from a server that died would make clickhouse-server refuse to start.
if [ -f "$pid_file" ] && ! kill -0 "$(cat "$pid_file" 2>/dev/null)" 2>/dev/null; then
	rm -f "$pid_file"
fi

say "starting clickhouse-server (config $config, pid file $pid_file)"
as_root clickhouse-server --daemon --pid-file="$pid_file" --config-file="$config"

deadline=$((SECONDS + wait_s))
until answers; do
	if [ "$SECONDS" -ge "$deadline" ]; then
		say "ClickHouse did not answer on 127.0.0.1:8123 within ${wait_s}s; see /var/log/clickhouse-server/clickhouse-server.err.log"
		exit 1
	fi
	sleep 0.2
done
say "ClickHouse is up: native 127.0.0.1:9000, HTTP 127.0.0.1:8123 (pid $(cat "$pid_file" 2>/dev/null || echo '?'))"

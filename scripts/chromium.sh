#!/usr/bin/env bash
# Make sure a headless-capable Chromium is installed for the console's browser tests.
#
# Idempotent and quick when installed: prints the browser's path and exits. Otherwise installs
# Debian's `chromium` package with apt (as scripts/clickhouse.sh installs the ClickHouse server).
# The tests find the browser through SC_CHROMIUM (set by `make test` from this script's last
# line), else `chromium` or `chromium-browser` on PATH.
set -euo pipefail

say() { echo "chromium.sh: $*" >&2; }

find_browser() {
	for name in chromium chromium-browser; do
		if command -v "$name" >/dev/null 2>&1; then
			command -v "$name"
			return 0
		fi
	done
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

if path="$(find_browser)"; then
	echo "$path"
	exit 0
fi

say "chromium is not installed; installing Debian's chromium package with apt"
as_root apt-get update -q >&2
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >&2

if ! path="$(find_browser)"; then
	say "apt installed chromium but no chromium binary is on PATH"
	exit 1
fi
echo "$path"

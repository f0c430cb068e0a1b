#!/usr/bin/env bash
# Fetch libchdb.so (the embedded ClickHouse engine chdb-go loads at init) into a cache outside
# git and print its absolute path as the last line of stdout, so callers can do
#   CHDB_LIB_PATH="$(scripts/libchdb.sh | tail -n 1)"
#
# Idempotent: once the library is in the cache nothing is downloaded again. Progress messages go
# to stderr. The library comes from the npm package @chdb/lib-linux-x64-gnu (178 MB tarball,
# 566 MB library); it is never committed.
#
# Environment:
#   SC_CACHE_DIR   where to keep it (default ${XDG_CACHE_HOME:-$HOME/.cache}/supercomp/chdb/<version>)
set -euo pipefail

version="26.7.3-stable.1"
pkg="@chdb/lib-linux-x64-gnu@${version}"
dir="${SC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/supercomp/chdb/${version}}"
case "$dir" in
/*) ;;
*) dir="$PWD/$dir" ;;
esac
lib="$dir/package/libchdb.so"

say() { echo "libchdb.sh: $*" >&2; }

if [ -s "$lib" ]; then
	echo "$lib"
	exit 0
fi

case "$(uname -s)-$(uname -m)" in
Linux-x86_64) ;;
*)
	say "only linux x86_64 is supported (npm package $pkg); set CHDB_LIB_PATH to your own libchdb.so"
	exit 1
	;;
esac
if ! command -v npm >/dev/null 2>&1; then
	say "npm is needed to fetch $pkg (apt-get install -y npm), or set CHDB_LIB_PATH to a libchdb.so"
	exit 1
fi

mkdir -p "$dir"
tmp="$(mktemp -d "$dir/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

say "fetching libchdb (178 MB) from npm $pkg into $dir ..."
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tarball="$(ls "$tmp"/*.tgz)"
say "extracting libchdb.so (566 MB) ..."
tar -xzf "$tarball" -C "$tmp" package/libchdb.so
mkdir -p "$dir/package"
# Rename into place last, so an interrupted fetch never leaves a truncated library behind.
mv -f "$tmp/package/libchdb.so" "$lib.partial"
mv -f "$lib.partial" "$lib"
say "libchdb ready"
echo "$lib"

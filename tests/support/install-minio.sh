#!/usr/bin/env bash
# Builds the S3-compatible server the S3 tests start: MinIO, from source through the Go module
# proxy. MinIO evaluates `If-None-Match: *` on PutObject under its per-object namespace lock, so a
# conditional put is atomic, which is exactly what a Delta commit needs.
# The binary goes to ~/.cache/lakebox/tools (outside the clone, so fresh clones on the same machine
# reuse it; override with LAKEBOX_TOOLS_DIR). Idempotent. Prints the binary's path last.
set -euo pipefail
# The last commit of github.com/minio/minio (2026-02-12), as the Go module proxy serves it.
version=v0.0.0-20260212201848-7aac2a2c5b7c
dir="${LAKEBOX_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lakebox/tools}"
bin="$dir/minio-$version"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
go=$(command -v go || true)
[ -n "$go" ] || { [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go; }
[ -n "$go" ] || { echo "install-minio: Go 1.24+ is needed to build MinIO" >&2; exit 1; }
echo "building minio $version (first time on this machine: several minutes)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOBIN="$tmp" "$go" install "github.com/minio/minio@$version" >&2
mkdir -p "$dir"
mv "$tmp/minio" "$bin"
echo "$bin"

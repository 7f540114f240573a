#!/bin/sh
# Confluent's JavaScript client (@confluentinc/schemaregistry, pinned in
# tests/interop/js/package-lock.json) against `kavro mock-registry` over
# HTTP: its registry calls, its Avro serializer (prefix and header ids)
# into `kavro decode`, and `kavro encode` (prefix and header ids) into its
# Avro deserializer (tests/interop/js/interop.mjs).
# One line per case; the details of a failure in
# tests/js_interop.details.log.  Skips
# (77) when node or the client's node_modules are missing: scripts/setup.sh
# installs both.
srcdir=${srcdir:-$(dirname "$0")/..}
js=$srcdir/tests/interop/js
kavro=$PWD/src/programs/kavro/kavro

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node not found (scripts/setup.sh installs nodejs and npm)"
  exit 77
fi
if [ ! -d "$js/node_modules/@confluentinc/schemaregistry" ]; then
  echo "SKIP: $js/node_modules is missing (scripts/setup.sh runs npm ci there)"
  exit 77
fi

work=$(mktemp -d) || exit 99
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

"$kavro" mock-registry --listen 127.0.0.1:0 >"$work/out" 2>&1 &
pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n '1s/^listening on //p' "$work/out")
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "FAIL: kavro mock-registry printed no URL:"; cat "$work/out"; exit 1
fi

node "$js/interop.mjs" "$url" "$kavro" "$work"
status=$?
if [ "$status" -ne 0 ]; then
  mkdir -p tests && cp "$work/js_interop.log" tests/js_interop.details.log
  echo "details: $PWD/tests/js_interop.details.log"
  exit 1
fi
exit 0

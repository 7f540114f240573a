# Sourced by tests/js_interop.sh and tests/js_rules_interop.sh: runs one
# of the scripts here against `kavro mock-registry` over HTTP.
#
#   js_interop_run SCRIPT LOG
#
# skips (77) when node or the client's node_modules are missing
# (scripts/setup.sh installs both), starts the mock registry, runs
# `node SCRIPT REGISTRY-URL KAVRO WORKDIR` (one line per case), and when
# it fails copies the details it wrote to WORKDIR/LOG.log into
# tests/LOG.details.log.  $srcdir is the top source directory.
js_interop_run() {
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

  node "$js/$1" "$url" "$kavro" "$work"
  status=$?
  if [ "$status" -ne 0 ]; then
    mkdir -p tests && cp "$work/$2.log" "tests/$2.details.log"
    echo "details: $PWD/tests/$2.details.log"
    exit 1
  fi
  exit 0
}

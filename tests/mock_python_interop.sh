#!/bin/sh
# `kavro mock-registry` as a development registry: Confluent's official
# Python client (Debian's python3-confluent-kafka, under /usr/bin/python3)
# works against it unchanged, it stops cleanly on SIGTERM and SIGINT, and
# what it saved with --data is there after a restart.  Skips (77) when that
# client is not installed.
srcdir=${srcdir:-$(dirname "$0")/..}
python=/usr/bin/python3
kavro=./src/programs/kavro/kavro

"$kavro" mock-registry --listen nowhere >/dev/null 2>&1
if [ $? -ne 2 ]; then
  echo "FAIL: a bad --listen value must exit with 2"; exit 1
fi

if ! "$python" -c 'import confluent_kafka' 2>/dev/null; then
  echo "SKIP: $python cannot import confluent_kafka (install python3-confluent-kafka)"
  exit 77
fi
if ! "$python" -c 'import confluent_kafka.schema_registry'; then
  echo "FAIL: confluent_kafka is installed but its SchemaRegistryClient cannot"
  echo "be imported (python3-requests missing?)"
  exit 1
fi

work=$(mktemp -d) || exit 99
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
data=$work/registry.json

# Start the registry on a free port; sets pid and url.
start() {
  : >"$work/out"
  "$kavro" mock-registry --listen 127.0.0.1:0 --data "$data" >"$work/out" 2>&1 &
  pid=$!
  url=
  for _ in $(seq 1 100); do
    url=$(sed -n '1s/^listening on //p' "$work/out")
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "FAIL: kavro mock-registry printed no URL:"; cat "$work/out"; exit 1
}

# Stop it with signal $1; it must exit with 0.
stop() {
  kill -"$1" "$pid"
  wait "$pid"
  code=$?
  pid=
  if [ "$code" -ne 0 ]; then
    echo "FAIL: kavro mock-registry exited with $code on SIG$1"; cat "$work/out"
    exit 1
  fi
}

start
echo "registry at $url"
"$python" "$srcdir/tests/mock_python_interop.py" "$url" || exit 1
stop TERM

start
"$python" - "$url" <<'PY' || exit 1
import json, sys, urllib.request
subjects = json.load(urllib.request.urlopen(sys.argv[1] + "/subjects"))
if "invoices-value" not in subjects:
    sys.exit("FAIL: subjects not kept across a restart: %r" % (subjects,))
print("kept across a restart: %s" % ", ".join(subjects))
PY
stop INT
exit 0

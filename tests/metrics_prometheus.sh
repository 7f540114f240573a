#!/bin/sh
# `kavro mock-registry --metrics-listen`: /metrics after known traffic,
# read with Prometheus' Python client parser (Debian's
# python3-prometheus-client), and the example Grafana dashboard and alert
# rules checked against the metric names it serves.  Skips (77) when the
# parser is not installed.
srcdir=${srcdir:-$(dirname "$0")/..}
python=/usr/bin/python3
kavro=./src/programs/kavro/kavro

"$kavro" mock-registry --metrics-listen nowhere >/dev/null 2>&1
if [ $? -ne 2 ]; then
  echo "FAIL: a bad --metrics-listen value must exit with 2"; exit 1
fi
if ! "$python" -c 'import prometheus_client.parser' 2>/dev/null; then
  echo "SKIP: $python cannot import prometheus_client (install python3-prometheus-client)"
  exit 77
fi

work=$(mktemp -d) || exit 99
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
"$kavro" mock-registry --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  >"$work/out" 2>&1 &
pid=$!
url= metrics=
for _ in $(seq 1 100); do
  url=$(sed -n '1s/^listening on //p' "$work/out")
  metrics=$(sed -n '2s/^metrics on //p' "$work/out")
  [ -n "$url" ] && [ -n "$metrics" ] && break
  sleep 0.1
done
case $metrics in
  http://127.0.0.1:[1-9]*/metrics) ;;
  *) echo "FAIL: no 'metrics on URL' line:"; cat "$work/out"; exit 1 ;;
esac
"$python" "$srcdir/tests/metrics_prometheus.py" "$url" "$metrics" "$srcdir" ||
  exit 1
kill -TERM "$pid"
wait "$pid"
code=$?
pid=
if [ "$code" -ne 0 ]; then
  echo "FAIL: kavro mock-registry exited with $code on SIGTERM"; exit 1
fi

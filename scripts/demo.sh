#!/bin/sh
# The demo: build kavro, install it, validate the field-service schemas,
# show their canonical form and fingerprint, show why a schema taken
# literally from the seed catalog is invalid, run the field-service events
# through Kafka (an embedded librdkafka mock cluster) and a Schema Registry
# (kavro's mock, over HTTP), then let `kavro produce` and sr-compat refuse a
# breaking change to ServiceOrderCreated while sr-compat accepts a safe one;
# last, operate it: `kavro mock-cluster` shared by the programs, poison
# messages dead-lettered by `kavro consume --dlq` (its /metrics scraped),
# `kavro dlq inspect`, the fix, `kavro dlq replay` and the orders read once.
#
# Where it installs: into PREFIX, /usr/local unless KAVRO_DEMO_PREFIX names
# another (the README runs the demo as root: system-wide).  PREFIX/bin gets
# `kavro` and `sr-compat`, PREFIX/share/man/man1 their man pages, PREFIX/lib
# the library and kavro.pc, PREFIX/include the headers: afterwards the
# README's Guide (`kavro`, `sr-compat`, `man kavro`) works as written.  The
# demo ends by saying so, and how to remove it again.  A prefix you can
# write to needs no root: KAVRO_DEMO_PREFIX=$HOME/.local.
#
# What it prints: one line per step of the build; what apt, autoreconf,
# configure and make say goes to the log, build/demo.log (KAVRO_DEMO_LOG),
# whose last lines are shown when a step fails.  On an idle 2-core
# machine the build takes under a minute and the whole demo about one;
# installing the Debian packages first, on a fresh machine, about four.
#
#   scripts/demo.sh                 build, install, run the demo
#   scripts/demo.sh --install-only  stop after the install
#
# KAVRO_DEMO_BUILD=DIR builds in DIR (default build/demo); a tree that is
# configured already (for the same prefix) is only brought up to date.
# DESTDIR stages the install under DESTDIR, as `make install` does:
# tests/demo_install.sh, run by scripts/test.sh, installs so from the test
# suite's own build tree.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
prefix=${KAVRO_DEMO_PREFIX:-/usr/local}
root=${DESTDIR:-}    # the staging directory of a DESTDIR install, or none
build=${KAVRO_DEMO_BUILD:-$top/build/demo}
log=${KAVRO_DEMO_LOG:-$top/build/demo.log}
install_only=false
case ${1:-} in
  "") ;;
  --install-only) install_only=true ;;
  *) echo "usage: $0 [--install-only]" >&2; exit 2 ;;
esac
case $prefix in
  /*) ;;
  *) echo "demo: KAVRO_DEMO_PREFIX must be an absolute path" >&2; exit 2 ;;
esac

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The line of FILE that starts with PREFIX, without it, once a background
# program has written it (up to 10 s).
first_line() {  # file, prefix
  for _ in $(seq 100); do
    line=$(sed -n "s/^$2//p" "$1" | head -n 1)
    [ -n "$line" ] && { echo "$line"; return 0; }
    sleep 0.1
  done
  echo "demo: no '$2' line in $1" >&2
  return 1
}

# GET URL, with the Python the setup installed (no curl needed).
http_get() {
  python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' "$1"
}

# One line saying what is being done; the command's output in the log,
# and its last lines on stderr when it fails.
step() {  # message, command...
  message=$1
  shift
  echo "$message"
  echo "==> $message" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "demo: FAILED: $message; the last lines of $log:" >&2
    tail -n 25 "$log" >&2
    exit 1
  fi
}

# The prefix, or the nearest directory above it that exists, must be
# writable: said before the build rather than after it.
check_prefix() {
  dir=$root$prefix
  while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
  [ -w "$dir" ] && return 0
  echo "demo: cannot install into $root$prefix ($dir is not writable): run as" \
    "root, or choose a prefix with KAVRO_DEMO_PREFIX=\$HOME/.local" >&2
  exit 1
}

# A tree configured for another prefix would install kavro.pc naming
# that prefix: refused before anything is built.
check_build() {
  [ -f "$build/Makefile" ] || return 0
  configured=$(sed -n 's/^prefix = //p' "$build/Makefile")
  [ "$configured" = "$prefix" ] && return 0
  echo "demo: $build is configured for prefix $configured, not $prefix:" \
    "remove it, or build elsewhere with KAVRO_DEMO_BUILD=DIR" >&2
  exit 1
}

# (Run by step() inside an `if`, where set -e does not act: each command
# that can fail returns by itself.)
configure_tree() {
  [ -x configure ] || autoreconf -fi || return 1
  [ -f "$build/Makefile" ] && return 0
  mkdir -p "$build" || return 1
  (cd "$build" && "$top/configure" --prefix="$prefix" CFLAGS='-O2')
}

install_tree() {
  make -C "$build" install || return 1
  # A new library in a directory of the system's search path (/usr/local/lib)
  # is found once the linker's cache knows it.
  if [ -z "$root" ] && [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then
    ldconfig
  fi
}

check_prefix
check_build
mkdir -p "$(dirname "$log")"
: >"$log"
echo "demo: installing into $root$prefix; the build's output goes to $log"
step "installing build dependencies..." ./scripts/setup.sh
step "configuring..." configure_tree
step "building (under a minute on 2 cores)..." make -C "$build" -j2
step "installing into $root$prefix..." install_tree
if $install_only; then
  echo "demo: installed into $root$prefix (--install-only: the demo not run)"
  exit 0
fi
echo "running the demo..."

# The installed programs, as a user runs them; PREFIX/lib for a prefix the
# system's library path does not hold.
user_path=$PATH
PATH=$root$prefix/bin:$PATH
LD_LIBRARY_PATH=$root$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH LD_LIBRARY_PATH
kavro=$root$prefix/bin/kavro
srcompat=$root$prefix/bin/sr-compat
consumer="$build/examples/field_service_consumer"

say "kavro validate avro/ (shared types first, then every event using them)"
"$kavro" validate avro/common/*.avsc
"$kavro" validate --references avro/common $(find avro -name '*.avsc' ! -path 'avro/common/*' | sort)
echo "all $(find avro -name '*.avsc' | wc -l) schemas valid"

say "sr-compat lint over the catalog"
"$srcompat" lint --catalog avro/catalog.json

order=avro/projects/ServiceOrderCreated.avsc
say "kavro canonical $order"
"$kavro" canonical "$order"
say "kavro fingerprint (rabin, sha256)"
"$kavro" fingerprint "$order"
"$kavro" fingerprint --algorithm sha256 "$order"

work=$(mktemp -d)
registry_pid=
orders_registry_pid=
cluster_pid=
cleanup() {
  for pid in $registry_pid $orders_registry_pid $cluster_pid; do
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

say "a seed schema taken literally: SourceSystem is used but never defined"
cat > "$work/FsmOrderStatusUpdated.avsc" <<'JSON'
{
  "type": "record",
  "name": "FsmOrderStatusUpdated",
  "namespace": "com.ahs.fsm.events.integration",
  "fields": [
    { "name": "event_id", "type": "string" },
    { "name": "source_system", "type": "SourceSystem" }
  ]
}
JSON
if "$kavro" validate "$work/FsmOrderStatusUpdated.avsc"; then
  echo "unexpected: the invalid schema was accepted" >&2
  exit 1
fi

say "an embedded Schema Registry: kavro mock-registry on loopback"
"$kavro" mock-registry --listen 127.0.0.1:0 > "$work/registry.out" &
registry_pid=$!
registry=$(first_line "$work/registry.out" "listening on ")
echo "SCHEMA_REGISTRY_URL=$registry"

say "the catalog through Kafka: register, produce 3 topics, consume them all"
# KAFKA_BOOTSTRAP is unset: the example starts an embedded librdkafka mock
# cluster, registers the catalog, produces 1000 events per topic (every tenth
# twice, as a producer retry would) and consumes them, deduplicating on
# event_id.  It exits 1 if any event is missing.
env -u KAFKA_BOOTSTRAP SCHEMA_REGISTRY_URL="$registry" \
  "$consumer" --events 1000 --avro avro

say "a breaking evolution, produced: kavro refuses it before registering"
sed 's/"fields": \[/"fields": [\n    { "name": "sla_hours", "type": "int" },/' \
  "$order" > "$work/ServiceOrderCreated.breaking.avsc"
echo '{"sla_hours": 4, "event_id": "00000000-0000-4000-8000-00000000ffff", "event_timestamp": 1700000000000, "service_order_id": "SO-999999", "project_id": "PRJ-1", "service_type": "installation", "country_code": "FR", "bu_code": "BU1", "estimated_duration_min": 60, "requires_confirmation_tv": false, "depends_on_order_id": null}' \
  > "$work/breaking.jsonl"
if "$kavro" produce --mock-cluster 1 -r "$registry" \
     -t projects.service_order.created --key-field service_order_id \
     --schema "$work/ServiceOrderCreated.breaking.avsc" < "$work/breaking.jsonl"; then
  echo "unexpected: the breaking schema was produced" >&2
  exit 1
fi
echo "refused, nothing registered, nothing produced (exit 1)"

say "a safe evolution: an optional field with a null default"
sed 's/"fields": \[/"fields": [\n    { "name": "priority", "type": ["null", "string"], "default": null },/' \
  "$order" > "$work/ServiceOrderCreated.safe.avsc"
"$srcompat" check --level BACKWARD --against "$order" "$work/ServiceOrderCreated.safe.avsc"

say "the same breaking evolution, checked by sr-compat as in CI"
if "$srcompat" check --level BACKWARD --against "$order" "$work/ServiceOrderCreated.breaking.avsc"; then
  echo "unexpected: the breaking change was accepted" >&2
  exit 1
fi
echo "refused, as it must be (exit 1)"

say "the same refusal as GitHub Actions annotations"
"$srcompat" check --format github --against "$order" "$work/ServiceOrderCreated.breaking.avsc" || true

say "an embedded Kafka that other processes share: kavro mock-cluster"
"$kavro" mock-cluster > "$work/cluster.out" &
cluster_pid=$!
bootstrap=$(first_line "$work/cluster.out" "bootstrap ")
echo "bootstrap $bootstrap"

say "poison: orders produced with a registry the consumers do not read"
topic=projects.service_order.created
for n in 1 2 3; do
  echo '{"event_id": "00000000-0000-4000-8000-00000000000'$n'", "event_timestamp": 1700000000000, "service_order_id": "SO-00000'$n'", "project_id": "PRJ-1", "service_type": "installation", "country_code": "FR", "bu_code": "BU1", "estimated_duration_min": 60, "requires_confirmation_tv": false, "depends_on_order_id": null}'
done > "$work/orders.jsonl"
# mock://staging: a registry inside the producer, which the consumers'
# registry (below, empty) has never heard of.
"$kavro" produce -b "$bootstrap" -r mock://staging -t "$topic" \
  --key-field service_order_id --schema "$order" < "$work/orders.jsonl"

"$kavro" mock-registry --listen 127.0.0.1:0 > "$work/orders-registry.out" &
orders_registry_pid=$!
orders_registry=$(first_line "$work/orders-registry.out" "listening on ")

say "kavro consume --dlq: what can never be decoded goes to the DLQ (and /metrics)"
# --timeout-ms 5000: joining the group takes the mock cluster 3 s.
# session.timeout.ms: the librdkafka mock cluster lets the group's next
# consumer in once the last one's session has expired.
"$kavro" consume -b "$bootstrap" -r "$orders_registry" -t "$topic" \
  --from-beginning --group orders-app --dlq orders.dlq --timeout-ms 5000 \
  -X session.timeout.ms=6000 --metrics-listen 127.0.0.1:0 \
  > "$work/consume.out" 2> "$work/consume.err" &
consume_pid=$!
metrics=$(first_line "$work/consume.out" "metrics on ")
echo "metrics on $metrics"
for _ in $(seq 100); do
  http_get "$metrics" > "$work/metrics.txt" || { cat "$work/consume.err" >&2; exit 1; }
  grep -q '^kavro_dlq_forwards_total{.*} 3$' "$work/metrics.txt" && break
  sleep 0.1
done
echo "the key lines of $metrics:"
grep -E '^kavro_(deserialized_messages_total|serde_errors_total|dlq_forwards_total)' \
  "$work/metrics.txt" | sed 's/^/  /'
wait "$consume_pid" || { cat "$work/consume.err" >&2; exit 1; }
tail -n 1 "$work/consume.err"

say "kavro dlq inspect: where each message came from, and why it failed"
"$kavro" dlq inspect -b "$bootstrap" -t orders.dlq --timeout-ms 2000

say "the fix (the schema registered where the consumers look), then kavro dlq replay"
"$srcompat" register --registry "$orders_registry" --topic "$topic" "$order"
"$kavro" dlq replay -b "$bootstrap" -t orders.dlq --timeout-ms 2000
echo "(again: nothing is sent twice)"
"$kavro" dlq replay -b "$bootstrap" -t orders.dlq --timeout-ms 2000

say "the consumers read the replayed orders, each once"
"$kavro" consume -b "$bootstrap" -r "$orders_registry" -t "$topic" \
  --group orders-app --timeout-ms 5000 -X session.timeout.ms=6000 |
  sed 's/"value":{.*"service_order_id": *"\([^"]*\)".*/"value":{... "service_order_id": "\1" ...}}/'

say "demo finished: kavro is installed in $root$prefix"
echo "The README's Guide works from here: kavro --help, sr-compat --help,"
echo "man kavro, man sr-compat; pkg-config --cflags --libs kavro for a program."
case ":$user_path:" in
  *":$root$prefix/bin:"*) ;;
  *) echo "In your shell, first:"
     echo "  export PATH=\"$root$prefix/bin:\$PATH\" MANPATH=\"$root$prefix/share/man:\""
     echo "  export LD_LIBRARY_PATH=\"$root$prefix/lib\" PKG_CONFIG_PATH=\"$root$prefix/lib/pkgconfig\"" ;;
esac
echo "To remove it: make -C $build uninstall${root:+ DESTDIR=$root}"

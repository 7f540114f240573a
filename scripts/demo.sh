#!/bin/sh
# The demo: build kavro, validate the field-service schemas, show their
# canonical form and fingerprint, show why a schema taken literally from the
# seed catalog is invalid, run the field-service events through Kafka (an
# embedded librdkafka mock cluster) and a Schema Registry (kavro's mock, over
# HTTP), then let `kavro produce` and sr-compat refuse a breaking change to
# ServiceOrderCreated while sr-compat accepts a safe one.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build="$top/build/demo"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "setup and build"
./scripts/setup.sh
kavro="$build/src/programs/kavro/kavro"
srcompat="$build/src/programs/sr-compat/sr-compat"
consumer="$build/examples/field_service_consumer"
if [ ! -x "$kavro" ] || [ ! -x "$srcompat" ] || [ ! -x "$consumer" ]; then
  [ -x configure ] || autoreconf -fi >/dev/null
  mkdir -p "$build"
  (cd "$build" && "$top/configure" CFLAGS='-O2' >configure.log 2>&1 &&
     make -j2 >make.log 2>&1) ||
    { tail -30 "$build/configure.log" "$build/make.log" 2>/dev/null; exit 1; }
fi

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
cleanup() {
  [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
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
for _ in $(seq 50); do
  [ -s "$work/registry.out" ] && break
  sleep 0.1
done
registry=$(sed -n 's/^listening on //p' "$work/registry.out")
[ -n "$registry" ] || { echo "the mock registry did not start" >&2; exit 1; }
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

say "demo finished"

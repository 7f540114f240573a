#!/bin/sh
# The demo: build kavro, validate the field-service schemas, show their
# canonical form and fingerprint, show why a schema taken literally from the
# seed catalog is invalid, and let sr-compat refuse a breaking change to
# ServiceOrderCreated while it accepts a safe one.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build="$top/build/demo"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "setup and build"
./scripts/setup.sh
kavro="$build/src/programs/kavro/kavro"
srcompat="$build/src/programs/sr-compat/sr-compat"
if [ ! -x "$kavro" ] || [ ! -x "$srcompat" ]; then
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
trap 'rm -rf "$work"' EXIT

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

say "a safe evolution: an optional field with a null default"
sed 's/"fields": \[/"fields": [\n    { "name": "priority", "type": ["null", "string"], "default": null },/' \
  "$order" > "$work/ServiceOrderCreated.safe.avsc"
"$srcompat" check --level BACKWARD --against "$order" "$work/ServiceOrderCreated.safe.avsc"

say "a breaking evolution: a required field without a default"
sed 's/"fields": \[/"fields": [\n    { "name": "sla_hours", "type": "int" },/' \
  "$order" > "$work/ServiceOrderCreated.breaking.avsc"
if "$srcompat" check --level BACKWARD --against "$order" "$work/ServiceOrderCreated.breaking.avsc"; then
  echo "unexpected: the breaking change was accepted" >&2
  exit 1
fi
echo "refused, as it must be (exit 1)"

say "the same refusal as GitHub Actions annotations"
"$srcompat" check --format github --against "$order" "$work/ServiceOrderCreated.breaking.avsc" || true

say "demo finished"

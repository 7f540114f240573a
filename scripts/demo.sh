#!/bin/sh
# The demo: build kavro, install it, validate the field-service schemas,
# show their canonical form and fingerprint, show why a schema taken
# literally from the seed catalog is invalid, run the field-service events
# through Kafka (an embedded librdkafka mock cluster) and a Schema Registry
# (kavro's mock, over HTTP), then let `kavro produce` and sr-compat refuse a
# breaking change to ServiceOrderCreated while sr-compat accepts a safe one.
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
# whose last lines are shown when a step fails.  The build takes about
# four minutes on an idle 2-core machine.
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
step "building (about four minutes on 2 cores)..." make -C "$build" -j2
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

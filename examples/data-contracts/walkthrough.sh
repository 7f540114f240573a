#!/bin/sh
# The walkthrough of doc/data-contracts.md: a rule set for the catalog's
# ServiceOrderCreated registered with its schema, then records written and
# read through it with `kavro encode`, `kavro decode` and `kavro produce`.
#
#   examples/data-contracts/walkthrough.sh
#
# Needs kavro and sr-compat on PATH; starts its own registry (kavro
# mock-registry) and Kafka cluster (librdkafka's mock, inside produce).
# Prints each command before its output, as the guide shows them.
set -u

here=$(cd "$(dirname "$0")" && pwd)
schema=$here/../../avro/projects/ServiceOrderCreated.avsc
topic=projects.service_order.created
work=$(mktemp -d) || exit 1
registry_pid=
trap '[ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"' EXIT

kavro mock-registry --listen 127.0.0.1:0 >"$work/registry.out" 2>&1 &
registry_pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n '1s/^listening on //p' "$work/registry.out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the registry did not start"; exit 1; }

# Run and show a command ($url shown as $REGISTRY) with its output and
# exit status; show_input FILE runs it with FILE on standard input.
hide() { sed "s|$url|\$REGISTRY|g; s|$here/||g; s|$work/||g"; }
run_shown() {
  "$@" >"$work/out" 2>&1
  status=$?
  hide <"$work/out"
  echo "(exit $status)"
}
show() {
  echo "\$ $*" | hide
  run_shown "$@"
}
show_input() {
  input=$1
  shift
  echo "\$ $* < $input" | hide
  run_shown "$@" <"$input"
}

cd "$here"
show sr-compat lint --rule-set rules.json --metadata metadata.json "$schema"
echo
show sr-compat register --registry "$url" --no-catalog --topic "$topic" \
  --metadata metadata.json --rule-set rules.json "$schema"
echo
show kavro encode --registry "$url" --topic "$topic" --schema "$schema" \
  -X auto.register.schemas=false -X use.latest.version=true --hex \
  orders.jsonl
kavro encode --registry "$url" --topic "$topic" --schema "$schema" \
  -X auto.register.schemas=false -X use.latest.version=true --hex \
  orders.jsonl >"$work/frames.hex" 2>/dev/null
echo
show kavro decode --registry "$url" --topic "$topic" --hex "$work/frames.hex"
echo
show_input orders.jsonl kavro produce -t "$topic" --mock-cluster 1 \
  -r "$url" --subject "$topic-value" --on-error continue \
  -X rule.executors.validCountryCode.onFailure=DLQ \
  -X dlq.topic="$topic.dlq"

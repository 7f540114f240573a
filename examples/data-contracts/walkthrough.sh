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
. "$(dirname "$0")/../walkthrough-lib.sh"
walkthrough_start
schema=$here/../../avro/projects/ServiceOrderCreated.avsc
topic=projects.service_order.created
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

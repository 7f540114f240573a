#!/bin/sh
# The walkthrough of doc/field-encryption.md: the catalog's
# PyxisOrderCreated registered with a contract that encrypts its
# customer's personal data, then orders written and read with
# `kavro encode` and `kavro decode`: by a producer and a consumer that hold
# the local KMS's secret, by a consumer without it, and by one with
# another secret.
#
#   examples/field-encryption/walkthrough.sh
#
# Needs kavro and sr-compat on PATH; starts its own registry (kavro
# mock-registry, which serves the DEK registry).  Prints each command
# before its output, as the guide shows them; ciphertexts and frames (new
# keys, new IVs each run) are shown as <ciphertext> and <frame>.
. "$(dirname "$0")/../walkthrough-lib.sh"
walkthrough_start
walkthrough_filter='s|"[A-Za-z0-9+/]\{24,\}=*"|"<ciphertext>"|g; s|^00[0-9a-f]\{40,\}$|<frame>|'
avro=../../avro
schema=$avro/sales/PyxisOrderCreated.avsc
topic=sales.pyxis.order.created
unset LOCAL_SECRET

show sr-compat lint --catalog "$avro/catalog.json" --rule-set rules.json \
  --metadata metadata.json "$schema"
echo
show sr-compat register --registry "$url" --catalog "$avro/catalog.json" \
  --metadata metadata.json --rule-set rules.json "$schema"
echo
export LOCAL_SECRET=walkthrough-secret
echo "\$ export LOCAL_SECRET=walkthrough-secret"
kavro encode --registry "$url" --topic "$topic" --schema "$schema" \
  --references "$avro/common" -X auto.register.schemas=false \
  -X use.latest.version=true --hex orders.jsonl >"$work/frames.hex"
show kavro encode --registry "$url" --topic "$topic" --schema "$schema" \
  --references "$avro/common" -X auto.register.schemas=false \
  -X use.latest.version=true --hex orders.jsonl
echo
show kavro decode --registry "$url" --topic "$topic" --hex "$work/frames.hex"
echo
unset LOCAL_SECRET
echo "\$ unset LOCAL_SECRET"
show kavro decode --registry "$url" --topic "$topic" --hex "$work/frames.hex"
echo
show kavro decode --registry "$url" --topic "$topic" --hex \
  -X rule.executors._default_.param.secret=another-secret \
  -X rule.executors.encryptPII.onFailure=ERROR "$work/frames.hex"

#!/bin/sh
# Field-level encryption: Confluent's JavaScript client (its ENCRYPT
# executor, local KMS and DEK registry client) against `kavro encode` and
# `kavro decode` over `kavro mock-registry`, both ways, for every DEK
# algorithm (tests/interop/js/encrypt.mjs lists the cases).  One line per
# case; details in tests/js_encrypt.details.log when a case fails.  Skips
# (77) when node or the client's node_modules are missing: scripts/setup.sh
# installs both.
srcdir=${srcdir:-$(dirname "$0")/..}
. "$srcdir/tests/interop/js/harness.sh"
js_interop_run encrypt.mjs js_encrypt

#!/bin/sh
# Data contract rules: Confluent's JavaScript client, which executes CEL
# and CEL_FIELD rules, against `kavro encode` and `kavro decode` over
# `kavro mock-registry`, on the same rule sets and messages
# (tests/interop/js/rules.mjs, whose header lists the cases and the JS
# client's departures from the CEL specification and Java).
# One line per case; each message's verdicts in
# tests/js_rules.details.log when a case fails.  Skips (77) when node or
# the client's node_modules are missing: scripts/setup.sh installs both.
srcdir=${srcdir:-$(dirname "$0")/..}
. "$srcdir/tests/interop/js/harness.sh"
js_interop_run rules.mjs js_rules

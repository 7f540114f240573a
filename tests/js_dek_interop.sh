#!/bin/sh
# The DEK registry: Confluent's JavaScript DekRegistryClient against
# `kavro mock-registry`, kavro's client (tests/dek_client) on the same
# keys, and the JS serializer's field-level encryption through the mock
# (tests/interop/js/dek.mjs lists the cases).  One line per case; details
# in tests/js_dek.details.log when a case fails.  Skips (77) when node or
# the client's node_modules are missing: scripts/setup.sh installs both.
srcdir=${srcdir:-$(dirname "$0")/..}
KAVRO_DEK_CLIENT=$PWD/tests/dek_client
export KAVRO_DEK_CLIENT
. "$srcdir/tests/interop/js/harness.sh"
js_interop_run dek.mjs js_dek

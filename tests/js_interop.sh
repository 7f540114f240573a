#!/bin/sh
# Confluent's JavaScript client (@confluentinc/schemaregistry, pinned in
# tests/interop/js/package-lock.json) against `kavro mock-registry` over
# HTTP: its registry calls, its Avro serializer (prefix and header ids)
# into `kavro decode`, and `kavro encode` (prefix and header ids) into its
# Avro deserializer; and both ways: a schema context (--context), a
# topic's associated subject (AssociatedNameStrategy), the latest version
# with given metadata, OAuth client credentials against `kavro
# mock-registry --oauth`; and the REST surface it reaches: normalize,
# format=resolved, a soft-deleted version registered again
# (tests/interop/js/interop.mjs).
# One line per case; the details of a failure in
# tests/js_interop.details.log.  Skips
# (77) when node or the client's node_modules are missing: scripts/setup.sh
# installs both.
srcdir=${srcdir:-$(dirname "$0")/..}
. "$srcdir/tests/interop/js/harness.sh"
js_interop_run interop.mjs js_interop

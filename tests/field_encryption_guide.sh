#!/bin/sh
# doc/field-encryption.md shows the output of its walkthrough
# (examples/field-encryption/walkthrough.sh): run it with the programs of
# this build and compare.  KAVRO_UPDATE_DOCS=1 writes the output into the
# guide instead (between its <!-- walkthrough --> markers).
srcdir=${srcdir:-$(dirname "$0")/..}
. "$srcdir/tests/guide_check.sh"
guide_check doc/field-encryption.md examples/field-encryption/walkthrough.sh

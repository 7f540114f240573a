#!/bin/sh
# doc/data-contracts.md shows the output of its walkthrough
# (examples/data-contracts/walkthrough.sh): run it with the programs of
# this build and compare.  KAVRO_UPDATE_DOCS=1 writes the output into the
# guide instead (between its <!-- walkthrough --> markers).
srcdir=${srcdir:-$(dirname "$0")/..}
. "$srcdir/tests/guide_check.sh"
guide_check doc/data-contracts.md examples/data-contracts/walkthrough.sh

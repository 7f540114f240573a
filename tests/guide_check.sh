# Sourced by the guides' tests (tests/*_guide.sh): a guide shows the
# output of its walkthrough between its <!-- walkthrough --> markers.
#
#   guide_check doc/GUIDE.md examples/DIR/walkthrough.sh
#
# runs the walkthrough with the programs of this build and compares;
# KAVRO_UPDATE_DOCS=1 writes the output into the guide instead.  $srcdir
# is the top source directory.
guide_check() {
  guide=$srcdir/$1
  PATH=$PWD/src/programs/kavro:$PWD/src/programs/sr-compat:$PATH
  export PATH

  got=$(mktemp) && want=$(mktemp) || exit 99
  trap 'rm -f "$got" "$want" "$got.new"' EXIT
  "$srcdir/$2" >"$got" 2>&1
  # The block between the markers, without its ``` fences.
  sed -n '/^<!-- walkthrough -->$/,/^<!-- \/walkthrough -->$/p' "$guide" |
    sed '1,2d;$d' | sed '$d' >"$want"

  if [ "${KAVRO_UPDATE_DOCS:-0}" = 1 ]; then
    awk -v out="$got" '
      /^<!-- walkthrough -->$/ { print; print "```"; while ((getline l < out) > 0) print l; print "```"; skip = 1; next }
      /^<!-- \/walkthrough -->$/ { skip = 0 }
      !skip' "$guide" >"$got.new" && cat "$got.new" >"$guide"
    echo "updated $guide"
    exit 0
  fi
  if ! diff -u "$want" "$got"; then
    echo "FAIL: $guide does not show what the walkthrough prints"
    echo "(KAVRO_UPDATE_DOCS=1 $0 rewrites it)"
    exit 1
  fi
  exit 0
}

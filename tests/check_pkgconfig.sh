#!/bin/sh
# The README's C snippets, compiled and linked against an installed kavro
# with nothing but `pkg-config --cflags --libs kavro`: what the public
# headers expose (avro-c values, librdkafka handles) must come with it,
# or a user's first program fails to link.
#
# The library is installed into a temporary DESTDIR; the snippets are
# taken from README.md as they are written and built by
# tests/readme_snippets.sh (which scripts/test-packages.sh runs against
# the Debian packages).
#
# `make check` runs it in the build tree with $srcdir set.
set -u

srcdir=${srcdir:-.}
make=${MAKE:-make}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

if ! command -v pkg-config >/dev/null 2>&1; then
  echo "SKIP: pkg-config not found"
  exit 77
fi

if ! $make install DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1; then
  echo "FAIL: make install DESTDIR=$tmp/root"
  tail -20 "$tmp/install.log"
  exit 1
fi
pcfile=$(find "$tmp/root" -name kavro.pc | head -1)
if [ -z "$pcfile" ]; then
  echo "FAIL: no kavro.pc installed"
  exit 1
fi
PKG_CONFIG_PATH=$(dirname "$pcfile")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR="$tmp/root"
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# The README's snippets, built with pkg-config against that install.
"$srcdir/tests/readme_snippets.sh" "$srcdir/README.md" "$tmp" || exit 1
echo "PASS: the README's snippets build with pkg-config --cflags --libs kavro"

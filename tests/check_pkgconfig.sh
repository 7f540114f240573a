#!/bin/sh
# The README's C snippets, compiled and linked against an installed kavro
# with nothing but `pkg-config --cflags --libs kavro`: what the public
# headers expose (avro-c values, librdkafka handles) must come with it,
# or a user's first program fails to link.
#
# The library is installed into a temporary DESTDIR; the snippets are
# taken from README.md as they are written, each in a block of its own
# inside one function, after the declarations the README leaves to the
# reader (a Kafka configuration, a handle from an earlier snippet).
#
# `make check` runs it in the build tree with $srcdir set.
set -u

srcdir=${srcdir:-.}
make=${MAKE:-make}
cc=${CC:-cc}
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

# Every ```c block of the README: #include lines first, the rest in a
# block of its own in snippets().
awk -v includes="$tmp/includes.c" -v bodies="$tmp/bodies.c" '
  /^```c$/ { on = 1; n++; print "  { /* snippet " n " */" > bodies; next }
  /^```$/ && on { on = 0; print "  }" > bodies; next }
  on && /^#include/ { print > includes; next }
  on { print "    " $0 > bodies }
  END { if (n == 0) exit 1 }
' "$srcdir/README.md" || { echo "FAIL: no C snippet in README.md"; exit 1; }
{
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo '#include <string.h>'
  echo '#include <unistd.h>'
  awk '!seen[$0]++' "$tmp/includes.c"
  echo 'static int snippets(void) {'
  echo '  char errstr[512];'
  echo '  rd_kafka_conf_t *kafka_conf = rd_kafka_conf_new();'
  echo '  rd_kafka_conf_t *dlq_conf = rd_kafka_conf_new();'
  echo '  kavro_registry_t *registry = NULL;'
  echo '  rd_kafka_t *rk = NULL;'
  echo '  kavro_error_t err;'
  echo '  (void)errstr; (void)kafka_conf; (void)dlq_conf; (void)registry;'
  echo '  (void)rk; (void)err;'
  cat "$tmp/bodies.c"
  echo '  return 0;'
  echo '}'
  echo 'int main(int argc, char **argv) {'
  echo '  (void)argv;'
  echo '  return argc > 99 ? snippets() : 0;'
  echo '}'
} >"$tmp/snippets.c"

flags=$(pkg-config --cflags --libs kavro) || { echo "FAIL: pkg-config kavro"; exit 1; }
# A sanitizer build's library needs the sanitizer's run time at link time.
if ! $cc -std=c11 -D_DEFAULT_SOURCE -o "$tmp/snippets" "$tmp/snippets.c" \
     $flags ${SAN_LDFLAGS:-} >"$tmp/cc.log" 2>&1; then
  echo "FAIL: the README's snippets do not build with: $cc ... $flags"
  cat "$tmp/cc.log"
  echo "--- snippets.c"
  cat -n "$tmp/snippets.c"
  exit 1
fi
echo "PASS: the README's snippets build with pkg-config --cflags --libs kavro"

#!/bin/sh
# Usage: readme_snippets.sh README OUTDIR
#
# Builds OUTDIR/snippets from the ```c blocks of README with nothing but
# `pkg-config --cflags --libs kavro`, wherever pkg-config finds kavro
# (a DESTDIR install: tests/check_pkgconfig.sh; the Debian packages:
# scripts/test-packages.sh).  Each snippet goes in a block of its own
# inside one function, after the declarations the README leaves to the
# reader (a Kafka configuration, a handle from an earlier snippet), with
# the #include lines first.  main() runs none of them: the program proves
# that the snippets compile and link, and that it loads.
#
# Exit 0 and silent when it builds; otherwise exit 1 with one "FAIL:"
# line and the compiler's output on stdout.  CC names the compiler;
# SAN_LDFLAGS is added to the link (a sanitizer build's library needs the
# sanitizer's run time).
set -u

readme=$1
out=$2
cc=${CC:-cc}

# Every ```c block of the README: #include lines first, the rest in a
# block of its own in snippets().
awk -v includes="$out/includes.c" -v bodies="$out/bodies.c" '
  /^```c$/ { on = 1; n++; print "  { /* snippet " n " */" > bodies; next }
  /^```$/ && on { on = 0; print "  }" > bodies; next }
  on && /^#include/ { print > includes; next }
  on { print "    " $0 > bodies }
  END { if (n == 0) exit 1 }
' "$readme" || { echo "FAIL: no C snippet in $readme"; exit 1; }
{
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo '#include <string.h>'
  echo '#include <unistd.h>'
  awk '!seen[$0]++' "$out/includes.c"
  echo 'static int snippets(void) {'
  echo '  char errstr[512];'
  echo '  rd_kafka_conf_t *kafka_conf = rd_kafka_conf_new();'
  echo '  rd_kafka_conf_t *dlq_conf = rd_kafka_conf_new();'
  echo '  kavro_registry_t *registry = NULL;'
  echo '  rd_kafka_t *rk = NULL;'
  echo '  kavro_error_t err;'
  echo '  (void)errstr; (void)kafka_conf; (void)dlq_conf; (void)registry;'
  echo '  (void)rk; (void)err;'
  cat "$out/bodies.c"
  echo '  return 0;'
  echo '}'
  echo 'int main(int argc, char **argv) {'
  echo '  (void)argv;'
  echo '  return argc > 99 ? snippets() : 0;'
  echo '}'
} >"$out/snippets.c"

flags=$(pkg-config --cflags --libs kavro) || { echo "FAIL: pkg-config kavro"; exit 1; }
if ! $cc -std=c11 -D_DEFAULT_SOURCE -o "$out/snippets" "$out/snippets.c" \
     $flags ${SAN_LDFLAGS:-} >"$out/cc.log" 2>&1; then
  echo "FAIL: the README's snippets do not build with: $cc ... $flags"
  cat "$out/cc.log"
  echo "--- snippets.c"
  cat -n "$out/snippets.c"
  exit 1
fi

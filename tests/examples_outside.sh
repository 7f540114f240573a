#!/bin/sh
# The examples built outside the tree, as examples/README.md says
# ("Building them outside the tree"): that section's shell block is run
# as written, in a temporary directory, with `src` set to this tree, so
# the documentation cannot drift from what works.  It copies examples/
# and avro/, makes the typed records with the installed `kavro gen`,
# builds both programs with `pkg-config --cflags --libs kavro jansson`
# alone and runs the consumer (an embedded librdkafka mock cluster and
# kavro's mock registry on loopback: it exits 1 if an event is missing).
#
#   tests/examples_outside.sh            against the installed kavro (PATH,
#                                        pkg-config: the Debian packages,
#                                        scripts/test-packages.sh)
#   tests/examples_outside.sh DESTDIR    against `make install DESTDIR=...`
#
# Exit 0 and one line "examples outside the tree: ok"; otherwise "FAIL:"
# and the block's output.  CC, when set, is put first on PATH as `cc`.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
readme=$top/examples/README.md
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: examples outside the tree: $*"
  exit 1
}

# A staged install: kavro.pc and the programs under DESTDIR.
if [ $# -eq 1 ]; then
  root=$(cd "$1" && pwd) || fail "no directory $1"
  pc=$(find "$root" -name kavro.pc | head -1)
  [ -n "$pc" ] || fail "no kavro.pc under $root"
  PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  export PKG_CONFIG_PATH
  # (Read without the sysroot: whether pkg-config prepends it to variables
  # as well as to -I and -L depends on its version.)
  prefix=$(pkg-config --variable=prefix kavro) || fail "pkg-config kavro"
  libdir=$(pkg-config --variable=libdir kavro)
  PKG_CONFIG_SYSROOT_DIR=$root
  export PKG_CONFIG_SYSROOT_DIR
  PATH=$root$prefix/bin:$PATH
  LD_LIBRARY_PATH=$root$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PATH LD_LIBRARY_PATH
elif [ $# -ne 0 ]; then
  echo "usage: $0 [DESTDIR]" >&2
  exit 2
fi
command -v kavro >/dev/null 2>&1 || fail "no kavro on PATH"
pkg-config --exists kavro || fail "pkg-config does not find kavro"

# The compiler the block calls `cc`.
if [ -n "${CC:-}" ]; then
  mkdir -p "$tmp/bin"
  printf '#!/bin/sh\nexec %s "$@"\n' "$CC" >"$tmp/bin/cc"
  chmod +x "$tmp/bin/cc"
  PATH=$tmp/bin:$PATH
fi

# The first ```sh block after the section's heading.
awk '/^## Building them outside the tree$/ { section = 1; next }
     section && /^## / { exit }
     section && /^```sh$/ { block = 1; next }
     block && /^```$/ { exit }
     block { print }' "$readme" >"$tmp/block.sh"
grep -q '^src=' "$tmp/block.sh" ||
  fail "no shell block setting src= in $readme's \"Building them outside the tree\""
sed "s|^src=.*|src='$top'|" "$tmp/block.sh" >"$tmp/run.sh"

mkdir -p "$tmp/work"
if ! (cd "$tmp/work" && env -u KAFKA_BOOTSTRAP -u SCHEMA_REGISTRY_URL \
        sh -eu "$tmp/run.sh") >"$tmp/out" 2>&1; then
  echo "FAIL: examples outside the tree: the block of $readme failed:"
  sed 's/^/  /' "$tmp/run.sh"
  echo "--- its output (last lines)"
  tail -n 40 "$tmp/out"
  exit 1
fi
for prog in field_service_producer field_service_consumer; do
  [ -x "$tmp/work/field-service/$prog" ] || fail "$prog was not built"
done
echo "examples outside the tree: ok (kavro gen, pkg-config, both built, the" \
  "consumer run, with kavro $(kavro --version | awk '{ print $NF }'))"

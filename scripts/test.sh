#!/bin/sh
# The whole test suite, from a fresh clone, as CI runs it:
#   1. install the Debian packages (scripts/setup.sh),
#   2. build with warnings as errors and run `make check`,
#   3. build again under AddressSanitizer + UndefinedBehaviorSanitizer and
#      run `make check` there,
#   4. `make distcheck`.
# Build trees go under build/ so the source tree stays clean.
# Set KAVRO_TEST_QUICK=1 to stop after step 2.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==> %s\n' "$*"; }

step "setup"
./scripts/setup.sh

step "autoreconf"
autoreconf -fi >/dev/null

run_suite() {  # name, configure flags...
  name=$1
  shift
  step "build and check: $name"
  rm -rf "build/$name"
  mkdir -p "build/$name"
  (cd "build/$name" && "$top/configure" --enable-werror "$@" >configure.out &&
     make -j"$jobs" >make.out 2>&1 || { cat make.out; exit 1; }
   if ! make -j"$jobs" check >check.out 2>&1; then
     cat check.out
     for log in tests/*.log; do echo "--- $log"; cat "$log"; done
     exit 1
   fi
   cat tests/*.log | grep -E '^[0-9]+%: Checks' || true
   grep -E '^# (TOTAL|PASS|FAIL|ERROR)' check.out || true)
}

run_suite default CFLAGS='-g -O2'
[ "${KAVRO_TEST_QUICK:-0}" = 1 ] && exit 0

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitizers --enable-sanitizers CFLAGS='-g -O1'

step "distcheck"
(cd build/default && make -j"$jobs" distcheck >distcheck.out 2>&1 ||
   { tail -50 distcheck.out; exit 1; }
 grep -E 'archives ready|are ready for distribution' distcheck.out || tail -3 distcheck.out)

step "all tests passed"

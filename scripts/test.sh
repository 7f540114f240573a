#!/bin/sh
# The whole test suite, from a fresh clone, as CI runs it:
#   1. install the Debian packages (scripts/setup.sh), and hold the
#      includes to DESIGN.md's part table (scripts/check-arrows);
#   2. build with warnings as errors and run `make check`; from that tree,
#      the API reference (`make docs`: doxygen must be there) and the
#      demo's install into a staging directory (tests/demo_install.sh:
#      one line per step, the programs, man page and kavro.pc installed);
#   3. run every test program again under valgrind memcheck (no leaks, no
#      errors);
#   4. build under AddressSanitizer + UndefinedBehaviorSanitizer and run
#      `make check` there;
#   5. build the concurrency tests (caches, single flight, the mock's
#      connection threads) under ThreadSanitizer and run them;
#   6. build the libFuzzer harnesses with clang and run each for a bounded
#      time (KAVRO_FUZZ_SECONDS, default 10), one line per harness;
#   7. `make distcheck`, running the tests that prove the tarball whole;
#   8. in CI (CI=true) or with KAVRO_TEST_PACKAGES=1, and as root: the
#      Debian packages built, linted, installed, used and removed
#      (scripts/test-packages.sh, one line; its log on failure).
# Build trees go under build/ so the source tree stays clean.  The last
# line counts the Check tests of steps 2, 4 and 5: "N passed, N failed".
# KAVRO_TEST_QUICK=1 stops after step 2.  About 15 minutes on an idle
# 2-core machine (16 with the packages step), longer on a loaded one.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
# Tests spend much of their time waiting (group joins of the Kafka mock
# cluster, time-outs, child programs): twice as many as processors keep
# the processors busy.
check_jobs=$((jobs * 2))
started=$(date +%s)
passed=0
failed=0

step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

# Add the Check totals of one build tree's test logs to passed/failed.
count_checks() {
  totals=$(cat "$1"/tests/*.log "$1"/fuzz/*.log 2>/dev/null |
    sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\)$/\1 \2 \3/p' |
    awk '{c += $1; f += $2 + $3} END {print c + 0, f + 0}')
  set -- $totals
  passed=$((passed + $1 - $2))
  failed=$((failed + $2))
}

run_suite() {  # name, configure flags...
  name=$1
  shift
  step "build and check: $name"
  rm -rf "build/$name"
  mkdir -p "build/$name"
  (cd "build/$name" &&
   { "$top/configure" --enable-werror "$@" >configure.out 2>&1 ||
       { tail -30 configure.out; exit 1; }; } &&
   { make -j"$jobs" >make.out 2>&1 || { tail -60 make.out; exit 1; }; } &&
   if ! make -j"$check_jobs" check >check.out 2>&1; then
     grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS|#)' check.out
     for log in tests/*.log fuzz/*.log; do
       grep -qE '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null || continue
       echo "--- $log"; tail -40 "$log"
     done
     exit 1
   fi
   grep -E '^(SKIP|# (TOTAL|PASS|FAIL|ERROR|SKIP))' check.out)
  count_checks "build/$name"
}

# Every test program under valgrind memcheck (scripts/valgrind-one), $jobs
# at a time: each is one process and mostly one thread under valgrind.
# Not the suites whose work happens in the programs they run (check_cli,
# check_sr_compat, check_gen): valgrind watches the suite, not its
# children, and the plain and sanitizer runs have run them.
run_valgrind() {
  step "valgrind memcheck"
  (cd build/default &&
   for t in tests/check_* fuzz/replay_*; do
     case $t in *.log|*.trs|*.o|*.sh|*.valgrind) continue ;; esac
     case $t in tests/check_cli|tests/check_sr_compat|tests/check_gen) continue ;; esac
     [ -x "$t" ] && echo "$t"
   done | xargs -P "$jobs" -n 1 "$top/scripts/valgrind-one")
}

# The programs whose tests run threads against kavro's shared state: the
# registry client's caches and single flight (check_registry), the mock's
# connection threads and store (check_mock), concurrent serializers
# (check_serializer), counting into the metrics from several threads and
# the statistics thread (check_metrics).  tests/tsan.supp names
# third-party races only.
TSAN_PROGRAMS="tests/check_registry tests/check_mock tests/check_serializer
  tests/check_metrics"

run_tsan() {
  step "ThreadSanitizer: concurrency tests"
  rm -rf build/tsan
  mkdir -p build/tsan
  (cd build/tsan &&
   { "$top/configure" --enable-werror --enable-sanitizers=thread \
       CFLAGS='-g -O1' >configure.out 2>&1 ||
       { tail -30 configure.out; exit 1; }; } &&
   { make -j"$jobs" $TSAN_PROGRAMS >make.out 2>&1 ||
       { tail -60 make.out; exit 1; }; } &&
   for t in $TSAN_PROGRAMS; do
     if ! TSAN_OPTIONS="halt_on_error=1 suppressions=$top/tests/tsan.supp" \
          "./$t" >"$t.log" 2>&1; then
       echo "tsan: $t failed"; tail -80 "$t.log"; exit 1
     fi
     echo "tsan clean: $t ($(grep -E '^[0-9]+%: Checks' "$t.log"))"
   done)
  count_checks build/tsan
}

run_fuzz() {
  step "fuzz: each harness ${KAVRO_FUZZ_SECONDS:-10}s"
  rm -rf build/fuzz
  mkdir -p build/fuzz
  (cd build/fuzz &&
   { "$top/configure" CC=clang --enable-fuzzing CFLAGS='-g -O1' >configure.out 2>&1 ||
       { tail -30 configure.out; exit 1; }; } &&
   { make -j"$jobs" fuzz-harnesses >make.out 2>&1 ||
       { tail -60 make.out; exit 1; }; } &&
   "$top/fuzz/run.sh" "${KAVRO_FUZZ_SECONDS:-10}" .)
}

step "setup"
./scripts/setup.sh

step "autoreconf"
autoreconf -fi >/dev/null 2>&1

DISTCHECK_TESTS="tests/check_docs.sh tests/check_pkgconfig.sh \
  tests/check_catalog tests/check_gen tests/check_schema"

step "part boundaries (scripts/check-arrows)"
./scripts/check-arrows

run_suite default CFLAGS='-g -O2'

step "API reference (make docs)"
# Without doxygen `make docs` says "skipped" and succeeds: here the
# reference must be made (scripts/setup.sh installs doxygen).
(cd build/default && make docs >docs.out 2>&1 && [ -f doc/api/html/index.html ]) ||
  { tail -20 build/default/docs.out; echo "make docs made no API reference"; exit 1; }
grep '^docs: ' build/default/docs.out

step "the demo's install (tests/demo_install.sh)"
tests/demo_install.sh build/default
if [ "${KAVRO_TEST_QUICK:-0}" != 1 ]; then
  run_valgrind
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite sanitizers --enable-sanitizers CFLAGS='-g -O1'
  run_tsan
  run_fuzz
  step "distcheck"
  # The whole suite has run twice by now: the tarball's own build runs
  # what proves the distribution complete (its data files, the docs, the
  # installed headers and kavro.pc).
  # Unoptimized: the tarball's build proves it complete, not fast.
  (cd build/default && { make -j"$jobs" distcheck TESTS="$DISTCHECK_TESTS" \
       DISTCHECK_CONFIGURE_FLAGS="CFLAGS='-g -O0'" >distcheck.out 2>&1 ||
     { tail -60 distcheck.out; exit 1; }; } &&
   grep -E 'archives ready|ready for distribution' distcheck.out)
fi

if [ "${CI:-}" = true ] || [ "${KAVRO_TEST_PACKAGES:-0}" = 1 ]; then
  step "Debian packages (scripts/test-packages.sh)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "packages: skipped: it installs packages, run as root"
  elif ! ./scripts/test-packages.sh; then
    tail -60 build/packages/test-packages.log
    exit 1
  fi
fi

step "done"
echo "$passed passed, $failed failed"

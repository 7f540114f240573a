#!/bin/sh
# Run every built libFuzzer harness for a bounded time.  Builds nothing:
# configure with CC=clang --enable-fuzzing and run `make` first.
#
#   fuzz/run.sh SECONDS [BUILDDIR]
#
# BUILDDIR (default: the current directory) is the build tree holding
# fuzz/fuzz_*.  Each harness starts from its seed corpus in the source tree
# (fuzz/corpus/NAME, read only) and keeps what it learns in
# BUILDDIR/fuzz/work/NAME; a crashing input lands in BUILDDIR/fuzz/artifacts
# (copy it to fuzz/regressions/NAME/ to keep it).  Harnesses run side by
# side, KAVRO_FUZZ_JOBS at a time (default: the processors).  Exits
# non-zero when any harness found a problem.
set -u

mode=all
if [ "${1:-}" = --one ] && [ $# -eq 4 ]; then
  mode=one
  shift
elif [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 SECONDS [BUILDDIR]" >&2
  exit 2
fi
seconds=$1
builddir=${2:-.}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
case $seconds in
  ''|*[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 2 ;;
esac

# One harness, NAME: its run and its one line.  Invoked by the loop
# below as `run.sh --one SECONDS BUILDDIR NAME`, several at a time.
run_one() {
  name=$1
  harness="$builddir/fuzz/$name"
  work="$builddir/fuzz/work/$name"
  artifacts="$builddir/fuzz/artifacts"
  mkdir -p "$work" "$artifacts"
  corpora="$work"
  for extra in "$srcdir/fuzz/corpus/$name" "$srcdir/fuzz/regressions/$name"; do
    [ -d "$extra" ] && corpora="$corpora $extra"
  done
  log="$builddir/fuzz/$name.fuzz.log"
  # -rss_limit_mb and -malloc_limit_mb make an unbounded allocation a
  # finding, and -timeout a slow input (a hang fails in seconds, not after
  # libFuzzer's default twenty minutes); -max_len keeps inputs at the size
  # of real schemas.  The fuzzer's progress goes to its log; one line here
  # says how it went.
  # shellcheck disable=SC2086
  if "$harness" -max_total_time="$seconds" -print_final_stats=1 \
      -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
      -artifact_prefix="$artifacts/$name-" $corpora >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz ok: $name, ${seconds}s, ${runs:-?} runs, ${cov:-cov: ?}"
  else
    # One block, so that a neighbour's line does not cut it.
    { echo "fuzz FAILED: $name (log $log, inputs in $artifacts)"
      tail -40 "$log"; } >&2
    return 1
  fi
}

if [ "$mode" = one ]; then
  run_one "$3"
  exit $?
fi

# Each harness is one single-threaded process: KAVRO_FUZZ_JOBS (default:
# the processors) run side by side, each for SECONDS.
jobs=${KAVRO_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
names=$(for harness in "$builddir"/fuzz/fuzz_*; do
  [ -f "$harness" ] && [ -x "$harness" ] && basename "$harness"
done)
if [ -z "$names" ]; then
  echo "$0: no harness in $builddir/fuzz (configure with CC=clang --enable-fuzzing, then make)" >&2
  exit 2
fi
echo "$names" | xargs -P "$jobs" -n 1 sh "$0" --one "$seconds" "$builddir"

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
# (copy it to fuzz/regressions/NAME/ to keep it).  Exits non-zero when any
# harness found a problem.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 SECONDS [BUILDDIR]" >&2
  exit 2
fi
seconds=$1
builddir=${2:-.}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
case $seconds in
  ''|*[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 2 ;;
esac

found=0
failed=0
for harness in "$builddir"/fuzz/fuzz_*; do
  [ -f "$harness" ] && [ -x "$harness" ] || continue
  name=$(basename "$harness")
  found=$((found + 1))
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
  # of real schemas.  The
  # fuzzer's progress goes to its log; one line here says how it went.
  # shellcheck disable=SC2086
  if "$harness" -max_total_time="$seconds" -print_final_stats=1 \
      -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
      -artifact_prefix="$artifacts/$name-" $corpora >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz ok: $name, ${seconds}s, ${runs:-?} runs, ${cov:-cov: ?}"
  else
    echo "fuzz FAILED: $name (log $log, inputs in $artifacts)" >&2
    tail -40 "$log" >&2
    failed=$((failed + 1))
  fi
done

if [ "$found" -eq 0 ]; then
  echo "$0: no harness in $builddir/fuzz (configure with CC=clang --enable-fuzzing, then make)" >&2
  exit 2
fi
[ "$failed" -eq 0 ]

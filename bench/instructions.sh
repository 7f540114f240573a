#!/bin/sh
# Instructions per call of measured operations, counted by callgrind: a
# figure that does not move with machine load, printed beside the times.
#
#   bench/instructions.sh BENCH OPERATION...
#
# BENCH is a bench program, each OPERATION a function of it that the bench
# calls once per measured message (through a pointer, so never inlined).
# Prints "FIGURE <operation>_instructions <count> instructions" per
# operation; prints nothing and succeeds when valgrind is not installed.
set -eu
bench=$1
shift
command -v valgrind >/dev/null 2>&1 || exit 0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
toggles=
for op in "$@"; do
  toggles="$toggles --toggle-collect=$op"
done
# A short run: callgrind counts the same instructions per call however long.
# shellcheck disable=SC2086
KAVRO_BENCH_SECONDS=0.02 valgrind --tool=callgrind --callgrind-out-file="$out" \
  $toggles "$bench" >/dev/null 2>&1
# In the caller tree, the lines "< CALLER (Nx)" before "* FUNCTION" count
# its calls; the "*" line carries its inclusive cost.
callgrind_annotate --inclusive=yes --tree=caller "$out" 2>/dev/null |
  awk -v ops="$*" '
    BEGIN { n = split(ops, list, " "); for (i = 1; i <= n; i++) want[list[i]] = 1 }
    / < / { if (match($0, /\(([0-9,]+)x\)/)) { c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); calls += c }; next }
    / \* / {
      name = $0; sub(/ \[.*$/, "", name); sub(/^.*:/, "", name)
      cost = $1; gsub(",", "", cost)
      if ((name in want) && calls > 0)
        printf "FIGURE %s_instructions %.0f instructions\n", name, cost / calls
      calls = 0; next
    }
    /^$/ { calls = 0 }'

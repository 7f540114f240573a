#!/bin/sh
# scripts/demo.sh's build and install, without building kavro again: the
# demo is run with --install-only on a build tree that is built already
# (scripts/test.sh gives it build/default), DESTDIR staging the install
# into a temporary directory.  It checks that
#   1. the demo prints one line per step and nothing else: apt, autoreconf,
#      configure and make go to the log it names;
#   2. the install holds what the README's Guide uses: bin/kavro and
#      bin/sr-compat (which run), man/man1/kavro.1 (which man finds),
#      kavro.pc (which pkg-config reads);
#   3. a step that fails is named, with the log's last lines, on stderr;
#   4. a tree configured for another prefix is refused before any step.
#
#   tests/demo_install.sh BUILDDIR
#
# Exit 0 with "demo install: ok (...)", or 1 with "FAIL:" lines.  Runs
# scripts/setup.sh, as the demo does: the packages must be there (or the
# user be root).
set -u

if [ $# -ne 1 ] || [ ! -f "$1/Makefile" ]; then
  echo "usage: $0 BUILDDIR (a configured and built tree)" >&2
  exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
prefix=$(sed -n 's/^prefix = //p' "$build/Makefile")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The demo with the environment given in "$@", then --install-only.
demo() {
  env "$@" KAVRO_DEMO_PREFIX="$prefix" "$top/scripts/demo.sh" --install-only \
    >"$tmp/out" 2>"$tmp/err"
}

# ---- 1. one line per step ---------------------------------------------------
root=$tmp/root
log=$tmp/demo.log
if ! demo DESTDIR="$root" KAVRO_DEMO_BUILD="$build" KAVRO_DEMO_LOG="$log"; then
  fail "scripts/demo.sh --install-only failed:"
  cat "$tmp/out" "$tmp/err"
  exit 1
fi
cat >"$tmp/expected" <<EOT
demo: installing into $root$prefix; the build's output goes to $log
installing build dependencies...
configuring...
building (under a minute on 2 cores)...
installing into $root$prefix...
demo: installed into $root$prefix (--install-only: the demo not run)
EOT
if ! cmp -s "$tmp/expected" "$tmp/out"; then
  fail "the demo's output is not one line per step:"
  diff "$tmp/expected" "$tmp/out"
fi
[ -s "$tmp/err" ] && fail "the demo wrote to stderr: $(head -c 500 "$tmp/err")"
for step in "installing build dependencies" "building" "installing into"; do
  grep -q "^==> $step" "$log" || fail "the log has no section \"$step\""
done
grep -q "^setup: " "$log" || fail "setup.sh's output is not in the log"
grep -q "Entering directory" "$log" || fail "make's output is not in the log"

# ---- 2. what the Guide uses -------------------------------------------------
bin=$root$prefix/bin
for prog in kavro sr-compat; do
  LD_LIBRARY_PATH=$root$prefix/lib "$bin/$prog" --version >/dev/null 2>&1 ||
    fail "the installed $prog does not run"
done
page=$root$prefix/share/man/man1/kavro.1
[ -f "$page" ] || fail "no $page"
if command -v man >/dev/null 2>&1; then
  found=$(MANPATH=$root$prefix/share/man man -w kavro 2>/dev/null)
  [ "$found" = "$page" ] || fail "man -w kavro finds '$found', not $page"
fi
pc_dir=$(dirname "$(find "$root" -name kavro.pc | head -1)")
found=$(PKG_CONFIG_PATH=$pc_dir pkg-config --variable=prefix kavro 2>&1)
[ "$found" = "$prefix" ] || fail "the installed kavro.pc names prefix '$found', not $prefix"

# ---- 3. a step that fails -----------------------------------------------------
# Trees whose make fails after some chatter, in the build and in the
# install: the chatter stays in the log, and its last lines come out on
# stderr with the step's name.
for target in all install; do
  broken=$tmp/broken-$target
  mkdir -p "$broken"
  {
    echo "prefix = $prefix"
    printf 'all:\n\t@echo "compiler chatter"\n'
    [ "$target" = all ] && printf '\t@echo "the error that matters" >&2; exit 1\n'
    printf 'install:\n\t@echo "installer chatter"\n'
    printf '\t@echo "the error that matters" >&2; exit 1\n'
  } >"$broken/Makefile"
  case $target in
    all) failed_step=building ;;
    install) failed_step="installing into" ;;
  esac
  if demo DESTDIR="$tmp/root-$target" KAVRO_DEMO_BUILD="$broken" \
       KAVRO_DEMO_LOG="$tmp/broken.log"; then
    fail "the demo succeeded on a tree whose make $target fails"
  fi
  grep -q "chatter" "$tmp/out" && fail "a failed step's output went to stdout"
  grep -q "^demo: FAILED: $failed_step" "$tmp/err" ||
    fail "the failed step ($failed_step) is not named on stderr: $(cat "$tmp/err")"
  grep -q "the error that matters" "$tmp/err" ||
    fail "the log's last lines are not on stderr: $(cat "$tmp/err")"
done

# ---- 4. a tree configured for another prefix ---------------------------------
# Its kavro.pc would name the other prefix: refused before anything runs.
if env DESTDIR="$tmp/root3" KAVRO_DEMO_BUILD="$build" KAVRO_DEMO_LOG="$tmp/other.log" \
     KAVRO_DEMO_PREFIX=/elsewhere "$top/scripts/demo.sh" --install-only \
     >"$tmp/out" 2>"$tmp/err"; then
  fail "the demo installed a tree configured for $prefix into /elsewhere"
fi
grep -q "is configured for prefix $prefix, not /elsewhere" "$tmp/err" ||
  fail "a tree of another prefix is not refused clearly: $(cat "$tmp/err")"
[ -e "$tmp/other.log" ] && fail "the demo started a step for a tree of another prefix"

if [ "$failures" -gt 0 ]; then
  echo "demo install: $failures check(s) failed"
  exit 1
fi
echo "demo install: ok (one line per step, the rest in its log; kavro," \
  "sr-compat, man page and kavro.pc installed under DESTDIR; a failed step" \
  "named with its log's tail; another prefix refused)"

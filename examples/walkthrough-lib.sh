# Sourced by the guides' walkthroughs (examples/*/walkthrough.sh): starts a
# registry of their own and shows commands with their output, as the
# guides print them.
#
#   . walkthrough-lib.sh     (from the walkthrough's directory)
#   walkthrough_start        sets $url and $work, cd's to the directory
#   show CMD ARGS...         prints "$ CMD ARGS", its output, "(exit N)"
#   show_input FILE CMD...   the same, FILE on standard input
#
# Needs kavro on PATH.  The registry is `kavro mock-registry` on a free
# port; the shown text names it $REGISTRY, and paths relative.
set -u

here=$(cd "$(dirname "$0")" && pwd)
work=
registry_pid=

walkthrough_start() {
  work=$(mktemp -d) || exit 1
  trap '[ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"' EXIT
  kavro mock-registry --listen 127.0.0.1:0 >"$work/registry.out" 2>&1 &
  registry_pid=$!
  url=
  for _ in $(seq 1 100); do
    url=$(sed -n '1s/^listening on //p' "$work/registry.out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the registry did not start"; exit 1; }
  cd "$here" || exit 1
}

# What the guides show: the registry as $REGISTRY, paths relative, and
# (through $walkthrough_filter, a sed script) what varies from run to run.
hide() {
  sed "s|$url|\$REGISTRY|g; s|$here/||g; s|$work/||g; ${walkthrough_filter:-}"
}

run_shown() {
  "$@" >"$work/out" 2>&1
  status=$?
  hide <"$work/out"
  echo "(exit $status)"
}

show() {
  echo "\$ $*" | hide
  run_shown "$@"
}

show_input() {
  input=$1
  shift
  echo "\$ $* < $input" | hide
  run_shown "$@" <"$input"
}

#!/bin/sh
# The Debian packages, end to end, as a user gets them:
#   1. build libkavro1, libkavro-dev and kavro-tools with
#      `dpkg-buildpackage -us -uc -b` from a clean copy of the tree (the
#      committed tree plus staged and unstaged changes to tracked files:
#      `git stash create`, which touches nothing), in build/packages/;
#   2. lintian on them (errors and warnings fail);
#   3. prove that the symbols check bites: dpkg-gensymbols with
#      debian/libkavro1.symbols plus one symbol the library lacks fails;
#   4. install them (apt-get install ./*.deb);
#   5. build the README's C snippets (tests/readme_snippets.sh) with
#      pkg-config only, and the examples outside the tree as
#      examples/README.md says (tests/examples_outside.sh: the installed
#      `kavro gen`, pkg-config, the consumer run over an embedded
#      librdkafka mock cluster and kavro's mock registry on loopback);
#   6. remove the packages (also when a step fails).
# Prints one line: "packages: ok (...)" or "packages: FAIL: STEP, see
# LOG"; everything else goes to LOG, build/packages/test-packages.log.
# Run as root (it installs into this machine); refuses to run when any of
# the three packages is installed already, so as not to remove what it did
# not install, and when a kavro is installed under /usr/local (by
# scripts/demo.sh or `make install`), which would be found before the
# packages' (pkg-config, the dynamic linker).  scripts/test.sh runs it when CI=true or
# KAVRO_TEST_PACKAGES=1.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/build/packages
log=$work/test-packages.log
started=$(date +%s)
PACKAGES="libkavro1 libkavro-dev kavro-tools"
installed=0

summary() { echo "packages: $*"; }

fail() {  # step
  echo "FAILED: $1" >>"$log"
  summary "FAIL: $1, see $log"
  exit 1
}

# Runs "$@" with its output in the log; the step's name first.
run() {  # step, command...
  name=$1
  shift
  echo "==> $name ($(( $(date +%s) - started ))s)" >>"$log"
  "$@" >>"$log" 2>&1 || fail "$name"
}

remove_packages() {
  [ "$installed" = 1 ] || return 0
  echo "==> remove the packages" >>"$log"
  if ! apt-get purge -y -qq $PACKAGES >>"$log" 2>&1; then
    echo "FAILED: remove the packages" >>"$log"
    summary "FAIL: remove the packages ($PACKAGES), see $log"
    exit 1
  fi
  installed=0
}
trap remove_packages EXIT
trap 'exit 1' HUP INT TERM

if [ "$(id -u)" -ne 0 ]; then
  summary "FAIL: run as root (it installs packages)"
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
: >"$log"

for p in $PACKAGES; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    echo "$p is installed already: remove it first (apt-get purge $PACKAGES)" >>"$log"
    fail "$p already installed"
  fi
done

for f in /usr/local/lib/libkavro.so /usr/local/lib/pkgconfig/kavro.pc \
         /usr/local/bin/kavro; do
  if [ -e "$f" ]; then
    echo "$f: a kavro is installed under /usr/local (scripts/demo.sh), found" \
      "before the packages: remove it first (make -C build/demo uninstall)" >>"$log"
    fail "a kavro installed under /usr/local"
  fi
done

# 1. A clean copy of the tree: what `git archive` of the working tree's
# tracked files gives, with no build products.
echo "==> copy the tree" >>"$log"
# (stash create writes a commit object when the tree has changes: it
# needs a name, which a CI clone may lack.)
rev=$(cd "$top" && git -c user.name=test-packages -c user.email=root@localhost \
        stash create 2>>"$log") || fail "git stash create"
src=$work/kavro
mkdir -p "$src"
(cd "$top" && git archive "${rev:-HEAD}") | tar -x -C "$src" 2>>"$log" ||
  fail "git archive"

# The package's version is configure.ac's.
version=$(cd "$src" && dpkg-parsechangelog -SVersion 2>>"$log")
upstream=$(sed -n 's/^AC_INIT(\[kavro\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
echo "debian/changelog $version, configure.ac $upstream" >>"$log"
[ -n "$version" ] && [ "$version" = "$upstream" ] ||
  fail "debian/changelog version $version is not configure.ac's $upstream"

# nocheck: CI runs the test suite apart (debian/rules says which suites
# a package build runs otherwise).
run "dpkg-buildpackage" sh -c 'cd "$1" &&
  DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b' sh "$src"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debs=""
for p in $PACKAGES; do
  deb=$work/${p}_${version}_$arch.deb
  [ -f "$deb" ] || fail "no $deb built"
  debs="$debs $deb"
done

# 2. lintian: errors and warnings fail; debian/*.lintian-overrides say
# why any tag is overridden.
run "lintian" lintian --fail-on error,warning "$work/kavro_${version}_$arch.changes"

# 3. A symbol that disappears fails the build: the same dpkg-gensymbols
# check dh_makeshlibs runs (-c2, debian/rules), against the symbols file
# plus one symbol the library does not export, versioned as the file's
# are (why "~": debian/libkavro1.symbols).
echo "==> the symbols check fails when a symbol disappears" >>"$log"
cp "$src/debian/libkavro1.symbols" "$work/lost.symbols"
echo " kavro_symbol_that_disappeared@Base $version~" >>"$work/lost.symbols"
if (cd "$src" && dpkg-gensymbols -plibkavro1 -Pdebian/libkavro1 -c2 \
      -I"$work/lost.symbols" -O"$work/lost.out") >>"$log" 2>&1; then
  fail "dpkg-gensymbols accepted a lost symbol"
fi
grep -q 'kavro_symbol_that_disappeared' "$log" ||
  fail "dpkg-gensymbols failed without naming the lost symbol"

# 4. Install; pkg-config must now find the packaged kavro.pc (not one
# under /usr/local).
installed=1
run "apt-get install" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends $debs
libdir=$(pkg-config --variable=libdir kavro 2>>"$log")
echo "pkg-config kavro: libdir $libdir" >>"$log"
[ "$libdir" = "/usr/lib/$multiarch" ] ||
  fail "pkg-config finds kavro in '$libdir', not /usr/lib/$multiarch"

# 5. The README's snippets, built and run.
mkdir -p "$work/snippets"
run "the README's snippets" "$top/tests/readme_snippets.sh" \
  "$src/README.md" "$work/snippets"
run "the README's snippets run" "$work/snippets/snippets"
# (/lib may be a link to /usr/lib: the paths are compared resolved.)
loaded=$(ldd "$work/snippets/snippets" 2>&1 | tee -a "$log" |
           sed -n 's/^[[:space:]]*libkavro\.so\.1 => \([^ ]*\) .*/\1/p')
[ -n "$loaded" ] &&
  [ "$(readlink -f "$loaded")" = "$(readlink -f "/usr/lib/$multiarch/libkavro.so.1")" ] ||
  fail "the snippets load '$loaded', not the packaged libkavro.so.1"

# The examples as examples/README.md builds them outside the tree: the
# installed `kavro gen` (kavro-tools, /usr/bin) and pkg-config.
[ "$(command -v kavro)" = /usr/bin/kavro ] ||
  fail "kavro on PATH is '$(command -v kavro)', not the packaged /usr/bin/kavro"
run "the examples outside the tree" "$src/tests/examples_outside.sh"
run "kavro-tools run" sh -c '/usr/bin/kavro --version && /usr/bin/sr-compat --version'

# 6. Remove them.
remove_packages
summary "ok ($PACKAGES $version built, lintian clean, installed, README" \
  "snippets and the examples built outside the tree and run, removed;" \
  "$(( $(date +%s) - started ))s)"

#!/bin/sh
# Install every Debian package that kavro's build, tests, demo (man-db, so
# that `man kavro` works after it), API reference (doxygen, `make docs`) and
# Debian packaging (debian/, scripts/test-packages.sh) need, then the npm packages
# of the JavaScript interop test (npm ci in tests/interop/js, from its
# committed package-lock.json).
# Idempotent: packages already present are left alone.  Quiet: apt's
# output goes to a log, shown only when it fails.  Run as root (the npm
# step alone needs no root).
set -eu

PACKAGES="
  build-essential autoconf automake libtool pkg-config make git
  libavro-dev librdkafka-dev libcurl4-openssl-dev libjansson-dev
  libmicrohttpd-dev libgnutls28-dev libssl-dev libarchive-dev libpcre2-dev libyaml-dev check tzdata
  libxml2-utils unzip zip
  python3 python3-avro python3-confluent-kafka python3-requests
  python3-prometheus-client
  nodejs npm
  clang valgrind
  groff-base man-db
  doxygen
  debhelper dpkg-dev fakeroot lintian
"

# A package counts as present when dpkg has it, or, for nodejs and npm,
# when the command is there (a node installed from elsewhere will do).
missing=""
for p in $PACKAGES; do
  case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done

if [ -z "$missing" ]; then
  echo "setup: all packages present"
elif [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages:$missing" >&2
  echo "setup: run as root (or: sudo apt-get install$missing)" >&2
  exit 1
else
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! { apt-get update -qq &&
         apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: apt-get failed installing$missing" >&2
    exit 1
  fi
  echo "setup: installed$missing"
fi

# The JavaScript client of tests/js_interop.sh, js_rules_interop.sh and
# js_dek_interop.sh, exactly as locked; again only when the lock file
# changed since the last install.
js=$(cd "$(dirname "$0")/.." && pwd)/tests/interop/js
if [ ! -f "$js/node_modules/.package-lock.json" ] ||
   [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "setup: npm ci in tests/interop/js"
else
  echo "setup: tests/interop/js/node_modules up to date"
fi

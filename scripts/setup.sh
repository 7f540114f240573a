#!/bin/sh
# Install every Debian package that kavro's build, tests, demo and Debian
# packaging (debian/, scripts/test-packages.sh) need.
# Idempotent: packages already present are left alone.  Quiet: apt's
# output goes to a log, shown only when it fails.  Run as root.
set -eu

PACKAGES="
  build-essential autoconf automake libtool pkg-config make git
  libavro-dev librdkafka-dev libcurl4-openssl-dev libjansson-dev
  libmicrohttpd-dev libgnutls28-dev libssl-dev check
  python3 python3-avro python3-confluent-kafka python3-requests
  clang valgrind
  groff-base
  debhelper dpkg-dev fakeroot lintian
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done

if [ -z "$missing" ]; then
  echo "setup: all packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages:$missing" >&2
  echo "setup: run as root (or: sudo apt-get install$missing)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && \
       apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: apt-get failed installing$missing" >&2
  exit 1
fi
echo "setup: installed$missing"

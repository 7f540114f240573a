#!/bin/sh
# Install every Debian package that kavro's build, tests and demo need.
# Idempotent: packages already present are left alone.  Run as root.
set -eu

PACKAGES="
  build-essential autoconf automake libtool pkg-config make git
  libavro-dev librdkafka-dev libcurl4-openssl-dev libjansson-dev
  libmicrohttpd-dev libgnutls28-dev libssl-dev libarchive-dev check
  libxml2-utils unzip zip
  python3 python3-avro python3-confluent-kafka python3-requests
  clang valgrind
  groff-base
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
echo "setup: installed$missing"

#!/bin/sh
# Sourced by tests/kafka_programs.sh and tests/kafka_operating.sh: run the
# cases of tests/check_kafka tagged $1 (Check's CK_INCLUDE_TAGS), so that
# `make check` runs the slow, mostly waiting cases of the programs beside
# the rest of check_kafka rather than after it.
kafka_cases() {
  CK_EXCLUDE_TAGS= CK_INCLUDE_TAGS=$1 exec ./tests/check_kafka
}

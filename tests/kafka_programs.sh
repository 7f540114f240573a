#!/bin/sh
# check_kafka's cases of `kavro produce` and `kavro consume`.
. "${srcdir:-$(dirname "$0")/..}/tests/kafka_cases.sh"
kafka_cases programs

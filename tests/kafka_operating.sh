#!/bin/sh
# check_kafka's cases of `kavro mock-cluster` and `kavro dlq`.
. "${srcdir:-$(dirname "$0")/..}/tests/kafka_cases.sh"
kafka_cases operating

#!/bin/sh
# Create Koers' topics on the production-shape broker; safe to run again.
# docker-compose.yml runs it once, in the `kafka-init` container, with the broker's
# own tools. The list must equal koers.events.ALL_TOPICS (tests/compose checks it).
# Partitions bound a consumer group's parallelism: at most PARTITIONS consumers of a
# group receive records, the rest stand by.
set -eu

BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:9092}"
PARTITIONS="${PARTITIONS:-3}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

TOPICS="
koers.campaign-state.v1
koers.candidate-events.v1
koers.delivery.v1
koers.lead-outcomes.v1
koers.allocations.v1
koers.dead-letter.v1
"

for topic in $TOPICS; do
    "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --create --if-not-exists \
        --topic "$topic" --partitions "$PARTITIONS" \
        --replication-factor "$REPLICATION_FACTOR"
done

"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --describe --topic 'koers\..*'

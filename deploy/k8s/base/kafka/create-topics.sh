#!/bin/sh
# Create Koers' topics; safe to run again. docker-compose.yml runs it once in the
# `kafka-init` container (one broker: replication 1), deploy/k8s in the `kafka-topics`
# Job (replication 3, min.insync.replicas 2), both with the broker's own tools. The list
# must equal koers.events.ALL_TOPICS (tests/compose and tests/k8s check it).
# Partitions bound a consumer group's parallelism: at most PARTITIONS consumers of a
# group receive records, the rest stand by. Retention must match the services'
# KOERS_TOPIC_RETENTION_HOURS: relays keep sent outbox rows that long to refill a broker
# that lost data, consumers keep dedup rows twice as long.
set -eu

BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:9092}"
PARTITIONS="${PARTITIONS:-3}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
MIN_INSYNC_REPLICAS="${MIN_INSYNC_REPLICAS:-1}"
RETENTION_MS="${RETENTION_MS:-604800000}"
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
        --replication-factor "$REPLICATION_FACTOR" \
        --config "min.insync.replicas=$MIN_INSYNC_REPLICAS" \
        --config "retention.ms=$RETENTION_MS"
done

"$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --describe --topic 'koers\..*'

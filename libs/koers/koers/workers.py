"""Building the relay and consumer workers a service's CLI runs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from sqlalchemy import Engine

from koers.messaging.consumer import EventConsumer, Handler
from koers.messaging.relay import OutboxRelay
from koers.messaging.transport import KafkaPublisher, KafkaSubscriber, KafkaTopicSizes
from koers.runner import run_until_signalled
from koers.settings import KoersSettings

log = logging.getLogger(__name__)


def run_relay(engine: Engine, settings: KoersSettings, service: str) -> None:
    """Relay the outbox until SIGTERM; in production, only with every secret set."""
    settings.check_production_secrets()
    publisher = KafkaPublisher(settings.kafka_bootstrap_servers, client_id=f"{service}-relay")
    sizes = KafkaTopicSizes(settings.kafka_bootstrap_servers, client_id=f"{service}-relay-check")
    relay = OutboxRelay(
        engine,
        publisher,
        topic_sizes=sizes,
        verify_every_s=settings.relay_verify_interval_s,
        keep_sent=settings.topic_retention,
    )
    log.info("relay started", extra={"holder": relay.holder})
    try:
        run_until_signalled(relay.run)
    finally:
        publisher.close()


def build_consumer(
    engine: Engine,
    settings: KoersSettings,
    *,
    group_id: str,
    topics: Iterable[str],
    handlers: Mapping[str, Iterable[Handler]],
) -> EventConsumer:
    settings.check_production_secrets()
    subscriber = KafkaSubscriber(
        settings.kafka_bootstrap_servers,
        group_id,
        topics,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
    )
    dead_letters = KafkaPublisher(settings.kafka_bootstrap_servers, client_id=f"{group_id}-dlq")
    return EventConsumer(
        engine=engine,
        subscriber=subscriber,
        dead_letters=dead_letters,
        group_id=group_id,
        handlers=handlers,
        keep_processed=2 * settings.topic_retention,
    )


def run_consumer(
    engine: Engine,
    settings: KoersSettings,
    *,
    group_id: str,
    topics: Iterable[str],
    handlers: Mapping[str, Iterable[Handler]],
) -> None:
    """Consume until SIGTERM; a broker that is not up yet is waited for, not fatal.

    A missing production secret is: it fails here, before any connection is tried.
    """
    import threading

    settings.check_production_secrets()

    from tenacity import retry, stop_never, wait_exponential

    @retry(wait=wait_exponential(multiplier=0.5, max=10), stop=stop_never, reraise=True)
    def connect() -> EventConsumer:
        return build_consumer(engine, settings, group_id=group_id, topics=topics, handlers=handlers)

    def loop(stop: threading.Event) -> None:
        consumer = connect()
        log.info("consumer started", extra={"group": group_id})
        consumer.run(stop)

    run_until_signalled(loop)

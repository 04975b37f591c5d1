"""The three services for the console browser test: campaigns, landing and analytics,
each its own ``create_app`` on its own SQLite database under uvicorn on a free port.

Kafka is left out on purpose (the e2e tests cover it): :meth:`ConsoleStack.deliver`
hands every event in the outboxes to the consumers' own handlers, in order, as the
relay and consumers would, so the browser sees the same state the real pipeline makes.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn

from koers.db import make_engine, migrate, transaction
from koers.events import parse_envelope
from koers.messaging.schema import outbox_table
from tests.support.passwords import FAST_PASSWORD_HASHER

SERVICE_TOKEN = "console-browser-service-token"
DEMO_PASSWORD = "console browser demo password"


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app: Any) -> Iterator[str]:
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class ConsoleStack:
    campaigns_url: str
    landing_url: str
    campaigns: sa.Engine
    landing: sa.Engine
    analytics: sa.Engine
    delivered: set[str] = field(default_factory=set)

    def deliver(self) -> int:
        """Apply every not yet delivered outbox event to its consumers; returns how many."""
        from analytics.facts.handlers import HANDLERS as ANALYTICS
        from landing.handlers import HANDLERS as LANDING

        routes = (
            (self.campaigns, ((LANDING, self.landing), (ANALYTICS, self.analytics))),
            (self.landing, ((ANALYTICS, self.analytics),)),
        )
        applied = 0
        for source, consumers in routes:
            with source.connect() as conn:
                rows = conn.execute(
                    sa.select(outbox_table.c.event_id, outbox_table.c.value).order_by(
                        outbox_table.c.id
                    )
                ).all()
            for event_id, value in rows:
                if event_id in self.delivered:
                    continue
                envelope = parse_envelope(value)
                for handlers, engine in consumers:
                    for handler in handlers.get(envelope.type, ()):
                        with transaction(engine) as conn:
                            handler(conn, envelope)
                self.delivered.add(event_id)
                applied += 1
        return applied


@contextmanager
def console_stack(workdir: Path, *, today: date, now: datetime) -> Iterator[ConsoleStack]:
    from analytics.config import Settings as AnalyticsSettings
    from analytics.main import create_app as analytics_app
    from analytics.storage.schema import migrate_database as migrate_analytics
    from campaigns.cli import migrate_database as migrate_campaigns
    from campaigns.config import Settings as CampaignsSettings
    from campaigns.main import create_app as campaigns_app
    from campaigns.seed import seed_demo
    from landing.cli import MIGRATIONS_DIR as LANDING_MIGRATIONS
    from landing.config import Settings as LandingSettings
    from landing.main import create_app as landing_app

    urls = {name: f"sqlite:///{workdir / f'{name}.db'}" for name in ("c", "l", "a")}
    migrate_campaigns(urls["c"])
    migrate(urls["l"], LANDING_MIGRATIONS)
    migrate_analytics(urls["a"])
    engines = {name: make_engine(url) for name, url in urls.items()}
    seed_demo(
        engines["c"],
        var_dir=workdir / "var",
        console_url="http://127.0.0.1",
        demo_password=DEMO_PASSWORD,
        today=today,
        now=now,
        language="en",  # the tests read the English texts
        password_hasher=FAST_PASSWORD_HASHER,
    )
    with ExitStack() as stack:
        landing_url = stack.enter_context(
            serve(
                landing_app(
                    LandingSettings(
                        database_url=urls["l"],
                        secret_key="console-browser-landing-secret",
                        service_token=SERVICE_TOKEN,
                        kafka_bootstrap_servers="127.0.0.1:1",
                        cv_dir=workdir / "cvs",
                        min_fill_seconds=0,
                        rate_limit_per_minute=0,
                    )
                )
            )
        )
        analytics_url = stack.enter_context(
            serve(
                analytics_app(
                    AnalyticsSettings(
                        database_url=urls["a"],
                        service_token=SERVICE_TOKEN,
                        kafka_bootstrap_servers="127.0.0.1:1",
                    )
                )
            )
        )
        campaigns_url = stack.enter_context(
            serve(
                campaigns_app(
                    CampaignsSettings(
                        database_url=urls["c"],
                        secret_key="console-browser-campaigns-secret",
                        service_token=SERVICE_TOKEN,
                        landing_url=landing_url,
                        analytics_url=analytics_url,
                        kafka_bootstrap_servers="127.0.0.1:1",
                        var_dir=workdir / "var",
                    ),
                    password_hasher=FAST_PASSWORD_HASHER,
                )
            )
        )
        console = ConsoleStack(campaigns_url, landing_url, engines["c"], engines["l"], engines["a"])
        console.deliver()
        try:
            yield console
        finally:
            for engine in engines.values():
                engine.dispose()

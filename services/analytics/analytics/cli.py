"""``koers-analytics``: serve the API, migrate, relay the outbox, consume the stream."""

from __future__ import annotations

import typer

from analytics.config import Settings
from koers.logs import configure_logging

SERVICE = "analytics"

app = typer.Typer(help="Koers analytics: weekly funnel facts per creative.", no_args_is_help=True)


def _settings() -> Settings:
    settings = Settings()
    configure_logging(SERVICE, settings.log_level)
    return settings


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8002, help="Port to listen on."),
) -> None:
    """Serve the JSON API (/v1, OpenAPI at /docs)."""
    import uvicorn

    from analytics.main import create_app

    settings = _settings()
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None)


@app.command()
def migrate() -> None:
    """Bring the analytics database to the newest schema."""
    from analytics.repository import migrate_database

    settings = _settings()
    migrate_database(settings.database_url)
    typer.echo("analytics database migrated")


@app.command()
def relay() -> None:
    """Publish the analytics outbox to Kafka until stopped."""
    from koers.db import make_engine
    from koers.workers import run_relay

    settings = _settings()
    run_relay(make_engine(settings.database_url), settings, SERVICE)


@app.command()
def consume() -> None:
    """Apply candidate events, delivery, campaign state and lead outcomes until stopped."""
    from analytics.handlers import CONSUMED_TOPICS, GROUP_ID, HANDLERS
    from koers.db import make_engine
    from koers.workers import run_consumer

    settings = _settings()
    run_consumer(
        make_engine(settings.database_url),
        settings,
        group_id=GROUP_ID,
        topics=CONSUMED_TOPICS,
        handlers=HANDLERS,
    )

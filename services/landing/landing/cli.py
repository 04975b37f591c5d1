"""``koers-landing``: serve the pages, migrate, relay the outbox, consume campaign state,
seed the demo, apply the retention rules."""

from __future__ import annotations

from pathlib import Path

import typer

import landing
from landing.config import Settings

app = typer.Typer(help="Koers landing service.", no_args_is_help=True)

MIGRATIONS_DIR = Path(landing.__file__).resolve().parent / "migrations"


def _settings() -> Settings:
    from koers.logs import configure_logging

    settings = Settings()
    configure_logging("landing", settings.log_level, settings.log_format)
    return settings


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8001, help="Port to listen on."),
) -> None:
    """Serve the candidate pages and the internal API."""
    import uvicorn

    _settings()
    # No access log: it would write every candidate's IP address to the logs.
    uvicorn.run(
        "landing.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        # Named rather than "auto": the C event loop and HTTP parser are what the page
        # benchmark measured, so a missing one fails at start-up instead of quietly
        # falling back to the slower pure-Python ones.
        loop="uvloop",
        http="httptools",
    )


@app.command()
def migrate() -> None:
    """Bring the landing database to the newest schema."""
    from koers.db import migrate as run_migrations

    settings = _settings()
    run_migrations(settings.database_url, MIGRATIONS_DIR)
    typer.echo("landing database migrated")


@app.command()
def relay() -> None:
    """Publish the outbox (candidate events) to Kafka."""
    from koers.db import make_engine
    from koers.workers import run_relay

    settings = _settings()
    run_relay(make_engine(settings.database_url, hide_parameters=True), settings, "landing")


@app.command()
def consume() -> None:
    """Apply campaign-state events (published, paused, variant changed) to page snapshots."""
    from koers.db import make_engine
    from koers.events import CAMPAIGN_STATE_TOPIC
    from koers.workers import run_consumer
    from landing.handlers import CONSUMER_GROUP, handlers

    settings = _settings()
    run_consumer(
        make_engine(settings.database_url, hide_parameters=True),
        settings,
        group_id=CONSUMER_GROUP,
        topics=[CAMPAIGN_STATE_TOPIC],
        handlers=handlers(settings.media_policy().own_hosts),
    )


@app.command("seed-demo")
def seed_demo(
    wait_seconds: float = typer.Option(
        120, min=0, help="How long to wait for the demo page to arrive through Kafka."
    ),
    weeks: int = typer.Option(4, min=1, max=52, help="How many past ISO weeks to simulate."),
    slug: str = typer.Option("demo-klantenservice", help="Slug of the demo campaign's page."),
    seed: int = typer.Option(20250106, help="Seed of the simulation (same seed, same data)."),
) -> None:
    """Write simulated candidate journeys for the demo campaign (once)."""
    from koers.db import make_engine
    from koers.events import utcnow
    from landing import demo

    settings = _settings()
    engine = make_engine(settings.database_url, hide_parameters=True)
    try:
        page = demo.wait_for_page(engine, slug, wait_seconds)
        if page is None:
            typer.echo(
                f"the page {slug!r} did not arrive within {wait_seconds:g} s: is the campaigns "
                "service seeded and publishing, and is `koers-landing consume` running?",
                err=True,
            )
            raise typer.Exit(1)
        summary = demo.seed_demo(engine, page, weeks=weeks, today=utcnow().date(), seed=seed)
        typer.echo(summary.line())
    finally:
        engine.dispose()


@app.command()
def retention() -> None:
    """Erase candidate data past its retention (run daily): withdrawn consent now,
    rejected candidates 4 weeks after their procedure ended, everything else when its
    consent period (at most a year) ends; also orphan CV files and old visitor salts."""
    from koers.db import make_engine
    from koers.events import utcnow
    from landing.privacy.service import Privacy
    from landing.submissions.cvstore import build_cv_store

    settings = _settings()
    engine = make_engine(settings.database_url, hide_parameters=True)
    try:
        cv_store = build_cv_store(settings.cv_storage, settings.cv_dir, engine)
        report = Privacy(engine, cv_store, utcnow).run_retention()
        typer.echo(report.line())
    finally:
        engine.dispose()

"""``koers-analytics``: serve the API, migrate, relay the outbox, consume the stream."""

from __future__ import annotations

import typer

from analytics.config import Settings
from koers.logs import configure_logging

SERVICE = "analytics"

app = typer.Typer(help="Koers analytics: weekly funnel facts per creative.", no_args_is_help=True)


def _settings() -> Settings:
    settings = Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
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
    # Access lines only in production: in development they bury the login and warnings.
    access_log = settings.environment == "production"
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=access_log)


@app.command()
def migrate() -> None:
    """Bring the analytics database to the newest schema."""
    from analytics.storage.schema import migrate_database

    settings = _settings()
    migrate_database(settings.database_url)
    typer.echo("analytics database migrated")


@app.command()
def relay() -> None:
    """Publish the analytics outbox to Kafka until stopped."""
    from analytics.main import run_relay

    run_relay(_settings())


@app.command()
def consume() -> None:
    """Apply candidate events, delivery, campaign state and lead outcomes until stopped."""
    from analytics.main import run_consumer

    run_consumer(_settings())


@app.command()
def allocate(
    jsonl: bool = typer.Option(
        False,
        "--jsonl",
        help="Converse: one JSON request per stdin line, one JSON response per stdout line.",
    ),
) -> None:
    """Propose a week's budget split per creative (the allocation contract, docs/api.md)."""
    import sys

    from analytics.allocation.jsonl import answer, converse
    from analytics.allocation.memory import AllocationMemory

    def write(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    if jsonl:
        converse(iter(sys.stdin.buffer.readline, b""), write)
        return
    out = answer(sys.stdin.buffer.read(), 1, AllocationMemory())
    if out is None:
        out = '{"error": {"title": "Invalid request", "detail": "stdin is empty.", "line": 1}}'
    write(out)
    if out.startswith('{"error"'):
        raise typer.Exit(code=1)


@app.command()
def simulate(
    campaigns: int = typer.Option(200, min=1, help="Number of seeded campaigns."),
    seed: int = typer.Option(1, help="Seed of the first campaign (then seed + 1, …)."),
    weeks: int = typer.Option(12, min=2, max=52, help="Weeks per campaign."),
    policies: str = typer.Option(
        "koers,thompson,greedy,equal", help="Comma-separated policies to compare."
    ),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Compare allocation policies on simulated campaigns, as shares of the oracle."""
    import json

    from analytics.simulation.study import POLICY_TITLES, study, summarise

    names = [name.strip() for name in policies.split(",") if name.strip()]
    unknown = [name for name in names if name not in POLICY_TITLES]
    if unknown or not names:
        raise typer.BadParameter(
            f"unknown policies {unknown}; known: {', '.join(POLICY_TITLES)}",
            param_hint="--policies",
        )
    runs = study(range(seed, seed + campaigns), names, weeks=weeks, workers=workers)
    results = {
        name: {
            "title": POLICY_TITLES[name],
            **summarise(runs[name]).__dict__,
            "shares": [round(r.share, 6) for r in runs[name]],
        }
        for name in names
    }
    if as_json:
        typer.echo(
            json.dumps({"campaigns": campaigns, "seed": seed, "weeks": weeks, "policies": results})
        )
        return
    typer.echo(f"{campaigns} campaigns (seeds {seed} to {seed + campaigns - 1}), {weeks} weeks")
    typer.echo(f"{'policy':52s} {'mean':>6s} {'p10':>6s} {'median':>6s}")
    for result in results.values():
        figures = f"{result['mean']:6.3f} {result['p10']:6.3f} {result['median']:6.3f}"
        typer.echo(f"{result['title']:52s} {figures}")

"""``koers-campaigns``: serve the console, migrate, relay, consume, run the weekly job,
seed the demo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from campaigns.config import SERVICE, Settings
from koers.logs import configure_logging

if TYPE_CHECKING:
    from campaigns.scheduling.weekly import WeeklyRunSummary

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

app = typer.Typer(help="Koers campaigns service.", no_args_is_help=True)


def _settings() -> Settings:
    settings = Settings()
    configure_logging(SERVICE, settings.log_level, settings.log_format)
    return settings


def migrate_database(database_url: str) -> None:
    """Bring the campaigns database to the newest schema."""
    from koers.db import migrate

    migrate(database_url, MIGRATIONS_DIR)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the console and the JSON API."""
    import uvicorn

    settings = _settings()
    uvicorn.run(
        "campaigns.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
        # A line per request is for production's log store; in development it buries
        # what matters (the login, warnings) in the terminal.
        access_log=settings.environment == "production",
        proxy_headers=True,
    )


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = _settings()
    migrate_database(settings.database_url)
    typer.echo("campaigns database is up to date")


@app.command()
def relay() -> None:
    """Publish the outbox to Kafka (one active relay at a time)."""
    from koers.db import make_engine
    from koers.workers import run_relay

    settings = _settings()
    settings.check_production_secrets()
    run_relay(make_engine(settings.database_url), settings, SERVICE)


@app.command()
def consume() -> None:
    """Apply allocation proposals from analytics (group "campaigns")."""
    from campaigns.handlers import CONSUMER_GROUP, HANDLERS, TOPICS
    from koers.db import make_engine
    from koers.workers import run_consumer

    settings = _settings()
    settings.check_production_secrets()
    run_consumer(
        make_engine(settings.database_url),
        settings,
        group_id=CONSUMER_GROUP,
        topics=TOPICS,
        handlers=HANDLERS,
    )


@app.command()
def weekly(
    week: str | None = typer.Option(
        None, "--week", help="The ISO week to plan, e.g. 2026-W48; default the current week."
    ),
) -> None:
    """Run the weekly job now: analytics proposes each live campaign's split for the week,
    autopilot applies what stays within guardrails, due splits are pushed, and the
    benchmarks across employers are refreshed (as the embedded job and Airflow do)."""
    from campaigns.benchmarks.service import weekly_refresh
    from campaigns.decisions.platforms import PlatformDelivery
    from campaigns.delivery import make_meta_client
    from campaigns.insights.analytics_client import HttpAnalyticsClient
    from campaigns.leads.deps import LANDING_TIMEOUT_S
    from campaigns.leads.landing_client import HttpLandingClient
    from campaigns.main import WEEKLY_JOB_ANALYTICS_TIMEOUT_S, weekly_job
    from campaigns.scheduling import planned_week
    from campaigns.scheduling.steps import WeeklySteps
    from campaigns.scheduling.weekly import WeeklyJobFailed
    from koers.db import make_engine
    from koers.events import utcnow

    settings = _settings()
    try:
        planned = planned_week(utcnow(), logical_date=None, requested=week)
    except ValueError as exc:
        typer.echo(f"Not run: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(settings.database_url)
    analytics = HttpAnalyticsClient(
        settings.analytics_url, settings.service_token, timeout_s=WEEKLY_JOB_ANALYTICS_TIMEOUT_S
    )
    landing = HttpLandingClient(
        settings.landing_url, settings.service_token, timeout_s=LANDING_TIMEOUT_S
    )
    meta_http = make_meta_client(settings)
    try:
        steps = WeeklySteps(engine, analytics, PlatformDelivery(settings, meta_http), clock=utcnow)
        refresh = weekly_refresh(engine, analytics, landing, clock=utcnow)
        summary = weekly_job(engine, analytics, steps, last_steps=(refresh,))(planned)
    except WeeklyJobFailed as exc:
        typer.echo(f"The weekly job failed: {exc}", err=True)
        _echo_campaigns(exc.summary, err=True)
        raise typer.Exit(1) from exc
    finally:
        meta_http.close()
        landing.close()
        analytics.close()
        engine.dispose()
    typer.echo(str(summary))
    _echo_campaigns(summary)
    if summary.failed:
        raise typer.Exit(1)


def _echo_campaigns(summary: WeeklyRunSummary, *, err: bool = False) -> None:
    for result in summary.campaigns:
        detail = "new proposal" if result.new_proposal else "unchanged"
        if result.outcome != "planned":
            detail = result.reason
        typer.echo(f"  {result.outcome:8} {result.campaign_name}: {detail}", err=err)


@app.command("send-memos")
def send_memos(
    week: str | None = typer.Option(
        None, "--week", help="The ISO week, e.g. 2026-W48; default the current week."
    ),
    again: bool = typer.Option(False, "--again", help="Also where it was already sent."),
) -> None:
    """Mail the week's memo to every employer's members who opted in (once per week),
    with each employer's next best actions and which channel gets answers now."""
    from concurrent.futures import ThreadPoolExecutor

    from campaigns.insights.analytics_client import HttpAnalyticsClient
    from campaigns.insights.deps import FETCH_WORKERS
    from campaigns.leads.deps import LANDING_TIMEOUT_S
    from campaigns.leads.landing_client import HttpLandingClient
    from campaigns.main import build_mailer
    from campaigns.memo.mail import MailNotSent
    from campaigns.memo.service import send_weekly_memos
    from campaigns.overview.service import EmployerFollowUp, employer_follow_up
    from campaigns.scheduling import planned_week
    from campaigns.web.i18n import DEFAULT_LANGUAGE, load_catalogues
    from campaigns.web.rendering import build_templates
    from koers.db import make_engine
    from koers.events import utcnow

    settings = _settings()
    mailer = build_mailer(settings)
    if mailer is None:
        typer.echo("Not sent: KOERS_CAMPAIGNS_SMTP_URL is not set.", err=True)
        raise typer.Exit(2)
    now = utcnow()
    try:
        chosen = planned_week(now, logical_date=None, requested=week)
    except ValueError as exc:
        typer.echo(f"Not sent: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(settings.database_url)
    analytics = HttpAnalyticsClient(
        settings.analytics_url, settings.service_token, timeout_s=settings.analytics_timeout_s
    )
    landing = HttpLandingClient(
        settings.landing_url, settings.service_token, timeout_s=LANDING_TIMEOUT_S
    )
    pool = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="memo-fetch")

    def follow_up_of(tenant_id: str) -> EmployerFollowUp:
        return employer_follow_up(
            engine,
            tenant_id=tenant_id,
            analytics=analytics,
            landing=landing,
            pool=pool,
            now=now,
            timeout_s=settings.analytics_timeout_s + 1.0,
        )

    try:
        sent = send_weekly_memos(
            engine,
            mailer,
            build_templates(load_catalogues())[DEFAULT_LANGUAGE].env,
            week=chosen,
            now=now,
            console_url=settings.console_url,
            again=again,
            follow_up_of=follow_up_of,
        )
    except MailNotSent as exc:
        typer.echo(f"Stopped: the mail server failed ({exc}); run again for the rest.", err=True)
        raise typer.Exit(1) from exc
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        analytics.close()
        landing.close()
        engine.dispose()
    for tenant, count in sent:
        typer.echo(f"{chosen} {tenant}: sent to {count}")
    typer.echo(f"{chosen}: {len(sent)} employer(s) sent to")


@app.command("refresh-benchmarks")
def refresh_benchmarks_command(
    week: str | None = typer.Option(
        None, "--week", help="Cover the 26 whole weeks before this ISO week; default this week."
    ),
) -> None:
    """Recompute the benchmarks across employers now (the weekly job does it last)."""
    from campaigns.benchmarks.service import refresh_benchmarks
    from campaigns.insights.analytics_client import AnalyticsUnavailable, HttpAnalyticsClient
    from campaigns.leads.landing_client import (
        HttpLandingClient,
        LandingRefused,
        LandingUnavailable,
    )
    from campaigns.main import WEEKLY_JOB_ANALYTICS_TIMEOUT_S
    from koers.db import make_engine
    from koers.events import utcnow
    from koers.isoweeks import iso_week, week_monday

    settings = _settings()
    now = utcnow()
    chosen = week or iso_week(now)
    try:
        week_monday(chosen)
    except ValueError as exc:
        typer.echo(f"Not run: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = make_engine(settings.database_url)
    analytics = HttpAnalyticsClient(
        settings.analytics_url, settings.service_token, timeout_s=WEEKLY_JOB_ANALYTICS_TIMEOUT_S
    )
    landing = HttpLandingClient(settings.landing_url, settings.service_token, timeout_s=30.0)
    try:
        summary = refresh_benchmarks(engine, analytics, landing, week=chosen, now=now)
    except (AnalyticsUnavailable, LandingUnavailable, LandingRefused) as exc:
        typer.echo(f"Not refreshed, the last cells stay: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        analytics.close()
        landing.close()
        engine.dispose()
    typer.echo(str(summary))


@app.command("add-employer")
def add_employer_command(
    name: str = typer.Argument(..., help="The employer's name, e.g. 'Bakkerij Jansen'."),
    owner_email: str = typer.Option(
        ..., "--owner-email", help="Who becomes its owner; they get a one-time link."
    ),
) -> None:
    """Add an employer and invite its first owner (a fresh installation, or an employer
    no console user owns). Owners add further employers in the console themselves."""
    from campaigns.errors import InvalidInput
    from campaigns.tenancy import service as tenancy
    from koers.db import make_engine, transaction
    from koers.events import utcnow

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with transaction(engine) as conn:
            _, invitation, token = tenancy.found_employer(
                conn, name=name, owner_email=owner_email, actor="koers-campaigns cli", now=utcnow()
            )
    except InvalidInput as exc:
        for field, message in exc.field_errors.items():
            typer.echo(f"Not added: {field}: {message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    typer.echo(f"Added the employer {invitation.tenant_name}.")
    typer.echo(
        "Pass this one-time link to its owner; it works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC:"
    )
    typer.echo(f"  {settings.console_url.rstrip('/')}/invite/{token}")


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo tenant, its owner and a published campaign with history (idempotent)."""
    from campaigns.seed import seed_demo
    from koers.db import make_engine
    from koers.events import utcnow

    settings = _settings()
    engine = make_engine(settings.database_url)
    now = utcnow()
    try:
        result = seed_demo(
            engine,
            var_dir=settings.var_dir,
            console_url=settings.console_url,
            demo_password=settings.demo_password,
            today=now.date(),
            now=now,
        )
    finally:
        engine.dispose()
    if result.created_campaign:
        typer.echo(
            f"Seeded the demo: campaign demo-klantenservice published, "
            f"{result.events_emitted} events in the outbox."
        )
    else:
        typer.echo("The demo was already seeded; nothing changed.")
    typer.echo(f"Console:  {settings.console_url.rstrip('/')}/login")
    typer.echo(f"E-mail:   {result.email}")
    if result.password is not None:
        typer.echo(f"Password: {result.password}   ({result.password_source})")
    else:
        typer.echo(f"Password: {result.password_source}")

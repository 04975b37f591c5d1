"""``koers``: the chassis' own commands (embedded broker, event contracts, dead letters)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import typer

from koers import contracts
from koers.broker import EmbeddedBroker
from koers.messaging import dead_letters

app = typer.Typer(help="Koers chassis commands.", no_args_is_help=True)
contracts_app = typer.Typer(help="Event contracts (JSON Schema).", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
dead_letters_app = typer.Typer(
    help="Dead letters: records a consumer could not apply.", no_args_is_help=True
)
app.add_typer(dead_letters_app, name="dead-letters")

BOOTSTRAP = typer.Option(
    None,
    "--bootstrap-servers",
    help="Kafka bootstrap servers (default: KOERS_KAFKA_BOOTSTRAP_SERVERS).",
)
GROUP = typer.Option(None, "--group", help="Only letters of this consumer group.")
TOPIC = typer.Option(None, "--topic", help="Only letters of records from this topic.")
REASON = typer.Option(None, "--reason-contains", help="Only letters whose reason has this.")


@app.command()
def broker(
    port: int = typer.Option(9092, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
) -> None:
    """Run the embedded Kafka-compatible broker (in memory) and create the topics."""
    embedded = EmbeddedBroker(port=port, host=host)
    embedded.start()
    typer.echo(f"broker ready on {embedded.bootstrap_servers}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1):
        if not embedded.running:
            typer.echo("broker exited", err=True)
            sys.exit(1)
    embedded.stop()


@contracts_app.command("export")
def export_contracts(directory: Path = typer.Argument(Path("contracts"))) -> None:
    """Write the JSON Schemas of every event contract."""
    for path in contracts.export(directory):
        typer.echo(path)


@contracts_app.command("check")
def check_contracts(directory: Path = typer.Argument(Path("contracts"))) -> None:
    """Fail when the committed schemas differ from the models."""
    stale = contracts.stale_files(directory)
    if stale:
        typer.echo(f"stale contracts (run `koers contracts export`): {', '.join(stale)}", err=True)
        raise typer.Exit(1)
    typer.echo("contracts up to date")


def _stored_letters(
    bootstrap_servers: str | None,
    group: str | None,
    topic: str | None,
    positions: list[str],
    reason_contains: str | None,
) -> list[dead_letters.StoredLetter]:
    from koers.events import DEAD_LETTER_TOPIC
    from koers.messaging.transport import read_topic
    from koers.settings import KoersSettings

    servers = bootstrap_servers or KoersSettings().kafka_bootstrap_servers
    records = read_topic(servers, DEAD_LETTER_TOPIC, client_id="koers-dead-letters")
    return dead_letters.select_letters(
        dead_letters.parse_letters(records),
        group=group,
        topic=topic,
        positions=positions,
        reason_contains=reason_contains,
    )


@dead_letters_app.command("list")
def list_dead_letters(
    bootstrap_servers: str | None = BOOTSTRAP,
    group: str | None = GROUP,
    topic: str | None = TOPIC,
    reason_contains: str | None = REASON,
) -> None:
    """Print one JSON line per dead letter (where it came from and why; no content)."""
    for stored in _stored_letters(bootstrap_servers, group, topic, [], reason_contains):
        typer.echo(json.dumps(stored.summary()))


@dead_letters_app.command("replay")
def replay_dead_letters(
    bootstrap_servers: str | None = BOOTSTRAP,
    group: str | None = GROUP,
    topic: str | None = TOPIC,
    reason_contains: str | None = REASON,
    position: list[str] = typer.Option(
        [], "--position", help="Only this letter (PARTITION:OFFSET in the dead-letter topic)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be replayed."),
) -> None:
    """Publish the selected letters' original records again to their original topics."""
    from koers.messaging.transport import KafkaPublisher
    from koers.settings import KoersSettings

    if not (group or topic or position or reason_contains):
        typer.echo(
            "select letters with --group, --topic, --position or --reason-contains", err=True
        )
        raise typer.Exit(2)
    letters = _stored_letters(bootstrap_servers, group, topic, position, reason_contains)
    if dry_run:
        for stored in letters:
            typer.echo(json.dumps(stored.summary()))
        typer.echo(f"{len(letters)} letter(s) would be replayed", err=True)
        return
    servers = bootstrap_servers or KoersSettings().kafka_bootstrap_servers
    publisher = KafkaPublisher(servers, client_id="koers-dead-letters-replay")
    try:
        replayed, skipped = dead_letters.replay(letters, publisher)
    finally:
        publisher.close()
    typer.echo(f"replayed {replayed} record(s)")
    if skipped:
        typer.echo(
            f"not replayed (no original bytes in the letter): {', '.join(skipped)}", err=True
        )

"""``koers``: the chassis' own commands (embedded broker, event contracts)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import typer

from koers import contracts
from koers.broker import EmbeddedBroker

app = typer.Typer(help="Koers chassis commands.", no_args_is_help=True)
contracts_app = typer.Typer(help="Event contracts (JSON Schema).", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")


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

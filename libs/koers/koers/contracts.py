"""JSON Schemas of the event contracts, exported to ``contracts/``.

``koers contracts export`` writes them; ``koers contracts check`` (and a test) fail when
the committed files differ from what the models say.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from koers.events import EVENT_TYPES, DeadLetter, Envelope


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for the envelope, every payload and the dead letter."""
    documents: dict[str, dict[str, Any]] = {
        "envelope.schema.json": Envelope.model_json_schema(),
        "dead-letter.schema.json": DeadLetter.model_json_schema(),
    }
    for event_type in EVENT_TYPES.values():
        schema = event_type.payload.model_json_schema()
        schema["x-koers-topic"] = event_type.topic
        schema["x-koers-schema-version"] = event_type.schema_version
        documents[f"{event_type.name}.v{event_type.schema_version}.schema.json"] = schema
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in schema_documents().items():
        path = directory / name
        path.write_text(render(document))
        written.append(path)
    return written


def stale_files(directory: Path) -> list[str]:
    """Names of contract files that are missing, different, or no longer produced."""
    expected = {name: render(doc) for name, doc in schema_documents().items()}
    stale = [
        name
        for name, text in expected.items()
        if not (directory / name).exists() or (directory / name).read_text() != text
    ]
    stale += [p.name for p in directory.glob("*.schema.json") if p.name not in expected]
    return sorted(stale)

"""The committed JSON Schemas match the models, and real payloads validate against them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from koers.contracts import schema_documents, stale_files

pytestmark = pytest.mark.contract

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def test_committed_contracts_are_up_to_date() -> None:
    assert stale_files(CONTRACTS) == [], "run `make contracts` and commit contracts/"


def test_every_contract_file_is_a_valid_json_schema() -> None:
    for name in schema_documents():
        schema = json.loads((CONTRACTS / name).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)


def test_stale_detection_notices_a_changed_file(tmp_path: Path) -> None:
    from koers.contracts import export

    export(tmp_path)
    assert stale_files(tmp_path) == []
    (tmp_path / "envelope.schema.json").write_text("{}\n")
    (tmp_path / "Retired.v1.schema.json").write_text("{}\n")
    assert stale_files(tmp_path) == ["Retired.v1.schema.json", "envelope.schema.json"]

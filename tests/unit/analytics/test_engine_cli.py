"""``koers-analytics allocate --jsonl``: the real console script, conversed with line by
line in a process of its own (the smoke test of the installed script); the other
commands run in this process, through the same Typer app the script calls."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from analytics.cli import app

pytestmark = pytest.mark.unit

SCRIPT = Path(sys.executable).parent / "koers-analytics"


def good_request(week: str = "2026-W48", conversions: int = 30) -> dict[str, Any]:
    return {
        "campaign_id": "c-cli",
        "week": week,
        "budget": 700,
        "variants": [
            {"variant_id": "a", "channel": "instagram", "created_week": "2026-W40"},
            {"variant_id": "b", "channel": "tiktok", "created_week": "2026-W40"},
        ],
        "history": [
            {
                "variant_id": "a",
                "week": "2026-W46",
                "spend": 300,
                "impressions": 9000,
                "clicks": 300,
                "conversions": conversions,
            },
            {
                "variant_id": "b",
                "week": "2026-W46",
                "spend": 300,
                "impressions": 9000,
                "clicks": 300,
                "conversions": 10,
            },
        ],
    }


class Conversation:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [str(SCRIPT), "allocate", "--jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def say(self, line: bytes) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()  # blocks until the engine flushes its line
        assert answer.endswith(b"\n"), answer
        parsed: dict[str, Any] = json.loads(answer, parse_constant=_refuse)
        return parsed

    def close(self) -> tuple[int, bytes]:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        return code, self.process.stderr.read()


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} in the output")


@pytest.fixture
def conversation() -> Iterator[Conversation]:
    talk = Conversation()
    yield talk
    if talk.process.poll() is None:
        talk.process.kill()
        talk.process.wait()


def test_each_request_line_gets_its_answer_before_the_next_is_sent(
    conversation: Conversation,
) -> None:
    first = conversation.say(json.dumps(good_request()).encode())
    assert first["campaign_id"] == "c-cli" and first["week"] == "2026-W48"
    assert sum(first["allocation"].values()) == pytest.approx(700, abs=0.01)
    assert first["allocation"]["a"] > first["allocation"]["b"]
    following = good_request(week="2026-W49")
    following["previous_allocation"] = first["allocation"]
    second = conversation.say(json.dumps(following).encode())
    assert second["week"] == "2026-W49"
    code, stderr = conversation.close()
    assert code == 0 and b"Traceback" not in stderr


BAD_LINES: list[tuple[bytes, str]] = [
    (b"this is not json", "Invalid JSON"),
    (b'{"campaign_id": ', "Invalid JSON"),
    (b"[1, 2, 3]", "Invalid request"),
    (b'"just a string"', "Invalid request"),
    (b"[" * 100_000 + b"]" * 100_000, "Invalid"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "Invalid"),
    (b"\xff\xfe not utf-8", "Invalid text"),
    (json.dumps(good_request() | {"budget": 1e400}).encode(), "Invalid request"),
    (json.dumps(good_request()).replace("700", "NaN").encode(), "Invalid request"),
    (json.dumps(good_request()).replace("700", "Infinity").encode(), "Invalid request"),
    (json.dumps(good_request()).replace("700", "9" * 5000).encode(), "Invalid"),
    (json.dumps(good_request() | {"budget": "seven hundred"}).encode(), "Invalid request"),
    (json.dumps(good_request() | {"variants": {"a": 1}}).encode(), "Invalid request"),
    (json.dumps(good_request() | {"week": "2026-W99"}).encode(), "Invalid request"),
    (
        json.dumps(good_request() | {"history": [good_request()["history"][0]] * 2}).encode(),
        "Invalid request",
    ),
    (json.dumps(good_request() | {"variants": []}).encode(), "Invalid request"),
    (json.dumps(good_request() | {"extra": True}).encode(), "Invalid request"),
    (json.dumps({"campaign_id": "x"}).encode(), "Invalid request"),
]


def test_bad_lines_get_an_error_on_their_own_line_and_the_conversation_goes_on(
    conversation: Conversation,
) -> None:
    for number, (line, title) in enumerate(BAD_LINES, start=1):
        answer = conversation.say(line)
        assert set(answer) == {"error"}, answer
        error = answer["error"]
        assert error["title"].startswith(title), (line[:60], error)
        assert error["line"] == number
        assert error["detail"]
    good = conversation.say(json.dumps(good_request()).encode())
    assert sum(good["allocation"].values()) == pytest.approx(700, abs=0.01)
    code, stderr = conversation.close()
    assert code == 0 and b"Traceback" not in stderr


def test_the_error_names_the_offending_field(conversation: Conversation) -> None:
    bad = good_request()
    bad["history"][1]["spend"] = -4
    error = conversation.say(json.dumps(bad).encode())["error"]
    assert "history.1.spend" in error["detail"]
    assert any(e["field"] == "history.1.spend" for e in error["errors"])


def run(args: list[str], stdin: bytes | None = None) -> Result:
    """The command as the console script runs it; an uncaught exception stays in
    ``result.exception`` (the script would print a traceback)."""
    return CliRunner().invoke(app, args, input=stdin)


def crashed(result: Result) -> bool:
    return result.exception is not None and not isinstance(result.exception, SystemExit)


def test_blank_lines_are_skipped_and_line_numbers_count_them() -> None:
    lines = b"\n   \n" + json.dumps(good_request()).encode() + b"\n\nnot json\n"
    done = run(["allocate", "--jsonl"], lines)
    out = done.stdout.splitlines()
    assert done.exit_code == 0 and len(out) == 2
    assert "allocation" in json.loads(out[0])
    assert json.loads(out[1])["error"]["line"] == 5


def test_without_jsonl_one_request_is_answered_and_an_error_exits_non_zero() -> None:
    ok = run(["allocate"], json.dumps(good_request()).encode())
    assert ok.exit_code == 0 and "allocation" in json.loads(ok.stdout)
    bad = run(["allocate"], b"{}")
    assert bad.exit_code == 1 and json.loads(bad.stdout)["error"]["title"] == "Invalid request"
    assert not crashed(bad)


def test_simulate_prints_each_policys_share_of_the_oracle_as_json() -> None:
    done = run(
        ["simulate", "--campaigns", "2", "--seed", "7", "--policies", "equal,greedy", "--json"]
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["campaigns"] == 2 and set(result["policies"]) == {"equal", "greedy"}
    for policy in result["policies"].values():
        assert len(policy["shares"]) == 2
        assert 0 < policy["p10"] <= policy["median"] <= 1
    unknown = run(["simulate", "--policies", "magic"])
    assert unknown.exit_code != 0 and not crashed(unknown)

"""Pass `make run`'s process output through, then print the URLs and the login last.

honcho's output is piped through this script. Once the three services answer
``/healthz`` and the processes have been quiet for a moment (the relays have sent the
demo's events, the consumers have joined), it prints a box with the URLs and the demo
login, so the login is the last thing on the screen rather than buried in start-up lines.
It ignores Ctrl-C itself and keeps passing output through until honcho has stopped
everything, so the shutdown lines still show.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path

HEALTH_URLS = (
    "http://127.0.0.1:8000/healthz",
    "http://127.0.0.1:8001/healthz",
    "http://127.0.0.1:8002/healthz",
)
LOGIN_FILE = Path("var/demo-login.txt")
QUIET_S = 3.0
"""How long no process may have printed before the box goes out."""
GIVE_UP_S = 300.0

_write = threading.Lock()
_last_output = time.monotonic()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _login() -> dict[str, str]:
    fields: dict[str, str] = {}
    if LOGIN_FILE.exists():
        for line in LOGIN_FILE.read_text().splitlines():
            name, sep, value = line.partition(": ")
            if sep and not line.startswith("#"):
                fields[name.strip()] = value.strip()
    return fields


def _box() -> str:
    login = _login()
    console = login.get("console", "http://127.0.0.1:8000")
    lines = [
        "Koers is running.",
        "",
        f"  console    {console}/login",
        f"  e-mail     {login.get('email', 'demo@koers.local')}",
        f"  password   {login.get('password', f'see {LOGIN_FILE}')}",
        "",
        "  landing    http://127.0.0.1:8001/j/demo-klantenservice?v=instagram",
        "  analytics  http://127.0.0.1:8002/docs",
        "  broker     127.0.0.1:9092 (Kafka protocol)",
        "",
        "Ctrl-C stops everything.",
    ]
    width = max(len(line) for line in lines) + 2
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join(["", rule, *(f"| {line:<{width}} |" for line in lines), rule, ""])


def _announce_when_ready() -> None:
    deadline = time.monotonic() + GIVE_UP_S
    while not all(_healthy(url) for url in HEALTH_URLS):
        if time.monotonic() > deadline:
            return  # the processes' own errors say what went wrong
        time.sleep(1)
    quiet_by = time.monotonic() + 30  # a chatty process must not hold the box back forever
    while time.monotonic() - _last_output < QUIET_S and time.monotonic() < quiet_by:
        time.sleep(0.5)
    with _write:
        sys.stdout.write(_box() + "\n")
        sys.stdout.flush()


def main() -> None:
    global _last_output
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # honcho handles Ctrl-C; we drain its output
    threading.Thread(target=_announce_when_ready, daemon=True).start()
    for line in sys.stdin:
        with _write:
            sys.stdout.write(line)
            sys.stdout.flush()
            _last_output = time.monotonic()


if __name__ == "__main__":
    main()

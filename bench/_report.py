"""Write a benchmark's figures into docs/benchmarks.md, between that benchmark's markers.

Every benchmark calls :func:`write_section` with its own name and a Markdown body; the
section is prefixed with the command that produced it, the machine and the date, so the
page never shows a figure nobody can reproduce. Other sections are left untouched.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
_HEADER = (
    "# Benchmarks\n\n"
    "Every section below is written by the benchmark named in it; run its command to\n"
    "reproduce the figures. Sections appear in the order they were first written.\n"
)


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs"
        f" ({model or cpu}), Python {platform.python_version()}"
    )


def command_line() -> str:
    """The command as typed from the repository root."""
    script = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        script = script.resolve().relative_to(BENCHMARKS_PAGE.parent.parent)
    return shlex.join([".venv/bin/python", str(script), *sys.argv[1:]])


def write_section(name: str, title: str, markdown: str, page: Path = BENCHMARKS_PAGE) -> None:
    """Replace (or append) the section ``name`` of the benchmarks page."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"{start}\n## {title}\n\n"
        f"- Command: `{command_line()}`\n- Machine: {machine()}\n- Date: {stamp}\n\n"
        f"{markdown.strip()}\n{end}"
    )
    text = page.read_text() if page.exists() else _HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text)

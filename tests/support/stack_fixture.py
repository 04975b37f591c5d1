"""A pytest fixture factory building a Stack on fresh databases and free ports.

The databases are copies of the session's migrated templates; ``migrated=False`` gives
empty ones, for the test that runs the real ``migrate`` commands (the thin slice)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.processes import SERVICES, Stack


@pytest.fixture
def make_stack(
    tmp_path: Path,
    make_database_url: Callable[[str], str],
    make_migrated_database_url: Callable[[str], str],
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Stack]]:
    stacks: list[Stack] = []

    def make(bootstrap_servers: str, *, migrated: bool = True) -> Stack:
        database_url = make_migrated_database_url if migrated else make_database_url
        workdir = tmp_path / f"stack{len(stacks)}"
        (workdir / "var").mkdir(parents=True)
        stack = Stack(
            workdir=workdir,
            bootstrap_servers=bootstrap_servers,
            database_urls={s: database_url(s) for s in SERVICES},
            ports={s: free_port() for s in SERVICES},
            migrated=migrated,
        )
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop_all()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(stack.logs())

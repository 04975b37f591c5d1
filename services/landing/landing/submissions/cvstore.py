"""Where CVs are kept, behind one interface (:class:`CvStore`), under random names (the
candidate's file name is stored with the application only, never used as a key).

- :class:`FolderCvStore`: files in a directory of their own (``KOERS_LANDING_CV_DIR``),
  outside the package and anything the web server serves. The embedded default: one
  process, one disk.
- :class:`DatabaseCvStore`: rows in the landing database (``cv_files``), which every
  replica reaches and nothing deletes with a container (``KOERS_LANDING_CV_STORAGE=
  database``, what deploy/k8s sets). CVs are at most 10 MiB, so a row holds one whole.

Either way a CV is stored completely (a file is fsynced and renamed into place; a row is
committed) before the application row that points at it commits; a failed commit removes
it again, so no application points at a missing CV. A crash between the two leaves an
orphan no application points at; the retention job removes those (``privacy/service.py``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

import sqlalchemy as sa
from sqlalchemy import Engine

from koers.db import transaction
from koers.events import utcnow
from landing.submissions.repository import cv_files

_NAME = re.compile(r"^[0-9a-f]{32}\.cv$")


class CvStore(Protocol):
    def save(self, data: BinaryIO) -> str:
        """Keep ``data`` durably; returns the random name it is kept under."""

    def read(self, name: str) -> bytes | None:
        """The stored bytes; None for a name not (or no longer) stored."""

    def delete(self, name: str) -> bool: ...

    def names(self) -> Iterator[tuple[str, datetime]]:
        """Every stored name with when it was stored."""


def build_cv_store(storage: str, directory: Path, engine: Engine) -> CvStore:
    """The store ``KOERS_LANDING_CV_STORAGE`` names: "database" or "folder"."""
    return DatabaseCvStore(engine) if storage == "database" else FolderCvStore(directory)


def _new_name() -> str:
    return f"{secrets.token_hex(16)}.cv"


class FolderCvStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def save(self, data: BinaryIO) -> str:
        """Copy ``data`` into the store; returns the random name it is kept under."""
        self._ensure()
        name = _new_name()
        temporary = self.directory / f".{name}.partial"
        data.seek(0)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as target:
            shutil.copyfileobj(data, target, 1024 * 1024)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, self.directory / name)
        return name

    def path(self, name: str) -> Path | None:
        """The file of a stored name; None for a name this store never hands out."""
        if not _NAME.match(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def read(self, name: str) -> bytes | None:
        path = self.path(name)
        return path.read_bytes() if path is not None else None

    def delete(self, name: str) -> bool:
        path = self.path(name)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        return True

    def names(self) -> Iterator[tuple[str, datetime]]:
        """Every stored name with its modification time."""
        if not self.directory.is_dir():
            return
        for entry in self.directory.iterdir():
            if _NAME.match(entry.name):
                modified = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
                yield entry.name, modified


class DatabaseCvStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, data: BinaryIO) -> str:
        name = _new_name()
        data.seek(0)
        with transaction(self._engine) as conn:
            conn.execute(
                sa.insert(cv_files).values(name=name, content=data.read(), stored_at=utcnow())
            )
        return name

    def read(self, name: str) -> bytes | None:
        if not _NAME.match(name):
            return None
        with self._engine.connect() as conn:
            content = conn.scalar(sa.select(cv_files.c.content).where(cv_files.c.name == name))
        return bytes(content) if content is not None else None

    def delete(self, name: str) -> bool:
        if not _NAME.match(name):
            return False
        with transaction(self._engine) as conn:
            return bool(conn.execute(sa.delete(cv_files).where(cv_files.c.name == name)).rowcount)

    def names(self) -> Iterator[tuple[str, datetime]]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(cv_files.c.name, cv_files.c.stored_at)).all()
        for name, stored_at in rows:
            yield str(name), stored_at

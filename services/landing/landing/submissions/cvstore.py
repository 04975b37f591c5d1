"""Where CVs are kept: files in a directory of their own (``KOERS_LANDING_CV_DIR``),
outside the package and anything the web server serves, under random names (the
candidate's file name is stored in the database only, never used as a path).

A file is written completely (fsync, then renamed into place) before the database row
that points at it commits; a failed commit removes it again, so no row points at a
missing file. A crash between the two leaves an orphan file no row points at;
the retention job removes those (see ``privacy/service.py``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

_NAME = re.compile(r"^[0-9a-f]{32}\.cv$")


class CvStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def save(self, data: BinaryIO) -> str:
        """Copy ``data`` into the store; returns the random name it is kept under."""
        self._ensure()
        name = f"{secrets.token_hex(16)}.cv"
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

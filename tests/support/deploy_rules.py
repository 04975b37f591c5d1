"""Rules the compose file and the Kubernetes manifests are both checked against."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.engine import make_url

SECRET_NAME_PARTS = ("SECRET", "TOKEN", "PASSWORD", "FERNET", "DELIVERY_KEY")


def looks_secret(name: str) -> bool:
    return any(part in name.upper() for part in SECRET_NAME_PARTS)


def stateful_paths(settings: Any) -> list[PurePosixPath]:
    """Paths a production process of these settings writes and must keep: a SQLite
    database file, and landing's CV folder when CVs are kept in one. Relative paths are
    under the image's working directory (/app)."""
    paths: list[Path] = []
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        paths.append(Path(url.database))
    if getattr(settings, "cv_storage", None) == "folder":
        paths.append(settings.cv_dir)
    return [PurePosixPath("/app") / p if not p.is_absolute() else PurePosixPath(p) for p in paths]


def under_any(path: PurePosixPath, mounts: list[str]) -> bool:
    return any(path == PurePosixPath(m) or PurePosixPath(m) in path.parents for m in mounts)

"""One-time messages shown on the next page, after a redirect (the console's only kind).

The messages stay on the server (``flash_messages``); the session cookie only carries
their random ids. A message may name a candidate or a colleague, and a signed cookie is
readable by anyone who holds it: nothing personal travels in it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Literal

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy import Engine

from campaigns.schema import metadata
from campaigns.web.i18n import gettext_for
from koers.db import UtcDateTime, transaction
from koers.events import utcnow

SESSION_FLASH = "flash"
FlashKind = Literal["ok", "warning", "error"]
MAX_WAITING = 5
KEPT_FOR = timedelta(days=1)
"""A message nobody came back for is deleted after this long."""

flash_messages = sa.Table(
    "flash_messages",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_flash_messages_created", "created_at"),
)


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _waiting_ids(request: Request) -> list[str]:
    ids = request.session.get(SESSION_FLASH) or []
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def flash(request: Request, message: str, kind: FlashKind = "ok", **values: object) -> None:
    """Keep ``message`` for the next page the browser shows (at most five wait).

    ``message`` is an English message id, translated here into the reader's language
    and then filled with ``values`` (``"Creative %(name)s added."``); a text that is not
    in the catalogue (a domain error's detail naming an object) is kept as it is.
    """
    message = gettext_for(request)(message)
    if values:
        message = message % values
    flash_id = secrets.token_urlsafe(24)
    with transaction(_engine(request)) as conn:
        conn.execute(
            sa.insert(flash_messages).values(
                id=flash_id, message=message, kind=kind, created_at=utcnow()
            )
        )
    request.session[SESSION_FLASH] = [*_waiting_ids(request)[-(MAX_WAITING - 1) :], flash_id]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    """The waiting messages, oldest first; they are shown once."""
    ids = _waiting_ids(request)
    request.session.pop(SESSION_FLASH, None)
    if not ids:
        return []
    with transaction(_engine(request)) as conn:
        rows = {
            r.id: {"message": r.message, "kind": r.kind}
            for r in conn.execute(sa.select(flash_messages).where(flash_messages.c.id.in_(ids)))
        }
        conn.execute(
            sa.delete(flash_messages).where(
                sa.or_(
                    flash_messages.c.id.in_(ids),
                    flash_messages.c.created_at < utcnow() - KEPT_FOR,
                )
            )
        )
    return [rows[i] for i in ids if i in rows]

"""One-time messages shown on the next page, after a redirect (the console's only kind)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request

SESSION_FLASH = "flash"
FlashKind = Literal["ok", "warning", "error"]


def flash(request: Request, message: str, kind: FlashKind = "ok") -> None:
    """Keep ``message`` for the next page the browser shows (at most five wait)."""
    messages = list(request.session.get(SESSION_FLASH) or [])[-4:]
    messages.append({"message": message, "kind": kind})
    request.session[SESSION_FLASH] = messages


def pop_flashes(request: Request) -> list[dict[str, str]]:
    """The waiting messages, oldest first; they are shown once."""
    messages: list[dict[str, str]] = request.session.pop(SESSION_FLASH, None) or []
    return messages

"""Reading console forms: HTML sends strings, where empty means "not given" and a
checkbox is present or absent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from starlette.datastructures import FormData

FormField = Annotated[str, Form()]


async def form_data(request: Request) -> FormData:
    """The submitted form (already read, and CSRF-checked, by the app's guard)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: Mapping[str, Any], name: str) -> str | None:
    return text(form, name) or None


def checked(form: Mapping[str, Any], name: str) -> bool:
    return text(form, name) in {"on", "true", "1", "yes"}


def many(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]

"""Reading console forms: HTML sends strings, where empty means "not given" and a
checkbox is present or absent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from campaigns.errors import InvalidInput
from campaigns.web.i18n import N_

T = TypeVar("T")
FieldErrors = dict[str, str]

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


def textarea(form: Mapping[str, Any], name: str) -> str:
    """A textarea's text with the line breaks it was shown with: browsers send CRLF."""
    return text(form, name).replace("\r\n", "\n").replace("\r", "\n")


def submit_form(action: Callable[[], T], again: Callable[[FieldErrors], Response]) -> T | Response:
    """What ``action`` returns, or, when it refuses the input (its model's validation or
    a rule of the service), the form shown ``again`` with a message next to each field.

    Every console form is parsed, validated and saved this way; ``again`` re-renders
    the form with what was typed, so nothing a user wrote is lost."""
    try:
        return action()
    except ValidationError as exc:
        return again(field_errors(exc))
    except InvalidInput as exc:
        return again(exc.field_errors)


def field_errors(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """``{field: message}``; a model-level rule names its field before a colon."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        message = str(err["msg"]).removeprefix("Value error, ")
        if not loc and ": " in message:
            name, _, message = message.partition(": ")
            loc = name.split(".")
        key = prefix + ".".join(loc) if loc else "form"
        errors.setdefault(key, _friendly(message))
    return errors


def _friendly(message: str) -> str:
    replacements = {
        "String should have at least 1 character": N_("Please fill this in."),
        "Field required": N_("Please fill this in."),
        "Input should be a valid decimal": N_("Please enter an amount such as 1250.00."),
        # an empty amount field reaches the model as None
        "Decimal input should be": N_("Please enter an amount such as 1250.00."),
        "Input should be a valid integer, unable to parse string as an integer": (
            N_("Please enter a whole number.")
        ),
        "Input should be a valid date or datetime, input is too short": (
            N_("Please enter a date (YYYY-MM-DD).")
        ),
    }
    if message.startswith("Tuple should have at least 1 item"):
        return N_("Please tick at least one.")
    for raw, nice in replacements.items():
        if message.startswith(raw):
            return nice
    if message.startswith(
        ("String should match pattern '^https://", "String should match pattern '^(https")
    ):
        return N_("Please enter a full https:// link.")
    if message.startswith("String should match pattern '^[a-z0-9]"):
        return N_("Use lower-case letters, digits and dashes only.")
    if message.startswith("String should match pattern '^[A-Za-z0-9]"):
        return N_("Use letters, digits, dots, dashes or underscores only.")
    if message.startswith("Decimal input should have no more than 2 decimal places"):
        return N_("Use at most two decimals.")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")

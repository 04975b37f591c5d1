"""Free text a request may carry into a database: what both databases store as it is.

PostgreSQL refuses a NUL in a text column and no driver encodes an unpaired surrogate
(JSON's ``"\\ud800"`` decodes to one), so either would fail at the INSERT, as a 500, long
after the request was accepted. Other control characters are what no person types (a
script's probe). Refused at the edge instead: landing's forms check with :func:`storable`,
API bodies derive from :class:`StorableInput` or use :data:`StorableText`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, field_validator

_UNSTORABLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSTORABLE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def storable(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` is a field both databases store as it is: no NUL, no lone
    surrogate, no control characters but line breaks and tabs where free text (a
    motivation, a note) allows them."""
    return not (_UNSTORABLE_TEXT if multiline else _UNSTORABLE_LINE).search(text)


def _storable_text(text: str) -> str:
    if not storable(text, multiline=True):
        raise ValueError("must not contain control characters or unpaired surrogates")
    return text


StorableText = Annotated[str, AfterValidator(_storable_text)]
"""A ``str`` field of a request model, refused (422) when :func:`storable` says no."""


class StorableInput(BaseModel):
    """A request body every text field of which (nested lists and dicts aside) is
    refused with a 422 naming the field when :func:`storable` says no, line breaks and
    tabs allowed: the base of a service's input models, so a new field cannot forget."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _storable_text(value) if isinstance(value, str) else value

"""Free text a request may carry into a database: what both databases store as it is.

PostgreSQL refuses a NUL in a text column and no driver encodes an unpaired surrogate
(JSON's ``"\\ud800"`` decodes to one), so either would fail at the INSERT, as a 500, long
after the request was accepted. Refused at the edge instead, as a 422 naming the field.
Tabs and line breaks stay: a note may have several lines.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` itself, or a ValueError when a database would not store it as it is."""
    if _UNSTORABLE.search(text):
        raise ValueError("must not contain control characters or unpaired surrogates")
    return text


StorableText = Annotated[str, AfterValidator(storable)]
"""A ``str`` field whose value is checked by :func:`storable`."""

"""Which slice of a long list a page shows, and the links around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

PAGE_SIZE = 20


@dataclass(frozen=True)
class Pager:
    """Page ``page`` of ``total`` items, ``per_page`` at a time (pages count from 1)."""

    page: int
    total: int
    per_page: int = PAGE_SIZE

    @classmethod
    def clamped(cls, page: int, total: int, per_page: int = PAGE_SIZE) -> Pager:
        """A pager whose page lies within the list (a page past the end shows the last)."""
        pages = max(1, -(-total // per_page))
        return cls(page=min(max(page, 1), pages), total=total, per_page=per_page)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


PageNumber = Annotated[int, Query(ge=1, le=100_000)]
"""The ``?page=`` of a console list."""

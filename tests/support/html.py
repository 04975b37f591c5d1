"""Reading pages the way a browser would, without a browser: forms, links, tables."""

from __future__ import annotations

from html.parser import HTMLParser


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.links: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "input":
            self.inputs.append(attributes)
        elif tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        elif tag == "table":
            self._table = attributes.get("class", "table")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def hidden_fields(html: str) -> dict[str, str]:
    return {
        i["name"]: i.get("value", "")
        for i in parse(html).inputs
        if i.get("type") == "hidden" and "name" in i
    }


def links(html: str) -> list[str]:
    return parse(html).links


def table_rows(html: str, css_class: str) -> list[list[str]]:
    return parse(html).tables.get(css_class, [])

"""Helpers for the landing tests (a uniquely named module: test folders have no
``__init__.py``, so ``conftest`` is not importable by name)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from koers.db import transaction
from koers.events import (
    CampaignPublished,
    PageSnapshot,
    Payload,
    QuizOption,
    QuizQuestion,
    VariantState,
    new_envelope,
)
from koers.messaging.schema import outbox_table
from landing.handlers import HANDLERS

SERVICE_TOKEN = "test-service-token"
USER_AGENT = "Mozilla/5.0 (KoersTestPhone)"


@dataclass
class FrozenClock:
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 12, 9, 30, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def campaign(
    slug: str = "klantenservice-utrecht",
    version: int = 1,
    entry_points: tuple[str, ...] = ("quiz", "lead", "apply"),
    headline: str = "Word klantenservicemedewerker in Utrecht",
) -> CampaignPublished:
    return CampaignPublished(
        slug=slug,
        name="Klantenservice Utrecht",
        weekly_budget=700,
        page=PageSnapshot(
            version=version,
            employer_name="Acme Zorgverzekeringen",
            headline=headline,
            intro="Help klanten verder, vanuit ons kantoor of thuis.\n\nGoede begeleiding.",
            primary_colour="#aa3300",
            entry_points=entry_points,  # type: ignore[arg-type]
            quiz=(
                QuizQuestion(
                    question="Hoeveel uur per week wil je werken?",
                    options=(QuizOption(label="24-32", score=5), QuizOption(label="8", score=1)),
                ),
                QuizQuestion(
                    question="Help je graag mensen?",
                    options=(QuizOption(label="Ja", score=5), QuizOption(label="Nee", score=0)),
                ),
            ),
            quiz_pass_score=8,
        ),
        variants=(
            VariantState(
                variant_id="v-video",
                name="Video collega",
                channel="tiktok",
                creative_format="video",
                hook="Een dag als klantenheld",
            ),
            VariantState(
                variant_id="v-image",
                name="Foto team",
                channel="instagram",
                creative_format="image",
                hook="Word deel van ons team",
            ),
        ),
    )


def apply_event(
    engine: sa.Engine, payload: Payload, campaign_id: str = "cmp-1", tenant_id: str = "acme"
) -> None:
    """Apply a campaign-state event exactly as the consumer does (its handlers, one
    transaction)."""
    envelope = new_envelope(
        payload, source="campaigns", tenant_id=tenant_id, campaign_id=campaign_id
    )
    with transaction(engine) as conn:
        for handler in HANDLERS[envelope.type]:
            handler(conn, envelope)


def outbox(engine: sa.Engine, event_type: str | None = None) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()
    events = [json.loads(row.value) for row in rows]
    return [e for e in events if event_type is None or e["type"] == event_type]


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def entry_links(html: str) -> dict[str, str]:
    found = re.findall(r'data-entry="(\w+)" href="([^"]+)"', html)
    return {entry: href.replace("&amp;", "&") for entry, href in found}


def minimal_pdf(text: str = "Curriculum vitae") -> bytes:
    """A small, valid one-page PDF (written by pypdf, so it really parses)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def minimal_docx(
    extra: dict[str, bytes] | None = None, *, content_types: bytes | None = None
) -> bytes:
    """A small DOCX with the parts Word needs; ``extra`` adds (or replaces) entries."""
    import io
    import zipfile

    parts: dict[str, bytes] = {
        "[Content_Types].xml": content_types
        or (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" '
            b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/word/document.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            b"</Types>"
        ),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b"<w:body><w:p><w:r><w:t>Curriculum vitae</w:t></w:r></w:p></w:body></w:document>"
        ),
    }
    parts.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()

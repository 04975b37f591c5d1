"""The employer's follow-up settings (message templates, contact target, time zone).

The only table of the leads feature: candidates and their contact history stay in the
landing service; this holds the employer's own words and choices.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.leads.contact import ContactSettings
from campaigns.schema import metadata
from koers.db import UtcDateTime, upsert

contact_settings = sa.Table(
    "contact_settings",
    metadata,
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
    sa.Column("message_nl", sa.Text, nullable=False),
    sa.Column("message_en", sa.Text, nullable=False),
    sa.Column("target_hours", sa.Integer, nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(320), nullable=False),
)


def settings_of(conn: Connection, tenant_id: str) -> ContactSettings:
    """The employer's settings, or the defaults until they change one."""
    row = conn.execute(
        sa.select(contact_settings).where(contact_settings.c.tenant_id == tenant_id)
    ).first()
    if row is None:
        return ContactSettings()
    return ContactSettings(
        message_nl=row.message_nl,
        message_en=row.message_en,
        target_hours=row.target_hours,
        time_zone=row.time_zone,
    )


def save_settings(
    conn: Connection, tenant_id: str, settings: ContactSettings, *, at: datetime, by: str
) -> None:
    upsert(
        conn,
        contact_settings,
        {
            "tenant_id": tenant_id,
            "message_nl": settings.message_nl,
            "message_en": settings.message_en,
            "target_hours": settings.target_hours,
            "time_zone": settings.time_zone,
            "updated_at": at,
            "updated_by": by,
        },
        ("message_nl", "message_en", "target_hours", "time_zone", "updated_at", "updated_by"),
    )

"""The landing database's schema: the one ``MetaData`` every feature's tables are
defined on (``pages/``, ``submissions/``, ``privacy/``), with the chassis' outbox and
processed-event tables; the migrations compare against it."""

from __future__ import annotations

import sqlalchemy as sa

from koers.messaging.schema import add_messaging_tables

metadata = sa.MetaData()
outbox, _relay_lease, _relay_topic_counts, _processed_events = add_messaging_tables(metadata)

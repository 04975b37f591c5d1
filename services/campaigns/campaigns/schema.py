"""The campaigns database: one ``MetaData`` on which every feature declares its tables.

Each feature's ``repository.py`` adds its tables; :func:`full_metadata` imports them
all, for migrations and for tests that build the schema.
"""

from __future__ import annotations

import sqlalchemy as sa

from koers.messaging.schema import add_messaging_tables

metadata = sa.MetaData()

outbox, relay_lease, relay_topic_counts, processed_events = add_messaging_tables(metadata)


def full_metadata() -> sa.MetaData:
    """The metadata with every feature's tables declared on it."""
    from campaigns.actions import repository as _actions  # noqa: F401
    from campaigns.audit import repository as _audit  # noqa: F401
    from campaigns.benchmarks import repository as _benchmarks  # noqa: F401
    from campaigns.catalog import repository as _catalog  # noqa: F401
    from campaigns.decisions import repository as _decisions  # noqa: F401
    from campaigns.leads import repository as _leads  # noqa: F401
    from campaigns.memo import repository as _memo  # noqa: F401
    from campaigns.spend import repository as _spend  # noqa: F401
    from campaigns.tenancy import repository as _tenancy  # noqa: F401
    from campaigns.web import flash as _flash  # noqa: F401

    return metadata

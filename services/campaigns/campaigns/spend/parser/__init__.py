"""Reading ad-platform spend exports (Meta, LinkedIn, TikTok, Google Ads) as they come.

Pure: bytes and the campaign's creatives in, a checked ``SpendExport`` out; no I/O, so
the console, the API and the tests share one parser. ``parse.py`` is the entry point
and names the module for every step.
"""

from __future__ import annotations

from campaigns.spend.parser.errors import SpendFileRejected
from campaigns.spend.parser.matching import Creative
from campaigns.spend.parser.model import RowResult, SpendExport, VariantDay
from campaigns.spend.parser.parse import MAX_FILE_BYTES, parse_spend_export
from campaigns.spend.parser.platforms import PLATFORM_LABELS, Platform

__all__ = [
    "MAX_FILE_BYTES",
    "PLATFORM_LABELS",
    "Creative",
    "Platform",
    "RowResult",
    "SpendExport",
    "SpendFileRejected",
    "VariantDay",
    "parse_spend_export",
]

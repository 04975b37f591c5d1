"""Structured audience choices of a campaign: who it is for, where, on which channels.

Free notes say it in the marketer's words; these choices are the same few words for
every campaign, so the console can group campaigns (and their results) by them. Codes
are stored; labels are what people read. Regions are the Dutch provinces, the whole
country and Belgium (Flanders is where Dutch-speaking candidates also look).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

AudienceSegment = Literal[
    "students", "starters", "experienced", "career_switchers", "returners", "over_50"
]
Region = Literal[
    "nl",
    "groningen",
    "friesland",
    "drenthe",
    "overijssel",
    "flevoland",
    "gelderland",
    "utrecht",
    "noord_holland",
    "zuid_holland",
    "zeeland",
    "noord_brabant",
    "limburg",
    "belgium",
]
TargetChannel = Literal["instagram", "tiktok", "linkedin", "facebook", "snapchat", "indeed"]

AUDIENCE_LABELS: Mapping[str, str] = {
    "students": "Students and side jobs",
    "starters": "Starters (first job)",
    "experienced": "Experienced professionals",
    "career_switchers": "Career switchers",
    "returners": "Returners to work",
    "over_50": "50 and over",
}
REGION_LABELS: Mapping[str, str] = {
    "nl": "All of the Netherlands",
    "groningen": "Groningen",
    "friesland": "Friesland",
    "drenthe": "Drenthe",
    "overijssel": "Overijssel",
    "flevoland": "Flevoland",
    "gelderland": "Gelderland",
    "utrecht": "Utrecht",
    "noord_holland": "Noord-Holland",
    "zuid_holland": "Zuid-Holland",
    "zeeland": "Zeeland",
    "noord_brabant": "Noord-Brabant",
    "limburg": "Limburg",
    "belgium": "Belgium (Flanders)",
}
CHANNEL_LABELS: Mapping[str, str] = {
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "snapchat": "Snapchat",
    "indeed": "Indeed",
}

GROUPINGS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "audience": ("audience_segments", AUDIENCE_LABELS),
    "region": ("target_regions", REGION_LABELS),
    "channel": ("target_channels", CHANNEL_LABELS),
}
"""What the console groups campaigns by: query value -> (campaign field, labels)."""

assert set(AUDIENCE_LABELS) == set(get_args(AudienceSegment))
assert set(REGION_LABELS) == set(get_args(Region))
assert set(CHANNEL_LABELS) == set(get_args(TargetChannel))

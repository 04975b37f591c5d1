"""An employer's next best actions: every live campaign's actions in one short list,
the most valuable first. Pure: campaigns and their actions in, a ranked list out.

What is at stake is each action's ``stake``, in candidates a week (leads in hand for a
follow-up), so a tired creative in a big campaign outranks one in a small campaign.
Between equal stakes the more urgent kind goes first: leads going cold cannot wait, a
budget move pays from the next push, a new creative or entry point takes longest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from campaigns.actions.domain import Action, ActionKind

EMPLOYER_ACTIONS_SHOWN = 5
"""A short list: what a marketer can do this week, not every rule that fired."""

URGENCY: dict[ActionKind, int] = {
    "follow_up": 0,
    "move_budget": 1,
    "refresh_creative": 2,
    "lower_threshold": 3,
}


@dataclass(frozen=True)
class CampaignRef:
    """The campaign an action belongs to, as the overview and the memo name and link it."""

    campaign_id: str
    name: str
    slug: str


@dataclass(frozen=True)
class EmployerAction:
    campaign: CampaignRef
    action: Action


@dataclass(frozen=True)
class EmployerActions:
    shown: tuple[EmployerAction, ...]
    more: int
    """Actions that fired but did not make the short list."""


def rank_employer_actions(
    found: Iterable[tuple[CampaignRef, Sequence[Action]]],
    *,
    limit: int = EMPLOYER_ACTIONS_SHOWN,
) -> EmployerActions:
    """The employer's actions, highest stake first, then the most urgent kind, then by
    campaign name: the same facts always give the same list."""
    every = [EmployerAction(campaign, action) for campaign, actions in found for action in actions]
    every.sort(
        key=lambda a: (
            -a.action.stake,
            URGENCY[a.action.kind],
            a.campaign.name.casefold(),
            a.action.key,
        )
    )
    shown = tuple(every[: max(limit, 0)])
    return EmployerActions(shown=shown, more=len(every) - len(shown))

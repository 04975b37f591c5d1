"""The memo's use cases: gather one employer's stored facts of a week into a
:class:`~campaigns.memo.domain.Memo`, render it as e-mail, send it and audit the sending.

The week's part reads only stored facts (the proposal as analytics announced it,
decisions, push results), never analytics live, so it reads the same whenever the memo
is opened or sent. The employer's follow-up (next best actions, which channel gets
answers) is what holds now: the caller gathers it (``campaigns.overview``) and passes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from jinja2 import Environment
from sqlalchemy import Connection, Engine

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog_repo
from campaigns.catalog.domain import Campaign
from campaigns.decisions import repository as decisions_repo
from campaigns.decisions import service as decisions
from campaigns.decisions.domain import to_cents
from campaigns.insights.analytics_client import AllocationProposal
from campaigns.memo import dutch
from campaigns.memo import repository as memo_repo
from campaigns.memo.domain import (
    CampaignFacts,
    Creative,
    DecisionFacts,
    EarlierCampaigns,
    Memo,
    ProposalFacts,
    PushFacts,
    build_memo,
)
from campaigns.memo.mail import MailContent, Mailer
from campaigns.organic import repository as organic_repo
from campaigns.overview.service import EmployerFollowUp
from campaigns.tenancy import repository as tenancy_repo
from koers.db import transaction

log = logging.getLogger(__name__)

Audience = Literal["me", "subscribers"]
EMAIL_TEMPLATE = "memo_email.html"
TEXT_TEMPLATE = "memo_email.txt"
SUBSCRIBERS_LABEL = "members who opted in"
DONE_OUTCOMES = ("changed", "already_set", "exported")
"""A stored change outcome that put the amount in place (``delivery.domain``'s done)."""


def _proposal_facts(proposal: AllocationProposal) -> ProposalFacts:
    earlier = proposal.earlier_campaigns
    return ProposalFacts(
        budget_cents=to_cents(proposal.budget),
        allocation=decisions.proposal_cents(proposal),
        p_best=dict(proposal.p_best),
        # The memo is Dutch: the engine's sentences in Dutch where analytics sent them as
        # phrases, its English text for proposals made before.
        explanation=tuple(dutch.sentence(p) for p in proposal.explanation_phrases)
        or tuple(proposal.explanation),
        reasons=dict(proposal.reasons)
        | {variant: dutch.sentence(p) for variant, p in proposal.reason_phrases.items()},
        expected_conversions=proposal.expected_conversions,
        equal_split_expected_conversions=proposal.equal_split_expected_conversions,
        earlier=None
        if earlier is None
        else EarlierCampaigns(
            earlier.campaigns, earlier.creatives, earlier.weight, earlier.disagreement
        ),
    )


def campaign_facts(conn: Connection, campaign: Campaign, week: str) -> CampaignFacts:
    """What is stored of ``campaign``'s ``week``, for the memo."""
    proposal = decisions.stored_proposal(conn, campaign.id, week)
    variants = catalog_repo.variants_of(conn, campaign.id)
    decision = decisions_repo.decision_for(conn, campaign.id, week)
    ids = list(proposal.allocation) if proposal else []
    current, estimate = decisions.current_amounts(conn, campaign, week, ids)
    key = decisions.idempotency_key(campaign.tenant_id, campaign.id, week)
    pushes = tuple(
        PushFacts(
            adapter=p.adapter,
            status=p.status,
            pushed_at=p.pushed_at,
            changes=len(p.outcomes),
            failed=sum(1 for o in p.outcomes if o.get("outcome") not in DONE_OUTCOMES),
        )
        for p in decisions_repo.pushes_of(conn, key)
        if p.kind == "push"
    )
    employee_made = {v.variant_id for v in variants if v.employee_generated}
    return CampaignFacts(
        name=campaign.name,
        slug=campaign.slug,
        autopilot=campaign.guardrails.autopilot,
        creatives=tuple(Creative(v.variant_id, v.name, v.channel) for v in variants),
        proposal=None if proposal is None else _proposal_facts(proposal),
        decision=None
        if decision is None
        else DecisionFacts(
            status=decision.status,
            amounts=decision.amounts,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
            edited=decision.edited,
            reasons=decision.reasons,
        ),
        current=current,
        current_is_estimate=estimate,
        push_at=decisions_repo.push_time_of(conn, campaign.id).moment(week),
        pushes=pushes,
        organic_views=sum(
            w.views
            for w in organic_repo.views_of(conn, campaign.id)
            if w.week == week and w.variant_id in employee_made
        ),
        organic_cpm_cents=organic_repo.cpm_of(conn, campaign.tenant_id),
    )


def weekly_memo(
    conn: Connection,
    tenant_id: str,
    week: str,
    now: datetime,
    *,
    only: Campaign | None = None,
    follow_up: EmployerFollowUp | None = None,
) -> Memo:
    """The employer's memo of ``week`` (or of one of its campaigns): live campaigns, and
    any other campaign that has a proposal for the week; with ``follow_up``, the
    employer's next best actions and which channel gets answers."""
    campaigns = [only] if only is not None else catalog_repo.campaigns_of_tenant(conn, tenant_id)
    facts = [
        f
        for f in (campaign_facts(conn, c, week) for c in campaigns)
        if f.proposal is not None or only is not None or _live(campaigns, f.slug)
    ]
    speed = follow_up.speed if follow_up is not None else None
    return build_memo(
        tenant=tenancy_repo.tenant_name(conn, tenant_id) or "",
        week=week,
        campaigns=facts,
        now=now,
        actions=follow_up.actions.shown if follow_up is not None else None,
        channel_replies=speed.by_channel if speed is not None else None,
    )


def _live(campaigns: Sequence[Campaign], slug: str) -> bool:
    return any(c.slug == slug and c.status == "live" for c in campaigns)


def email_content(env: Environment, memo: Memo, *, console_url: str) -> MailContent:
    """The memo as e-mail: inline-styled HTML tables and a plain-text alternative."""
    context: dict[str, Any] = {"memo": memo, "nl": dutch, "console_url": console_url.rstrip("/")}
    return MailContent(
        subject=memo.subject,
        html=env.get_template(EMAIL_TEMPLATE).render(context),
        text=env.get_template(TEXT_TEMPLATE).render(context),
    )


def send_memo(
    engine: Engine,
    mailer: Mailer,
    content: MailContent,
    *,
    tenant_id: str,
    week: str,
    audience: Audience,
    recipients: Sequence[str],
    actor: str,
    now: datetime,
) -> int:
    """Send the memo to ``recipients``, then audit who sent which week to how many.

    The mail goes out before the audit row's short transaction, so no database lock is
    held while an SMTP server answers; a failed send raises ``MailNotSent`` and records
    nothing. Neither the audit row's contents nor the log name an address.
    """
    mailer.send(content, recipients, at=now)
    with transaction(engine) as conn:
        audit.record(
            conn,
            tenant_id=tenant_id,
            actor=actor,
            action="memo_sent",
            object_type="memo",
            object_id=week,
            before=None,
            after={
                "summary": f"The weekly memo of {week} was sent to "
                f"{len(recipients)} recipient{'s' if len(recipients) != 1 else ''}.",
                "week": week,
                "to": "the sender" if audience == "me" else SUBSCRIBERS_LABEL,
                "recipients": len(recipients),
            },
            at=now,
        )
    log.info(
        "memo sent",
        extra={
            "tenant_id": tenant_id,
            "week": week,
            "audience": audience,
            "recipients": len(recipients),
        },
    )
    return len(recipients)


MEMO_JOB = "memo job"
"""How the audit log names the scheduled sending."""


def already_sent(conn: Connection, tenant_id: str, week: str) -> bool:
    """Whether the memo of ``week`` already went to the members who opted in."""
    entries = audit.entries(conn, tenant_id, object_type="memo", object_ids=(week,), limit=100)
    return any(
        e.action == "memo_sent" and (e.after or {}).get("to") == SUBSCRIBERS_LABEL for e in entries
    )


def send_weekly_memos(
    engine: Engine,
    mailer: Mailer,
    env: Environment,
    *,
    week: str,
    now: datetime,
    console_url: str,
    again: bool = False,
    follow_up_of: Callable[[str], EmployerFollowUp] | None = None,
) -> list[tuple[str, int]]:
    """Send ``week``'s memo to the members who opted in, employer by employer; an employer
    whose memo of the week already went out is skipped unless ``again``. Returns (employer
    name, recipients) per employer sent to. Raises ``MailNotSent`` on the first failure;
    the employers before it stay sent and audited, so a rerun sends only the rest.
    ``follow_up_of`` gathers an employer's follow-up for its memo (analytics and landing
    asked live); without it the memo leaves that section out."""
    with engine.connect() as conn:
        tenant_ids = memo_repo.tenants_with_recipients(conn)
    sent: list[tuple[str, int]] = []
    for tenant_id in tenant_ids:
        with engine.connect() as conn:
            if not again and already_sent(conn, tenant_id, week):
                continue
            recipients = memo_repo.recipients(conn, tenant_id)
        follow_up = follow_up_of(tenant_id) if follow_up_of is not None else None
        with engine.connect() as conn:
            memo = weekly_memo(conn, tenant_id, week, now, follow_up=follow_up)
        content = email_content(env, memo, console_url=console_url)
        count = send_memo(
            engine,
            mailer,
            content,
            tenant_id=tenant_id,
            week=week,
            audience="subscribers",
            recipients=recipients,
            actor=MEMO_JOB,
            now=now,
        )
        sent.append((memo.tenant, count))
    return sent

"""Campaign, creative and page use cases.

Each takes the caller's transaction and writes its change, the audit row and the outbox
events together, so they commit or roll back as one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from campaigns.audit import repository as audit
from campaigns.catalog import repository as repo
from campaigns.catalog.domain import (
    Campaign,
    Variant,
    campaign_audit_state,
    change_creative_status,
    check_transition,
    creative_audit_state,
    new_variant_id,
    pause_event,
    publish_campaign,
    variant_event,
)
from campaigns.catalog.inputs import (
    CampaignInput,
    CreativeInput,
    NewCampaignInput,
    NewCreativeInput,
    PageInput,
    slugify,
)
from campaigns.config import SERVICE
from campaigns.errors import (
    CampaignNotFound,
    CampaignNotPublishable,
    CreativeNotFound,
    InvalidInput,
    TransitionRefused,
)
from koers.events import Envelope, Payload, new_envelope
from koers.messaging.outbox import add_to_outbox

# --- campaigns -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewCampaign:
    slug: str
    name: str
    vacancy_title: str
    goal: str
    weekly_budget: Decimal
    page: dict[str, Any]
    variants: Sequence[Variant]


def create_campaign(
    conn: Connection, *, tenant_id: str, new: NewCampaign, actor: str, now: datetime
) -> Campaign:
    """A draft campaign with its variants; nothing is announced until it is published."""
    campaign = Campaign(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        slug=new.slug,
        name=new.name,
        vacancy_title=new.vacancy_title,
        goal=new.goal,
        weekly_budget=new.weekly_budget,
        status="draft",
        page=new.page,
        page_version=0,
        created_at=now,
        updated_at=now,
    )
    repo.add_campaign(conn, campaign)
    repo.add_variants(conn, campaign.id, new.variants, created_at=now)
    _audit(conn, campaign, actor, "create", None, campaign_audit_state(campaign), now)
    return campaign


def default_page(employer_name: str, data: CampaignInput) -> dict[str, Any]:
    """A first draft of the page, so a new campaign can be previewed straight away."""
    return {
        "language": "nl",
        "languages": ["nl", "en"],
        "employer_name": employer_name,
        "headline": data.vacancy_title,
        "intro": "",
        "primary_colour": "#0b5fff",
        "entry_points": ["lead", "apply"],
        "quiz": [],
        "quiz_pass_score": 0,
        "translations": {},
    }


def open_campaign(
    conn: Connection,
    *,
    tenant_id: str,
    data: NewCampaignInput,
    employer_name: str,
    actor: str,
    now: datetime,
) -> Campaign:
    """Create a draft campaign from validated input (the console's and API's create)."""
    slug = data.slug or _free_slug(conn, slugify(data.name))
    if repo.slug_taken(conn, slug):
        raise InvalidInput(
            "that page address is taken", {"slug": "This address is taken; choose another."}
        )
    base = create_campaign(
        conn,
        tenant_id=tenant_id,
        new=NewCampaign(
            slug=slug,
            name=data.name,
            vacancy_title=data.vacancy_title,
            goal=data.goal,
            weekly_budget=data.weekly_budget,
            page=default_page(employer_name, data),
            variants=(),
        ),
        actor=actor,
        now=now,
    )
    return repo.save_campaign(conn, _apply_fields(base, data, now))


def _free_slug(conn: Connection, base: str) -> str:
    slug, n = base, 2
    while repo.slug_taken(conn, slug):
        slug = f"{base[:55]}-{n}"
        n += 1
    return slug


def _apply_fields(campaign: Campaign, data: CampaignInput, now: datetime) -> Campaign:
    return replace(
        campaign,
        name=data.name,
        vacancy_title=data.vacancy_title,
        location=data.location,
        hours_min=data.hours_min,
        hours_max=data.hours_max,
        salary_min=data.salary_min,
        salary_max=data.salary_max,
        salary_period=data.salary_period,
        persona_drivers=data.persona_drivers,
        persona_channels=data.persona_channels,
        persona_regions=data.persona_regions,
        audience_segments=tuple(dict.fromkeys(data.audience_segments)),
        target_regions=tuple(dict.fromkeys(data.target_regions)),
        target_channels=tuple(dict.fromkeys(data.target_channels)),
        goal=data.goal,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        weekly_budget=data.weekly_budget,
        guardrails=data.guardrails,
        updated_at=now,
    )


def update_campaign(
    conn: Connection, *, campaign: Campaign, data: CampaignInput, actor: str, now: datetime
) -> Campaign:
    """Change a campaign's fields; a live one re-announces its budget and guardrails."""
    if campaign.status == "ended":
        raise TransitionRefused("the campaign has ended; it can no longer change")
    changed = repo.save_campaign(conn, _apply_fields(campaign, data, now))
    _audit(
        conn,
        campaign,
        actor,
        "update",
        campaign_audit_state(campaign),
        campaign_audit_state(changed),
        now,
    )
    if changed.status == "live":
        changed, _ = _announce(conn, changed, actor, now, republish=True)
    return changed


def get_campaign(conn: Connection, tenant_id: str, slug: str) -> Campaign:
    """The tenant's campaign ``slug``; another tenant's is simply not found (404)."""
    campaign = repo.campaign_by_slug(conn, tenant_id, slug)
    if campaign is None:
        raise CampaignNotFound(f"There is no campaign {slug!r} here.")
    return campaign


def transition(
    conn: Connection,
    *,
    campaign: Campaign,
    to: str,
    reason: str = "",
    actor: str,
    now: datetime,
) -> Campaign:
    """Move a campaign along draft -> live -> paused -> ended, announcing the change."""
    target = check_transition(campaign.status, to)
    if target == "live":
        # Going live (or resuming) shows the published page again, under a new version
        # so landing accepts it; a campaign without one publishes its draft.
        live, _ = _announce(conn, campaign, actor, now, republish=campaign.page_published)
        return live
    changed = replace(campaign, status=target, updated_at=now)
    if target == "ended":
        changed = replace(changed, page_published=False)
    changed = repo.save_campaign(conn, changed)
    _audit(
        conn,
        campaign,
        actor,
        "end" if target == "ended" else "pause",
        campaign_audit_state(campaign),
        campaign_audit_state(changed),
        now,
    )
    if campaign.status == "live" or (target == "ended" and campaign.page_version > 0):
        default_reason = "ended" if target == "ended" else "paused by a marketer"
        _emit(conn, campaign, pause_event(campaign, reason or default_reason), now)
    return changed


def publish(conn: Connection, *, tenant_id: str, slug: str, actor: str, now: datetime) -> Envelope:
    """Publish the page draft: a new version; a draft campaign goes live with it."""
    campaign = get_campaign(conn, tenant_id, slug)
    if campaign.status == "paused":
        raise CampaignNotPublishable("the campaign is paused; resume it to show the page")
    _, envelope = _announce(conn, campaign, actor, now, republish=False)
    assert envelope is not None  # a draft or live campaign is live after publishing
    return envelope


def publish_page(conn: Connection, *, campaign: Campaign, actor: str, now: datetime) -> Campaign:
    """Publish the builder's draft as the next page version.

    A draft campaign goes live with it; a live one shows it at once; a paused one keeps
    it for when it resumes (landing is told then).
    """
    published, _ = _announce(conn, campaign, actor, now, republish=False)
    return published


def unpublish_page(conn: Connection, *, campaign: Campaign, actor: str, now: datetime) -> Campaign:
    """Take the page offline; a live campaign is paused with it (no page, no candidates)."""
    if not campaign.page_published:
        raise TransitionRefused("the page is not published")
    status = "paused" if campaign.status == "live" else campaign.status
    changed = repo.save_campaign(
        conn, replace(campaign, page_published=False, status=status, updated_at=now)
    )
    _audit(
        conn,
        campaign,
        actor,
        "unpublish",
        campaign_audit_state(campaign),
        campaign_audit_state(changed),
        now,
    )
    if campaign.status == "live":
        _emit(conn, campaign, pause_event(campaign, "page unpublished"), now)
    return changed


def save_page(
    conn: Connection, *, campaign: Campaign, data: PageInput, actor: str, now: datetime
) -> Campaign:
    """Save the page builder's draft; nothing changes for candidates until it is published."""
    if campaign.status == "ended":
        raise TransitionRefused("the campaign has ended; its page can no longer change")
    changed = repo.save_campaign(conn, replace(campaign, page=data.to_page(), updated_at=now))
    _audit(conn, campaign, actor, "save_page", {"page": campaign.page}, {"page": changed.page}, now)
    return changed


def _announce(
    conn: Connection, campaign: Campaign, actor: str, now: datetime, *, republish: bool
) -> tuple[Campaign, Envelope | None]:
    """Store the next page version and, unless the campaign is paused, CampaignPublished.

    ``republish`` repeats the newest published content (for a changed budget, or on
    resume); otherwise the builder's draft is published.
    """
    content: dict[str, Any] | None = None
    if republish:
        latest = repo.latest_page_version(conn, campaign.id)
        if latest is not None:
            content = {k: v for k, v in latest.snapshot.items() if k != "version"}
    target = campaign
    if republish and campaign.status == "paused":
        target = replace(campaign, status="live")
    publication = publish_campaign(
        target, repo.variants_of(conn, campaign.id), now=now, page=content
    )
    if campaign.status == "paused" and not republish:
        published = replace(publication.campaign, status="paused")
    else:
        published = publication.campaign
    published = repo.save_campaign(conn, published)
    repo.add_page_version(
        conn,
        campaign.id,
        version=publication.snapshot.version,
        snapshot=publication.snapshot.model_dump(mode="json"),
        published_at=now,
        published_by=actor,
    )
    action = {
        ("draft", False): "publish",
        ("live", False): "publish",
        ("paused", False): "publish",
        ("paused", True): "resume",
        ("live", True): "republish",
        ("draft", True): "publish",
    }[(campaign.status, republish)]
    _audit(
        conn,
        campaign,
        actor,
        action,
        campaign_audit_state(campaign),
        campaign_audit_state(published),
        now,
    )
    if published.status == "live":
        return published, _emit(conn, published, publication.event, now)
    return published, None


# --- creatives -----------------------------------------------------------------------


def get_creative(conn: Connection, campaign: Campaign, variant_id: str) -> Variant:
    variant = repo.variant_of(conn, campaign.id, variant_id)
    if variant is None:
        raise CreativeNotFound(f"There is no creative {variant_id!r} in this campaign.")
    return variant


def add_creative(
    conn: Connection, *, campaign: Campaign, data: NewCreativeInput, actor: str, now: datetime
) -> Variant:
    """Add a creative, also while the campaign runs (landing and analytics are told)."""
    if campaign.status == "ended":
        raise TransitionRefused("the campaign has ended; it takes no new creatives")
    existing = repo.variants_of(conn, campaign.id)
    taken = {v.variant_id for v in existing}
    variant_id = data.variant_id or new_variant_id(data.channel, taken)
    if variant_id in taken:
        raise InvalidInput(
            "that creative key is taken", {"variant_id": "Another creative uses this key."}
        )
    _check_ad_key(conn, campaign, data.ad_key, variant_id)
    variant = Variant(variant_id=variant_id, **data.model_dump(exclude={"variant_id"}))
    repo.add_variants(conn, campaign.id, [variant], created_at=now)
    _audit_creative(conn, campaign, variant_id, actor, "add_creative", None, variant, now)
    if campaign.page_version > 0:
        _emit(conn, campaign, variant_event(campaign, variant), now)
    return variant


def update_creative(
    conn: Connection,
    *,
    campaign: Campaign,
    variant_id: str,
    data: CreativeInput,
    actor: str,
    now: datetime,
) -> Variant:
    if campaign.status == "ended":
        raise TransitionRefused("the campaign has ended; its creatives no longer change")
    before = get_creative(conn, campaign, variant_id)
    if before.archived:
        raise TransitionRefused("an archived creative no longer changes")
    _check_ad_key(conn, campaign, data.ad_key, variant_id)
    changed = replace(before, **data.model_dump())
    repo.save_variant(conn, campaign.id, changed)
    _audit_creative(conn, campaign, variant_id, actor, "update_creative", before, changed, now)
    if campaign.page_version > 0:
        _emit(conn, campaign, variant_event(campaign, changed), now)
    return changed


def creative_action(
    conn: Connection,
    *,
    campaign: Campaign,
    variant_id: str,
    action: str,
    actor: str,
    now: datetime,
) -> Variant:
    """Pause, resume or archive a creative."""
    variants = repo.variants_of(conn, campaign.id)
    before = next((v for v in variants if v.variant_id == variant_id), None)
    if before is None:
        raise CreativeNotFound(f"There is no creative {variant_id!r} in this campaign.")
    others_live = sum(1 for v in variants if v.live and not v.archived and v is not before)
    changed = change_creative_status(
        before, action, campaign_status=campaign.status, others_live=others_live
    )
    repo.save_variant(conn, campaign.id, changed)
    _audit_creative(conn, campaign, variant_id, actor, f"{action}_creative", before, changed, now)
    if campaign.page_version > 0:
        _emit(conn, campaign, variant_event(campaign, changed), now)
    return changed


def _check_ad_key(
    conn: Connection, campaign: Campaign, ad_key: str | None, variant_id: str
) -> None:
    if ad_key is None:
        return
    owner = repo.ad_key_owner(conn, campaign.id, ad_key)
    if owner is not None and owner != variant_id:
        raise InvalidInput(
            "ad name already used",
            {"ad_key": f"The creative {owner!r} already uses this ad name / UTM key."},
        )


# --- helpers -------------------------------------------------------------------------


def _emit(conn: Connection, campaign: Campaign, payload: Payload, now: datetime) -> Envelope:
    envelope = new_envelope(
        payload,
        source=SERVICE,
        tenant_id=campaign.tenant_id,
        campaign_id=campaign.id,
        occurred_at=now,
    )
    add_to_outbox(conn, envelope)
    return envelope


def _audit(
    conn: Connection,
    campaign: Campaign,
    actor: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action=action,
        object_type="campaign",
        object_id=campaign.id,
        before=before,
        after=after,
        at=now,
    )


def _audit_creative(
    conn: Connection,
    campaign: Campaign,
    variant_id: str,
    actor: str,
    action: str,
    before: Variant | None,
    after: Variant,
    now: datetime,
) -> None:
    audit.record(
        conn,
        tenant_id=campaign.tenant_id,
        actor=actor,
        action=action,
        object_type="creative",
        object_id=f"{campaign.id}:{variant_id}",
        before=None if before is None else creative_audit_state(before),
        after=creative_audit_state(after),
        at=now,
    )

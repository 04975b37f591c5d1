"""Sending the memo through a real local SMTP server (aiosmtpd): the message arrives with
the memo's subject and HTML, only members who opted in receive it, the sending is
audited, and no log line carries an e-mail address."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from campaigns_testkit import DEMO_PASSWORD, HTML, csrf_from, log_in
from fastapi.testclient import TestClient
from insight_testkit import add_person
from memo_testkit import PROPOSED_AT, WEEK, FakeInsights, demo_campaign, store_proposal
from pydantic import SecretStr
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.config import Settings
from campaigns.demo import DEMO_EMAIL
from campaigns.main import create_app
from campaigns.memo import repository as memo_repo
from campaigns.seed import SeedResult
from koers.db import transaction
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.unit

SENDER = "memo@koers.example"
SMTP_SERVER_LOGGER = "mail.log"
"""aiosmtpd's own logger: the test's SMTP server, which of course sees the addresses."""
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def console_with(settings: Settings, port: int) -> TestClient:
    mail = settings.model_copy(
        update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{port}"), "memo_from": SENDER}
    )
    return TestClient(
        create_app(mail, analytics=FakeInsights(), password_hasher=FAST_PASSWORD_HASHER)
    )


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_send_to_me_arrives_with_the_subject_and_html_and_logs_no_address(
    settings: Settings,
    engine: Engine,
    seeded: SeedResult,
    smtp: tuple[Inbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = smtp
    store_proposal(engine, demo_campaign(engine), PROPOSED_AT)
    with console_with(settings, port) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        page = client.get(f"/memo?week={WEEK}", headers=HTML)
        assert "niet ingesteld" not in page.text
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            sent = client.post(
                "/memo/send-to-me",
                data={"csrf_token": csrf_from(page.text), "week": WEEK},
                headers=HTML,
            )
    assert sent.status_code == 200
    assert "De memo is naar jou verstuurd." in sent.text
    [(rcpt, message)] = inbox.messages
    assert rcpt == [DEMO_EMAIL] and message["To"] == DEMO_EMAIL and message["From"] == SENDER
    assert message["Subject"] == "Koers weekmemo 2026-W49 · Demo Werving BV"
    html = html_part(message)
    assert "Weekmemo 2026-W49" in html
    assert "Instagram Reel \u2013 een dag op de klantenservice" in html
    assert "1 campagne wacht op je beslissing." in html
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and "WAT ER VERSCHOOF" in str(plain.get_content())
    memo_logs = [r for r in caplog.records if r.name.startswith("campaigns.memo")]
    assert [r.getMessage() for r in memo_logs] == ["memo sent"]
    ours = [r for r in caplog.records if r.name != SMTP_SERVER_LOGGER]
    assert ours, "nothing was logged at all"
    for record in ours:
        assert not ADDRESS.search(record.getMessage()), record.getMessage()
        assert not ADDRESS.search(str(vars(record))), record.name
    with engine.connect() as conn:
        [entry] = [
            e
            for e in audit.entries(conn, demo_campaign(engine).tenant_id)
            if e.action == "memo_sent"
        ]
    assert entry.after is not None
    assert (entry.object_id, entry.after["recipients"], entry.actor) == (WEEK, 1, DEMO_EMAIL)
    assert not ADDRESS.search(str(entry.after))


def test_send_to_subscribers_reaches_only_members_who_opted_in(
    settings: Settings, engine: Engine, seeded: SeedResult, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    tenant_id = demo_campaign(engine).tenant_id
    now = datetime.now().astimezone()
    opted = add_person(
        engine, tenant_id=tenant_id, email="lisa@werving.example", role="viewer", now=now
    )
    add_person(engine, tenant_id=tenant_id, email="niet@werving.example", role="marketer", now=now)
    with transaction(engine) as conn:
        memo_repo.subscribe(conn, tenant_id, opted, now)
    with console_with(settings, port) as client:
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        page = client.get(f"/memo?week={WEEK}", headers=HTML)
        sent = client.post(
            "/memo/send", data={"csrf_token": csrf_from(page.text), "week": WEEK}, headers=HTML
        )
    assert "De memo is verstuurd naar 1 ontvanger." in sent.text
    assert [rcpt for rcpt, _ in inbox.messages] == [["lisa@werving.example"]]


def test_a_viewer_cannot_send_to_everyone(
    settings: Settings, engine: Engine, seeded: SeedResult, smtp: tuple[Inbox, int]
) -> None:
    from insight_testkit import PASSWORD

    inbox, port = smtp
    tenant_id = demo_campaign(engine).tenant_id
    now = datetime.now().astimezone()
    viewer = add_person(
        engine, tenant_id=tenant_id, email="kijker@werving.example", role="viewer", now=now
    )
    with transaction(engine) as conn:
        memo_repo.subscribe(conn, tenant_id, viewer, now)
    with console_with(settings, port) as client:
        log_in(client, "kijker@werving.example", PASSWORD)
        page = client.get(f"/memo?week={WEEK}", headers=HTML)
        assert "Stuur naar iedereen" not in page.text
        refused = client.post(
            "/memo/send", data={"csrf_token": csrf_from(page.text), "week": WEEK}, headers=HTML
        )
    assert refused.status_code == 403
    assert "Your role (viewer) cannot do this" in refused.text
    assert inbox.messages == []


def test_an_unreachable_smtp_server_is_said_and_nothing_is_audited(
    settings: Settings, engine: Engine, seeded: SeedResult
) -> None:
    with console_with(settings, free_port()) as client:  # nothing listens there
        log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
        page = client.get(f"/memo?week={WEEK}", headers=HTML)
        failed = client.post(
            "/memo/send-to-me",
            data={"csrf_token": csrf_from(page.text), "week": WEEK},
            headers=HTML,
        )
    assert failed.status_code == 200
    assert "De memo is niet verstuurd: de mailserver gaf een fout (ConnectionRefusedError)" in (
        failed.text
    )
    with engine.connect() as conn:
        entries = audit.entries(conn, demo_campaign(engine).tenant_id)
    assert not [e for e in entries if e.action == "memo_sent"]


def test_a_malformed_smtp_url_fails_at_start_up(settings: Settings) -> None:
    broken = settings.model_copy(update={"smtp_url": SecretStr("mail.example.nl")})
    with pytest.raises(ValueError, match="KOERS_CAMPAIGNS_SMTP_URL"):
        create_app(broken, analytics=FakeInsights(), password_hasher=FAST_PASSWORD_HASHER)


def test_the_scheduled_sending_mails_each_employer_once_per_week(
    engine: Engine, seeded: SeedResult, smtp: tuple[Inbox, int]
) -> None:
    from dataclasses import replace

    from campaigns.actions.domain import Action, Evidence
    from campaigns.actions.ranking import CampaignRef, EmployerAction, EmployerActions
    from campaigns.leads.speed import ChannelReplies, speed_to_lead
    from campaigns.memo.mail import SmtpMailer
    from campaigns.memo.service import MEMO_JOB, send_weekly_memos
    from campaigns.overview.service import EmployerFollowUp
    from campaigns.web.i18n import DEFAULT_LANGUAGE, load_catalogues
    from campaigns.web.rendering import build_templates
    from koers.phrases import Phrase

    inbox, port = smtp
    store_proposal(engine, demo_campaign(engine), PROPOSED_AT)
    tenant_id = demo_campaign(engine).tenant_id
    now = datetime.now().astimezone()
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER)
    env = build_templates(load_catalogues())[DEFAULT_LANGUAGE].env

    CONSOLE = "https://koers.example"

    def follow_up_of(tenant: str) -> EmployerFollowUp:
        # The employer's follow-up as the overview would gather it: one action, and
        # WhatsApp answered twice out of three tries.
        assert tenant == tenant_id
        title = Phrase("Follow up the leads going cold: %(count)s.", {"count": 2})
        act = Action("follow_up", "follow_up:leads", title, Evidence(title, title, title), 2.0)
        speed = speed_to_lead([], now=now, target_hours=24)
        speed = replace(speed, by_channel=(ChannelReplies("whatsapp", 3, 2, 3, 1.5),))
        return EmployerFollowUp(
            actions=EmployerActions((EmployerAction(CampaignRef("c", "Demo", "demo"), act),), 0),
            speed=speed,
            overdue=(),
            live_campaigns=1,
            missing_funnels=0,
            missing_contacts=0,
        )

    def run(again: bool = False) -> list[tuple[str, int]]:
        return send_weekly_memos(
            engine,
            mailer,
            env,
            week=WEEK,
            now=now,
            console_url=CONSOLE,
            again=again,
            follow_up_of=follow_up_of,
        )

    assert run() == [] and inbox.messages == []
    opted = add_person(
        engine, tenant_id=tenant_id, email="lisa@werving.example", role="viewer", now=now
    )
    with transaction(engine) as conn:
        memo_repo.subscribe(conn, tenant_id, opted, now)
    assert run() == [("Demo Werving BV", 1)]
    assert run() == []  # once per week
    assert run(again=True) == [("Demo Werving BV", 1)]
    assert [rcpt for rcpt, _ in inbox.messages] == [["lisa@werving.example"]] * 2
    assert f"{CONSOLE}/memo?week=2026-W49" in html_part(inbox.messages[0][1])
    sent_html = html_part(inbox.messages[0][1])
    assert "Volgende beste acties" in sent_html
    assert "Volg de leads op die afkoelen: 2." in sent_html
    assert "Welk kanaal krijgt antwoord" in sent_html and "WhatsApp 2 van 3 (67%)" in sent_html
    with engine.connect() as conn:
        actors = {e.actor for e in audit.entries(conn, tenant_id) if e.action == "memo_sent"}
    assert actors == {MEMO_JOB}

"""Sending the memo by e-mail, behind a small interface (:class:`Mailer`).

:class:`SmtpMailer` speaks SMTP with the standard library (``smtplib``): ``smtp://`` with
STARTTLS when the server offers it, ``smtps://`` for TLS from the first byte, a user and
password when the URL carries them. Each recipient gets a message of their own, so no
one sees who else receives the memo. Failures become :class:`MailNotSent` whose text
names the kind of failure only: SMTP errors can quote addresses, and logs carry none.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_S = 15.0
SCHEMES = {"smtp": 25, "smtps": 465}


class MailNotSent(Exception):
    """The memo could not be handed to the SMTP server (the text names no address)."""


class MailNotConfigured(ValueError):
    """The SMTP URL or sender address is unusable."""


@dataclass(frozen=True)
class MailContent:
    subject: str
    html: str
    text: str


class Mailer(Protocol):
    def send(self, content: MailContent, recipients: Sequence[str], *, at: datetime) -> None:
        """Deliver ``content`` to each recipient, or raise MailNotSent."""
        ...


def compose(content: MailContent, *, sender: str, recipient: str, at: datetime) -> EmailMessage:
    """One recipient's message: plain text with the HTML as its alternative."""
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(at)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message


class SmtpMailer:
    """Implements :class:`Mailer` over SMTP; built once, in ``create_app``."""

    def __init__(self, url: str, sender: str, *, timeout_s: float = SMTP_TIMEOUT_S) -> None:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise MailNotConfigured(
                "KOERS_CAMPAIGNS_SMTP_URL must look like smtp://user:password@host:587 "
                "or smtps://host:465"
            )
        if "@" not in sender:
            raise MailNotConfigured("KOERS_CAMPAIGNS_MEMO_FROM must be an e-mail address")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or SCHEMES[parts.scheme]
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self._sender = sender
        self._timeout_s = timeout_s

    def send(self, content: MailContent, recipients: Sequence[str], *, at: datetime) -> None:
        try:
            with self._connect() as smtp:
                if self._user:
                    smtp.login(self._user, self._password)
                for recipient in recipients:
                    smtp.send_message(
                        compose(content, sender=self._sender, recipient=recipient, at=at)
                    )
        except (smtplib.SMTPException, OSError) as exc:
            raise MailNotSent(type(exc).__name__) from None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self._tls:
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout_s, context=context
            )
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        return smtp

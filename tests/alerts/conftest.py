"""A real SMTP server on loopback (aiosmtpd) that receives what alerts send, and a clock the tests move."""

import email
import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone


@dataclass
class Mailbox:
    """What the SMTP server received: (recipients, message) per email, in order."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def subjects(self) -> list[str]:
        return [message["Subject"] for _, message in self.received]

    @property
    def recipients(self) -> list[list[str]]:
        return [to for to, _ in self.received]

    def text(self, index: int = -1) -> str:
        return self.received[index][1].get_body(("plain",)).get_content().replace("\r\n", "\n")

    def html(self, index: int = -1) -> str:
        return self.received[index][1].get_body(("html",)).get_content().replace("\r\n", "\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings) -> Mailbox:
    """Django sends email through the real SMTP server; each test starts with an empty mailbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.hostname, smtp_server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.DEFAULT_FROM_EMAIL = "Plandisc <alerts@plandisc.test>"
    smtp_server.handler.received.clear()
    return smtp_server.handler


@pytest.fixture
def clock():
    """Time that moves only when a test moves it."""
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller

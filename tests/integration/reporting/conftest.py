from __future__ import annotations

import pytest

from .synthetic_marts import build_report_marts


@pytest.fixture(scope="package")
def report_warehouse(make_database) -> str:
    """A warehouse whose report marts were built by dbt from a known history (one per package: dbt takes a minute)."""
    import psycopg

    from cfm.pipeline.prepare import prepare_warehouse

    url = make_database()
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    build_report_marts(url)
    return url


class Mailbox:
    """aiosmtpd handler: keeps every message received, as bytes."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); yields (mailbox, SmtpSettings pointing at it)."""
    import socket

    from aiosmtpd.controller import Controller

    from cfm.reporting.smtp import SmtpSettings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, SmtpSettings(host="127.0.0.1", port=port, starttls=False, sender="reports@example.com")
    finally:
        controller.stop()

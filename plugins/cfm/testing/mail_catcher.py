"""A local SMTP server that keeps what it receives (aiosmtpd): the demo's mail catcher and the
tests' SMTP server. Messages are kept in memory and, with a folder, written there as .eml."""

from __future__ import annotations

import socket
from pathlib import Path


class MailCatcher:
    def __init__(self, folder: Path | None = None, port: int = 0) -> None:
        self.folder = folder
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.saved: list[Path] = []
        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port = port
        self._controller = None
        self.refuse: str | None = None  # an SMTP reply (e.g. "451 4.3.0 try later") to refuse every message with

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        if self.refuse:
            return self.refuse
        raw = envelope.original_content or envelope.content
        self.messages.append(raw)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{len(self.messages):04d}-{envelope.rcpt_tos[0].replace('/', '_')}.eml"
            path.write_bytes(raw)
            self.saved.append(path)
        return "250 Message accepted for delivery"

    def settings(self, sender: str = "cfm-reports@example.com"):
        from cfm.reporting.smtp import SmtpSettings

        return SmtpSettings(host="127.0.0.1", port=self.port, starttls=False, sender=sender)

    def env(self, sender: str = "cfm-reports@example.com") -> dict[str, str]:
        """CFM_SMTP_* for a CLI or Airflow run that should send here."""
        return {"CFM_SMTP_HOST": "127.0.0.1", "CFM_SMTP_PORT": str(self.port), "CFM_SMTP_STARTTLS": "false",
                "CFM_SMTP_FROM": sender}

    def start(self) -> MailCatcher:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

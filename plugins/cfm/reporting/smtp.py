"""Sending mail: through Airflow's SMTP provider (connection `smtp_default`) inside Airflow, and
with the same settings from the environment in the CLI.

CLI environment (the fields of an Airflow SMTP connection): CFM_SMTP_HOST, CFM_SMTP_PORT (587),
CFM_SMTP_USER, CFM_SMTP_PASSWORD, CFM_SMTP_FROM, CFM_SMTP_STARTTLS (true), CFM_SMTP_SSL (false).
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from cfm.config import in_airflow_task

SMTP_CONN_ID = "smtp_default"


def _flag(value: str | None, default: bool) -> bool:
    return default if value in (None, "") else value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    sender: str = "cfm-reports@localhost"
    starttls: bool = True
    ssl: bool = False
    timeout: int = 30

    @classmethod
    def from_env(cls) -> SmtpSettings:
        host = os.environ.get("CFM_SMTP_HOST")
        if not host:
            raise RuntimeError("no SMTP server: set CFM_SMTP_HOST (and CFM_SMTP_PORT, CFM_SMTP_USER, "
                               "CFM_SMTP_PASSWORD, CFM_SMTP_FROM) or run in Airflow with the smtp_default connection")
        return cls(host=host, port=int(os.environ.get("CFM_SMTP_PORT") or 587), user=os.environ.get("CFM_SMTP_USER", ""),
                   password=os.environ.get("CFM_SMTP_PASSWORD", ""),
                   sender=os.environ.get("CFM_SMTP_FROM") or cls.sender,
                   starttls=_flag(os.environ.get("CFM_SMTP_STARTTLS"), True), ssl=_flag(os.environ.get("CFM_SMTP_SSL"), False))


class SmtpClient:
    """What delivery needs from a mail server: a sender address and send(message)."""

    def __init__(self, sender: str, send) -> None:
        self.sender = sender
        self._send = send

    def send(self, message: EmailMessage) -> None:
        self._send(message)


@contextmanager
def env_smtp(settings: SmtpSettings | None = None) -> Iterator[SmtpClient]:
    """An SMTP session from the environment (the CLI)."""
    s = settings or SmtpSettings.from_env()
    client = (smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout) if s.ssl
              else smtplib.SMTP(s.host, s.port, timeout=s.timeout))
    try:
        if s.starttls and not s.ssl:
            client.starttls()
            client.ehlo()
        if s.user and s.password:
            client.login(s.user, s.password)
        yield SmtpClient(s.sender, client.send_message)
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()


@contextmanager
def airflow_smtp(conn_id: str = SMTP_CONN_ID) -> Iterator[SmtpClient]:
    """An SMTP session from the Airflow connection, logged in by the SMTP provider's hook."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=conn_id) as hook:
        # The hook builds its own MIME for send_email_smtp, without inline (cid:) parts; its
        # logged-in client sends ours (the provider's own test_connection uses it the same way).
        client = hook.get_conn()._smtp_client
        yield SmtpClient(hook.from_email or SmtpSettings.sender, client.send_message)


def smtp_session():
    """Airflow's smtp_default inside a task, else the CFM_SMTP_* environment."""
    return airflow_smtp() if in_airflow_task() else env_smtp()

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



@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); yields (catcher, SmtpSettings pointing at it)."""
    from cfm.testing.mail_catcher import MailCatcher

    with MailCatcher() as catcher:
        yield catcher, catcher.settings(sender="reports@example.com")

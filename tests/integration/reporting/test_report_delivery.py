"""The report email over a real SMTP server (aiosmtpd on loopback): MIME structure, inline charts,
the PDF, the archive, the delivery log, idempotence and --resend, and the data-delayed note."""

from __future__ import annotations

import email
import re
from email import policy

import psycopg
import pytest

from cfm.config import load_config
from cfm.reporting.delivery import send_report
from cfm.reporting.smtp import env_smtp

from .synthetic_marts import ARABIC_VERBATIM, CHINESE_VERBATIM

RECIPIENTS = ["ceo@example.com", "cx-lead@example.com"]


def _config(tmp_path):
    config = load_config()
    config["report"].update(recipients=RECIPIENTS, out_dir=str(tmp_path), period="latest")
    return config


@pytest.fixture(autouse=True)
def no_deliveries_yet(report_warehouse):
    """The warehouse is shared by the package's tests; each starts with an empty delivery log."""
    from cfm.reporting.delivery import ensure_delivery_log

    with psycopg.connect(report_warehouse) as conn:
        ensure_delivery_log(conn)
        conn.execute("truncate ops.report_deliveries")


def _parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def test_report_email_has_html_inline_charts_and_pdf(report_warehouse, smtp_server, tmp_path) -> None:
    mailbox, settings = smtp_server
    result = send_report(report_warehouse, _config(tmp_path), "run-1", session=lambda: env_smtp(settings))
    assert sorted(result.sent) == sorted(RECIPIENTS) and result.period == "2026-10"
    assert sorted(rcpt for _, (rcpt,) in mailbox.envelopes) == sorted(RECIPIENTS)

    msg = _parse(mailbox.messages[0])
    assert msg["Subject"] == "Customer feedback: leadership report: October 2026"
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "NPS was −10 in October 2026" in html and "a significant drop" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # feedback text is escaped
    assert ARABIC_VERBATIM in html and 'dir="rtl"' in html and CHINESE_VERBATIM in html
    assert '<meta name="viewport"' in html
    assert "SLA breaches" in html and "of 2 who scored again (50%)" in html  # closed loop from rpt_loop_status
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    inline = {part["Content-ID"].strip("<>"): part for part in msg.walk() if part["Content-ID"]}
    assert cids and cids <= set(inline), f"cid references without an inline part: {cids - set(inline)}"
    for cid in cids:
        assert inline[cid].get_content_type() == "image/png"
        assert inline[cid].get_content().startswith(b"\x89PNG")
    pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_filename() == "leadership-report-2026-10.pdf"
    assert pdfs[0].get_content().startswith(b"%PDF")
    assert msg.get_body(preferencelist=("plain",)).get_content().startswith("Customer feedback")

    folder = tmp_path / "reports" / "2026-10"
    assert (folder / "report.html").exists() and (folder / "report.pdf").exists()
    assert {p.name for p in folder.glob("*.png")} == cids
    archived = _parse((folder / "sent" / "ceo@example.com.eml").read_bytes())
    received = [_parse(m) for m in mailbox.messages]
    assert archived["Message-ID"] in {m["Message-ID"] for m in received if m["To"] == "ceo@example.com"}


def test_sending_again_sends_nothing_and_resend_forces_it(report_warehouse, smtp_server, tmp_path) -> None:
    mailbox, settings = smtp_server
    session = lambda: env_smtp(settings)  # noqa: E731
    send_report(report_warehouse, _config(tmp_path), "run-1", session=session)
    again = send_report(report_warehouse, _config(tmp_path), "run-2", session=session)
    assert again.sent == [] and sorted(again.skipped) == sorted(RECIPIENTS)
    assert len(mailbox.messages) == 2
    forced = send_report(report_warehouse, _config(tmp_path), "run-3", resend=True, session=session)
    assert sorted(forced.sent) == sorted(RECIPIENTS) and len(mailbox.messages) == 4
    with psycopg.connect(report_warehouse) as conn:
        log = conn.execute("select recipient, kind, status, is_resend, period from ops.report_deliveries order by delivery_id").fetchall()
    assert [(r[2], r[3]) for r in log] == [("sent", False)] * 2 + [("sent", True)] * 2
    assert {r[4] for r in log} == {"2026-10"}


def test_a_refused_recipient_is_logged_and_retried_alone(report_warehouse, smtp_server, tmp_path) -> None:
    mailbox, settings = smtp_server
    config = _config(tmp_path)
    config["report"]["recipients"] = ["ok@example.com", "refused@example.com"]

    class Refusing:
        sender = "reports@example.com"

        def __init__(self, inner):
            self.inner = inner

        def send(self, msg):
            if msg["To"] == "refused@example.com":
                raise OSError("550 mailbox unavailable")
            self.inner.send(msg)

    from contextlib import contextmanager

    @contextmanager
    def session():
        with env_smtp(settings) as smtp:
            yield Refusing(smtp)

    first = send_report(report_warehouse, config, "run-a", period="2026-09", session=session)
    assert first.sent == ["ok@example.com"] and "refused@example.com" in first.failed
    retry = send_report(report_warehouse, config, "run-b", period="2026-09", session=lambda: env_smtp(settings))
    assert retry.sent == ["refused@example.com"] and retry.skipped == ["ok@example.com"]


def test_stale_marts_get_a_data_delayed_note_instead(report_warehouse, smtp_server, tmp_path) -> None:
    from cfm.pipeline.report import deliver
    from cfm.pipeline.stage import StageContext

    mailbox, settings = smtp_server
    ctx = StageContext(url=report_warehouse, config=_config(tmp_path), run_id="dag-1")
    counts = deliver(ctx, session=lambda: env_smtp(settings))  # typeform last synced 5 days ago
    assert counts["kind"] == "data_delayed" and counts["sent"] == 2
    note = _parse(mailbox.messages[0])
    text = note.get_content()
    assert "delayed" in note["Subject"] and "typeform last synced" in text
    assert "NPS" not in text and not list(note.iter_attachments())
    assert deliver(ctx, session=lambda: env_smtp(settings))["sent"] == 0  # once per recipient and period
    assert len(mailbox.messages) == 2


@pytest.mark.parametrize("missing", ["CFM_SMTP_HOST"])
def test_cli_settings_come_from_the_environment(monkeypatch, missing) -> None:
    from cfm.reporting.smtp import SmtpSettings

    monkeypatch.delenv(missing, raising=False)
    with pytest.raises(RuntimeError, match="CFM_SMTP_HOST"):
        SmtpSettings.from_env()
    monkeypatch.setenv("CFM_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("CFM_SMTP_PORT", "2525")
    monkeypatch.setenv("CFM_SMTP_STARTTLS", "false")
    s = SmtpSettings.from_env()
    assert (s.host, s.port, s.starttls) == ("mail.example.com", 2525, False)


def test_airflow_sends_through_the_smtp_provider_connection(report_warehouse, smtp_server, tmp_path, monkeypatch) -> None:
    """In Airflow the report goes through the SMTP provider's hook and its smtp_default connection."""
    from cfm.demo import smtp_connection_uri
    from cfm.reporting.smtp import airflow_smtp

    mailbox, _ = smtp_server
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection_uri(mailbox.port, "airflow-reports@example.com"))
    result = send_report(report_warehouse, _config(tmp_path), "dag-run", session=airflow_smtp)
    assert sorted(result.sent) == sorted(RECIPIENTS)
    assert {sender for sender, _ in mailbox.envelopes} == {"airflow-reports@example.com"}
    assert _parse(mailbox.messages[0])["From"] == "airflow-reports@example.com"

"""Delivering the leadership report: render once per period, archive it under
out/reports/<period>/, send it to each configured recipient once (ops.report_deliveries), and
send a short "data delayed" note instead when the marts are stale.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cfm.reporting.smtp import SmtpClient

log = logging.getLogger(__name__)

DELIVERIES_DDL = """
create table if not exists ops.report_deliveries (
    delivery_id  bigserial primary key,
    period       text not null,
    recipient    text not null,
    kind         text not null check (kind in ('report', 'data_delayed')),
    status       text not null check (status in ('sent', 'failed')),
    subject      text not null,
    message_id   text,
    archive_dir  text,
    pdf_sha256   text,
    is_resend    boolean not null default false,
    run_id       text not null,
    error        text,
    sent_at      timestamptz not null default now()
);
create index if not exists report_deliveries_sent_idx on ops.report_deliveries (period, recipient, kind) where status = 'sent';
"""

SessionFactory = Callable[[], AbstractContextManager[SmtpClient]]


@dataclass
class DeliveryResult:
    period: str
    kind: str
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already sent for this period
    failed: dict[str, str] = field(default_factory=dict)
    archive_dir: str | None = None

    def counts(self) -> dict[str, Any]:
        return {"period": self.period, "kind": self.kind, "sent": len(self.sent), "skipped": len(self.skipped),
                "failed": len(self.failed), "archive_dir": self.archive_dir}


def ensure_delivery_log(conn: psycopg.Connection) -> None:
    conn.execute(DELIVERIES_DDL)


def recipients(config: dict[str, Any]) -> list[str]:
    found = [r for r in (config["report"].get("recipients") or []) if r]
    if not found:
        raise ValueError("report.recipients in cfm.yml is empty: nobody to send the report to")
    return found


def already_sent(conn: psycopg.Connection, period: str, recipient: str, kind: str) -> bool:
    return conn.execute(
        "select 1 from ops.report_deliveries where period = %s and recipient = %s and kind = %s and status = 'sent'",
        (period, recipient, kind),
    ).fetchone() is not None


def _log(conn: psycopg.Connection, **row: Any) -> None:
    conn.execute(
        """
        insert into ops.report_deliveries
            (period, recipient, kind, status, subject, message_id, archive_dir, pdf_sha256, is_resend, run_id, error)
        values (%(period)s, %(recipient)s, %(kind)s, %(status)s, %(subject)s, %(message_id)s, %(archive_dir)s,
                %(pdf_sha256)s, %(is_resend)s, %(run_id)s, %(error)s)
        """,
        row,
    )


def marts_freshness(url: str, max_age_hours: float) -> list[str]:
    """Why the marts should not be reported now (empty when they are fresh): marts older than
    max_age_hours, or a source that has missed its expected sync (rpt_source_freshness)."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        if conn.execute("select to_regclass('marts.rpt_source_freshness') is null as missing").fetchone()["missing"]:
            return ["the report marts have not been built yet"]
        rows = conn.execute(
            "select source, is_stale, hours_since_sync, expected_cadence_hours, "
            "extract(epoch from now() - as_of) / 3600.0 as mart_age_hours from marts.rpt_source_freshness"
        ).fetchall()
    if not rows:
        return ["no source has delivered data yet"]
    reasons = []
    age = float(rows[0]["mart_age_hours"])
    if age > max_age_hours:
        reasons.append(f"the marts were last built {age:.0f} hours ago (limit {max_age_hours:g})")
    for r in rows:
        if r["is_stale"]:
            last = f"{float(r['hours_since_sync']):.0f} hours ago" if r["hours_since_sync"] is not None else "never"
            reasons.append(f"{r['source']} last synced {last} (expected every {r['expected_cadence_hours']} hours)")
    return reasons


def send_report(
    url: str,
    config: dict[str, Any],
    run_id: str,
    *,
    period: str | None = None,
    resend: bool = False,
    session: SessionFactory | None = None,
    out_dir: Path | None = None,
) -> DeliveryResult:
    """Render, archive and send the report of `period` (config report.period, default the latest)
    to every recipient that has not had it yet (all of them with resend=True)."""
    from cfm.config import project_path
    from cfm.reporting.content import load_content, resolve_period
    from cfm.reporting.email_message import report_message
    from cfm.reporting.leadership_report import archive, render_report
    from cfm.reporting.smtp import smtp_session

    report_cfg = config["report"]
    to = recipients(config)
    period = resolve_period(url, period or report_cfg.get("period"))
    result = DeliveryResult(period, "report")
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_delivery_log(conn)
        pending = [r for r in to if resend or not already_sent(conn, period, r, "report")]
        result.skipped = [r for r in to if r not in pending]
        if not pending:
            log.info("report %s: already sent to all %d recipients", period, len(to))
            return result
        rendered = render_report(load_content(url, period), title=report_cfg["title"],
                                 language=report_cfg.get("language", "en"))
        folder = archive(rendered, out_dir or project_path(report_cfg["out_dir"]))
        result.archive_dir = str(folder)
        pdf_sha = hashlib.sha256(rendered.pdf).hexdigest()
        with (session or smtp_session)() as smtp:
            for recipient in pending:
                msg = report_message(rendered, sender=smtp.sender, recipient=recipient)
                row = {"period": period, "recipient": recipient, "kind": "report", "subject": rendered.subject,
                       "message_id": msg["Message-ID"], "archive_dir": str(folder), "pdf_sha256": pdf_sha,
                       "is_resend": resend, "run_id": run_id}
                try:
                    smtp.send(msg)
                except Exception as exc:  # one bad address must not stop the others; it is logged and retried
                    _log(conn, status="failed", error=f"{type(exc).__name__}: {exc}", **row)
                    result.failed[recipient] = str(exc)
                    continue
                _log(conn, status="sent", error=None, **row)
                (folder / "sent").mkdir(exist_ok=True)
                (folder / "sent" / f"{_safe(recipient)}.eml").write_bytes(msg.as_bytes())
                result.sent.append(recipient)
    log.info("report %s: sent %d, already sent %d, failed %d", period, len(result.sent), len(result.skipped),
             len(result.failed))
    return result


def send_data_delayed(
    url: str, config: dict[str, Any], run_id: str, period: str, reasons: list[str], *,
    session: SessionFactory | None = None,
) -> DeliveryResult:
    """The short note sent instead of stale numbers: once per recipient and period."""
    from cfm.reporting.email_message import notice_message
    from cfm.reporting.smtp import smtp_session
    from cfm.reporting.wording import period_name

    result = DeliveryResult(period, "data_delayed")
    subject = f"{config['report']['title']}: {period_name(period)} delayed"
    text = (f"The {period_name(period)} report is delayed because the data is not up to date:\n\n"
            + "\n".join(f"- {r}" for r in reasons)
            + "\n\nIt will be sent when fresh data has been processed. No figures are included until then.")
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_delivery_log(conn)
        pending = [r for r in recipients(config) if not already_sent(conn, period, r, "data_delayed")]
        result.skipped = [r for r in recipients(config) if r not in pending]
        if pending:
            with (session or smtp_session)() as smtp:
                for recipient in pending:
                    msg = notice_message(subject, text, sender=smtp.sender, recipient=recipient)
                    smtp.send(msg)
                    _log(conn, period=period, recipient=recipient, kind="data_delayed", status="sent", subject=subject,
                         message_id=msg["Message-ID"], archive_dir=None, pdf_sha256=None, is_resend=False,
                         run_id=run_id, error=None)
                    result.sent.append(recipient)
    return result


def _safe(recipient: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "@._-" else "_" for ch in recipient)

"""Follow-ups to the customer once a case is resolved: a localised Gmail draft (or, opt-in per
rule, a sent message) carrying a re-survey link with the case id as a hidden field.

Guards, in order: follow-ups enabled; the case has a customer address; the customer is not on
the suppression list (opt-out); nobody contacted them within `contact_cooldown_days`; and the
idempotency key (case + resolution number) was never claimed. The claim row is written before
the Gmail call, so no re-run, retry or crash can contact a customer twice for one resolution.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import yaml
from psycopg.rows import dict_row

from cfm.loop.events import append_event
from cfm.loop.settings import LoopSettings

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
# gmail.compose covers users.drafts.create and users.messages.send (docs/sources/gmail.md).
COMPOSE_SCOPES = ["https://www.googleapis.com/auth/gmail.compose"]
ADDRESS_RELATION = "intermediate.int_feedback_unioned"  # customer_email: read at send time, never stored


@dataclass(frozen=True)
class FollowUpMessage:
    language: str
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _strings() -> dict[str, dict[str, str]]:
    with (TEMPLATES / "followup_strings.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def resurvey_url(settings: LoopSettings, case_id: str) -> str:
    """The re-survey link, the case id in its hidden field (Typeform `#case_id=`, SurveyMonkey/Qualtrics `?case_id=`)."""
    return settings.followup.resurvey_url.format(case_id=quote(case_id, safe=""))


def render_followup(case_id: str, language: str | None, settings: LoopSettings) -> FollowUpMessage:
    """Subject, plain text and HTML (RTL for Arabic) in the case's language, else the default one."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    strings = _strings()
    lang = language if language in settings.followup.languages and language in strings else settings.followup.default_language
    t = strings[lang]
    subject = t["subject"].format(case_id=case_id)
    url = resurvey_url(settings, case_id)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("followup.html.j2").render(lang=lang, t=t, subject=subject, survey_url=url, case_id=case_id)
    text = "\n\n".join([t["greeting"], t["body"], f"{t['survey']}: {url}", f"{t['signoff']}\n{t['team']}",
                        f"{t['reference']} {case_id}"])
    return FollowUpMessage(lang, subject, text, html)


def mime_message(msg: FollowUpMessage, *, to: str, sender: str) -> EmailMessage:
    m = EmailMessage()
    m["To"], m["From"], m["Subject"] = to, sender, msg.subject
    m["Message-ID"] = make_msgid(domain=sender.partition("@")[2] or None)
    m.set_content(msg.text)
    m.add_alternative(msg.html, subtype="html")
    m["Content-Language"] = msg.language  # after the body: set_content clears Content-* headers
    return m


def gmail_compose_service(config: dict[str, Any], inbox: str) -> Any:
    """A Gmail client acting as `inbox` with the compose scope (credentials as for the gmail source)."""
    from cfm.sources.google_api import build_service, google_credentials

    gmail = (config.get("sources") or {}).get("gmail") or {}
    base_url = str(gmail.get("base_url") or "https://gmail.googleapis.com/").rstrip("/") + "/"
    creds = google_credentials("gmail", COMPOSE_SCOPES, subject=inbox)
    return build_service("gmail", "v1", credentials=creds, api_endpoint=base_url,
                         timeout=float(gmail.get("timeout_seconds", 30)))


def _due_followups(conn: psycopg.Connection, as_of: datetime) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            select s.case_id, s.customer_key, s.language, s.thread_key, s.opening_feedback_id,
                   (select count(*) from ops.case_events e where e.case_id = s.case_id and e.event_type = 'resolved'
                      and e.occurred_at <= %(as_of)s) as resolution_no,
                   coalesce((c.details->>'send')::boolean, false) as send
            from ops.case_state_at(%(as_of)s) s
            join ops.case_events c on c.case_id = s.case_id and c.event_type = 'created'
            where s.status in ('resolved', 'closed') and s.resolved_at is not null
            order by s.resolved_at, s.case_id
            """,
            {"as_of": as_of},
        ).fetchall()


def _address(conn: psycopg.Connection, feedback_id: str) -> str | None:
    row = conn.execute(f"select customer_email from {ADDRESS_RELATION} where feedback_id = %s", (feedback_id,)).fetchone()
    return row[0] if row and row[0] else None


def _recently_contacted(conn: psycopg.Connection, customer_key: str, as_of: datetime, days: int) -> bool:
    return conn.execute(
        """select 1 from ops.case_events where event_type = 'contacted' and details->>'customer_key' = %s
           and occurred_at > %s and occurred_at <= %s limit 1""",
        (customer_key, as_of - timedelta(days=days), as_of)).fetchone() is not None


def write_followups(conn: psycopg.Connection, settings: LoopSettings, config: dict[str, Any], as_of: datetime, *,
                    service_for: Callable[[str], Any] | None = None) -> dict[str, int]:
    """Draft (or send) one follow-up per case resolution; returns counts per outcome."""
    counts: Counter[str] = Counter()
    if not settings.followup.enabled:
        return dict(counts)
    service_for = service_for or (lambda inbox: gmail_compose_service(config, inbox))
    services: dict[str, Any] = {}
    for case in _due_followups(conn, as_of):
        key = f"followup:{case['case_id']}:{case['resolution_no']}"
        if conn.execute("select 1 from ops.case_followups where idempotency_key = %s", (key,)).fetchone():
            counts["already_done"] += 1
            continue
        ck = case["customer_key"]
        if not ck:
            counts["skipped_no_customer"] += 1
            continue
        if conn.execute("select 1 from ops.contact_suppressions where customer_key = %s", (ck,)).fetchone():
            counts["skipped_suppressed"] += 1
            continue
        if _recently_contacted(conn, ck, as_of, settings.followup.contact_cooldown_days):
            counts["skipped_cooldown"] += 1
            continue
        address = _address(conn, case["opening_feedback_id"])
        if not address:
            counts["skipped_no_address"] += 1
            continue
        inbox, thread_id = _inbox_and_thread(case["thread_key"], settings)
        if not inbox:
            counts["skipped_no_inbox"] += 1
            continue
        msg = render_followup(case["case_id"], case["language"], settings)
        mode = "send" if case["send"] else "draft"
        # claim first (committed), then call Gmail: a crash leaves a 'pending' claim, never a second message
        claimed = conn.execute(
            "insert into ops.case_followups (idempotency_key, case_id, customer_key, mode, language, status)"
            " values (%s, %s, %s, %s, %s, 'pending') on conflict do nothing returning 1",
            (key, case["case_id"], ck, mode, msg.language)).fetchone()
        conn.commit()
        if not claimed:
            counts["already_done"] += 1
            continue
        raw = base64.urlsafe_b64encode(mime_message(msg, to=address, sender=inbox).as_bytes()).decode("ascii")
        body: dict[str, Any] = {"raw": raw, **({"threadId": thread_id} if thread_id else {})}
        try:
            service = services.setdefault(inbox, service_for(inbox))
            if mode == "send":
                result = service.users().messages().send(userId=inbox, body=body).execute(num_retries=0)
                gmail_id = result["id"]
            else:
                result = service.users().drafts().create(userId=inbox, body={"message": body}).execute(num_retries=0)
                gmail_id = result["id"]
        except Exception as exc:  # recorded on the claim; an agent decides, nothing is retried blindly
            conn.execute("update ops.case_followups set status = 'failed', error = %s where idempotency_key = %s",
                         (f"{type(exc).__name__}: {exc}"[:500], key))
            conn.commit()
            log.warning("follow-up for case %s failed: %s", case["case_id"], type(exc).__name__)
            counts["failed"] += 1
            continue
        conn.execute("update ops.case_followups set status = 'done', gmail_id = %s where idempotency_key = %s",
                     (gmail_id, key))
        append_event(conn, case_id=case["case_id"], event_type="contacted", occurred_at=as_of, actor="followup",
                     idempotency_key=key, details={"mode": mode, "language": msg.language, "gmail_id": gmail_id,
                                                   "customer_key": ck, "resurvey": True})
        conn.commit()
        counts["drafted" if mode == "draft" else "sent"] += 1
    log.info("follow-ups: %s", dict(counts))
    return dict(counts)


def _inbox_and_thread(thread_key: str | None, settings: LoopSettings) -> tuple[str | None, str | None]:
    if thread_key and thread_key.startswith("gmail:"):
        _, inbox, thread = thread_key.split(":", 2)
        return settings.followup.inbox or inbox, thread if not settings.followup.inbox or settings.followup.inbox == inbox else None
    return settings.followup.inbox, None


def suppress_customer(conn: psycopg.Connection, customer_key: str, reason: str) -> None:
    """Opt a customer out of every follow-up (idempotent)."""
    conn.execute("insert into ops.contact_suppressions (customer_key, reason) values (%s, %s)"
                 " on conflict (customer_key) do update set reason = excluded.reason", (customer_key, reason))
    conn.commit()

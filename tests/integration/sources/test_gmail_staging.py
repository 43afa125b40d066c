"""Gmail raw -> dbt staging: feedback rows, company replies linked for first-response time, exclusions.

Also checks the demo inboxes (sample_data/api/gmail) land completely through the demo server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from email.mime.text import MIMEText
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.gmail import GmailSource
from cfm.testing.fake_apis import gmail as fake

ROOT = Path(__file__).resolve().parents[3]
INBOX = "support@acme-shop.example"
DBT = Path(sys.executable).parent / "dbt"


def _mail(n: int, text: str, sender: str, charset: str = "utf-8", reply_to: int | None = None, **headers: str) -> bytes:
    msg = MIMEText(text, "plain", charset)
    msg["From"] = sender
    msg["To"] = INBOX
    msg["Subject"] = "Re: Refund" if reply_to else "Refund"
    msg["Date"] = f"Thu, 02 Jul 2026 {n:02d}:00:00 +0000"
    msg["Message-ID"] = f"<s{n}@example.com>"
    if reply_to:
        msg["In-Reply-To"] = f"<s{reply_to}@example.com>"
    for key, value in headers.items():
        msg[key] = value
    return msg.as_bytes()


def _dbt_build(url: str) -> None:
    parts = urlsplit(url)
    env = {**os.environ, "CFM_DB_HOST": parts.hostname or "127.0.0.1", "CFM_DB_PORT": str(parts.port or 5432),
           "CFM_DB_USER": parts.username or "postgres", "CFM_DB_PASSWORD": parts.password or "",
           "CFM_DB_NAME": parts.path.lstrip("/")}
    done = subprocess.run(
        [str(DBT), "build", "--profiles-dir", ".", "--select", "staging.gmail", "--target-path", "target/test_gmail"],
        cwd=ROOT / "dbt", env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.skipif(not DBT.exists(), reason="dbt is not installed next to this Python")
def test_staging_splits_feedback_replies_and_excluded_mail(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFM_GMAIL_TOKEN", fake.DEMO_TOKEN)
    ds = fake.GmailDataset()
    first = ds.add_message(INBOX, _mail(1, "لم يصلني المبلغ المسترد\n\nمع خالص التحيات\nأمل", "Amal <Amal@Example.ae>",
                                        "windows-1256", **{"Content-Language": "ar-AE"}))
    ack = ds.add_message(INBOX, _mail(2, "We got your message.", INBOX, reply_to=1, **{"Auto-Submitted": "auto-replied"}),
                         labels=("SENT",))
    reply = ds.add_message(INBOX, _mail(5, "Refund sent today.", "Maya <maya@acme-shop.example>", reply_to=1), labels=("SENT",))
    follow = ds.add_message(INBOX, _mail(9, "Received, thanks!\n\nفي الخميس، 2 يوليو 2026 كتب Maya <maya@acme-shop.example>:\n> Refund sent",
                                         "amal@example.ae", reply_to=5))
    reply2 = ds.add_message(INBOX, _mail(10, "Glad to help.", "maya@acme-shop.example", reply_to=9), labels=("SENT",))
    bounce = ds.add_message(INBOX, _mail(11, "Delivery failed", "MAILER-DAEMON@mail.example"))
    with fake.build_server(ds) as srv:
        config = {"base_url": srv.base_url, "inboxes": [INBOX], "start_date": "2026-06-01", "company_domains": ["acme-shop.example"]}
        sync_source(warehouse, GmailSource(config), run_id="r1")
    _dbt_build(warehouse)

    with psycopg.connect(warehouse) as conn:
        feedback = conn.execute(
            "select source_record_id, channel, customer_email, language_declared, text_raw, thread_id, rating_type, "
            "submitted_at, attributes->>'subject' from staging.stg_gmail__feedback order by submitted_at").fetchall()
        replies = conn.execute(
            "select r.source_record_id, f.source_record_id, r.thread_id, r.is_first_reply_in_thread, "
            "extract(epoch from r.response_time)::int, r.replied_by_email "
            "from staging.stg_gmail__replies r left join staging.stg_gmail__feedback f using (feedback_id) "
            "order by r.replied_at").fetchall()
        excluded = conn.execute(
            "select source_record_id, exclusion_reason from staging.stg_gmail__messages "
            "where message_role = 'excluded' order by source_record_id").fetchall()

    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in feedback] == [
        (first, "email", "amal@example.ae", "ar", "لم يصلني المبلغ المسترد", first, None),
        (follow, "email", "amal@example.ae", None, "Received, thanks!", first, None),
    ]
    assert feedback[0][7].isoformat() == "2026-07-02T01:00:00+00:00" and feedback[0][8] == "Refund"
    assert replies == [
        (reply, first, first, True, 4 * 3600, "maya@acme-shop.example"),
        (reply2, follow, first, False, 3600, "maya@acme-shop.example"),
    ]
    assert excluded == sorted([(ack, "auto_reply"), (bounce, "bounce")])


def test_demo_inboxes_land_completely(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in fake.demo_credentials().items():
        monkeypatch.setenv(key, value)
    with fake.demo_server(ROOT / "sample_data" / "api") as srv:
        result = sync_source(warehouse, GmailSource(fake.demo_config(srv.base_url)), run_id="demo")
    assert (result["inserted"], result["quarantined"]) == (149, 0)
    with psycopg.connect(warehouse) as conn:
        roles = dict(conn.execute(
            "select payload->'parsed'->>'role', count(*) from raw.gmail group by 1").fetchall())
        accounts = dict(conn.execute("select account, count(*) from raw.gmail group by 1").fetchall())
    assert roles == {"feedback": 87, "company_reply": 41, "excluded": 21}
    assert accounts == {"support@acme-shop.example": 128, "vip@acme-shop.example": 21}

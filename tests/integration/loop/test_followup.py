"""Follow-up drafts through the fake Gmail API: language and RTL, once per resolution, suppression, cooldown, opt-in send."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy

import psycopg
import pytest

from cfm.loop import actions
from cfm.loop.cases import open_and_attach
from cfm.loop.events import case_id_for, case_state
from cfm.loop.followup import render_followup, suppress_customer, write_followups
from cfm.loop.settings import loop_settings
from cfm.testing.fake_api import FakeApiServer
from cfm.testing.fake_apis.gmail import DEMO_TOKEN, GmailDataset, build_server

MON = datetime(2026, 11, 9, 9, tzinfo=UTC)
INBOX = "support@acme-shop.example"


@pytest.fixture
def gmail(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GmailDataset, FakeApiServer]]:
    monkeypatch.setenv("CFM_GMAIL_TOKEN", DEMO_TOKEN)
    ds = GmailDataset()
    ds.mailbox(INBOX)
    with build_server(ds) as srv:
        yield ds, srv


def _config(srv: FakeApiServer, **loop) -> dict:
    return {"timezone": "UTC", "sources": {"gmail": {"enabled": True, "base_url": srv.base_url}},
            "loop": {"followup": {"inbox": INBOX, "resurvey_url": "https://acme.typeform.com/to/Rcv1#case_id={case_id}",
                                  **loop}}}


def _parsed(stored) -> email.message.EmailMessage:
    return email.message_from_bytes(stored.raw, policy=policy.default)


def _resolve(url: str, *fids: str, at: datetime) -> None:
    with psycopg.connect(url) as conn:
        for fid in fids:
            actions.resolve_case(conn, case_id_for(fid), root_cause="late courier", resolution_code="reshipped",
                                 actor="cli:test", at=at)


def test_one_localised_draft_per_resolution_and_none_for_the_suppressed(loop_db, gmail) -> None:
    url, add, _ = loop_db
    ds, srv = gmail
    config = _config(srv)
    settings = loop_settings(config)
    add(feedback_id="ar1", customer_key="k-ar", customer_email="huda.customer@example.org", language="ar",
        rating_type="csat", rating_value=1, rating_scale_min=1, rating_scale_max=5, submitted_at=MON)
    add(feedback_id="zh1", customer_key="k-zh", customer_email="wang.customer@example.org", language="zh",
        feedback_type="complaint", submitted_at=MON)
    add(feedback_id="en1", customer_key="k-sup", customer_email="opted.out@example.org", language="en",
        rating_type="nps", rating_value=0, rating_scale_min=0, rating_scale_max=10, submitted_at=MON)
    add(feedback_id="rv1", customer_key=None, channel="review", source="trustpilot", rating_type="star",
        rating_value=1, rating_scale_min=1, rating_scale_max=5, submitted_at=MON)
    with psycopg.connect(url) as conn:
        open_and_attach(conn, settings, MON + timedelta(hours=1))
        suppress_customer(conn, "k-sup", "opted out by e-mail")
    _resolve(url, "ar1", "zh1", "en1", "rv1", at=MON + timedelta(hours=2))

    as_of = MON + timedelta(hours=3)
    with psycopg.connect(url) as conn:
        counts = write_followups(conn, settings, config, as_of)
    assert counts == {"drafted": 2, "skipped_suppressed": 1, "skipped_no_customer": 1}
    drafts = ds.drafts(INBOX)
    assert len(drafts) == 2
    by_to = {str(_parsed(m)["To"]): _parsed(m) for _, m in drafts}
    assert set(by_to) == {"huda.customer@example.org", "wang.customer@example.org"}

    ar = by_to["huda.customer@example.org"]
    cid = case_id_for("ar1")
    assert ar["Subject"] == f"متابعة ملاحظاتك (الحالة {cid})" and ar["Content-Language"] == "ar"
    html = ar.get_body(("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html and 'dir="rtl" lang="ar"' in html and "text-align:right" in html
    assert f"https://acme.typeform.com/to/Rcv1#case_id={cid}" in html
    assert f"#case_id={cid}" in ar.get_body(("plain",)).get_content()

    zh = by_to["wang.customer@example.org"]
    assert zh["Subject"].startswith("关于您的反馈的跟进") and 'dir="ltr"' in zh.get_body(("html",)).get_content()

    with psycopg.connect(url) as conn:
        assert case_state(conn, cid)["first_contacted_at"] == as_of
        # run again (a retry, a backfill): nobody is contacted twice
        assert write_followups(conn, settings, config, as_of + timedelta(hours=1)) == {
            "already_done": 2, "skipped_suppressed": 1, "skipped_no_customer": 1}
    assert len(ds.drafts(INBOX)) == 2 and not ds.sent(INBOX)


def test_cooldown_and_opt_in_send(loop_db, gmail) -> None:
    url, add, _ = loop_db
    ds, srv = gmail
    config = _config(srv, contact_cooldown_days=30)
    config["loop"]["rules"] = {"nps_detractor": {"send": True}}
    settings = loop_settings(config)
    add(feedback_id="n1", customer_key="k1", customer_email="a@example.org", rating_type="nps", rating_value=2,
        rating_scale_min=0, rating_scale_max=10, category="billing", submitted_at=MON)
    add(feedback_id="n2", customer_key="k1", customer_email="a@example.org", rating_type="nps", rating_value=3,
        rating_scale_min=0, rating_scale_max=10, category="delivery", submitted_at=MON)  # another topic: own case
    with psycopg.connect(url) as conn:
        assert open_and_attach(conn, settings, MON)["created"] == 2
    _resolve(url, "n1", "n2", at=MON + timedelta(hours=1))
    with psycopg.connect(url) as conn:
        assert write_followups(conn, settings, config, MON + timedelta(hours=2)) == {"sent": 1, "skipped_cooldown": 1}
    assert len(ds.sent(INBOX)) == 1 and not ds.drafts(INBOX)


def test_render_falls_back_to_the_default_language_and_escapes(loop_db) -> None:
    settings = loop_settings({"loop": {"followup": {"resurvey_url": "https://s.example/r?case_id={case_id}&x=<b>"}}})
    msg = render_followup("C-1", "fr", settings)
    assert msg.language == "en" and 'dir="ltr"' in msg.html
    assert "x=&lt;b&gt;" in msg.html

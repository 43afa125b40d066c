"""The issue's acceptance test: a detractor (Typeform), a one-star review (Trustpilot), a Chinese
complaint e-mail (Gmail) and an Arabic CSAT 1 (file drop), through the real pipeline (ingest from
the fake APIs, validation, enrichment, dbt) and the loop; every loop-mart figure is then checked
against the independent computation in reference.py."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest
from psycopg.rows import dict_row

from cfm.config import PROJECT_ROOT, load_config
from cfm.loop import actions
from cfm.loop.events import case_states
from cfm.loop.followup import suppress_customer
from cfm.loop.schema import ensure_loop_schema
from cfm.pipeline.stage import StageContext, stage
from cfm.pipeline.transform import run_dbt
from cfm.privacy.pseudonymise import customer_key, pseudonym_key
from cfm.testing.fake_apis import gmail as fake_gmail
from cfm.testing.fake_apis import trustpilot as fake_trustpilot
from cfm.testing.fake_apis import typeform as fake_typeform

from .reference import fold, load_events, wilson

pytestmark = pytest.mark.slow
INBOX = "support@acme-shop.example"
UNIT = "5f0c1d2e3a4b5c6d7e8f9012"
MON = datetime(2026, 11, 9, 9, tzinfo=UTC)  # a Monday, in the past
ROUTING = """
fallback: {department: customer_care, queue: general, owner: cx-lead@acme-shop.example}
routes:
  - {match: {channel: review}, department: customer_care, queue: public_reviews, owners: [noor@acme-shop.example]}
  - {match: {language: zh}, department: customer_care, queue: chinese_desk, owners: [wang.fang@acme-shop.example]}
  - {match: {language: ar}, department: customer_care, queue: arabic_desk, owners: [huda@acme-shop.example]}
"""


def _mail(sender: str, subject: str, body: str, when: datetime, msg_id: str, reply_to: str | None = None) -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, INBOX, subject
    m["Date"] = email.utils.format_datetime(when)
    m["Message-ID"] = msg_id
    if reply_to:
        m["In-Reply-To"] = m["References"] = reply_to
    m.set_content(body, charset="utf-8")
    return m


def _typeform_response(rid: str, when: datetime, nps: int, text: str, mail: str, hidden: dict) -> dict:
    return {"landing_id": rid, "token": rid, "response_id": rid, "response_type": "completed",
            "landed_at": (when - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "submitted_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "metadata": {"platform": "other"},
            "hidden": hidden, "calculated": {"score": 0}, "variables": [],
            "answers": [{"field": {"id": "fNps", "ref": "nps", "type": "nps"}, "type": "number", "number": nps},
                        {"field": {"id": "fWhy", "ref": "why", "type": "long_text"}, "type": "text", "text": text},
                        {"field": {"id": "fMail", "ref": "email", "type": "email"}, "type": "email", "email": mail}]}


@pytest.fixture
def world(make_database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = make_database()
    for k, v in {**fake_gmail.demo_credentials(), **fake_trustpilot.demo_credentials(),
                 **fake_typeform.demo_credentials()}.items():
        monkeypatch.setenv(k, v)
    gmail_ds = fake_gmail.GmailDataset()
    gmail_ds.mailbox(INBOX)
    gmail_ds.add_message(INBOX, _mail("wang.li@example.cn", "包裹问题", "我的包裹晚了两个星期，我要退款。", MON + timedelta(hours=1),
                                      "<zh-1@example.cn>"))
    gmail_ds.add_message(INBOX, _mail("agent@acme-shop.example", "Re: 包裹问题", "您好，我们正在处理，很抱歉。",
                                      MON + timedelta(hours=2), "<re-1@acme-shop.example>", "<zh-1@example.cn>"),
                         labels=("SENT",))
    review = {"id": "7a0c1d2e0063a9c3fa9e0001", "stars": 1, "title": "Broken on arrival",
              "text": "The blender arrived broken and nobody answered my messages.", "language": "en",
              "createdAt": (MON + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "updatedAt": None,
              "consumer": {"id": "6a1a5d3cdce814a21c330001", "displayName": "Sam P.", "numberOfReviews": 2},
              "businessUnit": {"id": UNIT}, "location": None,
              "companyReply": {"text": "Sorry, we are sending a replacement.", "authorBusinessUserId": "u1",
                               "createdAt": (MON + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "updatedAt": None},
              "referenceId": None, "referralEmail": None, "source": "AFSv2", "tags": [], "isVerified": True,
              "numberOfLikes": 0, "status": "active"}
    tf_ds = fake_typeform.TypeformDataset()
    tf_ds.forms["tfNPS01"] = json.loads((PROJECT_ROOT / "sample_data/api/typeform/form_tfNPS01.json").read_text())
    tf_ds.add("tfNPS01", _typeform_response("tfr-det-1", MON + timedelta(minutes=30), 2,
                                            "The invoice charged me twice this month.", "dana@example.com", {}))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "chat.csv").write_text(
        "id,submitted_at,channel,customer_email,text,rating_type,rating_value,language\n"
        f"AR-1,{(MON + timedelta(hours=4)).isoformat()},chat,huda.c@example.ae,الخدمة كانت بطيئة جداً ولم يساعدني أحد,csat,1,ar\n"
        f"EN-SUP,{(MON + timedelta(hours=4)).isoformat()},chat,optout@example.com,Terrible service today,nps,1,en\n",
        encoding="utf-8")
    routing = tmp_path / "routing.yml"
    routing.write_text(ROUTING, encoding="utf-8")
    with fake_gmail.build_server(gmail_ds) as g, fake_trustpilot.build_server({UNIT: [review]}) as t, \
            fake_typeform.build_server(tf_ds) as f:
        config = load_config()
        config["timezone"] = "UTC"
        config["report"]["out_dir"] = str(tmp_path / "out")
        config["sources"] = {
            "file_drop": {"enabled": True, "dir": str(drop)},
            "gmail": {"enabled": True, "base_url": g.base_url, "inboxes": [INBOX], "start_date": "2026-11-01",
                      "company_domains": ["acme-shop.example"], "overlap_minutes": 60},
            "trustpilot": {**fake_trustpilot.demo_config(t.base_url), "business_units": [UNIT]},
            "typeform": {"enabled": True, "base_url": f.base_url, "forms": [{"id": "tfNPS01", "nps_field": "nps",
                         "text_field": "why"}], "start_date": "2026-11-01T00:00:00Z", "lag_minutes": 0},
        }
        config["loop"] = {"routing_file": str(routing),
                          "followup": {"inbox": INBOX, "resurvey_url": "https://acme.typeform.com/to/tfNPS01#case_id={case_id}"}}
        yield {"url": url, "config": config, "gmail": gmail_ds, "typeform": tf_ds}


def _run(w, n: int) -> None:
    """The pipeline's stages in order; dbt builds only what the loop reads (and the loop marts)."""
    ctx = StageContext(url=w["url"], config=w["config"], run_id=f"e2e-{n}")
    for name in ("prepare", "ingest", "staging", "validate", "enrich"):
        counts = stage(name).run(ctx)
        if name == "ingest":
            assert counts["failed"] == {}, counts["failed"]
    run_dbt(w["url"], ["build", "--select", "+path:models/intermediate/loop", "+path:models/marts/loop"])
    stage("loop").run(ctx)


def _cases(url: str) -> dict[str, dict]:
    with psycopg.connect(url) as conn:
        return {s["source"] + ":" + (s["language"] or ""): s for s in case_states(conn)}


def _rows(url: str, sql: str) -> list[dict]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql).fetchall()


def test_closed_loop_end_to_end(world) -> None:
    url, gmail_ds = world["url"], world["gmail"]
    with psycopg.connect(url) as conn:  # the opt-out is known before anything runs
        ensure_loop_schema(conn)
        suppress_customer(conn, customer_key("optout@example.com", None, pseudonym_key()), "unsubscribed")

    _run(world, 1)
    cases = _cases(url)
    # 1. each case opens with the right priority and routing
    assert set(cases) == {"typeform:en", "trustpilot:en", "gmail:zh", "file_drop:ar", "file_drop:en"}
    det, rev, zh, ar, sup = (cases[k] for k in ("typeform:en", "trustpilot:en", "gmail:zh", "file_drop:ar", "file_drop:en"))
    assert (det["priority"], det["queue"], "nps_detractor" in det["reasons"]) == ("P2", "general", True)
    assert (rev["priority"], rev["queue"], "star_low" in rev["reasons"]) == ("P2", "public_reviews", True)
    assert (zh["priority"], zh["queue"], "risk_phrase" in zh["reasons"]) == ("P1", "chinese_desk", True)
    assert (ar["priority"], ar["queue"], "csat_low" in ar["reasons"]) == ("P2", "arabic_desk", True)
    # 2. company replies are the first responses
    assert zh["first_response_at"] == MON + timedelta(hours=2)
    assert rev["first_response_at"] == MON + timedelta(hours=5)

    with psycopg.connect(url) as conn:
        actions.respond_case(conn, det["case_id"], actor="cli:e2e", at=MON + timedelta(hours=1))
        actions.respond_case(conn, sup["case_id"], actor="cli:e2e", at=MON + timedelta(hours=5))
        # 3. exactly one case breaches its SLA: the Arabic chat nobody answered
        breached = [s["case_id"] for s in case_states(conn) if s["is_first_response_breached"]]
        assert breached == [ar["case_id"]]
        # 5. resolutions with a root cause
        for case, cause, comp in ((det, "double charge", "20"), (zh, "late delivery", "0"), (ar, "slow chat", "0"),
                                  (sup, "outage", "0")):
            actions.resolve_case(conn, case["case_id"], root_cause=cause, resolution_code="fixed",
                                 compensation_amount=comp, actor="cli:e2e", at=MON + timedelta(hours=6))

    _run(world, 2)
    # 4. one follow-up draft per resolved case with an address, in the right language; none for the opted-out
    drafts = [email.message_from_bytes(m.raw, policy=policy.default) for _, m in gmail_ds.drafts(INBOX)]
    by_to = {str(d["To"]): d for d in drafts}
    assert set(by_to) == {"dana@example.com", "wang.li@example.cn", "huda.c@example.ae"}
    assert "optout@example.com" not in by_to
    assert by_to["huda.c@example.ae"]["Content-Language"] == "ar"
    assert 'dir="rtl"' in by_to["huda.c@example.ae"].get_body(("html",)).get_content()
    assert by_to["wang.li@example.cn"]["Content-Language"] == "zh"
    assert by_to["dana@example.com"]["Content-Language"] == "en"
    link = f"https://acme.typeform.com/to/tfNPS01#case_id={det['case_id']}"
    assert link in by_to["dana@example.com"].get_body(("plain",)).get_content()
    zh_thread = next(m.thread_id for _, m in gmail_ds.drafts(INBOX) if "wang.li" in str(email.message_from_bytes(m.raw)["To"]))
    assert zh_thread == next(m.thread_id for m in gmail_ds.mailbox(INBOX).messages.values()
                             if m.message_id_header == "<zh-1@example.cn>")

    # 6. the customer opens the re-survey link from the follow-up and answers it; Typeform fills the hidden field
    # from the link's fragment. The answer is submitted now, after the previous sync: Typeform lists responses by
    # submission time and the sync's cursor is the real sync time, so only an answer given after it is fetched.
    hidden = dict(parse_qsl(urlsplit(link).fragment))
    assert hidden == {"case_id": det["case_id"]}
    answered_at = datetime.now(UTC).replace(microsecond=0)
    world["typeform"].add("tfNPS01", _typeform_response("tfr-det-2", answered_at, 9, "Refund arrived, thanks.",
                                                        "dana@example.com", hidden))

    # 7. the Chinese customer writes again in the thread
    gmail_ds.add_message(INBOX, _mail("wang.li@example.cn", "Re: 包裹问题", "还是没有收到退款。", MON + timedelta(days=1, hours=2),
                                      "<zh-2@example.cn>", "<re-1@acme-shop.example>"))
    _run(world, 3)
    cases = _cases(url)
    assert cases["gmail:zh"]["status"] == "open" and cases["gmail:zh"]["reopened_count"] == 1
    assert len(cases) == 5  # the re-survey answer opened nothing

    # running the whole loop again changes nothing and contacts nobody twice
    events_before = load_events(url)
    drafts_before = len(gmail_ds.drafts(INBOX))
    _run(world, 4)
    assert load_events(url) == events_before
    assert len(gmail_ds.drafts(INBOX)) == drafts_before == 3 and not gmail_ds.sent(INBOX)

    # every mart figure against the independent computation
    as_of = _rows(url, "select as_of from marts.fct_cases limit 1")[0]["as_of"]
    expected = fold(events_before, as_of)
    marts = {r["case_id"]: r for r in _rows(url, "select * from marts.fct_cases")}
    assert set(marts) == set(expected)
    for cid, want in expected.items():
        for col in ("status", "priority", "department", "queue", "owner", "first_response_at", "contacted_at",
                    "resolved_at", "root_cause", "reopened_count", "is_first_response_breached", "is_detractor",
                    "is_contacted_within_sla"):
            assert marts[cid][col] == want[col], (cid, col)
    closure = {(r["channel"], r["department"]): r for r in _rows(url, "select * from marts.loop_closure")}
    dets = [c for c in expected.values() if c["is_detractor"]]
    for key in {(c["channel"], c["department"]) for c in dets}:
        group = [c for c in dets if (c["channel"], c["department"]) == key]
        ok = sum(c["is_contacted_within_sla"] for c in group)
        assert (closure[key]["detractor_cases"], closure[key]["contacted_within_sla"]) == (len(group), ok)
        assert (float(closure[key]["pct_ci_low"]), float(closure[key]["pct_ci_high"])) == wilson(ok, len(group))
    recovery = {r["case_id"]: r for r in _rows(url, "select * from marts.recovery")}
    assert recovery[det["case_id"]]["is_resurvey"] and float(recovery[det["case_id"]]["next_rating_value"]) == 9
    assert recovery[det["case_id"]]["next_submitted_at"] == answered_at
    assert recovery[det["case_id"]]["is_detractor_recovered"]
    audit = _rows(url, "select sum(reopened) as reopened, sum(compensation_total) as comp from marts.complaint_audit")[0]
    assert (audit["reopened"], float(audit["comp"])) == (
        sum(c["reopened_count"] > 0 for c in expected.values()), float(sum(c["compensation_amount"] for c in expected.values())))
    sla = _rows(url, "select sum(opened) as opened, sum(breached) as breached from marts.case_sla_daily")[0]
    assert sla["opened"] == len(expected)
    assert sla["breached"] >= 1

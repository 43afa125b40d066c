"""Cases on real PostgreSQL: opening, routing, attaching, first responses, SLA breaches, reopen, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from cfm.loop import actions
from cfm.loop.cases import open_and_attach, record_first_responses
from cfm.loop.events import case_events, case_id_for, case_state, case_states
from cfm.loop.settings import loop_settings

MON = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # a Monday (in the past: the state defaults to now)
SETTINGS = loop_settings({"timezone": "UTC"})


def _events(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select case_id, event_type, occurred_at, idempotency_key, details from ops.case_events"
                            " order by event_id").fetchall()


def _run(url: str, as_of: datetime) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        counts = open_and_attach(conn, SETTINGS, as_of)
        counts["first_responses"] = record_first_responses(conn, as_of)
        return counts


def test_rules_open_routed_cases_and_a_rerun_appends_nothing(loop_db) -> None:
    url, add, _ = loop_db
    add(feedback_id="f1", customer_key="k1", rating_type="nps", rating_value=3, rating_scale_min=0,
        rating_scale_max=10, category="billing", submitted_at=MON)
    add(feedback_id="f2", customer_key="k2", rating_type="nps", rating_value=9, rating_scale_min=0,
        rating_scale_max=10, category="billing", submitted_at=MON + timedelta(minutes=1))  # a promoter: no case
    add(feedback_id="f3", customer_key="k3", channel="review", source="trustpilot", rating_type="star",
        rating_value=1, rating_scale_min=1, rating_scale_max=5, category="billing", submitted_at=MON + timedelta(minutes=2))
    add(feedback_id="f4", customer_key="k1", rating_type="csat", rating_value=1, rating_scale_min=1,
        rating_scale_max=5, category="billing", submitted_at=MON + timedelta(minutes=3))  # same customer + topic
    counts = _run(url, MON + timedelta(hours=1))
    assert counts["created"] == 2 and counts["attached"] == 1

    with psycopg.connect(url) as conn:
        c1 = case_state(conn, case_id_for("f1"))
        c3 = case_state(conn, case_id_for("f3"))
    assert (c1["priority"], c1["department"], c1["queue"], c1["owner"]) == ("P2", "finance", "billing", "farah@acme-shop.example")
    assert c1["reasons"] == ["nps_detractor"] and c1["feedback_count"] == 2 and c1["status"] == "open"
    assert c1["first_response_due_at"] == MON + timedelta(hours=8)  # P2: 8 business hours
    assert c3["owner"] == "li.wei@acme-shop.example"  # round-robin: the queue's second case
    assert c3["reasons"] == ["star_low"]

    before = _events(url)
    assert _run(url, MON + timedelta(hours=1)) == {"created": 0, "attached": 0, "reopened": 0, "skipped_resurvey": 0,
                                                   "first_responses": 0}
    assert _events(url) == before


def test_thread_reply_is_the_first_response_and_a_late_message_reopens(loop_db) -> None:
    url, add, add_reply = loop_db
    common = {"source": "gmail", "account": "support@acme-shop.example", "channel": "email", "thread_id": "t1",
              "customer_key": "kz", "language": "zh", "category": "delivery"}
    add(feedback_id="m1", feedback_type="complaint", text_redacted="包裹又晚了", submitted_at=MON, **common)
    add(feedback_id="m2", text_redacted="还在等", submitted_at=MON + timedelta(hours=1), **common)
    add_reply("gmail", MON + timedelta(hours=3), account="support@acme-shop.example", thread_id="t1")
    add_reply("gmail", MON + timedelta(hours=5), account="support@acme-shop.example", thread_id="other")
    _run(url, MON + timedelta(hours=6))
    cid = case_id_for("m1")
    with psycopg.connect(url) as conn:
        s = case_state(conn, cid)
        assert s["thread_key"] == "gmail:support@acme-shop.example:t1" and s["feedback_count"] == 2
        assert s["first_response_at"] == MON + timedelta(hours=3)
        assert s["queue"] == "delivery" and s["owner"] == "omar@acme-shop.example"
        actions.resolve_case(conn, cid, root_cause="carrier delay", resolution_code="reshipped", actor="cli:test",
                             compensation_amount="15.50", at=MON + timedelta(hours=7))
        assert case_state(conn, cid)["status"] == "resolved"

    add(feedback_id="m3", text_redacted="还是没收到", submitted_at=MON + timedelta(days=1), **common)
    counts = _run(url, MON + timedelta(days=1, hours=1))
    assert counts["reopened"] == 1 and counts["created"] == 0
    with psycopg.connect(url) as conn:
        s = case_state(conn, cid)
        assert s["status"] == "open" and s["reopened_count"] == 1 and s["resolved_at"] is None
        assert s["root_cause"] == "carrier delay" and s["compensation_amount"] == 15.5
        # the state as of before the reopen is still there to see
        assert case_state(conn, cid, MON + timedelta(hours=8))["status"] == "resolved"
        assert [e["event_type"] for e in case_events(conn, cid)] == [
            "created", "assigned", "feedback_attached", "first_response", "resolved", "reopened"]


def test_review_owner_reply_is_the_first_response(loop_db) -> None:
    url, add, add_reply = loop_db
    add(feedback_id="r1", source="google_play", channel="review", rating_type="star", rating_value=2,
        rating_scale_min=1, rating_scale_max=5, submitted_at=MON)
    add_reply("google_play", MON + timedelta(hours=2), feedback_id="r1")
    _run(url, MON + timedelta(hours=3))
    with psycopg.connect(url) as conn:
        assert case_state(conn, case_id_for("r1"))["first_response_at"] == MON + timedelta(hours=2)


def test_breaches_are_computed_as_of_any_time(loop_db) -> None:
    url, add, _ = loop_db
    friday_4pm = datetime(2026, 11, 6, 16, tzinfo=UTC)
    add(feedback_id="p1", text_redacted="I will take legal action", submitted_at=friday_4pm)  # P1: 2 business hours
    _run(url, friday_4pm)
    with psycopg.connect(url) as conn:
        cid = case_id_for("p1")
        assert case_state(conn, cid)["first_response_due_at"] == datetime(2026, 11, 9, 10, tzinfo=UTC)
        assert not case_state(conn, cid, datetime(2026, 11, 9, 9, 59, tzinfo=UTC))["is_first_response_breached"]
        assert case_state(conn, cid, datetime(2026, 11, 9, 10, 1, tzinfo=UTC))["is_first_response_breached"]
        actions.respond_case(conn, cid, actor="cli:test", at=datetime(2026, 11, 9, 11, tzinfo=UTC))
        # answered late: breached for good; but as of Monday 09:00 (a backfill) it was not breached yet
        assert case_state(conn, cid, datetime(2026, 11, 10, tzinfo=UTC))["is_first_response_breached"]
        assert not case_state(conn, cid, datetime(2026, 11, 9, 9, tzinfo=UTC))["is_first_response_breached"]
        assert [s["case_id"] for s in case_states(conn, datetime(2026, 11, 6, 15, tzinfo=UTC))] == []


def test_case_events_are_append_only(loop_db) -> None:
    url, add, _ = loop_db
    add(feedback_id="a1", feedback_type="complaint", submitted_at=MON)
    _run(url, MON)
    with psycopg.connect(url) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("update ops.case_events set actor = 'x'")
        conn.rollback()
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("delete from ops.case_events")


def test_actions_refuse_what_the_state_does_not_allow(loop_db) -> None:
    url, add, _ = loop_db
    add(feedback_id="b1", feedback_type="complaint", submitted_at=MON)
    _run(url, MON)
    cid = case_id_for("b1")
    with psycopg.connect(url) as conn:
        with pytest.raises(actions.CaseActionError, match="open already"):
            actions.reopen_case(conn, cid, SETTINGS, actor="cli:t", reason="x")
        with pytest.raises(actions.CaseActionError, match="not a number"):
            actions.resolve_case(conn, cid, root_cause="x", resolution_code="y", compensation_amount="lots", actor="cli:t")
        actions.assign_case(conn, cid, "sara@acme-shop.example", actor="cli:t", at=MON + timedelta(minutes=5))
        assert case_state(conn, cid)["owner"] == "sara@acme-shop.example"
        actions.resolve_case(conn, cid, root_cause="x", resolution_code="y", actor="cli:t", at=MON + timedelta(hours=1))
        with pytest.raises(actions.CaseActionError, match="is resolved"):
            actions.resolve_case(conn, cid, root_cause="x", resolution_code="y", actor="cli:t")
        actions.close_case(conn, cid, actor="cli:t", at=MON + timedelta(hours=2))
        with pytest.raises(actions.CaseActionError, match="closed already"):
            actions.close_case(conn, cid, actor="cli:t")
        with pytest.raises(KeyError, match="no case C-NOPE"):
            case_state(conn, "C-NOPE")

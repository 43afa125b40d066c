"""The loop marts, built by real dbt over real cases, checked figure by figure against the
independent Python computation in reference.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from psycopg.rows import dict_row

from cfm.loop import actions
from cfm.loop.cases import open_and_attach, record_first_responses
from cfm.loop.events import case_id_for
from cfm.loop.settings import loop_settings
from cfm.pipeline.transform import run_dbt

from .reference import SLA_DAILY_COLUMNS, fold, load_events, sla_daily, wilson

MON = datetime(2026, 11, 9, 9, tzinfo=UTC)
AS_OF = MON + timedelta(days=2, hours=3)  # Wednesday 12:00
SETTINGS = loop_settings({"timezone": "UTC"})
MARTS = ["path:models/marts/loop", "path:snapshots"]


def _loop(url: str, as_of: datetime) -> None:
    with psycopg.connect(url) as conn:
        open_and_attach(conn, SETTINGS, as_of)
        record_first_responses(conn, as_of)


def _rows(url: str, sql: str) -> list[dict]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql).fetchall()


@pytest.fixture
def scenario(loop_db):
    url, add, add_reply = loop_db
    nps = {"rating_type": "nps", "rating_scale_min": 0, "rating_scale_max": 10}
    add(feedback_id="d1", customer_key="k1", rating_value=3, category="billing", submitted_at=MON, **nps)
    add(feedback_id="d2", customer_key="k2", rating_value=5, category="delivery", submitted_at=MON + timedelta(minutes=30), **nps)
    add(feedback_id="s1", source="trustpilot", channel="review", rating_type="star", rating_value=1, rating_scale_min=1,
        rating_scale_max=5, submitted_at=MON + timedelta(hours=2))
    thread = {"source": "gmail", "account": "support@acme-shop.example", "channel": "email", "thread_id": "t9",
              "customer_key": "k3", "language": "zh"}
    add(feedback_id="z1", text_redacted="我要退款", feedback_type="complaint", submitted_at=MON + timedelta(hours=4), **thread)
    add(feedback_id="a1", customer_key="k4", language="ar", rating_type="csat", rating_value=1, rating_scale_min=1,
        rating_scale_max=5, submitted_at=MON + timedelta(hours=6))
    add_reply("gmail", MON + timedelta(hours=5), account="support@acme-shop.example", thread_id="t9")
    add_reply("trustpilot", MON + timedelta(days=1, hours=6), feedback_id="s1")  # Tuesday 15:00: late
    _loop(url, MON + timedelta(hours=7))
    with psycopg.connect(url) as conn:
        actions.respond_case(conn, case_id_for("d1"), actor="cli:t", at=MON + timedelta(hours=1))
        actions.resolve_case(conn, case_id_for("d1"), root_cause="double charge", resolution_code="refunded",
                             compensation_amount="10", actor="cli:t", at=MON + timedelta(hours=3))
        actions.resolve_case(conn, case_id_for("z1"), root_cause="wrong item", resolution_code="replaced",
                             compensation_amount="25.5", actor="cli:t", at=MON + timedelta(hours=7))
        actions.resolve_case(conn, case_id_for("d2"), root_cause="late courier", resolution_code="reshipped",
                             actor="cli:t", at=MON + timedelta(days=1))
    add(feedback_id="rs1", customer_key="k1", resurvey_case_id=case_id_for("d1"), rating_value=9,
        submitted_at=MON + timedelta(days=1, hours=1), **nps)  # the re-survey answer: recovered
    add(feedback_id="n2", customer_key="k2", rating_value=4, category="delivery",
        submitted_at=MON + timedelta(days=2), **nps)  # k2's next score: still a detractor (and a new case)
    add(feedback_id="z2", text_redacted="还是不行", submitted_at=MON + timedelta(days=1, hours=1), **thread)  # reopens z1
    _loop(url, AS_OF)
    return url


def test_every_loop_mart_figure_matches_the_independent_computation(scenario) -> None:
    url = scenario
    run_dbt(url, ["build", "--select", *MARTS], vars={"loop_as_of": AS_OF.isoformat()})
    events = load_events(url)
    expected = fold(events, AS_OF)

    cases = {r["case_id"]: r for r in _rows(url, "select * from marts.fct_cases")}
    assert set(cases) == set(expected) and len(cases) == 6
    for cid, want in expected.items():
        got = cases[cid]
        for col in ("status", "priority", "department", "queue", "owner", "first_response_at", "contacted_at",
                    "resolved_at", "root_cause", "reopened_count", "is_first_response_breached",
                    "is_resolution_breached", "is_detractor", "is_contacted_within_sla", "customer_key"):
            assert got[col] == want[col], (cid, col, got[col], want[col])
        assert Decimal(got["compensation_amount"]) == want["compensation_amount"]
    z1 = cases[case_id_for("z1")]
    assert (z1["status"], z1["reopened_count"], z1["priority"], z1["queue"]) == ("open", 1, "P1", "chinese_desk")
    assert cases[case_id_for("s1")]["is_first_response_breached"]  # the one SLA breach on a first response

    n_events = _rows(url, "select count(*) as n, count(distinct event_type) as kinds from marts.case_events")[0]
    assert n_events["n"] == len(events)

    daily = {(r["day"], r["department"]): {k: r[k] for k in SLA_DAILY_COLUMNS}
             for r in _rows(url, "select * from marts.case_sla_daily")}
    assert daily == sla_daily(events, AS_OF)

    closure = {(r["channel"], r["department"]): r for r in _rows(url, "select * from marts.loop_closure")}
    want_closure: dict = {}
    for c in expected.values():
        if c["is_detractor"]:
            w = want_closure.setdefault((c["channel"], c["department"]), {"n": 0, "ok": 0})
            w["n"] += 1
            w["ok"] += c["is_contacted_within_sla"]
    assert set(closure) == set(want_closure)
    for key, w in want_closure.items():
        got = closure[key]
        assert (got["detractor_cases"], got["contacted_within_sla"]) == (w["n"], w["ok"])
        assert float(got["pct_contacted_within_sla"]) == round(100 * w["ok"] / w["n"], 1)
        assert (float(got["pct_ci_low"]), float(got["pct_ci_high"])) == wilson(w["ok"], w["n"])

    audit = {(r["department"], r["owner"]): r for r in _rows(url, "select * from marts.complaint_audit")}
    per_customer: dict = {}
    for c in expected.values():
        if c["customer_key"]:
            per_customer[c["customer_key"]] = per_customer.get(c["customer_key"], 0) + 1
    want_audit: dict = {}
    for c in expected.values():
        a = want_audit.setdefault((c["department"], c["owner"] or "(none)"),
                                  {"cases": 0, "stale": 0, "reopened": 0, "comp": Decimal(0), "repeat": set()})
        a["cases"] += 1
        a["stale"] += c["status"] == "open" and c["is_resolution_breached"]
        a["reopened"] += c["reopened_count"] > 0
        a["comp"] += c["compensation_amount"]
        if c["customer_key"] and per_customer[c["customer_key"]] > 1:
            a["repeat"].add(c["customer_key"])
    assert set(audit) == set(want_audit)
    for key, w in want_audit.items():
        got = audit[key]
        assert (got["cases"], got["stale_beyond_sla"], got["reopened"], got["repeat_complainers"]) == (
            w["cases"], w["stale"], w["reopened"], len(w["repeat"])), key
        assert Decimal(got["compensation_total"]) == w["comp"]
    assert sum(r["repeat_complainers"] for r in audit.values()) == 1  # k2: two delivery cases

    recovery = {r["case_id"]: r for r in _rows(url, "select * from marts.recovery")}
    d1, d2 = recovery[case_id_for("d1")], recovery[case_id_for("d2")]
    assert (d1["is_resurvey"], float(d1["next_rating_value"]), float(d1["recovery_delta"]), d1["next_nps_group"],
            d1["is_detractor_recovered"]) == (True, 9.0, 6.0, "promoter", True)
    assert (d2["is_resurvey"], float(d2["next_rating_value"]), d2["is_detractor_recovered"]) == (False, 4.0, False)
    segs = {(r["department"], r["root_cause"]): r for r in _rows(url, "select * from marts.recovery_by_segment")}
    assert set(segs) == {("finance", "double charge"), ("logistics", "late courier")}
    fin = segs[("finance", "double charge")]
    assert (fin["detractors_rescored"], fin["recovered"], float(fin["pct_recovered"])) == (1, 1, 100.0)
    assert (float(fin["pct_ci_low"]), float(fin["pct_ci_high"])) == wilson(1, 1)

    # the analyst role can read every loop mart
    with psycopg.connect(url) as conn:
        for mart in ("fct_cases", "case_events", "case_sla_daily", "loop_closure", "complaint_audit", "recovery",
                     "recovery_by_segment", "case_state_snapshot"):
            assert conn.execute("select has_table_privilege('cfm_analyst', %s, 'select')", (f"marts.{mart}",)).fetchone()[0], mart


def test_a_backfill_gives_the_same_marts_and_the_snapshot_keeps_history(scenario) -> None:
    url = scenario
    monday_evening = MON + timedelta(hours=8)  # z1 resolved, not yet reopened
    run_dbt(url, ["build", "--select", *MARTS], vars={"loop_as_of": monday_evening.isoformat()})
    as_monday = _rows(url, "select case_id, status, is_first_response_breached from marts.fct_cases order by case_id")
    want = fold(load_events(url), monday_evening)
    assert {r["case_id"]: (r["status"], r["is_first_response_breached"]) for r in as_monday} == {
        k: (v["status"], v["is_first_response_breached"]) for k, v in want.items()}
    run_dbt(url, ["build", "--select", *MARTS], vars={"loop_as_of": AS_OF.isoformat()})
    run_dbt(url, ["build", "--select", *MARTS], vars={"loop_as_of": monday_evening.isoformat()})
    assert _rows(url, "select case_id, status, is_first_response_breached from marts.fct_cases order by case_id") == as_monday
    with psycopg.connect(url) as conn:
        versions = conn.execute("select status from marts.case_state_snapshot where case_id = %s order by dbt_valid_from",
                                (case_id_for("z1"),)).fetchall()
    assert [v[0] for v in versions] == ["resolved", "open", "resolved"]

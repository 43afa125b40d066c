"""Zendesk and Freshdesk exports become case events, matched by case id or Gmail thread; twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from cfm.loop.cases import open_and_attach
from cfm.loop.events import case_id_for, case_state
from cfm.loop.helpdesk import import_helpdesk_csv
from cfm.loop.settings import loop_settings

MON = datetime(2026, 11, 9, 9, tzinfo=UTC)
SETTINGS = loop_settings({"timezone": "UTC"})


@pytest.fixture
def two_cases(loop_db):
    url, add, _ = loop_db
    add(feedback_id="h1", feedback_type="complaint", category="billing", submitted_at=MON)
    add(feedback_id="h2", source="gmail", account="support@acme-shop.example", channel="email", thread_id="18c1f0a9",
        feedback_type="complaint", category="billing", submitted_at=MON)
    with psycopg.connect(url) as conn:
        open_and_attach(conn, SETTINGS, MON)
    return url


def test_zendesk_export_assigns_resolves_and_reimport_adds_nothing(two_cases, tmp_path: Path) -> None:
    url = two_cases
    c1 = case_id_for("h1")
    csv = tmp_path / "zendesk.csv"
    csv.write_text(
        "Id,Subject,Status,Assignee,Created at,Updated at,Solved at,External id,Tags,Root cause\n"
        f"101,Refund,solved,Pat Agent,2026-11-09 09:05:00 +0000,2026-11-09 15:00:00 +0000,2026-11-09 15:00:00 +0000,{c1},vip,double charge\n"
        "102,Other,open,Sam Agent,2026-11-09 09:05:00 +0000,2026-11-09 10:00:00 +0000,,,,\n", encoding="utf-8")
    with psycopg.connect(url) as conn:
        r = import_helpdesk_csv(conn, csv, SETTINGS, system="zendesk", root_cause_column="Root cause")
        assert (r.rows, r.matched, r.unmatched, r.events) == (2, 1, ["102"], {"assigned": 1, "resolved": 1})
        s = case_state(conn, c1)
        assert (s["owner"], s["status"], s["root_cause"], s["resolved_at"]) == (
            "Pat Agent", "resolved", "double charge", MON + timedelta(hours=6))
        again = import_helpdesk_csv(conn, csv, SETTINGS, system="zendesk", root_cause_column="Root cause")
        assert again.events == {} and again.matched == 1


def test_freshdesk_export_matched_by_thread_with_first_response_close_and_reopen(two_cases, tmp_path: Path) -> None:
    url = two_cases
    c2 = case_id_for("h2")
    header = "Ticket ID,Subject,Status,Agent,Created time,Last update time,Initial response time,Resolved time,Closed time,Tags,Gmail thread\n"
    csv = tmp_path / "freshdesk.csv"
    csv.write_text(header + "7,Late,Closed,Huda,2026-11-09 09:00:00,2026-11-09 13:00:00,2026-11-09 09:30:00,"
                   "2026-11-09 12:00:00,2026-11-09 13:00:00,,18c1f0a9\n", encoding="utf-8")
    with psycopg.connect(url) as conn:
        r = import_helpdesk_csv(conn, csv, SETTINGS, system="freshdesk", thread_column="Gmail thread", timezone="Asia/Dubai")
        assert r.events == {"assigned": 1, "first_response": 1, "resolved": 1, "closed": 1}
        s = case_state(conn, c2)
        # naive export times are Dubai time (UTC+4)
        assert s["first_response_at"] == datetime(2026, 11, 9, 5, 30, tzinfo=UTC) and s["status"] == "closed"
    reopened = tmp_path / "freshdesk2.csv"
    reopened.write_text(header + "7,Late,Open,Huda,2026-11-09 09:00:00,2026-11-10 10:00:00,2026-11-09 09:30:00,"
                        ",,,18c1f0a9\n", encoding="utf-8")
    with psycopg.connect(url) as conn:
        assert import_helpdesk_csv(conn, reopened, SETTINGS, system="freshdesk", thread_column="Gmail thread",
                                   timezone="Asia/Dubai").events == {"reopened": 1}
        assert case_state(conn, c2)["status"] == "open"


def test_bad_exports_are_named(two_cases, tmp_path: Path) -> None:
    url = two_cases
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("Ticket,State\n1,open\n", encoding="utf-8")
    bad_ts = tmp_path / "bad.csv"
    bad_ts.write_text("Id,Status,Assignee,Created at,Updated at,Solved at,External id\n"
                      f"9,solved,Pat,yesterday-ish,not a date,,{case_id_for('h1')}\n", encoding="utf-8")
    with psycopg.connect(url) as conn:
        with pytest.raises(ValueError, match="wrong.csv: not a zendesk export, missing column"):
            import_helpdesk_csv(conn, wrong, SETTINGS, system="zendesk")
        with pytest.raises(ValueError, match="bad.csv, ticket 9, column 'Updated at': not a timestamp"):
            import_helpdesk_csv(conn, bad_ts, SETTINGS, system="zendesk")

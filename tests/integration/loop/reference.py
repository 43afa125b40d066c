"""An independent Python computation of the loop marts from the raw ops.case_events rows.

Written from the issue's definitions, not from the SQL, so a mistake in either shows up as a
difference. Used by the mart tests and the end-to-end test.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

SLA_DAILY_COLUMNS = ("opened", "first_responded", "responded_in_sla", "resolved", "resolved_in_sla", "breached", "backlog",
                     "backlog_breached")


def load_events(url: str) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from ops.case_events order by event_id").fetchall()


def fold(events: list[dict[str, Any]], as_of: datetime) -> dict[str, dict[str, Any]]:
    """Case state as of `as_of`, by replaying the events in time order."""
    cases: dict[str, dict[str, Any]] = {}
    for e in sorted((e for e in events if e["occurred_at"] <= as_of), key=lambda e: (e["occurred_at"], e["event_id"])):
        d, t = e["details"], e["event_type"]
        if t == "created":
            cases[e["case_id"]] = {
                "case_id": e["case_id"], "opened_at": e["occurred_at"], "customer_key": d.get("customer_key"),
                "priority": d["priority"], "department": d["department"], "queue": d["queue"], "owner": None,
                "channel": d["channel"], "status": "open", "first_response_at": None, "contacted_at": None,
                "first_response_due_at": datetime.fromisoformat(d["first_response_due_at"]),
                "resolution_due_at": datetime.fromisoformat(d["resolution_due_at"]), "resolved_at": None,
                "root_cause": None, "compensation_amount": Decimal(0), "reopened_count": 0,
                "rating_type": d.get("rating_type"), "rating_value": d.get("rating_value"),
                "opening_feedback_id": e["feedback_id"],
            }
            continue
        c = cases[e["case_id"]]
        if t == "assigned":
            c.update(owner=d["owner"], department=d["department"], queue=d["queue"])
        elif t == "first_response":
            c["first_response_at"] = c["first_response_at"] or e["occurred_at"]
            c["contacted_at"] = c["contacted_at"] or e["occurred_at"]
        elif t == "contacted":
            c["contacted_at"] = min(c["contacted_at"] or e["occurred_at"], e["occurred_at"])
        elif t == "resolved":
            c.update(status="resolved", resolved_at=e["occurred_at"], root_cause=d["root_cause"])
            c["compensation_amount"] += Decimal(d.get("compensation_amount") or 0)
        elif t == "reopened":
            c.update(status="open", resolved_at=None, resolution_due_at=datetime.fromisoformat(d["resolution_due_at"]))
            c["reopened_count"] += 1
        elif t == "closed":
            c["status"] = "closed"
    for c in cases.values():
        c["is_first_response_breached"] = c["first_response_due_at"] < (c["first_response_at"] or as_of)
        c["is_resolution_breached"] = c["resolution_due_at"] < (c["resolved_at"] or as_of)
        c["is_detractor"] = c["rating_type"] == "nps" and c["rating_value"] is not None and float(c["rating_value"]) <= 6
        c["is_contacted_within_sla"] = c["contacted_at"] is not None and c["contacted_at"] <= c["first_response_due_at"]
    return cases


def sla_daily(events: list[dict[str, Any]], as_of: datetime, tz: str = "UTC") -> dict[tuple[date, str], dict[str, int]]:
    zone = ZoneInfo(tz)

    def day(ts: datetime | None) -> date | None:
        return ts.astimezone(zone).date() if ts else None

    first = min(e["occurred_at"] for e in events if e["event_type"] == "created")
    out: dict[tuple[date, str], dict[str, int]] = {}
    d = day(first)
    while d <= day(as_of):
        end = min(datetime.combine(d + timedelta(days=1), datetime.min.time(), zone), as_of)
        rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SLA_DAILY_COLUMNS, 0))
        for c in fold(events, end).values():
            r = rows[c["department"]]
            r["opened"] += day(c["opened_at"]) == d
            if day(c["first_response_at"]) == d:
                r["first_responded"] += 1
                r["responded_in_sla"] += c["first_response_at"] <= c["first_response_due_at"]
            if day(c["resolved_at"]) == d:
                r["resolved"] += 1
                r["resolved_in_sla"] += c["resolved_at"] <= c["resolution_due_at"]
            r["breached"] += ((day(c["first_response_due_at"]) == d and c["is_first_response_breached"])
                              or (day(c["resolution_due_at"]) == d and c["is_resolution_breached"]))
            r["backlog"] += c["status"] == "open"
            r["backlog_breached"] += c["status"] == "open" and (c["is_first_response_breached"] or c["is_resolution_breached"])
        for dept, r in rows.items():
            if r["opened"] + r["first_responded"] + r["resolved"] + r["breached"] + r["backlog"] > 0:
                out[(d, dept)] = {k: int(v) for k, v in r.items()}
        d += timedelta(days=1)
    return out


def wilson(successes: int, n: int) -> tuple[float, float]:
    from scipy.stats import binomtest

    ci = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    return round(100 * ci.low, 1), round(100 * ci.high, 1)

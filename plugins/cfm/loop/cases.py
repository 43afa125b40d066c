"""Open, attach, reopen and first-respond: the automatic half of the case lifecycle.

Everything here is decided from the feedback and the events as of one instant (`as_of`, a
DAG run's data interval end), so re-running it for the same instant appends nothing, and a
backfill reaches the same cases, owners and due times as the original run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cfm.loop.events import append_event, case_id_for, case_states
from cfm.loop.routing import assign, load_routing
from cfm.loop.rules import case_priority, evaluate
from cfm.loop.settings import LoopSettings
from cfm.loop.sla import BusinessCalendar

log = logging.getLogger(__name__)

FEEDBACK_RELATION = "intermediate.int_loop_feedback"
REPLIES_RELATION = "intermediate.int_loop_company_replies"
RULES_ACTOR = "rules"


def thread_key(item: Mapping[str, Any]) -> str | None:
    """One case per e-mail thread: source, inbox and thread id."""
    if not item.get("thread_id"):
        return None
    return f"{item['source']}:{item['account']}:{item['thread_id']}"


def topic_key(item: Mapping[str, Any]) -> str:
    """'Same topic' for attaching a customer's new feedback: the topic, else the category."""
    if item.get("topic_id") is not None:
        return f"topic:{item['topic_id']}"
    return f"category:{item.get('category') or 'uncategorised'}"


def _feedback(conn: psycopg.Connection, as_of: datetime) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"select * from {FEEDBACK_RELATION} where submitted_at <= %s order by submitted_at, feedback_id", (as_of,)
        ).fetchall()


def open_and_attach(conn: psycopg.Connection, settings: LoopSettings, as_of: datetime) -> dict[str, int]:
    """Open cases for feedback the rules fire on; attach follow-on feedback; reopen resolved threads."""
    calendar = BusinessCalendar(settings.sla)
    table = load_routing(settings.routing_file)
    states = {s["case_id"]: dict(s) for s in case_states(conn, as_of)}
    seen = {r[0] for r in conn.execute(
        "select feedback_id from ops.case_events where feedback_id is not null and occurred_at <= %s", (as_of,))}
    by_thread = {s["thread_key"]: cid for cid, s in states.items() if s["thread_key"]}
    by_customer_topic = {(s["customer_key"], s["topic_key"]): cid for cid, s in states.items()
                         if s["status"] == "open" and s["customer_key"]}
    turns = Counter({q: n for q, n in conn.execute(
        "select details->>'queue', count(*) from ops.case_events where event_type = 'assigned' and actor = %s"
        " and occurred_at <= %s group by 1", (RULES_ACTOR, as_of))})
    load = Counter(s["owner"] for s in states.values() if s["status"] == "open" and s["owner"])
    counts = Counter(created=0, attached=0, reopened=0, skipped_resurvey=0)

    for item in _feedback(conn, as_of):
        fid, at = item["feedback_id"], item["submitted_at"]
        if fid in seen:
            continue
        if item.get("resurvey_case_id"):
            counts["skipped_resurvey"] += 1  # a recovery answer joins its case in dbt; it opens nothing
            continue
        tkey = thread_key(item)
        existing = states.get(by_thread.get(tkey)) if tkey else None
        if existing is None and item.get("customer_key"):
            cid = by_customer_topic.get((item["customer_key"], topic_key(item)))
            existing = states.get(cid) if cid else None
            if existing is not None and existing["status"] != "open":
                existing = None
        if existing is not None:
            cid = existing["case_id"]
            after_resolution = existing["status"] != "open" and existing["resolved_at"] is not None and at > existing["resolved_at"]
            if after_resolution and tkey and existing.get("thread_key") == tkey:
                _, due = calendar.due_times(at, existing["priority"])
                append_event(conn, case_id=cid, event_type="reopened", occurred_at=at, actor="customer",
                             idempotency_key=f"reopened:{fid}", feedback_id=fid,
                             details={"reason": "customer wrote again in the thread", "resolution_due_at": due.isoformat()})
                existing.update(status="open", resolved_at=None)
                if existing["owner"]:
                    load[existing["owner"]] += 1
                counts["reopened"] += 1
            else:
                append_event(conn, case_id=cid, event_type="feedback_attached", occurred_at=at, actor=RULES_ACTOR,
                             idempotency_key=f"attached:{fid}", feedback_id=fid)
                counts["attached"] += 1
            seen.add(fid)
            continue

        fired = evaluate(item, settings)
        if not fired:
            continue
        cid = case_id_for(fid)
        priority = case_priority(fired)
        first_due, resolution_due = calendar.due_times(at, priority)
        route_input = {"category": item.get("category"), "topic": item.get("topic_id"),
                       "channel": item.get("channel"), "language": item.get("language")}
        a = assign(table, route_input, assigned_in_queue=turns, open_by_owner=load)
        details = {
            "customer_key": item.get("customer_key"), "priority": priority, "reasons": [f.as_dict() for f in fired],
            "source": item["source"], "channel": item.get("channel"), "language": item.get("language"),
            "category": item.get("category"), "topic_key": topic_key(item), "thread_key": tkey,
            "department": a.department, "queue": a.queue,
            "rating_type": item.get("rating_type"), "rating_value": item.get("rating_value"),
            "rating_scale_max": item.get("rating_scale_max"),
            "first_response_due_at": first_due.isoformat(), "resolution_due_at": resolution_due.isoformat(),
            "send": any(settings.rules[f.rule].send for f in fired),
        }
        append_event(conn, case_id=cid, event_type="created", occurred_at=at, actor=RULES_ACTOR,
                     idempotency_key=f"created:{cid}", feedback_id=fid, details=details)
        append_event(conn, case_id=cid, event_type="assigned", occurred_at=at, actor=RULES_ACTOR,
                     idempotency_key=f"assigned:{cid}:routing",
                     details={"owner": a.owner, "department": a.department, "queue": a.queue, "method": a.method})
        turns[a.queue] += 1
        load[a.owner] += 1
        states[cid] = {"case_id": cid, "status": "open", "priority": priority, "owner": a.owner, "thread_key": tkey,
                       "customer_key": item.get("customer_key"), "topic_key": topic_key(item), "resolved_at": None}
        if tkey:
            by_thread[tkey] = cid
        if item.get("customer_key"):
            by_customer_topic[(item["customer_key"], topic_key(item))] = cid
        seen.add(fid)
        counts["created"] += 1
    conn.commit()
    log.info("cases: %d created, %d feedback attached, %d reopened", counts["created"], counts["attached"], counts["reopened"])
    return dict(counts)


def record_first_responses(conn: psycopg.Connection, as_of: datetime) -> int:
    """A company reply in the case's thread, or an owner reply to the review that opened it, is its first response."""
    rows = conn.execute(
        f"""
        with s as (select * from ops.case_state_at(%(as_of)s) where first_response_at is null)
        select s.case_id, min(r.replied_at) as replied_at, min(r.source) as via
        from s
        join {REPLIES_RELATION} r
          on (r.thread_id is not null and r.source || ':' || r.account || ':' || r.thread_id = s.thread_key)
          or (r.feedback_id is not null and r.feedback_id = s.opening_feedback_id)
        where r.replied_at >= s.opened_at and r.replied_at <= %(as_of)s
        group by s.case_id
        """,
        {"as_of": as_of},
    ).fetchall()
    n = 0
    for case_id, replied_at, via in rows:
        n += append_event(conn, case_id=case_id, event_type="first_response", occurred_at=replied_at, actor=via,
                          idempotency_key=f"first_response:{case_id}", details={"via": f"{via} reply"})
    conn.commit()
    log.info("cases: %d first responses from company replies", n)
    return n

"""Append events to ops.case_events and read case state (always folded from the events)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row


def case_id_for(feedback_id: str) -> str:
    """A stable case id from the feedback that opened it, so re-runs open the same case."""
    return "C-" + hashlib.sha256(feedback_id.encode("utf-8")).hexdigest()[:10].upper()


def append_event(conn: psycopg.Connection, *, case_id: str, event_type: str, occurred_at: datetime, actor: str,
                 idempotency_key: str, feedback_id: str | None = None, details: Mapping[str, Any] | None = None) -> bool:
    """Record one event; False when an event with this idempotency key exists already (nothing written)."""
    row = conn.execute(
        """
        insert into ops.case_events (case_id, event_type, occurred_at, actor, idempotency_key, feedback_id, details)
        values (%s, %s, %s, %s, %s, %s, %s)
        on conflict (idempotency_key) do nothing
        returning event_id
        """,
        (case_id, event_type, occurred_at, actor, idempotency_key, feedback_id,
         json.dumps(dict(details or {}), default=str, ensure_ascii=False)),
    ).fetchone()
    return row is not None


def case_states(conn: psycopg.Connection, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every case's state as of `as_of` (default now), from ops.case_state_at."""
    with conn.cursor(row_factory=dict_row) as cur:
        if as_of is None:
            return cur.execute("select * from ops.case_state_at(now()) order by opened_at, case_id").fetchall()
        return cur.execute("select * from ops.case_state_at(%s) order by opened_at, case_id", (as_of,)).fetchall()


def case_state(conn: psycopg.Connection, case_id: str, as_of: datetime | None = None) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("select * from ops.case_state_at(coalesce(%s, now())) where case_id = %s",
                          (as_of, case_id)).fetchone()
    if row is None:
        raise KeyError(f"no case {case_id}")
    return row


def case_events(conn: psycopg.Connection, case_id: str) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "select event_id, event_type, occurred_at, actor, feedback_id, details from ops.case_events"
            " where case_id = %s order by occurred_at, event_id", (case_id,)).fetchall()

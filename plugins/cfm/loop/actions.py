"""Agent actions on a case (the `cfm case` command and the helpdesk import): each is one new event.

An action that makes no sense in the case's current state (resolving a closed case, reopening
an open one) is refused with the state it found, so the event log never contradicts itself.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg

from cfm.loop.events import append_event, case_state
from cfm.loop.settings import LoopSettings
from cfm.loop.sla import BusinessCalendar


class CaseActionError(ValueError):
    """An action the case's state does not allow."""


def _key(actor: str, case_id: str, action: str, at: datetime, extra: str = "") -> str:
    # The same action by the same actor at the same instant is the same event (a retried import row).
    digest = hashlib.sha256(f"{actor}|{case_id}|{action}|{at.isoformat()}|{extra}".encode()).hexdigest()[:16]
    return f"action:{digest}"


def _now(at: datetime | None) -> datetime:
    return at or datetime.now(UTC)


def assign_case(conn: psycopg.Connection, case_id: str, owner: str, *, actor: str, at: datetime | None = None,
                department: str | None = None, queue: str | None = None) -> bool:
    state = case_state(conn, case_id)
    if state["status"] == "closed":
        raise CaseActionError(f"case {case_id} is closed; reopen it before assigning")
    at = _now(at)
    details = {"owner": owner, "department": department or state["department"], "queue": queue or state["queue"],
               "method": "manual"}
    return _commit(conn, append_event(conn, case_id=case_id, event_type="assigned", occurred_at=at, actor=actor,
                                      idempotency_key=_key(actor, case_id, "assigned", at, owner), details=details))


def respond_case(conn: psycopg.Connection, case_id: str, *, actor: str, at: datetime | None = None,
                 note: str | None = None) -> str:
    """The agent answered the customer: the first response if there was none, else a contact."""
    state = case_state(conn, case_id)
    at = _now(at)
    kind = "first_response" if state["first_response_at"] is None else "contacted"
    key = f"first_response:{case_id}" if kind == "first_response" else _key(actor, case_id, kind, at)
    _commit(conn, append_event(conn, case_id=case_id, event_type=kind, occurred_at=at, actor=actor,
                               idempotency_key=key, details={"via": "agent", "note": note}))
    return kind


def _amount(value: Any) -> str:
    try:
        amount = Decimal(str(value if value is not None else "0"))
    except InvalidOperation:
        raise CaseActionError(f"compensation amount {value!r} is not a number") from None
    if amount < 0:
        raise CaseActionError("compensation amount cannot be negative")
    return str(amount)


def resolve_case(conn: psycopg.Connection, case_id: str, *, root_cause: str, resolution_code: str, actor: str,
                 compensation_amount: Any = 0, at: datetime | None = None, note: str | None = None) -> bool:
    state = case_state(conn, case_id)
    if state["status"] != "open":
        raise CaseActionError(f"case {case_id} is {state['status']}; only an open case can be resolved")
    if not root_cause or not resolution_code:
        raise CaseActionError("a resolution needs a root cause and a resolution code")
    at = _now(at)
    details = {"root_cause": root_cause, "resolution_code": resolution_code,
               "compensation_amount": _amount(compensation_amount), "note": note}
    return _commit(conn, append_event(conn, case_id=case_id, event_type="resolved", occurred_at=at, actor=actor,
                                      idempotency_key=_key(actor, case_id, "resolved", at), details=details))


def reopen_case(conn: psycopg.Connection, case_id: str, settings: LoopSettings, *, actor: str, reason: str,
                at: datetime | None = None) -> bool:
    state = case_state(conn, case_id)
    if state["status"] == "open":
        raise CaseActionError(f"case {case_id} is open already")
    at = _now(at)
    _, due = BusinessCalendar(settings.sla).due_times(at, state["priority"])
    return _commit(conn, append_event(conn, case_id=case_id, event_type="reopened", occurred_at=at, actor=actor,
                                      idempotency_key=_key(actor, case_id, "reopened", at),
                                      details={"reason": reason, "resolution_due_at": due.isoformat()}))


def close_case(conn: psycopg.Connection, case_id: str, *, actor: str, at: datetime | None = None,
               note: str | None = None) -> bool:
    state = case_state(conn, case_id)
    if state["status"] == "closed":
        raise CaseActionError(f"case {case_id} is closed already")
    at = _now(at)
    return _commit(conn, append_event(conn, case_id=case_id, event_type="closed", occurred_at=at, actor=actor,
                                      idempotency_key=_key(actor, case_id, "closed", at), details={"note": note}))


def _commit(conn: psycopg.Connection, written: bool) -> bool:
    conn.commit()
    return written

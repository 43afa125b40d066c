"""Import a Zendesk or Freshdesk ticket export (CSV) as case events, for teams that work there.

Tickets are matched to cases by a case id written into the ticket (Zendesk `External id`, or
anywhere in tags or subject, e.g. `C-1A2B3C4D5E`), else by the Gmail thread id in a column you
name. Each row can yield: an assignment (assignee differs from the case owner), a first response,
a resolution (solved/resolved status), a close, or a reopen (open again after a resolution).
Event keys are built from the ticket and its timestamps, so importing a file twice adds nothing.
Rows that match no case are returned, never dropped silently; a bad timestamp stops the import
with the file, ticket and column named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from cfm.loop.events import append_event, case_states
from cfm.loop.settings import LoopSettings
from cfm.loop.sla import BusinessCalendar

CASE_ID = re.compile(r"\bC-[0-9A-F]{10}\b")


@dataclass(frozen=True)
class ExportFormat:
    ticket: str
    status: str
    assignee: str
    created: str
    updated: str
    first_response: str | None
    solved: str
    closed: str | None
    case_id_columns: tuple[str, ...]
    solved_statuses: frozenset[str]
    closed_statuses: frozenset[str]
    open_statuses: frozenset[str]


FORMATS = {
    # Zendesk "Export as CSV" (Support > Reporting/Views) column names
    "zendesk": ExportFormat("Id", "Status", "Assignee", "Created at", "Updated at", None, "Solved at", None,
                            ("External id", "Tags", "Subject"), frozenset({"solved"}), frozenset({"closed"}),
                            frozenset({"new", "open", "pending", "hold", "on-hold"})),
    # Freshdesk ticket export (Tickets > Export) column names
    "freshdesk": ExportFormat("Ticket ID", "Status", "Agent", "Created time", "Last update time", "Initial response time",
                              "Resolved time", "Closed time", ("Tags", "Subject"), frozenset({"resolved"}),
                              frozenset({"closed"}), frozenset({"open", "pending", "waiting on customer", "waiting on third party"})),
}


@dataclass
class ImportResult:
    rows: int = 0
    matched: int = 0
    events: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)  # ticket ids


def _ts(value: Any, tz: str, where: str) -> datetime | None:
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    try:
        ts = pd.Timestamp(str(value).strip())
    except (ValueError, TypeError):
        raise ValueError(f"{where}: not a timestamp: {value!r}") from None
    ts = ts.tz_localize(tz) if ts.tzinfo is None else ts
    return ts.tz_convert("UTC").to_pydatetime()


def import_helpdesk_csv(conn: psycopg.Connection, path: str | Path, settings: LoopSettings, *, system: str,
                        thread_column: str | None = None, root_cause_column: str | None = None,
                        timezone: str | None = None) -> ImportResult:
    """Apply one export file; see the module docstring."""
    import pandas as pd

    if system not in FORMATS:
        raise ValueError(f"unknown helpdesk {system!r}; known: {', '.join(FORMATS)}")
    fmt = FORMATS[system]
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    wanted = [fmt.ticket, fmt.status, fmt.assignee, fmt.updated, fmt.solved]
    missing = [c for c in wanted + ([thread_column] if thread_column else []) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path.name}: not a {system} export, missing column(s) {', '.join(missing)}")
    tz = timezone or settings.sla.timezone or "UTC"
    calendar = BusinessCalendar(settings.sla)
    states = {s["case_id"]: s for s in case_states(conn)}
    by_thread = {s["thread_key"].rsplit(":", 1)[-1]: s["case_id"] for s in states.values() if s["thread_key"]}
    result = ImportResult()
    for row in frame.to_dict("records"):
        result.rows += 1
        ticket = str(row[fmt.ticket]).strip()
        where = f"{path.name}, ticket {ticket}"
        case_id = next((m for c in fmt.case_id_columns if c in row for m in CASE_ID.findall(str(row[c]))), None)
        if case_id is None and thread_column and row.get(thread_column):
            case_id = by_thread.get(str(row[thread_column]).strip())
        if case_id is None or case_id not in states:
            result.unmatched.append(ticket)
            continue
        result.matched += 1
        state = states[case_id]
        status = str(row[fmt.status]).strip().lower()
        updated = _ts(row[fmt.updated], tz, f"{where}, column {fmt.updated!r}")
        solved = _ts(row[fmt.solved], tz, f"{where}, column {fmt.solved!r}")
        closed = _ts(row.get(fmt.closed), tz, f"{where}, column {fmt.closed!r}") if fmt.closed else None
        first = _ts(row.get(fmt.first_response), tz, f"{where}, column {fmt.first_response!r}") if fmt.first_response else None
        key = f"helpdesk:{system}:{ticket}"
        planned: list[tuple[str, datetime | None, str, dict[str, Any]]] = []  # kind, when, idempotency key, details
        assignee = str(row[fmt.assignee]).strip()
        if assignee and assignee != state["owner"]:
            planned.append(("assigned", updated, f"{key}:assigned:{assignee}",
                            {"owner": assignee, "department": state["department"], "queue": state["queue"],
                             "method": "helpdesk"}))
        if first and state["first_response_at"] is None:
            # the same key as every other first response: one per case, whoever records it first
            planned.append(("first_response", first, f"first_response:{case_id}", {"via": f"{system} reply"}))
        if status in fmt.solved_statuses | fmt.closed_statuses and state["status"] == "open" and solved:
            cause = str(row.get(root_cause_column) or "").strip() if root_cause_column else ""
            planned.append(("resolved", solved, f"{key}:resolved:{solved.isoformat()}",
                            {"root_cause": cause or "(not given in helpdesk)", "resolution_code": f"{system}:{status}",
                             "compensation_amount": "0"}))
        if status in fmt.closed_statuses and state["status"] != "closed" and (closed or updated):
            when = closed or updated
            planned.append(("closed", when, f"{key}:closed:{when.isoformat()}", {}))
        if (status in fmt.open_statuses and state["status"] != "open" and state["resolved_at"] and updated
                and updated > state["resolved_at"]):
            _, due = calendar.due_times(updated, state["priority"])
            planned.append(("reopened", updated, f"{key}:reopened:{updated.isoformat()}",
                            {"reason": f"{system} ticket {status} again", "resolution_due_at": due.isoformat()}))
        for kind, when, idem, details in planned:
            if when is not None and append_event(conn, case_id=case_id, event_type=kind, occurred_at=when,
                                                 actor=f"helpdesk:{system}", idempotency_key=idem,
                                                 details={"ticket": ticket, **details}):
                result.events[kind] = result.events.get(kind, 0) + 1
    conn.commit()
    return result

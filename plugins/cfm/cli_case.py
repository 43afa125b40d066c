"""`cfm case list|show|assign|respond|resolve|reopen|close|import`: agents act on cases; each action is one event."""

from __future__ import annotations

import argparse
import getpass
import json
import os
from datetime import UTC, datetime
from typing import Any


def _actor() -> str:
    return f"cli:{os.environ.get('CFM_AGENT') or getpass.getuser()}"


def _when(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO timestamp: {value!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, datetime):
        return f"{v.astimezone(UTC):%Y-%m-%d %H:%M}Z"
    return str(v)


def filter_cases(states: list[dict[str, Any]], *, department: str | None = None, owner: str | None = None,
                 priority: str | None = None, status: str | None = None, breached: bool = False) -> list[dict[str, Any]]:
    """The `cfm case list` filters."""
    out = []
    for s in states:
        if department and s["department"] != department:
            continue
        if owner and s["owner"] != owner:
            continue
        if priority and s["priority"] != priority:
            continue
        if status and status != "all" and s["status"] != status:
            continue
        if breached and not (s["is_first_response_breached"] or s["is_resolution_breached"]):
            continue
        out.append(s)
    return out


def cmd_case(args: argparse.Namespace, config: dict[str, Any], url: str) -> int:
    import psycopg

    from cfm.loop import actions
    from cfm.loop.events import case_events, case_state, case_states
    from cfm.loop.schema import ensure_loop_schema
    from cfm.loop.settings import loop_settings

    with psycopg.connect(url) as conn:
        ensure_loop_schema(conn)
        if args.action == "list":
            rows = filter_cases(case_states(conn, args.as_of), department=args.department, owner=args.owner,
                                priority=args.priority, status=args.status, breached=args.breached)
            print(f"{'case':<13} {'pri':<3} {'status':<8} {'department':<14} {'queue':<15} {'owner':<28} "
                  f"{'opened':<17} {'1st resp due':<17} breach")
            for s in rows:
                breach = ",".join(k for k, flag in (("response", s["is_first_response_breached"]),
                                                     ("resolution", s["is_resolution_breached"])) if flag) or "-"
                print(f"{s['case_id']:<13} {s['priority']:<3} {s['status']:<8} {_fmt(s['department']):<14} "
                      f"{_fmt(s['queue']):<15} {_fmt(s['owner']):<28} {_fmt(s['opened_at']):<17} "
                      f"{_fmt(s['first_response_due_at']):<17} {breach}")
            print(f"{len(rows)} case(s)")
        elif args.action == "show":
            state = case_state(conn, args.case_id, args.as_of)
            print(json.dumps({k: (_fmt(v) if isinstance(v, datetime) else v) for k, v in state.items()},
                             default=str, ensure_ascii=False, indent=2))
            for e in case_events(conn, args.case_id):
                print(f"  {_fmt(e['occurred_at'])}  {e['event_type']:<17} {e['actor']:<24} "
                      f"{json.dumps(e['details'], ensure_ascii=False, default=str)}")
        elif args.action == "assign":
            actions.assign_case(conn, args.case_id, args.owner, actor=_actor(), at=args.at,
                                department=args.department, queue=args.queue)
            print(f"{args.case_id} assigned to {args.owner}")
        elif args.action == "respond":
            kind = actions.respond_case(conn, args.case_id, actor=_actor(), at=args.at, note=args.note)
            print(f"{args.case_id}: {kind} recorded")
        elif args.action == "resolve":
            actions.resolve_case(conn, args.case_id, root_cause=args.root_cause, resolution_code=args.code,
                                 compensation_amount=args.compensation, actor=_actor(), at=args.at, note=args.note)
            print(f"{args.case_id} resolved ({args.root_cause} / {args.code})")
        elif args.action == "reopen":
            actions.reopen_case(conn, args.case_id, loop_settings(config), actor=_actor(), reason=args.reason, at=args.at)
            print(f"{args.case_id} reopened")
        elif args.action == "import":
            from cfm.loop.helpdesk import import_helpdesk_csv

            result = import_helpdesk_csv(conn, args.file, loop_settings(config), system=args.system,
                                         thread_column=args.thread_column, root_cause_column=args.root_cause_column,
                                         timezone=args.timezone)
            print(f"{args.file}: {result.rows} ticket(s), {result.matched} matched to a case, events: "
                  + (", ".join(f"{k} {v}" for k, v in sorted(result.events.items())) or "none"))
            if result.unmatched:
                print(f"unmatched tickets (no case id or thread): {', '.join(result.unmatched)}")
        elif args.action == "close":
            actions.close_case(conn, args.case_id, actor=_actor(), at=args.at, note=args.note)
            print(f"{args.case_id} closed")
    return 0


def add_case_parser(sub: Any, run: Any) -> None:
    """Add `cfm case ...`; `run(args, config, fn)` resolves the warehouse URL and calls `fn(args, config, url)`."""
    c = sub.add_parser("case", help="closed-loop cases: list, show, assign, respond, resolve, reopen, close")
    cs = c.add_subparsers(dest="action", required=True)
    ls = cs.add_parser("list", help="cases as of now (or --as-of), with filters")
    ls.add_argument("--department")
    ls.add_argument("--owner")
    ls.add_argument("--priority", choices=["P1", "P2", "P3"])
    ls.add_argument("--status", default="open", choices=["open", "resolved", "closed", "all"])
    ls.add_argument("--breached", action="store_true", help="only cases past a first-response or resolution SLA")
    ls.add_argument("--as-of", type=_when, help="the state at this instant (ISO timestamp)")
    sh = cs.add_parser("show", help="one case's state and its events")
    sh.add_argument("case_id")
    sh.add_argument("--as-of", type=_when)
    asg = cs.add_parser("assign")
    asg.add_argument("case_id")
    asg.add_argument("owner")
    asg.add_argument("--department")
    asg.add_argument("--queue")
    rsp = cs.add_parser("respond", help="record that an agent answered the customer")
    rsp.add_argument("case_id")
    rsp.add_argument("--note")
    res = cs.add_parser("resolve")
    res.add_argument("case_id")
    res.add_argument("--root-cause", required=True)
    res.add_argument("--code", required=True, help="resolution code, e.g. refunded, replaced, explained")
    res.add_argument("--compensation", default="0", help="compensation amount (0 when none)")
    res.add_argument("--note")
    rop = cs.add_parser("reopen")
    rop.add_argument("case_id")
    rop.add_argument("--reason", required=True)
    cl = cs.add_parser("close")
    cl.add_argument("case_id")
    cl.add_argument("--note")
    imp = cs.add_parser("import", help="apply a Zendesk or Freshdesk ticket export (CSV) as case events")
    imp.add_argument("file")
    imp.add_argument("--system", required=True, choices=["zendesk", "freshdesk"])
    imp.add_argument("--thread-column", help="column holding the Gmail thread id (when tickets carry no case id)")
    imp.add_argument("--root-cause-column", help="custom field column holding the root cause")
    imp.add_argument("--timezone", help="time zone of naive timestamps in the export (default: loop.sla.timezone)")
    for p in (asg, rsp, res, rop, cl):
        p.add_argument("--at", type=_when, help="when it happened (default now)")
    c.set_defaults(fn=lambda args, config: run(args, config, cmd_case))

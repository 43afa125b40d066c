"""Evaluate the rules, decide what is new, changed or resolved, and send it."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import psycopg

from cfm.alerts import channels, rules
from cfm.alerts.rules import Alert
from cfm.alerts.store import decide, ensure_alerts_table

log = logging.getLogger(__name__)

# Kinds the rules evaluate in full each run, so an open alert not found again has resolved.
# (A failed DAG run resolves only when someone re-runs it; it is not re-evaluated here.)
EVALUATED_KINDS = {"shift", "emerging_topic", "stale_source", "sla_breach"}


def notify(url: str, config: dict[str, Any], current: list[Alert], *, resolve_kinds: set[str],
           session=None) -> dict[str, Any]:
    """Record and send; ops.alerts is committed only after every channel accepted the message, so a
    failed send is retried on the next run rather than lost, and only to the channels that did not
    take it (ops.alert_deliveries)."""
    cooldown = timedelta(hours=float(config["alerts"]["cooldown_hours"]))
    with psycopg.connect(url) as conn:
        ensure_alerts_table(conn)
        conn.commit()
        decisions = decide(conn, current, cooldown, resolve_kinds=resolve_kinds)
        sent = channels.deliver(decisions, config, url=url, session=session)
        conn.commit()
    counts = {"holding": len(current), "new": sum(d.action == "new" for d in decisions),
              "changed": sum(d.action == "changed" for d in decisions),
              "resolved": sum(d.action == "resolved" for d in decisions), **{f"sent_{k}": v for k, v in sent.items()}}
    log.info("alerts: %s", counts)
    return counts


def run_alerts(url: str, config: dict[str, Any], *, session=None) -> dict[str, Any]:
    return notify(url, config, rules.evaluate(url), resolve_kinds=EVALUATED_KINDS, session=session)

"""ops.alerts: one row per problem (key), so one problem gives one message until it changes
(after the cooldown) or resolves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import psycopg

from cfm.alerts.rules import Alert

ALERTS_DDL = """
create table if not exists ops.alerts (
    alert_key      text primary key,
    kind           text not null,
    title          text not null,
    text           text not null,
    fingerprint    text not null,
    status         text not null check (status in ('open', 'resolved')),
    first_seen_at  timestamptz not null default now(),
    last_seen_at   timestamptz not null default now(),
    last_sent_at   timestamptz,
    messages_sent  integer not null default 0,
    suppressed     integer not null default 0,
    resolved_at    timestamptz
);
-- Which channel (slack, email:<recipient>) took which message of an alert (message_no = its
-- messages_sent), committed as each channel accepts it: when one channel fails, ops.alerts rolls
-- back and the next run sends that message again, but only to the channels without a row here.
create table if not exists ops.alert_deliveries (
    alert_key      text not null,
    message_no     integer not null,
    channel        text not null,
    action         text not null,
    delivered_at   timestamptz not null default now(),
    primary key (alert_key, message_no, channel)
);
"""

Action = Literal["new", "changed", "resolved"]


@dataclass(frozen=True)
class Decision:
    alert: Alert
    action: Action
    message_no: int = 0  # ops.alerts.messages_sent once this message is counted


def ensure_alerts_table(conn: psycopg.Connection) -> None:
    conn.execute(ALERTS_DDL)


def decide(conn: psycopg.Connection, current: list[Alert], cooldown: timedelta, *, resolve_kinds: set[str]) -> list[Decision]:
    """What to send for the problems that hold now; updates ops.alerts (the caller commits after sending).

    new: not open before -> send. Same fingerprint -> nothing. Changed fingerprint -> send when the last
    message is older than the cooldown, else count it as suppressed. Open problems of `resolve_kinds`
    that no longer hold -> resolved, one message.
    """
    decisions: list[Decision] = []
    seen = set()
    for alert in current:
        seen.add(alert.key)
        row = conn.execute(
            "select status, fingerprint, last_sent_at > now() - %s as cooling from ops.alerts where alert_key = %s "
            "for update",
            (cooldown, alert.key),
        ).fetchone()
        if row is None or row[0] == "resolved":
            conn.execute(
                """
                insert into ops.alerts (alert_key, kind, title, text, fingerprint, status, last_sent_at, messages_sent)
                values (%s, %s, %s, %s, %s, 'open', now(), 1)
                on conflict (alert_key) do update set kind = excluded.kind, title = excluded.title, text = excluded.text,
                    fingerprint = excluded.fingerprint, status = 'open', first_seen_at = now(), last_seen_at = now(),
                    last_sent_at = now(), messages_sent = ops.alerts.messages_sent + 1, resolved_at = null
                """,
                (alert.key, alert.kind, alert.title, alert.text, alert.fingerprint),
            )
            decisions.append(Decision(alert, "new", _message_no(conn, alert.key)))
        elif row[1] == alert.fingerprint:
            conn.execute("update ops.alerts set last_seen_at = now() where alert_key = %s", (alert.key,))
        elif row[2]:
            conn.execute("update ops.alerts set last_seen_at = now(), suppressed = suppressed + 1 where alert_key = %s",
                         (alert.key,))
        else:
            conn.execute(
                "update ops.alerts set title = %s, text = %s, fingerprint = %s, last_seen_at = now(), last_sent_at = now(), "
                "messages_sent = messages_sent + 1 where alert_key = %s",
                (alert.title, alert.text, alert.fingerprint, alert.key),
            )
            decisions.append(Decision(alert, "changed", _message_no(conn, alert.key)))
    for key, kind, title, text, fingerprint in conn.execute(
        "select alert_key, kind, title, text, fingerprint from ops.alerts where status = 'open' and kind = any(%s)",
        (sorted(resolve_kinds),),
    ).fetchall():
        if key not in seen:
            conn.execute("update ops.alerts set status = 'resolved', resolved_at = now(), last_sent_at = now(), "
                         "messages_sent = messages_sent + 1 where alert_key = %s", (key,))
            decisions.append(Decision(Alert(key, kind, f"Resolved: {title}", text, fingerprint, "info"), "resolved",
                                      _message_no(conn, key)))
    return decisions


def _message_no(conn: psycopg.Connection, key: str) -> int:
    return conn.execute("select messages_sent from ops.alerts where alert_key = %s", (key,)).fetchone()[0]


def delivered(conn: psycopg.Connection, decisions: list[Decision], channel: str) -> set[tuple[str, int]]:
    """(alert_key, message_no) of these decisions that `channel` already took."""
    rows = conn.execute(
        "select alert_key, message_no from ops.alert_deliveries where channel = %s and alert_key = any(%s)",
        (channel, [d.alert.key for d in decisions]),
    ).fetchall()
    return {(k, n) for k, n in rows}


def record_delivery(conn: psycopg.Connection, decisions: list[Decision], channel: str) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "insert into ops.alert_deliveries (alert_key, message_no, channel, action) values (%s, %s, %s, %s) "
            "on conflict do nothing",
            [(d.alert.key, d.message_no, channel, d.action) for d in decisions],
        )

"""quarantine.records: the one module that writes, reads and deletes quarantined records.

Parser rejects (source_record_id null, payload as received) come from landing; validation
failures (source_record_id set) from the validate stage. Nothing rejected is ever dropped:
entries are resolved or replayed, and deleted only for a right-to-erasure request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from cfm.sources import sanitise
from cfm.sources.base import RejectedRecord, payload_hash

#: (source, account, record id or ref, payload) -> True when it belongs to an erased customer (cfm.privacy.tombstones).
ErasedCheck = Callable[[str, str, str | None, Any], bool]


def add_rejects(conn: psycopg.Connection, rejects: Iterable[RejectedRecord], run_id: str,
                erased: ErasedCheck | None = None) -> int:
    """Insert source-level (parser) rejects; the same reject twice is stored once.

    A reject of an erased customer (`erased` says so: its record key or an identifier in its payload)
    is not stored: an erasure stays done when the source delivers the same bad row again.
    """
    rows = []
    for rej in map(sanitise.reject_storable, rejects):
        if erased is not None and erased(rej.source, rej.account, rej.record_ref, rej.payload):
            continue
        rows.append((rej.source, rej.account, rej.record_ref, rej.field, rej.check, rej.message(),
                     json.dumps(rej.payload, ensure_ascii=False, default=str), payload_hash(rej.payload), run_id))
    if rows:
        with conn.cursor() as cur:  # one round trip for the lot (psycopg pipelines executemany)
            cur.executemany(
                """
                insert into quarantine.records
                    (source, account, record_ref, source_record_id, field, check_name, reason, payload, payload_hash, run_id)
                values (%s, %s, %s, null, %s, %s, %s, %s, %s, %s)
                on conflict (source, account, record_ref, check_name, field, payload_hash) do nothing
                """,
                rows,
            )
    return len(rows)


def supersede_open_from(cur: psycopg.Cursor, table: str) -> None:
    """A new verdict closes what was open for the record: verdicts are rows of a (temporary) table
    with columns source, account, source_record_id and payload_hash.

    An older payload's failures are resolved; the same payload passing now (after a replay)
    counts as replayed. Current failures are re-opened by `open_failures`.
    """
    cur.execute(sql.SQL(
        """
        update quarantine.records q
        set status = case when q.payload_hash = v.payload_hash then 'replayed' else 'resolved' end, resolved_at = now()
        from {table} v
        where q.source = v.source and q.account = v.account and q.source_record_id = v.source_record_id
          and q.status = 'open'
        """
    ).format(table=sql.Identifier(table)))


def open_failures(cur: psycopg.Cursor, failures: Sequence[dict[str, Any]], run_id: str) -> None:
    """(Re)open validation failures of stored records: dicts with source, account, source_record_id,
    field, check, reason, payload (a dict, or its JSON text), payload_hash. COPYed into a temporary
    table, then inserted in one statement; the same entry twice in a batch keeps the last reason."""
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in failures:
        latest[(f["source"], f["account"], f["source_record_id"], f["check"], f["field"], f["payload_hash"])] = f
    cur.execute("create temp table if not exists _cfm_failures (source text, account text, source_record_id text, "
                "field text, check_name text, reason text, payload jsonb, payload_hash text) on commit drop")
    cur.execute("truncate _cfm_failures")
    with cur.copy("copy _cfm_failures from stdin") as copy:
        for f in latest.values():
            payload = f["payload"] if isinstance(f["payload"], str) else json.dumps(f["payload"], ensure_ascii=False, default=str)
            copy.write_row((f["source"], f["account"], f["source_record_id"], f["field"], f["check"], f["reason"],
                            payload, f["payload_hash"]))
    cur.execute(
        """
        insert into quarantine.records
            (source, account, record_ref, source_record_id, field, check_name, reason, payload, payload_hash, run_id)
        select source, account, source_record_id, source_record_id, field, check_name, reason, payload, payload_hash, %s
        from _cfm_failures
        order by source, account, source_record_id, check_name, field
        on conflict (source, account, record_ref, check_name, field, payload_hash)
            do update set status = 'open', resolved_at = null, reason = excluded.reason
        """,
        (run_id,),
    )


def list_records(url: str, *, source: str | None = None, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(
            """
            select quarantine_id, source, account, record_ref, field, check_name, reason, status, quarantined_at
            from quarantine.records
            where (%(source)s::text is null or source = %(source)s) and (%(status)s::text = 'all' or status = %(status)s)
            order by quarantine_id limit %(limit)s
            """,
            {"source": source, "status": status, "limit": limit},
        ).fetchall()


def edit_payload(url: str, quarantine_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Correct fields of a parser-rejected payload before replaying it."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select payload, source_record_id from quarantine.records where quarantine_id = %s",
                           (quarantine_id,)).fetchone()
        if row is None:
            raise KeyError(f"no quarantined record {quarantine_id}")
        if row[1] is not None:
            raise ValueError(f"quarantined record {quarantine_id} failed validation on a stored record: fix it at the source "
                             "(or change the expectation) and replay; its payload is not edited here")
        payload = {**row[0], **changes}
        conn.execute("update quarantine.records set payload = %s where quarantine_id = %s",
                     (json.dumps(payload, ensure_ascii=False), quarantine_id))
    return payload


def open_entries(conn: psycopg.Connection, *, source: str | None = None, ids: list[int] | None = None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            select * from quarantine.records
            where status = 'open' and (%(source)s::text is null or source = %(source)s)
              and (%(ids)s::bigint[] is null or quarantine_id = any(%(ids)s))
            order by quarantine_id
            """,
            {"source": source, "ids": ids},
        ).fetchall()


def mark_replayed(conn: psycopg.Connection, quarantine_id: int) -> None:
    conn.execute("update quarantine.records set status = 'replayed', resolved_at = now() where quarantine_id = %s",
                 (quarantine_id,))


def count_open(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from quarantine.records where status = 'open'").fetchone()[0]


def delete_for_record(conn: psycopg.Connection, source: str, account: str, source_record_id: str) -> int:
    return conn.execute("delete from quarantine.records where source = %s and account = %s and source_record_id = %s",
                        (source, account, source_record_id)).rowcount


def delete_payloads_containing(conn: psycopg.Connection, needle: str) -> int:
    """Delete entries whose payload text contains `needle` (an erased customer's normalised email)."""
    return conn.execute("delete from quarantine.records where position(%s in lower(payload::text)) > 0",
                        (needle,)).rowcount


def parser_reject_payloads(conn: psycopg.Connection) -> list[tuple[int, str]]:
    """(quarantine_id, payload text) of every parser reject (no stored record behind it)."""
    return conn.execute("select quarantine_id, payload::text from quarantine.records where source_record_id is null").fetchall()


def delete_entry(conn: psycopg.Connection, quarantine_id: int) -> int:
    return conn.execute("delete from quarantine.records where quarantine_id = %s", (quarantine_id,)).rowcount

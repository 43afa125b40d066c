"""Land source batches in raw: COPY into a temp stage, one upsert, cursor in the same transaction.

A row is replaced only when its payload hash changed, so re-landing the same data is a
no-op (extracted_at and run_id keep the values of the run that stored that version).
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from cfm.sources import sanitise
from cfm.sources.base import RawRecord, RejectedRecord, canonical_json_and_hash
from cfm.warehouse import quarantine

log = logging.getLogger(__name__)
# Connections whose session holds the raw_stage temp table (created once; emptied by each upsert).
_STAGE_READY: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()


@dataclass
class LandingResult:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    erased: int = 0  # records of erased customers, refused (cfm.privacy.tombstones)

    def add(self, other: LandingResult) -> None:
        for f in ("received", "inserted", "updated", "unchanged", "quarantined", "erased"):
            setattr(self, f, getattr(self, f) + getattr(other, f))


def land_batch(
    conn: psycopg.Connection,
    source: str,
    account: str,
    records: Iterable[RawRecord],
    rejects: Iterable[RejectedRecord],
    cursor: dict[str, Any] | None,
    run_id: str,
    erased: quarantine.ErasedCheck | None = None,
) -> LandingResult:
    """Store one batch, its rejects and its cursor atomically. Commits on success, rolls back on error.

    Every record is made storable first (`cfm.sources.sanitise`); one that cannot be, or that
    PostgreSQL still refuses, is quarantined with its field and reason while the rest land,
    so the cursor only moves past records that were stored or quarantined.
    `erased` (cfm.privacy.tombstones) says which records and rejects belong to an erased customer:
    they are neither stored nor quarantined, only counted.
    """
    result = LandingResult()
    by_key: dict[str, RawRecord] = {}
    refused: list[RejectedRecord] = []
    for rec in records:
        if rec.source != source or rec.account != account:
            raise ValueError(f"[{source}] record {rec.source_record_id} belongs to {rec.source}/{rec.account}, not {source}/{account}")
        result.received += 1
        if erased is not None and erased(source, account, rec.source_record_id, rec.payload):
            result.erased += 1
            continue
        admitted = sanitise.admit(rec)
        if isinstance(admitted, RejectedRecord):
            refused.append(admitted)
            continue
        loser = by_key.get(admitted.source_record_id)
        if loser is not None and loser.payload_hash != admitted.payload_hash:
            refused.append(RejectedRecord(
                source, account, admitted.source_record_id, "id",
                f"id {admitted.source_record_id!r} appears more than once in one delivery; the later one "
                f"({_where(admitted)}) was kept, this one ({_where(loser)}) was not", loser.payload, check="duplicate_id"))
        by_key[admitted.source_record_id] = admitted  # the last version in a batch wins (and the loser is flagged)
    extracted_at = datetime.now(UTC)
    table = sql.Identifier("raw", source)
    try:
        with conn.transaction():
            db_refused = 0
            if by_key:
                if conn not in _STAGE_READY:  # once per session: a catalog change on every batch cost as much as its COPY
                    conn.execute("create temp table if not exists raw_stage (like raw.file_drop including defaults)")
                try:
                    with conn.transaction():  # a savepoint: on a refusal, retry record by record
                        inserted, updated = _upsert(conn, table, source, account, list(by_key.values()), extracted_at, run_id)
                except (psycopg.DataError, psycopg.errors.ProgramLimitExceeded, psycopg.IntegrityError) as exc:
                    log.warning("[%s/%s] batch refused (%s); storing record by record", source, account,
                                exc.diag.message_primary or type(exc).__name__)
                    inserted = updated = 0
                    for rec in by_key.values():
                        try:
                            with conn.transaction():
                                i, u = _upsert(conn, table, source, account, [rec], extracted_at, run_id)
                        except (psycopg.DataError, psycopg.errors.ProgramLimitExceeded, psycopg.IntegrityError) as one:
                            refused.append(RejectedRecord(
                                source, account, rec.source_record_id, "payload",
                                f"PostgreSQL refused the record: {one.diag.message_primary or one}", rec.payload,
                                check="unstorable"))
                            db_refused += 1
                            continue
                        inserted, updated = inserted + i, updated + u
                result.inserted, result.updated = inserted, updated
                result.unchanged = len(by_key) - db_refused - inserted - updated
            result.quarantined = quarantine.add_rejects(conn, [*rejects, *refused], run_id, erased=erased)
            if cursor is not None:
                save_cursor(conn, source, account, cursor, run_id)
    except Exception:
        conn.rollback()
        raise
    conn.commit()
    if by_key:
        _STAGE_READY.add(conn)  # committed: the session keeps its stage table
    return result


def _where(rec: RawRecord) -> str:
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    if payload.get("_file"):
        return f"{payload['_file']}:{payload.get('_line', '?')}"
    return f"payload {rec.payload_hash[:12]}"


def _upsert(conn: psycopg.Connection, table: sql.Identifier, source: str, account: str, records: list[RawRecord],
            extracted_at: datetime, run_id: str) -> tuple[int, int]:
    """COPY `records` into the stage table and upsert them; (inserted, updated)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute("delete from raw_stage")
        with cur.copy(
            "copy raw_stage (source, account, source_record_id, source_updated_at, extracted_at, "
            "run_id, payload, payload_hash) from stdin"
        ) as copy:
            for rec in records:
                text, digest = canonical_json_and_hash(rec.payload)
                copy.write_row((source, account, rec.source_record_id, rec.source_updated_at, extracted_at, run_id, text, digest))
        cur.execute(
            sql.SQL(
                """
                with upserted as (
                    insert into {table} as t
                    select * from raw_stage
                    on conflict (source, account, source_record_id) do update set
                        source_updated_at = excluded.source_updated_at,
                        extracted_at = excluded.extracted_at,
                        run_id = excluded.run_id,
                        payload = excluded.payload,
                        payload_hash = excluded.payload_hash
                    where t.payload_hash is distinct from excluded.payload_hash
                    returning (xmax = 0) as inserted
                )
                select count(*) filter (where inserted), count(*) filter (where not inserted) from upserted
                """
            ).format(table=table)
        )
        inserted, updated = cur.fetchone()
        cur.execute("truncate raw_stage")  # not delete: nothing vacuums a temp table
    return inserted, updated


def save_cursor(conn: psycopg.Connection, source: str, account: str, cursor: dict[str, Any], run_id: str) -> None:
    conn.execute(
        """
        insert into ops.sync_state (source, account, cursor, run_id, updated_at)
        values (%s, %s, %s, %s, now())
        on conflict (source, account) do update
            set cursor = excluded.cursor, run_id = excluded.run_id, updated_at = now()
            where ops.sync_state.cursor is distinct from excluded.cursor
        """,
        (source, account, json.dumps(cursor, default=str), run_id),
    )


def load_cursor(conn: psycopg.Connection, source: str, account: str) -> dict[str, Any] | None:
    row = conn.execute("select cursor from ops.sync_state where source = %s and account = %s", (source, account)).fetchone()
    return row[0] if row else None

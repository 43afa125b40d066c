"""Land source batches in raw: upserted (or, when none of a batch's records is stored yet, COPYed), with the
rejects and the cursor in the same transaction.

A row is replaced only when its payload hash changed, so re-landing the same data is a
no-op (extracted_at and run_id keep the values of the run that stored that version).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import attrgetter, itemgetter
from typing import Any

import psycopg
from psycopg import sql

from cfm.sources import sanitise
from cfm.sources.base import ExtractBatch, RawRecord, RejectedRecord
from cfm.warehouse import quarantine

log = logging.getLogger(__name__)
#: Records per upsert statement: a batch (a whole drop file) larger than this is sent in several, so
#: no array parameter nears PostgreSQL's 1 GB limit on one value.
CHUNK_ROWS = 5_000
#: Consecutive source batches landed in one transaction (`coalesce`) up to this many records: each
#: transaction costs a commit (a WAL flush) and a few round trips whatever its size.
LANDING_ROWS = 10_000
_ID, _UPDATED_AT = attrgetter("source_record_id"), attrgetter("source_updated_at")
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)
_COPY_SPECIAL = re.compile(r"[\t\n\r\\]")  # what COPY's text format escapes; JSON text holds only backslashes
_SEP = "\x1e"  # between the payloads (and the hashes) of one statement
#: What PostgreSQL raises for a value it will not store (the batch is then stored record by record).
_REFUSALS = (psycopg.DataError, psycopg.errors.ProgramLimitExceeded, psycopg.IntegrityError)


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


def coalesce(batches: Iterable[ExtractBatch], max_rows: int = LANDING_ROWS) -> Iterator[tuple[int, ExtractBatch]]:
    """Consecutive batches merged into one, to land in one transaction: (how many, merged batch).

    A merged batch holds up to `max_rows` records (one batch larger than that stays whole) and never
    the same record id twice from different batches (`land_batch` flags an id repeated within one
    delivery; across batches the later one updates the record, as it always did). Its cursor is the
    last one its batches carry: it covers only records of those batches or earlier ones. Nothing
    read is held back: when reading the next batch fails, what was merged so far comes out first.
    """
    pending: list[ExtractBatch] = []
    ids: set[str] = set()

    def merged() -> tuple[int, ExtractBatch]:
        cursors = [b.cursor for b in pending if b.cursor is not None]
        out = ExtractBatch(records=[r for b in pending for r in b.records], rejects=[r for b in pending for r in b.rejects],
                           cursor=cursors[-1] if cursors else None)
        n = len(pending)
        pending.clear()
        ids.clear()
        return n, out

    it = iter(batches)
    while True:
        try:
            batch = next(it)
        except StopIteration:
            break
        except Exception:
            if pending:
                yield merged()
            raise
        keys = set(map(_ID, batch.records))
        if not _all_plain(keys):
            keys = {sanitise.storable_id(key) for key in keys}
        if pending and (len(ids) + len(batch.records) > max_rows or not ids.isdisjoint(keys)):
            yield merged()
        pending.append(batch)
        ids.update(keys)
    if pending:
        yield merged()


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
    by_key: dict[str, tuple[RawRecord, str, str]] = {}  # id -> (record, canonical JSON, hash)
    refused: list[RejectedRecord] = []
    records = records if isinstance(records, list) else list(records)
    plain_ids = _all_plain(list(map(_ID, records)))  # then a record serialised by its source is admitted as it is
    for rec in records:
        if rec.source != source or rec.account != account:
            raise ValueError(f"[{source}] record {rec.source_record_id} belongs to {rec.source}/{rec.account}, not {source}/{account}")
        result.received += 1
        if erased is not None and erased(source, account, rec.source_record_id, rec.payload):
            result.erased += 1
            continue
        if rec.canonical is not None and plain_ids:  # admit_serialised's first case, inline
            admitted = (rec, *rec.canonical)
        else:
            admitted = sanitise.admit_serialised(rec)
        if isinstance(admitted, RejectedRecord):
            refused.append(admitted)
            continue
        kept = admitted[0]
        loser = by_key.get(kept.source_record_id)
        if loser is not None and loser[2] != admitted[2]:
            refused.append(RejectedRecord(
                source, account, kept.source_record_id, "id",
                f"id {kept.source_record_id!r} appears more than once in one delivery; the later one "
                f"({_where(kept, admitted[2])}) was kept, this one ({_where(loser[0], loser[2])}) was not", loser[0].payload,
                check="duplicate_id"))
        by_key[kept.source_record_id] = admitted  # the last version in a batch wins (and the loser is flagged)
    extracted_at = datetime.now(UTC)
    table = sql.Identifier("raw", source)
    staged = list(by_key.values())
    try:
        try:  # the whole batch in one transaction (rows, rejects, cursor); the statements after a COPY are pipelined
            with conn.transaction():
                copied = _copy_new(conn, table, source, account, staged, extracted_at, run_id)
                with conn.pipeline():
                    sent = [] if copied else [
                        _upsert(conn, table, source, account, staged[start:start + CHUNK_ROWS], extracted_at, run_id)
                        for start in range(0, len(staged), CHUNK_ROWS)]
                    result.quarantined = quarantine.add_rejects(conn, [*rejects, *refused], run_id, erased=erased)
                    if cursor is not None:
                        save_cursor(conn, source, account, cursor, run_id)
            counts = [cur.fetchone() for cur in sent]
            inserted, updated = (len(staged), 0) if copied else (sum(c[0] for c in counts), sum(c[1] for c in counts))
            db_refused = 0
        except _REFUSALS as exc:  # rolled back: again, record by record, each in a savepoint
            log.warning("[%s/%s] batch refused (%s); storing record by record", source, account,
                        exc.diag.message_primary or type(exc).__name__)
            with conn.transaction():
                inserted = updated = db_refused = 0
                for one in staged:
                    rec = one[0]
                    try:
                        with conn.transaction():
                            i, u = _upsert(conn, table, source, account, [one], extracted_at, run_id).fetchone()
                    except _REFUSALS as exc:
                        refused.append(RejectedRecord(
                            source, account, rec.source_record_id, "payload",
                            f"PostgreSQL refused the record: {exc.diag.message_primary or exc}", rec.payload,
                            check="unstorable"))
                        db_refused += 1
                        continue
                    inserted, updated = inserted + i, updated + u
                result.quarantined = quarantine.add_rejects(conn, [*rejects, *refused], run_id, erased=erased)
                if cursor is not None:
                    save_cursor(conn, source, account, cursor, run_id)
    except Exception:
        conn.rollback()
        raise
    conn.commit()
    result.inserted, result.updated = inserted, updated
    result.unchanged = len(staged) - db_refused - inserted - updated
    return result


def _all_plain(ids: Collection[str]) -> bool:
    """True when `sanitise.storable_id` keeps every id as it is (ASCII, no NUL, short, not empty), told for
    the lot at once (the usual case)."""
    joined = "\x00".join(ids)
    return (not ids or (joined.isascii() and joined.count("\x00") == len(ids) - 1
                        and max(map(len, ids)) <= sanitise.MAX_ID_BYTES and min(map(len, ids)) > 0))


def _where(rec: RawRecord, digest: str) -> str:
    payload = rec.payload if isinstance(rec.payload, dict) else {}
    if payload.get("_file"):
        return f"{payload['_file']}:{payload.get('_line', '?')}"
    return f"payload {digest[:12]}"


def _copy_new(conn: psycopg.Connection, table: sql.Identifier, source: str, account: str,
              records: list[tuple[RawRecord, str, str]], extracted_at: datetime, run_id: str) -> bool:
    """COPY (record, canonical JSON, hash) into `table` when none of the records is stored yet (a drop's new
    rows): the server then spends a third less than on the upsert's conflict handling, for the same rows.
    In a savepoint: when one is stored already, nothing is written and False comes back (the caller
    upserts). False too for records with a `source_updated_at`, or text that COPY would need escaped
    beyond the JSON's backslashes (a tab, line break or backslash in an id, the source, account or run)."""
    kept = list(map(_FIRST, records))
    if not records or set(map(_UPDATED_AT, kept)) != {None}:
        return False
    ids = list(map(_ID, kept))
    if _COPY_SPECIAL.search(_SEP.join([source, account, run_id, *ids])):
        return False
    if conn.execute(sql.SQL("select from {table} where source = %s and account = %s and source_record_id = %s").format(
            table=table), (source, account, ids[0])).fetchone() is not None:  # a file read again: spare a COPY bound to fail
        return False
    head, middle = f"{source}\t{account}\t", f"\t{extracted_at.isoformat()}\t{run_id}\t"
    statement = sql.SQL("copy {table} (source, account, source_record_id, extracted_at, run_id, payload, payload_hash) "
                        "from stdin").format(table=table)
    try:
        with conn.transaction(), conn.cursor().copy(statement) as copy:
            for start in range(0, len(records), CHUNK_ROWS):
                # the only backslashes are the JSON's (escapes): COPY text reads "\\" as one
                part = records[start:start + CHUNK_ROWS]
                columns = (repeat(head), ids[start:start + CHUNK_ROWS], repeat(middle), map(_SECOND, part), repeat("\t"),
                           map(_THIRD, part), repeat("\n"))
                copy.write("".join(chain.from_iterable(zip(*columns, strict=False))).replace("\\", "\\\\"))
    except psycopg.errors.UniqueViolation:
        return False
    return True


def _upsert(conn: psycopg.Connection, table: sql.Identifier, source: str, account: str,
            records: list[tuple[RawRecord, str, str]], extracted_at: datetime, run_id: str) -> psycopg.Cursor:
    """Upsert (record, canonical JSON, hash) into `table` in one statement: the columns that differ by
    record are sent as joined texts (split by the server) or arrays, the batch's source, account,
    extracted_at and run_id once. A row is replaced only when its hash changed. The cursor's one row:
    (inserted, updated)."""
    ids = [rec.source_record_id for rec, _, _ in records]
    joined_ids = _SEP.join(ids)
    params: dict[str, Any] = {
        "source": source, "account": account, "extracted_at": extracted_at, "run_id": run_id,
        # JSON text never holds a raw control character (json.dumps and msgspec escape them) and a hash is hex:
        # joined on U+001E they go as one value each, split by the server (no per-element dumping in Python).
        "payloads": _SEP.join([text for _, text, _ in records]), "hashes": _SEP.join([digest for _, _, digest in records])}
    if joined_ids.count(_SEP) == len(ids) - 1:  # no id holds the separator (the usual case): joined too
        id_column = sql.SQL("string_to_array(%(ids)b, E'\\x1e')")
        params["ids"] = joined_ids
    else:  # the arrays binary (%b): each text goes as it is, with no array escaping
        id_column = sql.SQL("%(ids)b::text[]")
        params["ids"] = ids
    updated = [rec.source_updated_at for rec, _, _ in records]
    if any(at is not None for at in updated):
        updated_column = sql.SQL("%(updated_at)b::timestamptz[]")
        params["updated_at"] = updated
    else:  # none known (file drops): an empty array, which unnest pads with nulls
        updated_column = sql.SQL("'{}'::timestamptz[]")
    return conn.execute(
        sql.SQL(
            """
            with upserted as (
                insert into {table} as t
                    (source, account, source_record_id, source_updated_at, extracted_at, run_id, payload, payload_hash)
                select %(source)s, %(account)s, r.source_record_id, r.source_updated_at, %(extracted_at)s, %(run_id)s,
                       r.payload::jsonb, r.payload_hash
                from unnest({ids}, {updated_at}, string_to_array(%(payloads)b, E'\\x1e'),
                            string_to_array(%(hashes)b, E'\\x1e'))
                     as r (source_record_id, source_updated_at, payload, payload_hash)
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
        ).format(table=table, ids=id_column, updated_at=updated_column),
        params,
    )


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

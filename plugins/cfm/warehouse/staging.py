"""The staging contract: dbt's `staging.stg_<source>__feedback` views, and every read of them.

dbt builds one view per source with the same columns (see dbt/models/staging). Python reads
staged records only through this module: validation (records not validated yet), the enrich
stage (validated records not enriched yet) and erasure (one customer's records).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

# What validation checks (Great Expectations suite columns).
VALIDATION_COLUMNS = (
    "feedback_id", "source", "account", "source_record_id", "payload_hash", "submitted_at", "submitted_at_raw",
    "channel", "rating_type", "rating_value", "rating_value_raw", "rating_scale_min", "rating_scale_max", "text_raw",
)
# What the enrich stage reads (clear identity and raw text: they never leave the enrich stage).
ENRICHMENT_COLUMNS = (
    "feedback_id", "source", "account", "source_record_id", "payload_hash", "customer_email", "customer_external_id", "text_raw",
    "language_declared", "rating_type", "rating_value", "rating_scale_min", "rating_scale_max", "submitted_at",
    "survey_id", "question_id", "thread_id",
)
# Ids that may carry PII (an email as record id, a phone as thread id): pseudonymised by the enrich stage.
ID_COLUMNS = ("source_record_id", "survey_id", "question_id", "thread_id")


def _staged_views(conn: psycopg.Connection, kind: str) -> list[str]:
    """The staging views stg_<source>__<kind> that dbt has built, by name."""
    rows = conn.execute(
        "select table_name from information_schema.views where table_schema = 'staging' "
        "and table_name like %s order by table_name",
        (f"stg\\_%\\_\\_{kind}",),
    ).fetchall()
    return [r[0] for r in rows]


def feedback_views(conn: psycopg.Connection) -> list[str]:
    """The staged feedback views, one per source that dbt has built."""
    return _staged_views(conn, "feedback")


def view_source(view: str) -> str:
    return view.removeprefix("stg_").removesuffix("__feedback")


def _cols(columns: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in columns)


def unvalidated_records(conn: psycopg.Connection, view: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Staged records of one view whose current payload has not been validated, with the raw payload.

    Returns (column names, rows); the payload as JSON text (it is only stored again, for quarantine).
    """
    query = sql.SQL(
        """
        select {cols}, r.payload::text as payload
        from staging.{view} s
        join raw.{raw} r using (source, account, source_record_id)
        left join ops.validated_records v using (source, account, source_record_id)
        where v.payload_hash is distinct from s.payload_hash
        """
    ).format(cols=_cols(VALIDATION_COLUMNS), view=sql.Identifier(view), raw=sql.Identifier(view_source(view)))
    with conn.cursor() as cur:
        cur.execute(query)
        return [d.name for d in cur.description], cur.fetchall()


def unvalidated_frame(conn: psycopg.Connection, view: str) -> Any:
    """Staged records of one view whose current payload has not been validated, as a DataFrame of strings
    (null: missing): the VALIDATION_COLUMNS, read with one COPY (text format) and parsed by pandas' C reader,
    never value by value. Timestamps come as ISO 8601 text in UTC; the caller converts the types it checks."""
    import pandas as pd

    query = sql.SQL(
        """
        copy (
            select {cols}
            from staging.{view} s
            left join ops.validated_records v using (source, account, source_record_id)
            where v.payload_hash is distinct from s.payload_hash
        ) to stdout
        """
    ).format(cols=_cols(VALIDATION_COLUMNS), view=sql.Identifier(view))
    with conn.cursor() as cur:
        cur.execute("set local timezone to 'UTC'")
        cur.execute("set local datestyle to 'ISO'")
        with cur.copy(query) as copy:
            data = b"".join(bytes(block) for block in copy)
    if not data:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in VALIDATION_COLUMNS})
    frame = pd.read_csv(io.BytesIO(data), sep="\t", header=None, names=list(VALIDATION_COLUMNS), dtype=str,
                        quoting=csv.QUOTE_NONE, keep_default_na=False, na_values=["\\N"], skip_blank_lines=False,
                        encoding="utf-8", engine="c")
    # COPY's text format escapes backslashes and control characters; the view's casts (hex digests, timestamps,
    # numbers) never output one, so only the other columns are searched.
    for col in [c for c in frame.columns if c not in _CAST_COLUMNS] if b"\\" in data else ():
        escaped = frame[col].str.contains("\\", regex=False, na=False)
        if escaped.any():
            frame.loc[escaped, col] = frame.loc[escaped, col].map(_copy_unescape)
    return frame


_CAST_COLUMNS = frozenset({"feedback_id", "submitted_at", "rating_value", "rating_scale_min", "rating_scale_max"})
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _copy_unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), value, flags=re.DOTALL)


def raw_payloads(conn: psycopg.Connection, view: str,
                 keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], str]:
    """The raw payloads (JSON text) of some staged records of one view, by (source, account, source_record_id):
    validation reads them only for the records it quarantines."""
    if not keys:
        return {}
    sources, accounts, ids = (list(col) for col in zip(*keys, strict=True))
    query = sql.SQL(
        """
        select r.source, r.account, r.source_record_id, r.payload::text
        from raw.{raw} r
        join unnest(%s::text[], %s::text[], %s::text[]) k(source, account, source_record_id)
            using (source, account, source_record_id)
        """
    ).format(raw=sql.Identifier(view_source(view)))
    return {(s, a, i): p for s, a, i, p in conn.execute(query, (sources, accounts, ids))}


def _unenriched_query(conn: psycopg.Connection, columns: sql.Composable) -> sql.Composable:
    """Validated records whose current payload has not been enriched, in a feedback_id range, every source.

    Ids compare in code-point order (collation "C"), the order Python sorts them in.
    """
    parts = [
        sql.SQL(
            """
            select {cols}
            from staging.{view} s
            join ops.validated_records v using (source, account, source_record_id, payload_hash)
            left join ops.enriched_records e using (feedback_id)
            where v.passed and e.payload_hash is distinct from s.payload_hash
              and (%(lo)s::text is null or s.feedback_id >= %(lo)s collate "C")
              and (%(hi)s::text is null or s.feedback_id < %(hi)s collate "C")
            """
        ).format(cols=columns, view=sql.Identifier(view))
        for view in feedback_views(conn)
    ]
    return sql.SQL('select * from ({}) u order by feedback_id collate "C"').format(sql.SQL(" union all ").join(parts))


def stream_unenriched_records(conn: psycopg.Connection, lo: str | None = None, hi: str | None = None, *,
                              chunk_size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
    """Validated records whose current payload has not been enriched yet, every source, ids in [lo, hi),
    in chunks of `chunk_size`, read through a server-side cursor.

    The cursor lives in a transaction of `conn`: give it a connection of its own that nothing
    commits while it is read.
    """
    if not feedback_views(conn):
        return
    query = _unenriched_query(conn, _cols(ENRICHMENT_COLUMNS))
    with conn.cursor(name="cfm_unenriched", row_factory=dict_row) as cur:
        cur.itersize = chunk_size
        cur.execute(query, {"lo": lo, "hi": hi})
        while chunk := cur.fetchmany(chunk_size):
            yield chunk


def unenriched_ids(conn: psycopg.Connection) -> list[str]:
    """The feedback_ids `stream_unenriched_records` would return, sorted (only the keys: cheap to hold)."""
    if not feedback_views(conn):
        return []
    query = _unenriched_query(conn, sql.SQL("s.feedback_id"))
    return [r[0] for r in conn.execute(query, {"lo": None, "hi": None})]


def unenriched_count(conn: psycopg.Connection) -> int:
    """How many distinct feedback_ids `stream_unenriched_records` would return (counted in the warehouse)."""
    if not feedback_views(conn):
        return 0
    query = sql.SQL("select count(distinct feedback_id) from ({}) k").format(
        _unenriched_query(conn, sql.SQL("s.feedback_id")))
    return int(conn.execute(query, {"lo": None, "hi": None}).fetchone()[0])


def unenriched_keys_at(conn: psycopg.Connection, positions: list[int]) -> list[str]:
    """The backlog's distinct feedback_ids at these 0-based positions of their sorted ("C") order, sorted.

    The warehouse numbers the keys and returns only the asked ones, so a planner never holds the backlog.
    """
    if not positions or not feedback_views(conn):
        return []
    query = sql.SQL(
        """
        select feedback_id from (
            select feedback_id, row_number() over (order by feedback_id collate "C") - 1 as pos
            from (select distinct feedback_id from ({}) u) k
        ) n
        where pos = any(%(positions)s)
        order by feedback_id collate "C"
        """
    ).format(_unenriched_query(conn, sql.SQL("s.feedback_id")))
    return [r[0] for r in conn.execute(query, {"lo": None, "hi": None, "positions": sorted(set(positions))})]


def answer_question_ids(conn: psycopg.Connection, feedback_ids: list[str]) -> set[str]:
    """The question ids of these feedback items' answers (multi-question sources)."""
    found: set[str] = set()
    rows = conn.execute(
        "select table_name from information_schema.views where table_schema = 'staging' "
        "and table_name like 'stg\\_%\\_\\_answers'"
    ).fetchall()
    for (view,) in rows:
        query = sql.SQL("select distinct question_id from staging.{} where feedback_id = any(%s) and question_id is not null")
        found.update(r[0] for r in conn.execute(query.format(sql.Identifier(view)), (feedback_ids,)))
    return found


def customer_records(conn: psycopg.Connection, key: str, email: str | None,
                     external_id: str | None) -> list[tuple[str, str, str, str]]:
    """(source, account, source_record_id, feedback_id) of one customer's staged records.

    Matched by pseudonymous key (ml.feedback_identity), normalised email or external id.
    """
    found: list[tuple[str, str, str, str]] = []
    for view in feedback_views(conn):
        rows = conn.execute(
            sql.SQL(
                """
                select s.source, s.account, s.source_record_id, s.feedback_id
                from staging.{view} s
                left join ml.feedback_identity i using (feedback_id)
                where i.customer_key = %(key)s
                   or (%(email)s::text is not null and lower(s.customer_email) = %(email)s)
                   or (%(ext)s::text is not null and s.customer_external_id = %(ext)s)
                """
            ).format(view=sql.Identifier(view)),
            {"key": key, "email": email, "ext": external_id},
        ).fetchall()
        found.extend(rows)
    return found


# --- customer-attribute sources (stg_<source>__customers: the customer file drop, the CRM) ---------

def customer_views(conn: psycopg.Connection) -> list[str]:
    """The staged customer-attribute views, one per customer source that dbt has built."""
    return _staged_views(conn, "customers")


def unkeyed_customers(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Staged customer records whose current payload has no pseudonymous key yet (clear identity: enrich stage only)."""
    items: list[dict[str, Any]] = []
    for view in customer_views(conn):
        query = sql.SQL(
            """
            select s.source, s.account, s.source_record_id, s.payload_hash, s.customer_email, s.customer_external_id
            from staging.{view} s
            where not exists (
                select 1 from ml.customer_identity i
                where (i.source, i.account, i.source_record_id, i.payload_hash)
                    = (s.source, s.account, s.source_record_id, s.payload_hash))
            order by s.source, s.account, s.source_record_id
            """
        ).format(view=sql.Identifier(view))
        with conn.cursor(row_factory=dict_row) as cur:
            items.extend(cur.execute(query).fetchall())
    return items


def record_ids(conn: psycopg.Connection, feedback_ids: list[str]) -> set[str]:
    """Every id (ID_COLUMNS, and their answers' question ids) of these staged feedback items."""
    found: set[str] = set()
    ids = sql.SQL(", ").join(sql.Identifier(c) for c in ID_COLUMNS)
    for view in feedback_views(conn):
        query = sql.SQL("select distinct x from staging.{}, unnest(array[{}]::text[]) x "
                        "where feedback_id = any(%s) and x is not null").format(sql.Identifier(view), ids)
        found.update(r[0] for r in conn.execute(query, (feedback_ids,)))
    return found | answer_question_ids(conn, feedback_ids)


def referenced_id_digests(conn: psycopg.Connection, digests: list[str]) -> set[str]:
    """Which of these md5 digests of ids a staged record still carries (so its pseudonym is still needed)."""
    found: set[str] = set()
    ids = sql.SQL(", ").join(sql.Identifier(c) for c in ID_COLUMNS)
    for view in feedback_views(conn):
        query = sql.SQL("select distinct md5(x) from staging.{}, unnest(array[{}]::text[]) x "
                        "where md5(x) = any(%s)").format(sql.Identifier(view), ids)
        found.update(r[0] for r in conn.execute(query, (digests,)))
    for view in _staged_views(conn, "answers"):
        query = sql.SQL("select distinct md5(question_id) from staging.{} where md5(question_id) = any(%s)")
        found.update(r[0] for r in conn.execute(query.format(sql.Identifier(view)), (digests,)))
    return found

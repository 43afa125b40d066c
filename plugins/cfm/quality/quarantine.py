"""Quarantine: list, correct and replay rejected records. Nothing rejected is ever dropped."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cfm.sources.registry import build_source
from cfm.warehouse.raw_loader import land_batch


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


def replay(url: str, config: dict[str, Any], run_id: str, *, source: str | None = None,
           ids: list[int] | None = None) -> dict[str, int]:
    """Re-run quarantined records: parser rejects are re-landed from their (edited) payload;
    validation rejects are re-validated against the current expectations."""
    from cfm.quality.validation import validate_new_records

    landed = 0
    errors: list[str] = []
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(
            """
            select * from quarantine.records
            where status = 'open' and (%(source)s::text is null or source = %(source)s)
              and (%(ids)s::bigint[] is null or quarantine_id = any(%(ids)s))
            order by quarantine_id
            """,
            {"source": source, "ids": ids},
        ).fetchall()
        for row in rows:
            if row["source_record_id"] is None:
                try:
                    src = build_source(row["source"], config)
                    record = src.record_from_quarantine(row["account"], row["payload"])
                except Exception as exc:
                    errors.append(f"{row['quarantine_id']}: {exc}")
                    continue
                land_batch(conn, row["source"], row["account"], [record], [], None, run_id)
                conn.execute("update quarantine.records set status = 'replayed', resolved_at = now() where quarantine_id = %s",
                             (row["quarantine_id"],))
                conn.commit()
                landed += 1
            else:
                conn.execute(
                    "delete from ops.validated_records where source = %s and account = %s and source_record_id = %s",
                    (row["source"], row["account"], row["source_record_id"]),
                )
        conn.commit()
    validated = validate_new_records(url, run_id)
    with psycopg.connect(url) as conn:
        still_open = conn.execute("select count(*) from quarantine.records where status = 'open'").fetchone()[0]
    return {"selected": len(rows), "relanded": landed, "revalidated": validated["checked"],
            "passed": validated["passed"], "still_open": still_open, "errors": len(errors)}

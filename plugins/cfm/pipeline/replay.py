"""Replay quarantined records: parser rejects are re-landed from their (edited) payload;
validation rejects are re-validated against the current expectations."""

from __future__ import annotations

from typing import Any

import psycopg

from cfm.sources.registry import build_source
from cfm.warehouse import quarantine
from cfm.warehouse.raw_loader import land_batch


def replay(url: str, config: dict[str, Any], run_id: str, *, source: str | None = None,
           ids: list[int] | None = None) -> dict[str, int]:
    from cfm.quality.validation import validate_new_records

    landed = 0
    errors: list[str] = []
    with psycopg.connect(url) as conn:
        rows = quarantine.open_entries(conn, source=source, ids=ids)
        for row in rows:
            if row["source_record_id"] is None:
                try:
                    src = build_source(row["source"], config)
                    record = src.record_from_quarantine(row["account"], row["payload"])
                except Exception as exc:
                    errors.append(f"{row['quarantine_id']}: {exc}")
                    continue
                land_batch(conn, row["source"], row["account"], [record], [], None, run_id)
                quarantine.mark_replayed(conn, row["quarantine_id"])
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
        still_open = quarantine.count_open(conn)
    return {"selected": len(rows), "relanded": landed, "revalidated": validated["checked"],
            "passed": validated["passed"], "still_open": still_open, "errors": len(errors)}

"""Replay quarantined records: parser rejects are re-landed from their (edited) payload;
validation rejects are re-validated against the current expectations.

A parser reject of any source is replayed from its stored payload: the source maps it again with
the same record mapping a sync applies (`FeedbackSource.remap`); one still rejected stays open with
its reason. A payload of an erased customer is never re-landed (cfm.privacy.tombstones).
"""

from __future__ import annotations

from typing import Any

import psycopg

from cfm.privacy.tombstones import Tombstones
from cfm.sources.registry import build_source
from cfm.warehouse import quarantine
from cfm.warehouse.raw_loader import land_batch


def replay(url: str, config: dict[str, Any], run_id: str, *, source: str | None = None,
           ids: list[int] | None = None) -> dict[str, Any]:
    from cfm.quality.validation import validate_new_records

    landed = 0
    errors: list[str] = []
    with psycopg.connect(url) as conn:
        stones = Tombstones.load(conn, (config.get("privacy") or {}).get("phone_region"))
        rows = quarantine.open_entries(conn, source=source, ids=ids)
        for row in rows:
            if row["source_record_id"] is None:
                try:
                    src = build_source(row["source"], config)
                    record = src.record_from_quarantine(row["account"], row["payload"])
                except Exception as exc:
                    errors.append(f"{row['quarantine_id']}: {exc}")
                    continue
                result = land_batch(conn, row["source"], row["account"], [record], [], None, run_id,
                                    erased=stones.blocks if stones else None)
                quarantine.mark_replayed(conn, row["quarantine_id"])
                conn.commit()
                landed += result.received - result.erased
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
            "passed": validated["passed"], "still_open": still_open, "errors": len(errors), "error_messages": errors}

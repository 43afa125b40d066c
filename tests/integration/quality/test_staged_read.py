"""Validation's set-based read of the staging views: the inline timestamp cast agrees with the trapping
PL/pgSQL function on every input, and the COPY read gives back the staged values exactly."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from cfm.pipeline.ingest import sync_source
from cfm.pipeline.staging_views import build_staging_views
from cfm.quality.validation import validate_new_records
from cfm.sources.file_drop import FileDropSource
from cfm.warehouse import staging

# Plain ISO values (cast inline) and everything else (left to public.cfm_try_timestamptz).
TIMESTAMPS = [
    "2026-05-01T10:00:00Z", "2026-05-01 10:00:00+04:00", "2026-05-01T10:00:00.123456-0330", "2026-05-01T10:00Z",
    "2026-05-01T10:00:00", "2026-05-01", "1900-01-01T00:00:00+14:00", "2099-12-31T23:59:59-14:00",
    "2026-02-29T10:00:00Z", "2024-02-29T10:00:00Z", "2026-02-30", "2026-04-31T00:00:00Z", "2026-13-01", "2026-00-10",
    "2026-05-01T24:00:00Z", "2026-05-01T23:60:00Z", "2026-05-01T23:59:60Z", "2026-05-01T10:00:00+15:00",
    "2026-05-01T10:00:00+16:00", "2026-05-01T10:00:00.1234567Z", " 2026-05-01T10:00:00Z", "2026-05-01T10:00:00Z ",
    "2026-11-20T10:00:00Z BC", "9999-12-31T23:59:59-05:00", "9999-06-01T00:00:00Z", "0001-01-01T00:00:00Z",
    "0000-01-01", "2100-01-01T00:00:00Z", "1899-12-31T23:00:00Z", "2026-05-01t10:00:00z", "2026-05-01T10:00:00 UTC",
    "2026-05-01T10:00:00 Europe/Paris", "now", "10:00", "31/13/2026 25:61", "", "   ", "2026-05-01\n", "20260501",
]


def _land(tmp_path: Path, warehouse: str, rows: list[dict[str, object]]) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    sync_source(warehouse, FileDropSource({"dir": str(drop)}), run_id="r1")
    build_staging_views(warehouse)


def test_inline_timestamp_cast_agrees_with_the_trapping_function(tmp_path: Path, warehouse: str) -> None:
    _land(tmp_path, warehouse, [{"id": f"t{i}", "submitted_at": v, "channel": "survey", "text": "x"}
                                for i, v in enumerate(TIMESTAMPS)])
    with psycopg.connect(warehouse) as conn:
        conn.execute("set timezone to 'America/New_York'")  # the result must not depend on the session's zone
        rows = conn.execute(
            "select s.submitted_at_raw, s.submitted_at, public.cfm_try_timestamptz(r.payload->>'submitted_at') "
            "from staging.stg_file_drop__feedback s join raw.file_drop r using (source, account, source_record_id)"
        ).fetchall()
        view_sql = conn.execute("select pg_get_viewdef('staging.stg_file_drop__feedback')").fetchone()[0]
    assert len(rows) == len(TIMESTAMPS)
    assert [(raw, inline) for raw, inline, trapped in rows if inline != trapped] == []
    assert sum(inline is not None for _, inline, _ in rows) >= 10
    assert "cfm_try_timestamptz" in view_sql and "CASE" in view_sql  # the function is only the fallback


def test_copy_read_keeps_every_value_exactly(tmp_path: Path, warehouse: str) -> None:
    texts = ["tab\there", "line\nbreak\r\nwindows", "back\\slash \\N \\t literal", "\\N", "quote \" and ' ",
             "ünïcødé ✓ 💬", "\x0b\x0c\x08 controls"]
    _land(tmp_path, warehouse, [{"id": f"x{i}", "submitted_at": "2026-05-01T10:00:00Z", "channel": "chat", "text": t,
                                 "rating_type": "csat", "rating_value": "4"} for i, t in enumerate(texts)]
          + [{"id": "empty-date", "submitted_at": "", "channel": "chat", "text": "t"},
             {"id": "no-date", "channel": "chat", "text": "t"}])
    with psycopg.connect(warehouse) as conn:
        frame = staging.unvalidated_frame(conn, "stg_file_drop__feedback")
    by_id = frame.set_index("source_record_id")
    assert [by_id.loc[f"x{i}", "text_raw"] for i in range(len(texts))] == texts
    assert by_id.loc["x0", "submitted_at"].startswith("2026-05-01 10:00:00")
    assert by_id.loc["empty-date", "submitted_at_raw"] == ""  # an empty string stays one
    assert by_id.loc[["no-date"], "submitted_at_raw"].isna().all()  # a missing value is null, not ""


def test_quarantined_records_keep_their_raw_payload(tmp_path: Path, warehouse: str) -> None:
    _land(tmp_path, warehouse, [{"id": "ok", "submitted_at": "2026-05-01T10:00:00Z", "channel": "chat", "text": "t"},
                                {"id": "bad", "submitted_at": "", "channel": "chat", "text": "tab\there"}])
    counts = validate_new_records(warehouse, "r1")
    assert counts == {"checked": 2, "passed": 1, "quarantined": 1}
    with psycopg.connect(warehouse) as conn:
        payload, reason = conn.execute("select payload, reason from quarantine.records where record_ref = 'bad'").fetchone()
    assert payload["text"] == "tab\there" and payload["id"] == "bad"
    assert "submitted_at '' is missing" in reason


def test_verdicts_written_while_another_writer_holds_the_verdict_lock_update_its_row(tmp_path: Path, warehouse: str) -> None:
    """Verdicts are written with MERGE (plain inserts for new keys) behind a transaction lock that every
    verdict writer takes: a run that starts while another has just inserted the same key, uncommitted,
    waits for it and then updates that row (without the lock, MERGE's insert would hit a unique violation)."""
    import threading

    _land(tmp_path, warehouse, [{"id": "k1", "submitted_at": "2026-05-01T10:00:00Z", "channel": "chat", "text": "t"}])
    with psycopg.connect(warehouse) as other:
        other.execute("select pg_advisory_xact_lock(hashtext('cfm.ops.validated_records'))")
        other.execute("insert into ops.validated_records (source, account, source_record_id, payload_hash, passed, run_id) "
                      "select source, account, source_record_id, 'older', false, 'other' from raw.file_drop")
        outcome: dict[str, object] = {}

        def validate() -> None:
            try:
                outcome["counts"] = validate_new_records(warehouse, "r2")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = exc

        worker = threading.Thread(target=validate)
        worker.start()
        with psycopg.connect(warehouse, autocommit=True) as watch:
            while worker.is_alive() and not watch.execute(
                "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
            ).fetchone()[0]:
                watch.execute("select pg_sleep(0.05)")
        other.commit()
        worker.join()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["counts"] == {"checked": 1, "passed": 1, "quarantined": 0}
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute("select source_record_id, passed, run_id, payload_hash <> 'older' from ops.validated_records").fetchall()
    assert rows == [("k1", True, "r2", True)]

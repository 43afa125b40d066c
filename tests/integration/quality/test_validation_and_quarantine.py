"""Validation runs the committed Great Expectations checkpoint on real staging views."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.pipeline.replay import replay
from cfm.pipeline.staging_views import build_staging_views as build_staging
from cfm.quality.validation import validate_new_records
from cfm.sources.file_drop import FileDropSource
from cfm.warehouse import quarantine

HEADER = "id,submitted_at,channel,text,rating_type,rating_value,rating_scale_max\n"
ROWS = [
    "ok-1,2026-05-01T10:00:00Z,survey,fine,nps,9,",
    "nps-11,2026-05-01T10:00:00Z,survey,great,nps,11,",
    "bad-date,31/13/2026,phone,late,,,",
    "pigeon,2026-05-01T10:00:00Z,pigeon,hello,,,",
    "ten,2026-05-01T10:00:00+04:00,survey,ok,nps,ten,",
    "empty,2026-05-01T10:00:00Z,chat,,,,",
    "csat-7,2026-05-01T10:00:00Z,chat,meh,csat,7,",
    "csat-7-of-7,2026-05-01T10:00:00Z,chat,custom scale,csat,7,7",
    ",2026-05-01T10:00:00Z,chat,no id,,,",
]


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    d = tmp_path / "drop"
    d.mkdir()
    (d / "batch.csv").write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return d


def _open(url: str) -> dict[str, list[tuple[str, str]]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select record_ref, field, check_name, reason from quarantine.records where status = 'open' order by 1, 3"
        ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for ref, field, check, reason in rows:
        out.setdefault(ref, []).append((field, check))
        assert f"field={field}" in reason and "source=file_drop" in reason and "record=" in reason
    return out


def test_invalid_rows_are_quarantined_with_field_and_reason_and_revalidation_is_a_no_op(warehouse: str, drop: Path) -> None:
    src = FileDropSource({"dir": str(drop)})
    sync_source(warehouse, src, run_id="r1")
    build_staging(warehouse)
    counts = validate_new_records(warehouse, "r1")
    assert counts == {"checked": 8, "passed": 2, "quarantined": 6}
    assert _open(warehouse) == {
        "batch.csv:10": [("id", "source_parse")],
        "bad-date": [("submitted_at", "submitted_at_parseable")],
        "csat-7": [("rating_value", "rating_in_scale")],
        "empty": [("text", "has_content")],
        "nps-11": [("rating_value", "rating_in_scale")],
        "pigeon": [("channel", "channel_known")],
        "ten": [("rating_value", "rating_value_numeric"), ("rating_value", "rating_value_present")],
    }
    with psycopg.connect(warehouse) as conn:
        reason = conn.execute("select reason from quarantine.records where record_ref = 'bad-date'").fetchone()[0]
    assert "'31/13/2026'" in reason

    assert validate_new_records(warehouse, "r2")["checked"] == 0


def test_a_record_fixed_at_the_source_leaves_quarantine(warehouse: str, drop: Path) -> None:
    src = FileDropSource({"dir": str(drop)})
    sync_source(warehouse, src, run_id="r1")
    build_staging(warehouse)
    validate_new_records(warehouse, "r1")
    path = drop / "batch.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("nps-11,2026-05-01T10:00:00Z,survey,great,nps,11",
                                                             "nps-11,2026-05-01T10:00:00Z,survey,great,nps,10"),
                    encoding="utf-8")
    sync_source(warehouse, src, run_id="r2")
    assert validate_new_records(warehouse, "r2") == {"checked": 1, "passed": 1, "quarantined": 0}
    assert "nps-11" not in _open(warehouse)
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select status from quarantine.records where record_ref = 'nps-11'").fetchone()[0] == "resolved"


def test_parser_reject_can_be_corrected_and_replayed(warehouse: str, drop: Path) -> None:
    config = {"sources": {"file_drop": {"enabled": True, "dir": str(drop)}}}
    sync_source(warehouse, FileDropSource({"dir": str(drop)}), run_id="r1")
    build_staging(warehouse)
    validate_new_records(warehouse, "r1")
    [missing] = [r for r in quarantine.list_records(warehouse) if r["field"] == "id"]

    with pytest.raises(Exception, match="still has no 'id'"):
        from cfm.sources.file_drop import FileDropSource as Src

        Src({"dir": str(drop)}).record_from_quarantine("drop", {"id": ""})
    quarantine.edit_payload(warehouse, missing["quarantine_id"], {"id": "manual-1"})
    result = replay(warehouse, config, "replay-1", ids=[missing["quarantine_id"]])
    assert result["relanded"] == 1 and result["errors"] == 0
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select payload->>'text' from raw.file_drop where source_record_id = 'manual-1'").fetchone()[0] == "no id"
        assert conn.execute("select status from quarantine.records where quarantine_id = %s",
                            (missing["quarantine_id"],)).fetchone()[0] == "replayed"
        assert conn.execute("select passed from ops.validated_records where source_record_id = 'manual-1'").fetchone()[0]


def test_validation_rejects_cannot_be_edited_in_quarantine(warehouse: str, drop: Path) -> None:
    sync_source(warehouse, FileDropSource({"dir": str(drop)}), run_id="r1")
    build_staging(warehouse)
    validate_new_records(warehouse, "r1")
    [pigeon] = [r for r in quarantine.list_records(warehouse) if r["record_ref"] == "pigeon"]
    with pytest.raises(ValueError, match="fix it at the source"):
        quarantine.edit_payload(warehouse, pigeon["quarantine_id"], {"channel": "chat"})

"""Extreme timestamps are quarantined per record; they never stop validation for the other records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg

from cfm.pipeline.ingest import sync_source
from cfm.pipeline.staging_views import build_staging_views
from cfm.quality.validation import PlausibleWindow, validate_new_records
from cfm.sources.file_drop import FileDropSource

ROWS = {
    "ok": "2026-05-01T10:00:00Z",
    "bc": "2026-11-20T10:00:00Z BC",
    "y10000": "9999-12-31T23:59:59-05:00",
    "y9999": "9999-06-01T00:00:00Z",
    "y0001": "0001-01-01T00:00:00Z",
    "y1999": "1999-12-31T23:00:00Z",
    "future": "2026-12-03T00:00:00Z",
}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_extreme_timestamps_are_quarantined_and_the_rest_validate(tmp_path: Path, warehouse: str) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "t.csv").write_text("id,submitted_at,channel,text\n"
                                + "".join(f"{k},{v},survey,words\n" for k, v in ROWS.items()), encoding="utf-8")
    sync_source(warehouse, FileDropSource({"dir": str(drop)}), run_id="r1")
    build_staging_views(warehouse)
    window = PlausibleWindow.from_config({"validation": {"earliest_submitted_at": "2000-01-01", "future_skew_hours": 24}})
    counts = validate_new_records(warehouse, "r1", window=window, now=NOW)
    assert counts == {"checked": 7, "passed": 1, "quarantined": 6}
    with psycopg.connect(warehouse) as conn:
        held = dict(conn.execute("select record_ref, check_name from quarantine.records where status = 'open'").fetchall())
        passed = [r[0] for r in conn.execute("select source_record_id from ops.validated_records where passed")]
    assert passed == ["ok"]
    # Beyond what clients can read (BC, years 1 and 9999): unparseable; readable but implausible: outside the window.
    assert held == {"bc": "submitted_at_parseable", "y10000": "submitted_at_parseable", "y9999": "submitted_at_parseable",
                    "y0001": "submitted_at_parseable", "y1999": "submitted_at_plausible", "future": "submitted_at_plausible"}

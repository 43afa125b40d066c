"""A backfill window's end (`until`, Airflow's data_interval_end) cuts every dated source, through its fake API.

Each source's recorded sample is synced in two windows split at the median record time, then the
same sample once with no window into a second database. The first window stores only records last
changed before the split, the second only the rest, neither moves the source's incremental cursor,
and together they store exactly what the single sync stores: a backfill day by day equals one run.
Where the API filters on a window's end (SurveyMonkey `end_modified_at`, Qualtrics `endDate`,
Gmail `before:`) the source asks for it; the others are cut in ingest (docs/sources/<source>.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from cfm.config import PROJECT_ROOT
from cfm.pipeline.ingest import sync_source
from cfm.pipeline.prepare import prepare_warehouse
from cfm.sources.registry import build_source, source_class, source_names

SAMPLE_API = PROJECT_ROOT / "sample_data" / "api"
WINDOWED = [n for n in source_names() if (SAMPLE_API / n).is_dir() and source_class(n).until_cut is not None]
START = datetime(2000, 1, 1, tzinfo=UTC)
ASKS_FOR_END: dict[str, Callable[[Any], bool]] = {
    "surveymonkey": lambda r: bool(r.arg("end_modified_at")),
    "qualtrics": lambda r: r.method == "POST" and "endDate" in (r.json() or {}),
    "gmail": lambda r: "before:" in (r.arg("q") or ""),
}


@contextmanager
def _fake(name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Callable[..., dict[str, Any]], Any]]:
    """One fake server for the whole test (some fakes write their own URL into payloads)."""
    module = importlib.import_module(f"cfm.testing.fake_apis.{name}")
    for key, value in module.demo_credentials().items():
        monkeypatch.setenv(key, value)
    with module.demo_server(SAMPLE_API / name) as server:
        config = {**module.demo_config(server.base_url), "max_attempts": 2, "backoff_base_seconds": 0.01}

        def sync(url: str, run_id: str, **window: Any) -> dict[str, Any]:
            return sync_source(url, build_source(name, {"sources": {name: config}}), run_id=run_id, **window)

        yield sync, server


def _rows(url: str, name: str) -> dict[str, tuple[datetime | None, str]]:
    with psycopg.connect(url) as conn:
        return {
            f"{account}/{rid}": (updated, digest)
            for account, rid, updated, digest in conn.execute(
                f"select account, source_record_id, source_updated_at, payload_hash from raw.{name}"
            )
        }


def _cursors(url: str, name: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from ops.sync_state where source = %s", (name,)).fetchone()[0]


def test_every_dated_api_source_is_windowed() -> None:
    assert {
        "surveymonkey",
        "qualtrics",
        "gmail",
        "trustpilot",
        "app_store",
        "google_play",
        "google_business",
        "google_forms",
    } <= set(WINDOWED)


@pytest.mark.parametrize("name", WINDOWED)
def test_a_window_end_cuts_the_source_and_windows_add_up_to_one_sync(
    name: str, warehouse: str, make_database, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = make_database()
    with psycopg.connect(whole) as conn:
        prepare_warehouse(conn)
    with _fake(name, monkeypatch) as (sync, server):
        sync(whole, "whole")
        full = _rows(whole, name)
        dated = sorted(u for u, _ in full.values() if u is not None)
        assert len(dated) >= 4
        split = dated[len(dated) // 2]

        server.requests.clear()
        sync(warehouse, "w1", since=START, until=split)
        if name in ASKS_FOR_END:  # the API filters on the window's end: the source asks for it
            assert any(ASKS_FOR_END[name](r) for r in server.requests)
        first = _rows(warehouse, name)
        assert first and all(u is None or u < split for u, _ in first.values())
        assert len(first) < len(full)
        # the window read past records it did not store: no cursor moved
        assert _cursors(warehouse, name) == 0

        sync(warehouse, "w2", since=split, until=datetime(2100, 1, 1, tzinfo=UTC))
        assert _rows(warehouse, name) == full
        assert _cursors(warehouse, name) == 0

        # After the backfill, the scheduled sync (no window) finds nothing new or changed.
        counts = sync(warehouse, "scheduled")
        assert counts["inserted"] == 0 and counts["updated"] == 0
        assert _rows(warehouse, name) == full

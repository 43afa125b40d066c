"""ops.run_log: one row per (run, stage, source) with its counts, so every run is auditable."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg


def new_run_id(prefix: str = "cli") -> str:
    return f"{prefix}__{datetime.now(UTC):%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:6]}"


@contextmanager
def logged_stage(url: str, run_id: str, stage: str, source: str = "") -> Iterator[dict[str, Any]]:
    """Record a stage's start, counts and outcome. Yields a dict the stage fills with counts."""
    counts: dict[str, Any] = {}
    started = datetime.now(UTC)
    try:
        yield counts
    except Exception as exc:
        _write(url, run_id, stage, source, started, "failed", counts, f"{type(exc).__name__}: {exc}")
        raise
    _write(url, run_id, stage, source, started, "success", counts, None)


def _write(url: str, run_id: str, stage: str, source: str, started: datetime, status: str,
           counts: dict[str, Any], error: str | None) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            insert into ops.run_log (run_id, stage, source, started_at, finished_at, status, counts, error)
            values (%s, %s, %s, %s, now(), %s, %s, %s)
            on conflict (run_id, stage, source) do update set
                started_at = excluded.started_at, finished_at = excluded.finished_at,
                status = excluded.status, counts = excluded.counts, error = excluded.error
            """,
            (run_id, stage, source, started, status, json.dumps(counts, default=str), error),
        )

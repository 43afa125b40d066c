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


class StageBusy(RuntimeError):
    """Another run holds this stage's lock: refused, with who holds it, instead of racing it."""


@contextmanager
def logged_stage(url: str, run_id: str, stage: str, source: str = "") -> Iterator[dict[str, Any]]:
    """Record a stage's start, counts and outcome. Yields a dict the stage fills with counts.

    The stage runs under a PostgreSQL advisory lock of its own (stage and source), held by a
    session that dies with the process, so two runs never build the same thing at once and a
    killed run never leaves a lock behind. Its ops.run_log row says `running` from the start:
    a killed stage stays visible as running with no finish time. A stage that finds nothing to do
    sets counts["skipped_because"]; its row then says `skipped`.
    """
    counts: dict[str, Any] = {}
    started = datetime.now(UTC)
    with stage_lock(url, stage, source):
        _write(url, run_id, stage, source, started, "running", counts, None, finished=False)
        try:
            yield counts
        except BaseException as exc:
            _write(url, run_id, stage, source, started, "failed", counts, f"{type(exc).__name__}: {exc}")
            raise
        _write(url, run_id, stage, source, started, "skipped" if counts.get("skipped_because") else "success", counts, None)


@contextmanager
def stage_lock(url: str, stage: str, source: str = "", *, wait: bool = False) -> Iterator[None]:
    """Hold the advisory lock of a stage (and source) for the block; raise StageBusy when another run holds it.

    `wait=True` queues behind the holder instead (for short, idempotent steps such as DDL). The lock
    belongs to a session of its own, so it dies with the process.
    """
    key = f"{stage}/{source}" if source else stage
    with psycopg.connect(url, autocommit=True) as lock_conn:
        if wait:
            lock_conn.execute("select pg_advisory_lock(hashtext('cfm.stage'), hashtext(%s))", (key,))
        elif not lock_conn.execute("select pg_try_advisory_lock(hashtext('cfm.stage'), hashtext(%s))", (key,)).fetchone()[0]:
            what = "another cfm run is" if key == "run" else f"stage {key} is already"
            raise StageBusy(f"{what} running in this warehouse ({_holder(lock_conn, stage, source)}); "
                            "this run leaves it alone: wait for it to finish and run again")
        yield


def _holder(conn: psycopg.Connection, stage: str, source: str) -> str:
    if not conn.execute("select to_regclass('ops.run_log')").fetchone()[0]:
        return "another run"
    row = conn.execute("select run_id, started_at from ops.run_log where stage = %s and source = %s and status = 'running' "
                       "order by started_at desc limit 1", (stage, source)).fetchone()
    return f"run {row[0]}, started {row[1]:%Y-%m-%d %H:%M:%S %Z}" if row else "another run"


def _write(url: str, run_id: str, stage: str, source: str, started: datetime, status: str,
           counts: dict[str, Any], error: str | None, *, finished: bool = True) -> None:
    with psycopg.connect(url) as conn:
        if not conn.execute("select to_regclass('ops.run_log')").fetchone()[0]:
            return  # the prepare stage has not created it yet; its finish is logged
        conn.execute(
            """
            insert into ops.run_log (run_id, stage, source, started_at, finished_at, status, counts, error)
            values (%s, %s, %s, %s, case when %s then now() end, %s, %s, %s)
            on conflict (run_id, stage, source) do update set
                started_at = excluded.started_at, finished_at = excluded.finished_at,
                status = excluded.status, counts = excluded.counts, error = excluded.error
            """,
            (run_id, stage, source, started, finished, status, json.dumps(counts, default=str), error),
        )

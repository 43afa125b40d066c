"""`cfm run`: every stage in-process, in pipeline order, for local runs and backfills."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from multiprocessing import get_context
from typing import Any

from cfm.pipeline.run_log import stage_lock
from cfm.pipeline.stage import STAGES, StageContext


@dataclass
class RunSummary:
    run_id: str
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> the counts it returned
    stage_seconds: dict[str, float] = field(default_factory=dict)  # each stage's own, overlapping ones included
    wall_seconds: float = 0.0  # the whole run (less than the stages' sum when some overlapped)

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        return self.counts.get("ingest", {}).get("sources", {})

    @property
    def failed_sources(self) -> dict[str, str]:
        return self.counts.get("ingest", {}).get("failed", {})

    @property
    def validation(self) -> dict[str, Any]:
        return self.counts.get("validate", {})

    @property
    def enrichment(self) -> dict[str, Any]:
        return self.counts.get("enrich", {})

    @property
    def report_path(self) -> str | None:
        return self.counts.get("report", {}).get("path")

    @property
    def read(self) -> int:
        return sum(s.get("received", 0) + s.get("quarantined", 0) for s in self.sources.values())

    @property
    def loaded(self) -> int:
        return sum(s.get("inserted", 0) + s.get("updated", 0) for s in self.sources.values())

    @property
    def quarantined(self) -> int:
        return sum(s.get("quarantined", 0) for s in self.sources.values()) + self.validation.get("quarantined", 0)


def _timed(run: Callable[[StageContext], dict[str, Any]], ctx: StageContext) -> tuple[dict[str, Any], float]:
    t0 = time.monotonic()
    return run(ctx), time.monotonic() - t0


def _die_with(parent: int) -> None:
    """In the stage's process: be killed when the run's process dies (a killed `cfm run` must not leave
    a stage running on, holding its locks against the re-run)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before that
        os._exit(1)


def _executor() -> Executor:
    """Where a stage that starts early runs: a process of its own (dbt parses in Python: a thread would
    wait on ingest for the interpreter lock)."""
    return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_die_with,
                               initargs=(os.getpid(),))


def run_pipeline(url: str, config: dict[str, Any], run_id: str, *, only: list[str] | None = None,
                 since: datetime | None = None, until: datetime | None = None, progress: bool = False,
                 report: bool = True, rebuild: bool = False) -> RunSummary:
    """Run each stage of STAGES that belongs to `cfm run`, in order; a stage that fails stops the run.

    A stage with `starts_after` starts once that stage has finished and runs beside the stages in
    between; the run waits for it (and fails with it) before going past its place in the order."""
    ctx = StageContext(url=url, config=config, run_id=run_id, only=only, since=since, until=until,
                       progress=progress, rebuild=rebuild)
    summary = RunSummary(run_id)
    stages = [s for s in STAGES if s.in_run and not (s.name == "report" and not report)]
    started = time.monotonic()
    early: dict[str, Future] = {}
    with stage_lock(url, "run"), _executor() as pool:  # a second `cfm run` on this warehouse is refused, naming why
        try:
            for stage in stages:
                if stage.name in early:
                    try:
                        summary.counts[stage.name], seconds = early.pop(stage.name).result()
                        summary.stage_seconds[stage.name] = round(seconds, 2)
                    except BaseException:
                        summary.stage_seconds[stage.name] = round(time.monotonic() - started, 2)
                        raise
                    continue
                t0 = time.monotonic()
                try:
                    summary.counts[stage.name] = stage.run(ctx)
                finally:
                    summary.stage_seconds[stage.name] = round(time.monotonic() - t0, 2)
                for later in stages:
                    if later.starts_after == stage.name:
                        early[later.name] = pool.submit(_timed, later.run, replace(ctx, early=True))
        finally:
            for future in early.values():  # the run failed before reaching them: let them finish, quietly
                future.cancel()
    summary.wall_seconds = round(time.monotonic() - started, 2)
    return summary

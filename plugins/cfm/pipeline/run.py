"""`cfm run`: every stage in-process, in pipeline order, for local runs and backfills."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cfm.pipeline.run_log import stage_lock
from cfm.pipeline.stage import STAGES, StageContext


@dataclass
class RunSummary:
    run_id: str
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> the counts it returned
    stage_seconds: dict[str, float] = field(default_factory=dict)

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


def run_pipeline(url: str, config: dict[str, Any], run_id: str, *, only: list[str] | None = None,
                 since: datetime | None = None, until: datetime | None = None, progress: bool = False,
                 report: bool = True, rebuild: bool = False) -> RunSummary:
    """Run each stage of STAGES that belongs to `cfm run`, in order; a stage that fails stops the run."""
    ctx = StageContext(url=url, config=config, run_id=run_id, only=only, since=since, until=until,
                       progress=progress, rebuild=rebuild)
    summary = RunSummary(run_id)
    with stage_lock(url, "run"):  # a second `cfm run` on this warehouse is refused, naming why
        for stage in STAGES:
            if not stage.in_run or (stage.name == "report" and not report):
                continue
            t0 = time.monotonic()
            try:
                summary.counts[stage.name] = stage.run(ctx)
            finally:
                summary.stage_seconds[stage.name] = round(time.monotonic() - t0, 2)
    return summary

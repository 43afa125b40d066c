"""`cfm run`: every pipeline task in-process, in DAG order, for local runs and backfills."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from cfm.config import project_path
from cfm.pipeline.run_log import logged_stage
from cfm.sources.registry import build_source, enabled_sources

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    run_id: str
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_sources: dict[str, str] = field(default_factory=dict)
    validation: dict[str, int] = field(default_factory=dict)
    enrichment: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    report_path: str | None = None

    @property
    def read(self) -> int:
        return sum(s.get("received", 0) + s.get("quarantined", 0) for s in self.sources.values())

    @property
    def loaded(self) -> int:
        return sum(s.get("inserted", 0) + s.get("updated", 0) for s in self.sources.values())

    @property
    def quarantined(self) -> int:
        return sum(s.get("quarantined", 0) for s in self.sources.values()) + self.validation.get("quarantined", 0)


def prepare_warehouse(url: str) -> None:
    from cfm.warehouse.schema import ensure_warehouse

    with psycopg.connect(url) as conn:
        ensure_warehouse(conn)


def ingest_all(url: str, config: dict[str, Any], run_id: str, *, only: list[str] | None = None,
               since: datetime | None = None, progress: bool = False) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Sync each enabled source; one failing source does not stop the others."""
    from cfm.pipeline.ingest import sync_source

    names = only or enabled_sources(config)
    results: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for name in names:
        bar = _bar(progress, f"ingest {name}", "records")
        try:
            with logged_stage(url, run_id, "ingest", name) as counts:
                counts.update(sync_source(url, build_source(name, config), run_id=run_id, since=since, progress=bar))
            results[name] = counts
        except Exception as exc:  # reported in the summary and the run log; the rest go on
            log.exception("[%s] sync failed", name)
            failures[name] = f"{type(exc).__name__}: {exc}"
        finally:
            if bar is not None:
                bar.close()
    return results, failures


def run_pipeline(url: str, config: dict[str, Any], run_id: str, *, only: list[str] | None = None,
                 since: datetime | None = None, progress: bool = False, report: bool = True) -> RunSummary:
    from cfm.pipeline.enrich import enrich_new_records
    from cfm.pipeline.transform import build_models, build_staging
    from cfm.quality.validation import validate_new_records

    summary = RunSummary(run_id)

    def timed(stage: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            summary.stage_seconds[stage] = round(time.monotonic() - t0, 2)

    timed("prepare", prepare_warehouse, url)
    summary.sources, summary.failed_sources = timed("ingest", ingest_all, url, config, run_id, only=only, since=since,
                                                    progress=progress)
    timed("staging", build_staging, url)
    with logged_stage(url, run_id, "validate") as counts:
        summary.validation = timed("validate", validate_new_records, url, run_id)
        counts.update(summary.validation)
    with logged_stage(url, run_id, "enrich") as counts:
        summary.enrichment = timed("enrich", enrich_new_records, url, run_id, config=config, progress=progress)
        counts.update(summary.enrichment)
    with logged_stage(url, run_id, "transform"):
        timed("transform", build_models, url)
    if report:
        from cfm.reporting.leadership_report import write_report

        path = timed("report", write_report, url, project_path(config["report"]["out_dir"]), title=config["report"]["title"])
        summary.report_path = str(path)
    return summary


def _bar(enabled: bool, desc: str, unit: str) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=desc, unit=f" {unit}", leave=True)

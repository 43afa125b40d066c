"""What a stage is, and the stages in pipeline order.

A stage is a module in cfm.pipeline with a `run(ctx: StageContext) -> dict` that opens its
own connection, writes its own ops.run_log entry (`logged_stage`) and returns counts (never
records, text or credentials: DAG tasks hand them to XCom). To add a stage: write
pipeline/<stage>.py, add it to STAGES below, and (to run it in Airflow) call it from a DAG task.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cfm.config import load_config


@dataclass
class StageContext:
    """Everything a stage needs to run once: where, with which config, for which run."""

    url: str
    config: dict[str, Any]
    run_id: str
    only: list[str] | None = None  # sources (ingest)
    since: datetime | None = None  # backfill from (ingest)
    until: datetime | None = None  # backfill to, exclusive (ingest; sources that support a window end)
    progress: bool = False  # progress bars (CLI)
    as_of: datetime | None = None  # the instant a run stands for (loop: the data interval end); None = now
    rebuild: bool = False  # transform: build even when nothing changed upstream since the last build
    # started beside earlier stages by `cfm run`, whose transform builds and tests every model later in the
    # same run (staging: the views only; their data tests wait for the transform's `dbt build`)
    early: bool = False


@dataclass(frozen=True)
class Stage:
    name: str
    module: str  # cfm.pipeline.<module>, imported when the stage runs (DAG files stay cheap to parse)
    in_run: bool = True  # part of `cfm run` (recluster runs weekly, retention daily, on their own)
    # `cfm run` starts it in a process of its own as soon as this earlier stage has finished, beside the
    # stages in between, and waits for it before the stage after it (the staging views need only the raw tables)
    starts_after: str | None = None

    @property
    def run(self) -> Callable[[StageContext], dict[str, Any]]:
        return importlib.import_module(f"cfm.pipeline.{self.module}").run


STAGES: tuple[Stage, ...] = (
    Stage("prepare", "prepare"),
    Stage("ingest", "ingest"),
    Stage("staging", "staging_views", starts_after="prepare"),
    Stage("validate", "validate"),
    Stage("enrich", "enrich"),
    Stage("transform", "transform"),
    Stage("loop", "loop"),
    Stage("report", "report"),
    Stage("recluster", "recluster", in_run=False),
    Stage("retention", "retention", in_run=False),
)


def stage(name: str) -> Stage:
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(f"unknown stage {name!r}; stages: {', '.join(s.name for s in STAGES)}")


def task_context(run_id: str, *, since: datetime | None = None, until: datetime | None = None) -> StageContext:
    """The context inside an Airflow task: the `cfm_warehouse` connection (else CFM_WAREHOUSE_URL / cfm.yml)."""
    from cfm.warehouse.connection import airflow_connection_url, warehouse_url

    config = load_config()
    return StageContext(url=airflow_connection_url() or warehouse_url(config), config=config, run_id=run_id,
                        since=since, until=until)


def backfill_window(context: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """(since, until) for an Airflow task: the run's data interval when the run is a backfill, else (None, None).

    A backfill (`airflow backfill create`, or a run triggered with conf {"backfill": true}) re-reads
    its data interval, like `cfm run --since/--until`; scheduled runs sync incrementally from
    each source's cursor.
    """
    dag_run = context.get("dag_run")
    run_type = str(getattr(dag_run, "run_type", "") or "").lower()
    conf = getattr(dag_run, "conf", None) or {}
    if not (run_type.endswith("backfill") or run_type.endswith("backfill_job") or conf.get("backfill")):
        return None, None
    return context.get("data_interval_start"), context.get("data_interval_end")


def run_task(name: str, run_id: str) -> dict[str, Any]:
    """Run one stage as an Airflow task (DAG files call this)."""
    return stage(name).run(task_context(run_id))

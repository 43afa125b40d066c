"""What the Airflow DAGs call. Each function is one task; DAG files only wire them.

Every function takes the Airflow run id so that ops.run_log ties warehouse rows to DAG runs,
and returns only counts (XCom never carries records, text or credentials).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from cfm.config import load_config

log = logging.getLogger(__name__)


class SourceDisabled(Exception):
    """Raised for a registered source that cfm.yml does not enable (the task is skipped)."""


def _url() -> str:
    """The `cfm_warehouse` Airflow connection; CFM_WAREHOUSE_URL or cfm.yml when it is not defined."""
    from cfm.warehouse.connection import airflow_connection_url, warehouse_url

    return airflow_connection_url() or warehouse_url(load_config())


def prepare() -> None:
    from cfm.pipeline.batch_run import prepare_warehouse

    prepare_warehouse(_url())


def ingest(source: str, run_id: str, since: datetime | None = None) -> dict[str, Any]:
    from cfm.pipeline.ingest import sync_source
    from cfm.pipeline.run_log import logged_stage
    from cfm.sources.registry import build_source, enabled_sources

    config = load_config()
    if source not in enabled_sources(config):
        raise SourceDisabled(f"source {source} is not enabled in cfm.yml")
    url = _url()
    with logged_stage(url, run_id, "ingest", source) as counts:
        counts.update(sync_source(url, build_source(source, config), run_id=run_id, since=since))
    return counts


def failed_sources(run_id: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(_url()) as conn:
        rows = conn.execute(
            "select source, coalesce(error, status) from ops.run_log where run_id = %s and stage = 'ingest' and status <> 'success'",
            (run_id,),
        ).fetchall()
    return dict(rows)


def build_staging() -> None:
    from cfm.pipeline.transform import build_staging as run

    run(_url())


def validate(run_id: str) -> dict[str, int]:
    from cfm.pipeline.run_log import logged_stage
    from cfm.quality.validation import validate_new_records

    url = _url()
    with logged_stage(url, run_id, "validate") as counts:
        counts.update(validate_new_records(url, run_id))
    return counts


def enrich(run_id: str) -> dict[str, int]:
    from cfm.pipeline.enrich import enrich_new_records
    from cfm.pipeline.run_log import logged_stage

    url = _url()
    with logged_stage(url, run_id, "enrich") as counts:
        counts.update(enrich_new_records(url, run_id, config=load_config()))
    return counts


def grant_marts() -> None:
    """dbt grants select per model; schema usage is granted once here too (cheap, idempotent)."""
    import psycopg

    from cfm.warehouse.schema import ensure_roles

    with psycopg.connect(_url()) as conn:
        ensure_roles(conn)


def report() -> str:
    from cfm.config import project_path
    from cfm.reporting.leadership_report import write_report

    config = load_config()
    return str(write_report(_url(), project_path(config["report"]["out_dir"]), title=config["report"]["title"]))


def dbt_profile_env() -> dict[str, str]:
    """CFM_DB_* for dbt/profiles.yml, derived from the warehouse URL (no secrets in DAG files)."""
    from cfm.pipeline.transform import dbt_env

    return dbt_env(_url())


def recluster_topics(run_id: str) -> dict[str, int]:
    import psycopg

    from cfm.nlp.topics.registry import recluster
    from cfm.pipeline.run_log import logged_stage

    url = _url()
    with logged_stage(url, run_id, "recluster") as counts, psycopg.connect(url) as conn:
        counts.update(recluster(conn, config=load_config().get("nlp") or {}, run_id=run_id))
    return counts

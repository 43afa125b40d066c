"""Transform: run the dbt project against the warehouse (the CLI path; the transform DAG renders it with Cosmos)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cfm.config import PROJECT_ROOT
from cfm.pipeline.run_log import logged_stage, stage_lock
from cfm.pipeline.stage import StageContext

log = logging.getLogger(__name__)

DBT_DIR = PROJECT_ROOT / "dbt"


def dbt_env(url: str) -> dict[str, str]:
    """CFM_DB_* variables for dbt/profiles.yml from a warehouse URL."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError("the warehouse URL needs a TCP host for dbt (got a socket-only URL)")
    return {
        "CFM_DB_HOST": parts.hostname,
        "CFM_DB_PORT": str(parts.port or 5432),
        "CFM_DB_USER": unquote(parts.username or "postgres"),
        "CFM_DB_PASSWORD": unquote(parts.password or ""),
        "CFM_DB_NAME": parts.path.lstrip("/") or "postgres",
    }


def run_dbt(
    url: str, args: Sequence[str], *, project_dir: Path = DBT_DIR, vars: dict[str, Any] | None = None
) -> list[str]:
    """Run one dbt command in-process; raise with dbt's failures when it does not succeed.

    Returns dbt's warnings (warn-level events: tests with severity warn, deprecations, contract
    and config warnings), each also logged; the transform stage records them in its counts.
    """
    import json

    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(url))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    cli = [
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--log-path",
        str(project_dir / "logs"),
        "--target-path",
        str(project_dir / "target"),
    ]
    if vars:
        cli += ["--vars", json.dumps(vars)]
    log.info("dbt %s", " ".join(args))
    warnings: list[str] = []

    def collect(event: Any) -> None:
        if event.info.level == "warn":
            warnings.append(event.info.msg[:500])

    result = dbtRunner(callbacks=[collect]).invoke(cli)
    for message in warnings:
        log.warning("dbt %s: %s", args[0] if args else "", message)
    if not result.success:
        failed, failed_nodes, skipped_nodes = [], [], []
        for r in getattr(result.result, "results", None) or []:
            status = str(getattr(r, "status", "")).lower()
            if status in ("error", "fail"):
                failed.append(f"{r.node.name}: {r.message}")
                failed_nodes.append(r.node.name)
            elif status == "skipped" and r.node.resource_type in ("model", "snapshot", "seed"):
                skipped_nodes.append(r.node.name)
        error = RuntimeError(
            f"dbt {' '.join(args)} failed" + (": " + "; ".join(failed) if failed else f": {result.exception}")
        )
        error.failed_nodes, error.skipped_nodes = failed_nodes, skipped_nodes  # type: ignore[attr-defined]
        raise error
    return warnings


def dbt_vars(config: dict[str, Any]) -> dict[str, Any]:
    """The dbt vars that come from cfm.yml: the small-cell rule of the metric marts (macros/metric_stats.sql)
    and the report time zone that local days, weeks and months are cut in (macros/cx_metrics.sql local_day)."""
    report = config.get("report") or {}
    min_responses = report.get("min_responses", 30)
    if isinstance(min_responses, bool) or not isinstance(min_responses, int) or min_responses < 1:
        raise ValueError(f"cfm.yml report.min_responses must be a positive integer, got {min_responses!r}")
    small_cells = report.get("small_cells", "flag")
    if small_cells not in ("flag", "suppress"):
        raise ValueError(f"cfm.yml report.small_cells must be 'flag' or 'suppress', got {small_cells!r}")
    # Days, weeks and months (the report's periods) are local to the report time zone.
    timezone = report.get("timezone") or config.get("timezone") or "UTC"
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"cfm.yml report.timezone / timezone must be an IANA time zone, got {timezone!r}") from exc
    return {"min_responses": min_responses, "small_cells": small_cells, "report_timezone": str(timezone)}


def run(ctx: StageContext) -> dict[str, Any]:
    """Build every model and run every data test (staging views included: re-creating them is cheap)."""
    with logged_stage(ctx.url, ctx.run_id, "transform") as counts, stage_lock(ctx.url, "dbt"):
        try:
            counts["dbt_warnings"] = run_dbt(ctx.url, ["build"], vars=dbt_vars(ctx.config))
        except RuntimeError as exc:  # the report names the marts this build left stale (cfm.reporting.build_state)
            counts.update(failed_models=getattr(exc, "failed_nodes", []), skipped_models=getattr(exc, "skipped_nodes", []))
            raise
    return counts


def publish_marts(ctx: StageContext) -> None:
    """After the DAG's dbt models: dbt grants select per model; schema usage is granted here too (cheap, idempotent)."""
    import psycopg

    from cfm.warehouse.schema import ensure_roles

    with psycopg.connect(ctx.url) as conn:
        ensure_roles(conn)

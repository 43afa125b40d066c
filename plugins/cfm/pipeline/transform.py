"""Transform: run the dbt project against the warehouse (the CLI path; the transform DAG renders it with Cosmos)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cfm.config import PROJECT_ROOT
from cfm.pipeline.run_log import logged_stage
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


def run_dbt(url: str, args: Sequence[str], *, project_dir: Path = DBT_DIR, vars: dict[str, Any] | None = None) -> None:
    """Run one dbt command in-process; raise with dbt's failures when it does not succeed."""
    import json

    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(url))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    cli = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--log-path",
           str(project_dir / "logs"), "--target-path", str(project_dir / "target")]
    if vars:
        cli += ["--vars", json.dumps(vars)]
    log.info("dbt %s", " ".join(args))
    result = dbtRunner().invoke(cli)
    if not result.success:
        failed = []
        for r in getattr(result.result, "results", None) or []:
            if str(getattr(r, "status", "")).lower() in ("error", "fail"):
                failed.append(f"{r.node.name}: {r.message}")
        raise RuntimeError(f"dbt {' '.join(args)} failed" + (": " + "; ".join(failed) if failed else f": {result.exception}"))


def dbt_vars(config: dict[str, Any]) -> dict[str, Any]:
    """The dbt vars that come from cfm.yml: the small-cell rule of the metric marts (macros/metric_stats.sql)."""
    report = config.get("report") or {}
    min_responses = report.get("min_responses", 30)
    if isinstance(min_responses, bool) or not isinstance(min_responses, int) or min_responses < 1:
        raise ValueError(f"cfm.yml report.min_responses must be a positive integer, got {min_responses!r}")
    small_cells = report.get("small_cells", "flag")
    if small_cells not in ("flag", "suppress"):
        raise ValueError(f"cfm.yml report.small_cells must be 'flag' or 'suppress', got {small_cells!r}")
    return {"min_responses": min_responses, "small_cells": small_cells}


def run(ctx: StageContext) -> dict[str, Any]:
    """Build every model and run every data test (staging views included: re-creating them is cheap)."""
    from cfm.privacy.pii_scan import check

    with logged_stage(ctx.url, ctx.run_id, "transform") as counts:
        run_dbt(ctx.url, ["build"], vars=dbt_vars(ctx.config))
        counts["pii_checked_columns"] = check(ctx.url)
    return counts


def publish_marts(ctx: StageContext) -> None:
    """After the DAG's dbt models: the marts' PII check (cfm.privacy.pii_scan), then schema usage is
    granted (dbt grants select per model; this is cheap and idempotent)."""
    import psycopg

    from cfm.privacy.pii_scan import check
    from cfm.warehouse.schema import ensure_roles

    check(ctx.url)
    with psycopg.connect(ctx.url) as conn:
        ensure_roles(conn)

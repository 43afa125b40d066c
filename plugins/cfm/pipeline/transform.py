"""Transform: run the dbt project against the warehouse (the CLI path; the transform DAG renders it with Cosmos)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cfm.config import PROJECT_ROOT
from cfm.pipeline.run_log import logged_stage, stage_lock
from cfm.pipeline.stage import StageContext
from cfm.warehouse import marts_publish

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


def mart_nodes(url: str, vars: dict[str, Any] | None, select: Sequence[str] = (), *, shadow: str = marts_publish.SHADOW,
               project_dir: Path = DBT_DIR) -> list[marts_publish.MartNode]:
    """The models, snapshots and seeds of schema marts that a build with this selection makes (`dbt ls`)."""
    import json

    selection = ["--select", *select] if select else []
    result = _invoke_dbt(url, ["ls", *selection, "--resource-types", "model", "snapshot", "seed", "--output", "json",
                               "--output-keys", "name", "alias", "resource_type", "config"],
                         project_dir=project_dir, vars=marts_publish.shadow_vars(vars, shadow))
    if not result.success:
        raise RuntimeError(f"dbt ls failed: {result.exception}")
    nodes = []
    for line in result.result or []:
        node = json.loads(line)
        config = node.get("config") or {}
        if config.get("schema") == marts_publish.LIVE:
            nodes.append(marts_publish.MartNode(node.get("alias") or node["name"], node["resource_type"],
                                                config.get("materialized") or node["resource_type"]))
    return nodes


def _invoke_dbt(url: str, args: Sequence[str], *, project_dir: Path, vars: dict[str, Any] | None,
                callbacks: Sequence[Any] = ()) -> Any:
    """One dbt command in-process against the warehouse at `url`; dbt's result, whatever its outcome."""
    import json

    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(url))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    # The console gets errors only; dbt's full log goes to <project>/logs/dbt.log (docs serve says where it serves).
    quiet = [] if args[:1] == ["docs"] else ["--quiet"]
    cli = [*args, *quiet, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--log-path",
           str(project_dir / "logs"), "--target-path", str(project_dir / "target")]
    if vars:
        cli += ["--vars", json.dumps(vars)]
    return dbtRunner(callbacks=list(callbacks)).invoke(cli)


def run_dbt(
    url: str, args: Sequence[str], *, project_dir: Path = DBT_DIR, vars: dict[str, Any] | None = None
) -> list[str]:
    """Run one dbt command in-process; raise with dbt's failures when it does not succeed.

    Returns dbt's warnings (warn-level events: tests with severity warn, deprecations, contract
    and config warnings), each also logged; the transform stage records them in its counts.
    """
    log.info("dbt %s", " ".join(args))
    warnings: list[str] = []

    def collect(event: Any) -> None:
        if event.info.level == "warn":
            warnings.append(event.info.msg[:500])

    result = _invoke_dbt(url, args, project_dir=project_dir, vars=vars, callbacks=[collect])
    for message in warnings:
        log.warning("dbt %s: %s", args[0] if args else "", message)
    if not result.success:
        failed, failed_nodes, skipped_nodes = [], [], []
        for r in getattr(result.result, "results", None) or []:
            status = str(getattr(r, "status", "")).lower()
            if status in ("error", "fail"):
                failed.append(f"{r.node.name}: {r.message}")
                failed_nodes.append(r.node.name)
                # A failing test fails the mart it tests: the last published version of it stays.
                attached = getattr(r.node, "attached_node", None)
                if attached and attached.split(".")[-1] not in failed_nodes:
                    failed_nodes.append(attached.split(".")[-1])
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


# Sources (schema.table) whose models the loop stage rebuilds itself right after writing them
# (loop.build_marts records their watermark; `cfm demo` compares it): the loop's writes don't make
# transform rebuild.
LOOP_OWNED = ("ops.case_events",)
# Sources that move on every sync without new data (API cursors carry the sync time): what they
# feed (rpt_source_freshness) is clock-like, refreshed by the rebuild_after_hours rule instead.
CLOCK_LIKE = ("ops.sync_state",)


def rebuild_after(config: dict[str, Any]) -> timedelta:
    """How old the last build may be before transform rebuilds with nothing new upstream (cfm.yml
    transform.rebuild_after_hours, default 1): marts such as rpt_source_freshness depend on the clock."""
    hours = (config.get("transform") or {}).get("rebuild_after_hours", 1)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
        raise ValueError(f"cfm.yml transform.rebuild_after_hours must be a number >= 0, got {hours!r}")
    return timedelta(hours=hours)


def plan(ctx: StageContext) -> tuple[dict[str, Any], str | None]:
    """The inputs' fingerprint now, and why a build has nothing to do (None: build)."""
    import psycopg

    from cfm.pipeline import watermark

    with psycopg.connect(ctx.url) as conn:
        fp = watermark.fingerprint(conn, DBT_DIR, dbt_vars(ctx.config), exclude=LOOP_OWNED + CLOCK_LIKE)
        reason = watermark.unchanged_since_last_build(conn, "transform", fp["digest"], rebuild_after(ctx.config),
                                                      required=("marts.fct_feedback",))
    return fp, None if ctx.rebuild else reason


def run(ctx: StageContext) -> dict[str, Any]:
    """Build every model and run every data test (staging views included: re-creating them is cheap),
    then check every mart text column for PII (cfm.privacy.pii_scan), unless nothing upstream changed
    since the last successful build (ops.run_log says `skipped`)."""
    with logged_stage(ctx.url, ctx.run_id, "transform") as counts, stage_lock(ctx.url, "dbt"):
        fp, reason = plan(ctx)  # before the build: what changes during it is new next time
        counts.update(fingerprint=fp["digest"], upstream=fp["tables"])
        if reason:
            counts["skipped_because"] = reason
            log.info("[transform] skipped: %s", reason)
            return counts
        try:
            counts.update(build_published(ctx.url, ["build"], dbt_vars(ctx.config)))
        except RuntimeError as exc:
            counts.update(getattr(exc, "counts", {}))
            raise
    return counts


def build_published(url: str, args: Sequence[str], vars: dict[str, Any], select: Sequence[str] = (),
                    shadow: str = marts_publish.SHADOW, *, project_dir: Path = DBT_DIR) -> dict[str, Any]:
    """`dbt <args> --select <select>` into a shadow schema, then the marts it built are swapped in whole
    (cfm.warehouse.marts_publish), after their PII check (cfm.privacy.pii_scan). Marts that failed or were
    skipped keep their published version; the error then raised names them (the report calls them stale)."""
    import psycopg

    from cfm.privacy.pii_scan import check

    nodes = mart_nodes(url, vars, select, shadow=shadow, project_dir=project_dir)
    counts: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        counts["seeded_into_shadow"] = marts_publish.prepare(conn, nodes, shadow)
    selection = ["--select", *select] if select else []
    try:
        counts["dbt_warnings"] = run_dbt(url, [*args, *selection], project_dir=project_dir,
                                         vars=marts_publish.shadow_vars(vars, shadow))
    except RuntimeError as exc:  # the report names the marts this build left stale (cfm.reporting.build_state)
        failed, skipped = getattr(exc, "failed_nodes", []), getattr(exc, "skipped_nodes", [])
        exc.counts = {**counts, "failed_models": failed, "skipped_models": skipped}  # type: ignore[attr-defined]
        check(url, shadow)
        with psycopg.connect(url) as conn:
            exc.counts["published"] = marts_publish.publish(conn, [*failed, *skipped], shadow)  # type: ignore[attr-defined]
        raise
    counts["pii_checked_columns"] = check(url, shadow)
    with psycopg.connect(url) as conn:
        counts["published"] = marts_publish.publish(conn, (), shadow)
    return counts


def check_upstream(ctx: StageContext) -> str | None:
    """The transform DAG's first task: the fingerprint to build for, or None (logged as skipped)."""
    fp, reason = plan(ctx)
    if reason:
        with logged_stage(ctx.url, ctx.run_id, "transform") as counts:
            counts.update(fingerprint=fp["digest"], upstream=fp["tables"], skipped_because=reason)
        log.info("[transform] skipped: %s", reason)
        return None
    return fp["digest"]


def prepare_marts(ctx: StageContext) -> list[str]:
    """The transform DAG's task before its dbt tasks: a fresh shadow schema for them to build the marts
    into (they pass dbt var marts_schema), seeded with the live incremental models and snapshots."""
    import psycopg

    vars = dbt_vars(ctx.config)
    with psycopg.connect(ctx.url) as conn:
        return marts_publish.prepare(conn, mart_nodes(ctx.url, vars))


def record_build(ctx: StageContext, digest: str | None) -> None:
    """Log a successful build with the fingerprint it was for."""
    with logged_stage(ctx.url, ctx.run_id, "transform") as counts:
        counts["fingerprint"] = digest


def dbt_task_outcomes(states: Mapping[str, str | None]) -> tuple[list[str], list[str]]:
    """From the DAG run's task states (task id -> state): the dbt nodes whose Cosmos task failed, and
    those not run because of them (task ids dbt.<node>_<kind>)."""
    failed, skipped = [], []
    for task_id, state in states.items():
        match = re.fullmatch(r"dbt\.(.+?)_(?:model_build|snapshot_build|seed_build|build|snapshot|seed|test)", task_id)
        if match and state == "failed":
            failed.append(match.group(1))
        elif match and state == "upstream_failed":
            skipped.append(match.group(1))
    return failed, skipped


def publish_marts(ctx: StageContext, digest: str | None, failed: Sequence[str] = (),
                  skipped: Sequence[str] = ()) -> dict[str, Any]:
    """After the DAG's dbt tasks (whatever their outcome): the shadow's PII check (cfm.privacy.pii_scan),
    then it is swapped in whole, the marts that failed or were skipped keeping their published version;
    the build is logged with the fingerprint it was for, failed when some mart failed (the report names
    the marts left stale). Schema usage is granted again (cheap and idempotent)."""
    import psycopg

    from cfm.privacy.pii_scan import check
    from cfm.warehouse.schema import ensure_roles

    with logged_stage(ctx.url, ctx.run_id, "transform") as counts:
        counts["fingerprint"] = digest
        if failed or skipped:
            counts.update(failed_models=list(failed), skipped_models=list(skipped))
        counts["pii_checked_columns"] = check(ctx.url, marts_publish.SHADOW)
        with psycopg.connect(ctx.url) as conn:
            counts["published"] = marts_publish.publish(conn, [*failed, *skipped])
            ensure_roles(conn)
        if failed or skipped:
            raise RuntimeError(f"dbt failed: {', '.join(failed)}; the other marts were published")
    return counts

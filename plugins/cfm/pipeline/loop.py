"""Loop: open and route cases, apply events from company replies, count breaches, write
follow-up drafts, then rebuild the loop marts. Runs after transform (it reads the enriched
feedback) as of one instant: the DAG's data interval end, or now for `cfm run`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import psycopg

from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext

log = logging.getLogger(__name__)

# rpt_loop_status too: the report marts are built by transform, before the loop has written its cases.
LOOP_MARTS = ["path:models/intermediate/loop", "path:models/marts/loop", "path:snapshots/case_state_snapshot.sql",
              "rpt_loop_status"]


def _as_of(ctx: StageContext) -> datetime:
    return ctx.as_of or datetime.now(UTC)


def open_cases(ctx: StageContext) -> dict[str, Any]:
    """Rules -> cases (created, routed and assigned), follow-on feedback attached, thread reopens."""
    from cfm.loop.cases import open_and_attach
    from cfm.loop.schema import ensure_loop_schema
    from cfm.loop.settings import loop_settings

    with logged_stage(ctx.url, ctx.run_id, "loop", "cases") as counts, psycopg.connect(ctx.url) as conn:
        ensure_loop_schema(conn)
        counts.update(open_and_attach(conn, loop_settings(ctx.config), _as_of(ctx)))
    return counts


def apply_events(ctx: StageContext) -> dict[str, Any]:
    """First responses from company replies (Gmail threads, review-site owner replies)."""
    from cfm.loop.cases import record_first_responses

    with logged_stage(ctx.url, ctx.run_id, "loop", "events") as counts, psycopg.connect(ctx.url) as conn:
        counts["first_responses"] = record_first_responses(conn, _as_of(ctx))
    return counts


def compute_breaches(ctx: StageContext) -> dict[str, Any]:
    """Open cases and SLA breaches as of the run's instant (logged; the marts hold the detail)."""
    with logged_stage(ctx.url, ctx.run_id, "loop", "breaches") as counts, psycopg.connect(ctx.url) as conn:
        row = conn.execute(
            "select count(*) filter (where status = 'open'), count(*) filter (where is_first_response_breached),"
            " count(*) filter (where is_resolution_breached) from ops.case_state_at(%s)", (_as_of(ctx),)).fetchone()
        counts.update(open=row[0], first_response_breached=row[1], resolution_breached=row[2])
    log.info("cases as of %s: %s", _as_of(ctx).isoformat(), counts)
    return counts


def write_drafts(ctx: StageContext) -> dict[str, Any]:
    """Follow-up drafts (or opt-in sends) for resolved cases, once per resolution."""
    from cfm.loop.followup import write_followups
    from cfm.loop.settings import loop_settings

    gmail = (ctx.config.get("sources") or {}).get("gmail") or {}
    with logged_stage(ctx.url, ctx.run_id, "loop", "followups") as counts:
        if not gmail.get("enabled"):
            counts["skipped"] = "gmail source not enabled"
            return counts
        with psycopg.connect(ctx.url) as conn:
            counts.update(write_followups(conn, loop_settings(ctx.config), ctx.config, _as_of(ctx)))
    return counts


def build_marts(ctx: StageContext) -> dict[str, Any]:
    """dbt: the loop's intermediate models, marts and the case-state snapshot, with their tests."""
    from cfm.pipeline import watermark
    from cfm.pipeline.transform import LOOP_OWNED, build_published, dbt_vars
    from cfm.warehouse.marts_publish import LOOP_SHADOW

    with logged_stage(ctx.url, ctx.run_id, "loop", "marts") as counts:
        with psycopg.connect(ctx.url) as conn:  # what these marts reflect (cfm demo skips the loop when unchanged)
            counts["watermarks"] = watermark.table_watermarks(conn, [tuple(t.split(".")) for t in LOOP_OWNED])
        # Into a shadow schema of its own, swapped in whole (the other marts are carried over).
        try:
            counts.update(build_published(ctx.url, ["build"], {**dbt_vars(ctx.config), "loop_as_of": _as_of(ctx).isoformat()},
                                          LOOP_MARTS, LOOP_SHADOW))
        except RuntimeError as exc:
            counts.update(getattr(exc, "counts", {}))
            raise
    return counts


def run(ctx: StageContext) -> dict[str, Any]:
    """Every loop step in order (reads intermediate.int_loop_*, which transform builds)."""
    counts: dict[str, Any] = {}
    for step in (open_cases, apply_events, compute_breaches, write_drafts, build_marts):
        counts[step.__name__] = step(ctx)
    return counts


STEPS = {f.__name__: f for f in (open_cases, apply_events, compute_breaches, write_drafts, build_marts)}


def run_step(name: str, run_id: str, as_of: datetime) -> dict[str, Any]:
    """One loop step as an Airflow task (dags/cfm_loop.py), as of the run's instant."""
    from dataclasses import replace

    from cfm.pipeline.stage import task_context

    return STEPS[name](replace(task_context(run_id), as_of=as_of))

"""Staging: (re)create the dbt staging views that validation reads, and (unless the transform will) test them.

The views hold no data, so creating them needs only the raw tables: `cfm run` starts this step right
after prepare, beside ingest (`ctx.early`, cfm.pipeline.run). It then creates the views only
(`dbt run`): its transform's `dbt build` runs their data tests on the landed rows, before any model
built on them; skipped when the views all stand and the dbt project is the one they came from. Run
on its own (the ingest DAG, whose transform DAG leaves staging out; `cfm init`), it builds and tests
them (`dbt build`) after ingest; skipped when neither the raw tables nor the project changed since.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cfm.pipeline.stage import StageContext


def staging_views(project_dir: Path) -> list[str]:
    """staging.<model> of every staging model of the project."""
    return sorted(f"staging.{p.stem}" for p in (project_dir / "models" / "staging").rglob("*.sql"))


def build_staging_views(url: str, *, project_dir: Path | None = None, tests: bool = True) -> None:
    """`dbt build --select staging` (views and their data tests), or with tests=False `dbt run` (the views)."""
    from cfm.pipeline.transform import DBT_DIR, run_dbt

    # dbt's default target: a first full build after it (same vars) reuses its parse of the project
    run_dbt(url, ["build" if tests else "run", "--select", "staging", "--no-write-json"], project_dir=project_dir or DBT_DIR)


def run(ctx: StageContext) -> dict[str, Any]:
    import psycopg

    from cfm.pipeline import watermark
    from cfm.pipeline.run_log import logged_stage, stage_lock
    from cfm.pipeline.transform import DBT_DIR, rebuild_after

    with logged_stage(ctx.url, ctx.run_id, "staging") as counts:
        with stage_lock(ctx.url, "dbt"):  # the transform rebuilds these views too: never both at once
            with psycopg.connect(ctx.url) as conn:
                if ctx.early:  # the views only: what they are does not depend on the rows landed
                    fp = watermark.fingerprint(conn, DBT_DIR, {"views_only": True}, schemas=())
                    reason = watermark.unchanged_since_last_build(conn, "staging", fp["digest"], timedelta.max,
                                                                  required=tuple(staging_views(DBT_DIR)))
                else:  # views and data tests: the raw tables count too
                    fp = watermark.fingerprint(conn, DBT_DIR, {}, schemas=("raw",))
                    reason = watermark.unchanged_since_last_build(conn, "staging", fp["digest"], rebuild_after(ctx.config),
                                                                  required=tuple(staging_views(DBT_DIR)))
            counts["fingerprint"] = fp["digest"]
            if reason and not ctx.rebuild:
                counts["skipped_because"] = reason
            else:
                build_staging_views(ctx.url, tests=not ctx.early)
                counts["tested"] = not ctx.early
    return counts

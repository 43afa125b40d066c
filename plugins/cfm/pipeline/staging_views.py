"""Staging: (re)create the dbt staging views that validation reads.

The views hold no data, so this step needs only the raw tables to exist: `cfm run` starts it right
after prepare, beside ingest (cfm.pipeline.run). It creates the views only (`dbt run`); their data
tests run in the transform's `dbt build`, on the landed data, before any model built on them.

Skipped (ops.run_log status `skipped`) when the views are all there and the dbt project is the one
they were last created from: they would come out the same.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cfm.pipeline.stage import StageContext


def _target(project_dir: Path) -> Path:
    # dbt drops its partial-parse state whenever the vars change; the transform passes the cfm.yml vars,
    # this step none: a target folder of its own keeps both warm across runs.
    return project_dir / "target" / "staging"


def staging_views(project_dir: Path) -> list[str]:
    """staging.<model> of every staging model of the project."""
    return sorted(f"staging.{p.stem}" for p in (project_dir / "models" / "staging").rglob("*.sql"))


def build_staging_views(url: str, *, project_dir: Path | None = None) -> None:
    from cfm.pipeline.transform import DBT_DIR, run_dbt

    project = project_dir or DBT_DIR
    run_dbt(url, ["run", "--select", "staging", "--no-write-json"], project_dir=project, target_path=_target(project))


def run(ctx: StageContext) -> dict[str, Any]:
    import psycopg

    from cfm.pipeline import watermark
    from cfm.pipeline.run_log import logged_stage, stage_lock
    from cfm.pipeline.transform import DBT_DIR

    with logged_stage(ctx.url, ctx.run_id, "staging") as counts:
        with stage_lock(ctx.url, "dbt"):  # the transform rebuilds these views too: never both at once
            with psycopg.connect(ctx.url) as conn:
                # the project only: the views' definitions do not depend on the rows landed
                fp = watermark.fingerprint(conn, DBT_DIR, {}, schemas=())
                reason = watermark.unchanged_since_last_build(conn, "staging", fp["digest"], timedelta.max,
                                                              required=tuple(staging_views(DBT_DIR)))
            counts["fingerprint"] = fp["digest"]
            if reason and not ctx.rebuild:
                counts["skipped_because"] = reason
            else:
                build_staging_views(ctx.url)
    return counts

"""Staging: (re)build and test the dbt staging views that validation reads (views: cheap to re-create).

Skipped (ops.run_log status `skipped`) when neither the raw tables nor the dbt project changed
since the last successful build: the views and their tests would come out the same.
"""

from __future__ import annotations

from typing import Any

from cfm.pipeline.stage import StageContext


def build_staging_views(url: str) -> None:
    from cfm.pipeline.transform import run_dbt

    run_dbt(url, ["build", "--select", "staging"])


def run(ctx: StageContext) -> dict[str, Any]:
    import psycopg

    from cfm.pipeline import watermark
    from cfm.pipeline.run_log import logged_stage, stage_lock
    from cfm.pipeline.transform import DBT_DIR, rebuild_after

    with logged_stage(ctx.url, ctx.run_id, "staging") as counts:
        with stage_lock(ctx.url, "dbt"):  # the transform rebuilds these views too: never both at once
            with psycopg.connect(ctx.url) as conn:
                fp = watermark.fingerprint(conn, DBT_DIR, {}, schemas=("raw",))
                reason = watermark.unchanged_since_last_build(conn, "staging", fp["digest"], rebuild_after(ctx.config),
                                                              required=("staging.stg_file_drop__feedback",))
            counts["fingerprint"] = fp["digest"]
            if reason and not ctx.rebuild:
                counts["skipped_because"] = reason
            else:
                build_staging_views(ctx.url)
    return counts

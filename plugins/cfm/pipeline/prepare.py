"""Prepare: create every schema, table and role the pipeline writes (idempotent, cheap)."""

from __future__ import annotations

from typing import Any

import psycopg

from cfm.pipeline.stage import StageContext


def prepare_warehouse(conn: psycopg.Connection) -> None:
    """raw/ops/quarantine (cfm.warehouse.schema), ml (cfm.nlp.ml_schema), the case tables (cfm.loop.schema), then the roles' grants on all of them."""
    from cfm.loop.schema import ensure_loop_schema
    from cfm.nlp.ml_schema import ensure_ml_schema
    from cfm.warehouse.schema import ensure_roles, ensure_warehouse

    ensure_warehouse(conn)
    ensure_ml_schema(conn)
    ensure_loop_schema(conn)
    ensure_roles(conn)
    conn.commit()


def run(ctx: StageContext) -> dict[str, Any]:
    from cfm.pipeline.run_log import stage_lock

    # Concurrent `create ... if not exists` can still collide in the catalog: runs take turns (it is quick).
    with stage_lock(ctx.url, "prepare", wait=True), psycopg.connect(ctx.url) as conn:
        prepare_warehouse(conn)
    return {}


def init_warehouse(ctx: StageContext) -> None:
    """`cfm init` and the demo: prepare, build the staging views, and parse dbt (the manifest Cosmos renders)."""
    from cfm.pipeline import staging_views
    from cfm.pipeline.transform import run_dbt

    run(ctx)
    staging_views.run(ctx)
    run_dbt(ctx.url, ["parse"])

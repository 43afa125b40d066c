"""Staging: (re)build and test the dbt staging views that validation reads (views: cheap to re-create)."""

from __future__ import annotations

from typing import Any

from cfm.pipeline.stage import StageContext


def build_staging_views(url: str) -> None:
    from cfm.pipeline.transform import run_dbt

    run_dbt(url, ["build", "--select", "staging"])


def run(ctx: StageContext) -> dict[str, Any]:
    from cfm.pipeline.run_log import stage_lock

    with stage_lock(ctx.url, "dbt"):  # the transform rebuilds these views too: never both at once
        build_staging_views(ctx.url)
    return {}

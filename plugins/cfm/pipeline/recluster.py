"""Recluster: re-fit topics on all enriched feedback and reconcile them with ml.topics (weekly)."""

from __future__ import annotations

from typing import Any

import psycopg

from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext


def run(ctx: StageContext) -> dict[str, Any]:
    from cfm.nlp.topics.store import recluster

    with logged_stage(ctx.url, ctx.run_id, "recluster") as counts, psycopg.connect(ctx.url) as conn:
        counts.update(recluster(conn, config=ctx.config.get("nlp") or {}, run_id=ctx.run_id))
    return counts

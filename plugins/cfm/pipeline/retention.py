"""Retention: raw payloads and quarantine rows past `privacy.retention` go, their redacted form stays (daily)."""

from __future__ import annotations

from typing import Any

from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext


def run(ctx: StageContext) -> dict[str, Any]:
    from cfm.privacy.retention import apply_retention

    with logged_stage(ctx.url, ctx.run_id, "retention") as counts:
        result = apply_retention(ctx.url, ctx.config, actor="airflow")
        counts.update({k: result[k] for k in ("deleted", "retained", "lost", "audit_id")})
    return counts

"""Alerts: after each transform, the alert rules over the marts; messages to Slack and email."""

from __future__ import annotations

from typing import Any

from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext


def run(ctx: StageContext, *, session=None) -> dict[str, Any]:
    from cfm.alerts.run import run_alerts

    with logged_stage(ctx.url, ctx.run_id, "alerts") as counts:
        counts.update(run_alerts(ctx.url, ctx.config, session=session))
    return counts

"""Validate: Great Expectations on staged records not validated yet; failures go to quarantine."""

from __future__ import annotations

from typing import Any

from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext


def run(ctx: StageContext) -> dict[str, Any]:
    from cfm.quality.validation import PlausibleWindow, validate_new_records

    with logged_stage(ctx.url, ctx.run_id, "validate") as counts:
        counts.update(validate_new_records(ctx.url, ctx.run_id, window=PlausibleWindow.from_config(ctx.config)))
    return counts

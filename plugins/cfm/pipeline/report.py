"""Report: render the leadership report from the marts."""

from __future__ import annotations

from typing import Any

from cfm.config import project_path
from cfm.pipeline.stage import StageContext


def run(ctx: StageContext) -> dict[str, Any]:
    from cfm.reporting.leadership_report import write_report

    report = ctx.config["report"]
    return {"path": str(write_report(ctx.url, project_path(report["out_dir"]), title=report["title"]))}

"""Report: render and archive the leadership report from the marts; deliver it by email.

`run` (the stage in `cfm run`) renders and archives; `deliver` (the report DAG, `cfm report
--send`) sends it once per recipient and period, or a "data delayed" note when the marts are stale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cfm.config import project_path
from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext


def run(ctx: StageContext, period: str | None = None) -> dict[str, Any]:
    from cfm.reporting.build_state import REPORT_MARTS, require_marts
    from cfm.reporting.content import NoReportData, load_content
    from cfm.reporting.leadership_report import archive, render_report

    report = ctx.config["report"]
    with logged_stage(ctx.url, ctx.run_id, "report") as counts:
        state = require_marts(ctx.url, REPORT_MARTS)  # a clear error, not a missing relation, before any build
        try:
            content = load_content(ctx.url, period or report.get("period"))
        except NoReportData as exc:
            counts["skipped"] = str(exc)
            return counts
        content.build_note = state.note()
        if content.build_note:
            counts["stale"] = content.build_note
        rendered = render_report(content, title=report["title"], language=report.get("language", "en"))
        folder = archive(rendered, project_path(report["out_dir"]))
        counts.update(period=rendered.period, path=str(folder / "report.html"), pdf=str(folder / "report.pdf"))
    return counts


def deliver(ctx: StageContext, *, period: str | None = None, resend: bool = False, check_freshness: bool = True,
            session=None) -> dict[str, Any]:
    """Send the report (or, when the marts are stale, the data-delayed note) to config report.recipients."""
    from cfm.reporting.content import NoReportData, resolve_period
    from cfm.reporting.delivery import marts_freshness, send_data_delayed, send_report

    report = ctx.config["report"]
    with logged_stage(ctx.url, ctx.run_id, "report_delivery") as counts:
        reasons = marts_freshness(ctx.url, float(report["max_mart_age_hours"])) if check_freshness else []
        if reasons:
            try:
                target = resolve_period(ctx.url, period or report.get("period"))
            except NoReportData:  # nothing built yet: the note is for the current month
                target = period or datetime.now(UTC).strftime("%Y-%m")
            result = send_data_delayed(ctx.url, ctx.config, ctx.run_id, target, reasons, session=session)
            counts.update(result.counts(), delayed_because=reasons)
        else:
            result = send_report(ctx.url, ctx.config, ctx.run_id, period=period, resend=resend, session=session)
            counts.update(result.counts())
        if result.failed:
            raise RuntimeError(f"report not delivered to {', '.join(result.failed)}: "
                               + "; ".join(f"{k}: {v}" for k, v in result.failed.items()))
    return counts

"""`cfm report` (render, or --send) and `cfm alerts` (evaluate and notify)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parsers(sub: argparse._SubParsersAction, url_of) -> None:
    rep = sub.add_parser("report", help="render the leadership report; --send emails it (CFM_SMTP_* settings)")
    rep.add_argument("--out", help="output folder (default report.out_dir)")
    rep.add_argument("--period", help="a month such as 2026-10 (default report.period: latest)")
    rep.add_argument("--send", action="store_true", help="email it to report.recipients, once per recipient and period")
    rep.add_argument("--resend", action="store_true", help="with --send: send again to everyone")
    rep.add_argument("--no-freshness-check", action="store_true",
                     help="with --send: send the figures even when the marts are stale")
    rep.set_defaults(fn=lambda args, config: cmd_report(args, config, url_of(config)))

    al = sub.add_parser("alerts", help="evaluate alerts on the marts and notify (Slack webhook, email)")
    al.set_defaults(fn=lambda args, config: cmd_alerts(args, config, url_of(config)))


def cmd_report(args: argparse.Namespace, config: dict[str, Any], url: str) -> int:
    from cfm.pipeline import report
    from cfm.pipeline.run_log import new_run_id
    from cfm.pipeline.stage import StageContext

    if args.out:
        config["report"]["out_dir"] = args.out
    ctx = StageContext(url=url, config=config, run_id=new_run_id("report"))
    if args.resend and not args.send:
        raise SystemExit("--resend goes with --send")
    if not args.send:
        counts = report.run(ctx, period=args.period)
        print(counts.get("path") or counts.get("skipped"))
        return 0 if counts.get("path") else 1
    counts = report.deliver(ctx, period=args.period, resend=args.resend,
                            check_freshness=not args.no_freshness_check)
    print(json.dumps(counts, default=str))
    if counts.get("archive_dir"):
        print(f"archived: {counts['archive_dir']}  (report.html, report.pdf, sent/*.eml)")
    return 0


def cmd_alerts(args: argparse.Namespace, config: dict[str, Any], url: str) -> int:
    from cfm.pipeline import alerts
    from cfm.pipeline.run_log import new_run_id
    from cfm.pipeline.stage import StageContext

    counts = alerts.run(StageContext(url=url, config=config, run_id=new_run_id("alerts")))
    print(json.dumps(counts, default=str))
    return 0

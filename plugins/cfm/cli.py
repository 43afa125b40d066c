"""The `cfm` command: run the pipeline locally, analyse a CSV, inspect quarantine, render the report."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cfm.config import load_config, project_path


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _url(config: dict[str, Any]) -> str:
    from cfm.warehouse.connection import warehouse_url

    if not os.environ.get("CFM_WAREHOUSE_URL") and not config["warehouse"].get("url"):
        from cfm.privacy.pseudonymise import create_local_key

        create_local_key()  # embedded, local runs only
    return warehouse_url(config)


def _date(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {value!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def cmd_run(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from cfm.pipeline.run import run_pipeline
    from cfm.pipeline.run_log import new_run_id
    from cfm.sources.registry import enabled_sources, source_names
    from cfm.warehouse.connection import redacted_url

    enabled_sources(config)  # unknown sources in cfm.yml fail here, before any connection
    unknown = set(args.source or []) - set(source_names())
    if unknown:
        raise KeyError(f"unknown source(s) {', '.join(sorted(unknown))}; known: {', '.join(source_names())}")
    url = _url(config)
    run_id = args.run_id or new_run_id("cli")
    print(f"warehouse: {redacted_url(url)}  run: {run_id}", file=sys.stderr)
    summary = run_pipeline(url, config, run_id, only=args.source or None, since=args.since, until=args.until,
                           rebuild=args.rebuild,
                           progress=not args.no_progress, report=not args.no_report)
    print_summary(summary)
    return 1 if summary.failed_sources else 0


def print_summary(summary: Any) -> None:
    print(f"\nRun {summary.run_id}")
    print(f"  records read         {summary.read}")
    print(f"  loaded (new/changed) {summary.loaded}")
    print(f"  quarantined          {summary.quarantined}  (parser {summary.quarantined - summary.validation.get('quarantined', 0)},"
          f" validation {summary.validation.get('quarantined', 0)})")
    print(f"  enriched             {summary.enrichment.get('items', 0)}")
    for name, counts in summary.sources.items():
        print(f"    {name:<16} read {counts['received'] + counts['quarantined']:>6}  new {counts['inserted']:>6}  "
              f"updated {counts['updated']:>5}  quarantined {counts['quarantined']:>4}")
    for name, error in summary.failed_sources.items():
        print(f"    {name:<16} FAILED: {error}")
    print("  stage seconds        " + ", ".join(f"{k} {v}" for k, v in summary.stage_seconds.items()))
    if summary.report_path:
        print(f"  report               {summary.report_path}")


def cmd_headline(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Print the headline numbers and where the results are."""
    import psycopg

    from cfm.reporting.build_state import HEADLINE_MARTS, require_marts

    url = _url(config)
    state = require_marts(url, HEADLINE_MARTS)  # a clear error when no transform has built them yet
    if state.note():
        print(f"stale: {state.note()}")
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select month, nps, nps_ci_low, nps_ci_high, nps_responses, csat_pct, csat_responses, ces_pct_easy, ces_responses,"
            " feedback_items from marts.cx_metrics_monthly order by month"
        ).fetchall()
        quarantined = conn.execute("select count(*) from quarantine.records where status = 'open'").fetchone()[0]
        total = conn.execute("select count(*) from marts.fct_feedback").fetchone()[0]
        topics = conn.execute(
            "select topic_label, count(*) from marts.fct_feedback where topic_id is not null group by 1 order by 2 desc limit 5"
        ).fetchall()
    print(f"{total} valid feedback items in marts.fct_feedback; {quarantined} records in quarantine.records")
    print(f"{'month':<9} {'NPS':>6} {'95% CI':>15} {'n':>5} {'CSAT%':>6} {'n':>5} {'CES easy%':>9} {'n':>4} {'items':>6}")
    for m in rows:
        ci = f"[{m[2]}, {m[3]}]" if m[2] is not None else ""
        print(f"{m[0]:%Y-%m}   {m[1]!s:>6} {ci:>15} {m[4]:>5} {m[5]!s:>6} {m[6]:>5} {m[7]!s:>9} {m[8]:>4} {m[9]:>6}")
    if topics:
        print("top topics: " + "; ".join(f"{label} ({n})" for label, n in topics))
    print("marts: nps_daily, csat_daily, ces_daily, star_daily, cx_metrics_monthly, fct_feedback, topics")
    print(f"reports: {project_path(config['report']['out_dir']) / 'reports'}/<period>/ (report.html, report.pdf)")
    return 0


def cmd_init(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from cfm.pipeline.prepare import init_warehouse
    from cfm.pipeline.run_log import new_run_id
    from cfm.pipeline.stage import StageContext
    from cfm.warehouse.connection import redacted_url

    url = _url(config)
    init_warehouse(StageContext(url=url, config=config, run_id=new_run_id("init")))
    print(f"warehouse ready: {redacted_url(url)}")
    return 0


def cmd_warehouse_url(args: argparse.Namespace, config: dict[str, Any]) -> int:
    print(_url(config))
    return 0


def cmd_analyze(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from cfm.nlp.analyze import analyze_csv

    counts = analyze_csv(Path(args.input), Path(args.output), text_column=args.text_column,
                         config=config.get("nlp") or {}, progress=not args.no_progress)
    print(json.dumps(counts, default=str))
    return 0


def cmd_quarantine(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from cfm.warehouse import quarantine

    url = _url(config)
    if args.action == "list":
        rows = quarantine.list_records(url, source=args.source, status=args.status)
        for r in rows:
            print(f"{r['quarantine_id']:>6} {r['status']:<8} {r['source']:<14} {r['record_ref']:<28} {r['field']:<14} {r['reason']}")
        print(f"{len(rows)} record(s)")
    elif args.action == "edit":
        changes = dict(kv.split("=", 1) for kv in args.set)
        print(json.dumps(quarantine.edit_payload(url, args.id, changes), ensure_ascii=False))
    elif args.action == "replay":
        from cfm.pipeline.replay import replay
        from cfm.pipeline.run_log import new_run_id

        print(json.dumps(replay(url, config, new_run_id("replay"), source=args.source, ids=args.id or None)))
    return 0


def cmd_quality_init(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from cfm.quality.file_context import write_file_context

    print(f"wrote Great Expectations context to {write_file_context()}")
    return 0


def cmd_airflow(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Run the airflow CLI with this project's environment, e.g. `cfm airflow dags test cfm_ingest`."""
    import shutil
    import subprocess

    from cfm.airflow_env import airflow_env

    env = {**os.environ, **airflow_env(_url(config), config)}
    # `airflow standalone` starts its components as `airflow ...` subprocesses: find ours first.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    airflow = shutil.which("airflow", path=env["PATH"]) or str(Path(sys.executable).with_name("airflow"))
    return subprocess.call([airflow, *args.airflow_args], env=env)


def cmd_demo(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """The main job on the bundled sample data, through real Airflow DAG runs."""
    import time

    from cfm.demo import run_demo
    from cfm.warehouse.connection import redacted_url

    t0 = time.monotonic()
    url = _url(config)
    print(f"warehouse: {redacted_url(url)}", flush=True)
    timings = run_demo(url)
    print(f"\ndemo finished in {time.monotonic() - t0:.0f}s ("
          + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()) + ")\n")
    return cmd_headline(args, config)


def cmd_erase(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Erase one customer named by any of email, external id and phone (all given are erased together)."""
    from cfm.config import privacy_config
    from cfm.privacy.erasure import erase_customer

    result = erase_customer(_url(config), email=args.email, external_id=args.customer_id, phone=args.phone,
                            region=args.region or privacy_config(config).phone_region, actor=args.actor)
    print(json.dumps(result))
    return 0


def cmd_retention(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from cfm.privacy.retention import apply_retention

    result = apply_retention(_url(config), config, dry_run=args.dry_run, actor=args.actor)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"retention: raw payloads extracted before {result['raw_before']} ({result['raw_days']} days), "
          f"quarantine rows before {result['quarantine_before']} ({result['quarantine_days']} days)")
    for table, n in sorted(result["deleted"].items()):
        print(f"  {verb} {n} rows from {table}")
    if not result["deleted"]:
        print("  nothing to delete")
    for table, n in sorted(result["retained"].items()):
        print(f"  {'would keep' if args.dry_run else 'kept'} the redacted form of {n} records of {table}")
    for table, n in sorted(result["lost"].items()):
        print(f"  {n} records of {table} were never validated and enriched: not kept")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cfm", description="Customer feedback pipeline.")
    p.add_argument("--config", help="path to cfm.yml (default: CFM_CONFIG or ./cfm.yml)")
    p.add_argument("-v", "--verbose", action="store_true", help="log task counts")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="ingest, validate, enrich, model and report, in-process")
    r.add_argument("--source", action="append", help="only this source (repeatable)")
    r.add_argument("--since", type=_date, help="backfill: re-read from this date (idempotent)")
    r.add_argument("--until", type=_date, help="backfill window end, exclusive: records last changed from then "
                                               "on are not read (customer attributes are)")
    r.add_argument("--run-id")
    r.add_argument("--no-report", action="store_true")
    r.add_argument("--rebuild", action="store_true", help="run dbt even when nothing changed upstream since the last build")
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(fn=cmd_run)

    sub.add_parser("demo", help="run the DAGs on the sample data through Airflow").set_defaults(fn=cmd_demo)
    sub.add_parser("init", help="create schemas, tables, roles and staging views").set_defaults(fn=cmd_init)
    sub.add_parser("headline", help="print headline metrics from the marts").set_defaults(fn=cmd_headline)
    sub.add_parser("warehouse-url", help="print the warehouse URL (starts the embedded server)").set_defaults(fn=cmd_warehouse_url)

    from cfm import cli_report

    cli_report.add_parsers(sub, _url)

    a = sub.add_parser("analyze", help="ad-hoc analysis of any CSV, no warehouse needed")
    a.add_argument("input")
    a.add_argument("--text-column", default="text")
    a.add_argument("--output", required=True)
    a.add_argument("--no-progress", action="store_true")
    a.set_defaults(fn=cmd_analyze)

    q = sub.add_parser("quarantine", help="list, edit and replay rejected records")
    qs = q.add_subparsers(dest="action", required=True)
    ql = qs.add_parser("list")
    ql.add_argument("--source")
    ql.add_argument("--status", default="open", choices=["open", "resolved", "replayed", "dismissed", "all"])
    qe = qs.add_parser("edit", help="correct a parser-rejected payload: cfm quarantine edit ID id=NEW-1")
    qe.add_argument("id", type=int)
    qe.add_argument("set", nargs="+", metavar="FIELD=VALUE")
    qr = qs.add_parser("replay")
    qr.add_argument("--source")
    qr.add_argument("--id", type=int, action="append")
    q.set_defaults(fn=cmd_quarantine)

    af = sub.add_parser("airflow", help="the airflow CLI with the project's AIRFLOW_HOME, DAGs and connections")
    af.add_argument("airflow_args", nargs=argparse.REMAINDER)
    af.set_defaults(fn=cmd_airflow)

    er = sub.add_parser("erase", help="delete one customer's feedback everywhere (right to erasure)")
    er.add_argument("--email")
    er.add_argument("--customer-id")
    er.add_argument("--phone", help="any format; +country, or the region below / privacy.phone_region")
    er.add_argument("--region", help="region of a phone written without +country (e.g. GB)")
    er.add_argument("--actor", help="who asked (ops.privacy_audit); default: the login name")
    er.set_defaults(fn=cmd_erase)

    rt = sub.add_parser("retention", help="delete raw payloads and quarantine rows older than privacy.retention")
    rt.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")
    rt.add_argument("--actor", help="who ran it (ops.privacy_audit); default: the login name")
    rt.set_defaults(fn=cmd_retention)

    qi = sub.add_parser("quality", help="Great Expectations context")
    qi.add_argument("action", choices=["init"])
    qi.set_defaults(fn=cmd_quality_init)

    from cfm import cli_analysts

    cli_analysts.register(sub, _url)
    from cfm.cli_case import add_case_parser

    add_case_parser(sub, lambda args, config, fn: fn(args, config, _url(config)))
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    if args.config:
        os.environ["CFM_CONFIG"] = args.config
    try:
        config = load_config(args.config)
        return args.fn(args, config)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear one-line error; the traceback with -v
        import psycopg

        from cfm.sources.base import SourceError

        if args.verbose or not isinstance(exc, (KeyError, ValueError, OSError, SourceError, psycopg.Error, RuntimeError)):
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"cfm {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""`cfm demo`: the whole loop through real Airflow on the bundled sample data.

Starts the local fake API servers (recorded payloads) for every source that has one,
writes a demo config enabling them beside the file drop, then runs the DAGs with
`airflow dags test` in order: ingest -> enrich -> transform -> alerts -> report. The report
goes by email, through Airflow's SMTP provider, to a local SMTP catcher the demo starts
(messages saved under out/mail/); alerts go to a local Slack webhook that checks their payload.

A re-run skips what has nothing to do, one summary line per stage: Airflow's setup when
Airflow, the pools and the DAG files are unchanged (a stamp under .cfm/); the staging views'
rebuild (in the ingest DAG) when no raw table changed; enrich when no validated record waits; transform when no dbt source changed since the last build
(cfm.pipeline.transform.plan, the same check the transform DAG makes); loop, alerts and
report when transform had nothing to build and each already ran after that build. Each skip
is an ops.run_log row with status `skipped`. Task and dbt output goes to the task logs under
airflow_home/logs and to dbt/logs/dbt.log; a failing DAG prints the tail of its output.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from cfm.config import PROJECT_ROOT, config_path, load_config
from cfm.sources.registry import source_names

DAGS = ("cfm_ingest", "cfm_enrich", "cfm_transform", "cfm_loop", "cfm_alerts", "cfm_report")
SAMPLE_API_DIR = PROJECT_ROOT / "sample_data" / "api"
# Stable demo ports: recorded payloads carry absolute links, which must not change between runs.
DEMO_PORT_BASE = 18640


def start_fake_apis() -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """Start each source's demo server; return servers, config overlays and fake credentials."""
    from cfm.testing.fake_api import FakeApiServer

    servers, overlays, creds = [], {}, {}
    for index, name in enumerate(source_names()):
        try:
            module = importlib.import_module(f"cfm.testing.fake_apis.{name}")
        except ModuleNotFoundError:
            continue
        try:
            FakeApiServer.next_port = DEMO_PORT_BASE + index
            server = module.demo_server(SAMPLE_API_DIR / name)
        except OSError:  # the port is taken: fall back to any free one
            FakeApiServer.next_port = None
            server = module.demo_server(SAMPLE_API_DIR / name)
        finally:
            FakeApiServer.next_port = None
        server.start()
        servers.append(server)
        overlays[name] = module.demo_config(server.base_url)
        creds.update(module.demo_credentials())
    return servers, overlays, creds


def write_demo_config(overlays: dict[str, Any]) -> Path:
    with config_path().open(encoding="utf-8") as fh:
        base = yaml.safe_load(fh) or {}
    base.setdefault("sources", {}).update(overlays)
    path = PROJECT_ROOT / ".cfm" / "demo.yml"
    path.parent.mkdir(parents=True, exist_ok=True)  # absent when CFM_WAREHOUSE_URL replaces the embedded server
    path.write_text("# written by cfm demo: cfm.yml plus the local fake API servers\n" + yaml.safe_dump(base, sort_keys=False),
                    encoding="utf-8")
    return path


def _airflow(env: dict[str, str], *args: str, quiet: bool = True, label: str | None = None) -> None:
    airflow = shutil.which("airflow") or str(Path(sys.executable).with_name("airflow"))
    t0 = time.monotonic()
    proc = subprocess.run([airflow, *args], env=env, capture_output=quiet, text=True)
    if proc.returncode != 0:
        if quiet:
            sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-6000:])
        raise SystemExit(f"airflow {' '.join(args)} failed (exit {proc.returncode})")
    print(f"  {label or 'airflow ' + ' '.join(args):<40} ok  {time.monotonic() - t0:6.1f}s", flush=True)


def _skipped(name: str, reason: str, t0: float) -> None:
    print(f"  {name:<40} skipped  {time.monotonic() - t0:6.1f}s  ({reason})", flush=True)


SETUP_STAMP = PROJECT_ROOT / ".cfm" / "airflow_setup.json"


def airflow_setup_key(env: dict[str, str]) -> str:
    """What Airflow's one-off setup depends on: Airflow's version, its metadata database, the pools
    file, the DAG files and the dbt project Cosmos renders (its files: the manifest differs on every parse)."""
    from importlib.metadata import version

    from cfm.pipeline.watermark import project_digest

    h = hashlib.sha256(json.dumps([version("apache-airflow"), env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", ""),
                                   project_digest(PROJECT_ROOT / "dbt")]).encode())
    for path in [PROJECT_ROOT / "airflow" / "pools.json", *sorted((PROJECT_ROOT / "dags").glob("*.py"))]:
        h.update(path.read_bytes() if path.exists() else b"-")
    return h.hexdigest()


def setup_airflow(env: dict[str, str]) -> None:
    """Migrate the metadata database, import the pools and serialize the DAGs, unless done for the same inputs."""
    t0 = time.monotonic()
    key = airflow_setup_key(env)
    if SETUP_STAMP.exists() and SETUP_STAMP.read_text(encoding="utf-8").strip() == key:
        _skipped("airflow setup", "Airflow, pools and DAG files unchanged", t0)
        return
    _airflow(env, "db", "migrate", label="airflow db migrate")
    _airflow(env, "pools", "import", str(PROJECT_ROOT / "airflow" / "pools.json"), label="airflow pools import")
    _airflow(env, "dags", "reserialize", label="airflow dags reserialize")
    SETUP_STAMP.parent.mkdir(parents=True, exist_ok=True)
    SETUP_STAMP.write_text(key + "\n", encoding="utf-8")


def _last_finished(conn: Any, stage: str, statuses: tuple[str, ...] = ("success",)) -> Any:
    return conn.execute("select max(finished_at) from ops.run_log where stage = %s and status = any(%s)",
                        (stage, list(statuses))).fetchone()[0]


# The stage (ops.run_log) each downstream DAG writes, for "already ran after the last build".
AFTER_TRANSFORM = {"cfm_loop": "loop", "cfm_alerts": "alerts", "cfm_report": "report_delivery"}


def idle_reason(url: str, config: dict[str, Any], dag_id: str, transform_skipped: bool) -> str | None:
    """Why a DAG has nothing to do on this run (None: run it)."""
    import psycopg

    from cfm.pipeline.stage import StageContext

    if dag_id == "cfm_enrich":
        from cfm.warehouse import staging

        with psycopg.connect(url) as conn:
            if not staging.unenriched_count(conn) and not staging.unkeyed_customers(conn):
                return "no validated record or customer record waits for enrichment"
        return None
    if dag_id == "cfm_transform":
        from cfm.pipeline.transform import plan

        return plan(StageContext(url=url, config=config, run_id="demo-plan"))[1]
    if dag_id in AFTER_TRANSFORM and transform_skipped:
        with psycopg.connect(url) as conn:
            built, ran = _last_finished(conn, "transform"), _last_finished(conn, AFTER_TRANSFORM[dag_id])
            if dag_id == "cfm_loop" and not _loop_marts_current(conn):
                return None
        if built and ran and ran > built:
            return f"the marts are unchanged and it already ran after their build ({ran:%H:%M:%S %Z})"
    return None


def _loop_marts_current(conn: Any) -> bool:
    """The case events the loop marts were last built from are the ones there are now."""
    from cfm.pipeline import watermark
    from cfm.pipeline.transform import LOOP_OWNED

    row = conn.execute("select counts -> 'watermarks' from ops.run_log where stage = 'loop' and source = 'marts' "
                       "and status = 'success' order by finished_at desc limit 1").fetchone()
    now = watermark.table_watermarks(conn, [tuple(t.split(".")) for t in LOOP_OWNED])
    return bool(row) and row[0] == now


def log_skip(url: str, run_id: str, dag_id: str, reason: str) -> None:
    from cfm.pipeline.run_log import logged_stage

    stage = {"cfm_enrich": "enrich", "cfm_transform": "transform", **AFTER_TRANSFORM}[dag_id]
    with logged_stage(url, run_id, stage) as counts:
        counts.update(skipped_because=reason, by="cfm demo")


def smtp_connection_uri(port: int, sender: str) -> str:
    """Airflow's smtp_default as a URI: plain SMTP on loopback (the catcher speaks no TLS)."""
    from urllib.parse import quote

    return f"smtp://127.0.0.1:{port}?disable_tls=true&disable_ssl=true&from_email={quote(sender)}"


def run_demo(url: str) -> dict[str, float]:
    from cfm.airflow_env import airflow_env
    from cfm.pipeline.prepare import init_warehouse
    from cfm.pipeline.run_log import new_run_id
    from cfm.pipeline.stage import StageContext
    from cfm.testing.fake_slack import FakeSlackWebhook
    from cfm.testing.mail_catcher import MailCatcher

    timings: dict[str, float] = {}
    servers, overlays, creds = start_fake_apis()
    catcher = MailCatcher(folder=PROJECT_ROOT / "out" / "mail").start()
    slack = FakeSlackWebhook().start()
    servers += [catcher, slack]
    try:
        demo_cfg = write_demo_config(overlays)
        os.environ["CFM_CONFIG"] = str(demo_cfg)
        os.environ.update(creds)
        config = load_config(demo_cfg)
        enabled = ["file_drop", *overlays]
        print(f"sources: {', '.join(enabled)} ({len(servers)} local API servers on 127.0.0.1)", flush=True)
        t0 = time.monotonic()
        init_warehouse(StageContext(url=url, config=config, run_id=new_run_id("demo")))
        timings["init"] = time.monotonic() - t0
        env = {**os.environ, **airflow_env(url, config),
               "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection_uri(catcher.port, "cfm-reports@example.com"),
               "CFM_SLACK_WEBHOOK_URL": slack.webhook_url}
        setup_airflow(env)
        run_id, transform_skipped = new_run_id("demo"), False
        for dag_id in DAGS:
            t0 = time.monotonic()
            reason = idle_reason(url, config, dag_id, transform_skipped)
            if reason:
                log_skip(url, run_id, dag_id, reason)
                _skipped(dag_id, reason, t0)
                transform_skipped |= dag_id == "cfm_transform"
            else:
                _airflow(env, "dags", "test", dag_id, label=dag_id)
            timings[dag_id] = time.monotonic() - t0
        print_delivery(url, config, catcher, slack)
    finally:
        for server in servers:
            server.stop()
    return timings


def print_delivery(url: str, config: dict[str, Any], catcher: Any, slack: Any) -> None:
    """Where the report went and where its copies are."""
    import psycopg

    from cfm.config import project_path

    with psycopg.connect(url) as conn:
        if conn.execute("select to_regclass('ops.report_deliveries') is null").fetchone()[0]:
            print("report: not delivered (see the cfm_report task log)")
            return
        row = conn.execute("select period, archive_dir, count(*) over () from ops.report_deliveries "
                           "where kind = 'report' and status = 'sent' order by sent_at desc limit 1").fetchone()
    if catcher.saved:
        print(f"\nreport emailed to {len(catcher.saved)} recipient(s) through the local SMTP catcher:")
        for path in catcher.saved:
            print(f"  .eml  {path}")
    elif row:
        print(f"\nreport for {row[0]} already sent earlier: nothing new to send")
    if row:
        folder = Path(row[1])
        print(f"  HTML  {folder / 'report.html'}\n  PDF   {folder / 'report.pdf'}\n  sent  {folder / 'sent'}/*.eml")
    else:
        print(f"report not sent; archive folder: {project_path(config['report']['out_dir']) / 'reports'}")
    print(f"alerts: {len(slack.payloads)} Slack message(s) this run (ops.alerts)")

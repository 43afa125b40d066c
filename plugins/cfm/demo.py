"""`cfm demo`: the whole loop through real Airflow on the bundled sample data.

Starts the local fake API servers (recorded payloads) for every source that has one,
writes a demo config enabling them beside the file drop, then runs the DAGs with
`airflow dags test` in order: ingest -> enrich -> transform -> alerts -> report. The report
goes by email, through Airflow's SMTP provider, to a local SMTP catcher the demo starts
(messages saved under out/mail/); alerts go to a local Slack webhook that checks their payload.
"""

from __future__ import annotations

import importlib
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


def _airflow(env: dict[str, str], *args: str, quiet: bool = True) -> None:
    airflow = shutil.which("airflow") or str(Path(sys.executable).with_name("airflow"))
    t0 = time.monotonic()
    proc = subprocess.run([airflow, *args], env=env, capture_output=quiet, text=True)
    if proc.returncode != 0:
        if quiet:
            sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-6000:])
        raise SystemExit(f"airflow {' '.join(args)} failed (exit {proc.returncode})")
    print(f"  airflow {' '.join(args):<40} ok  {time.monotonic() - t0:6.1f}s", flush=True)


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
        _airflow(env, "db", "migrate")
        _airflow(env, "pools", "import", str(PROJECT_ROOT / "airflow" / "pools.json"))
        _airflow(env, "dags", "reserialize")
        for dag_id in DAGS:
            t0 = time.monotonic()
            _airflow(env, "dags", "test", dag_id)
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

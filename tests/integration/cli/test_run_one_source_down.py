"""`cfm run` with one source down for good (its API answers 500 to everything): the other sources
are read, modelled and in the marts; the run names the failed source, exits non-zero, and
ops.run_log records the failure beside the successful stages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from cfm.config import PROJECT_ROOT
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis import app_store, google_business, trustpilot

SAMPLE_API = PROJECT_ROOT / "sample_data" / "api"
FAST = {"max_attempts": 2, "backoff_base_seconds": 0.01, "backoff_max_seconds": 0.02}

pytestmark = pytest.mark.slow


def test_cfm_run_reports_the_source_that_failed_and_finishes_the_others(
    warehouse: str, tmp_path: Path
) -> None:
    env = {**os.environ, "CFM_WAREHOUSE_URL": warehouse, "HF_HUB_OFFLINE": "1"}
    for fake in (trustpilot, google_business, app_store):
        env.update(fake.demo_credentials())
    with (
        trustpilot.demo_server(SAMPLE_API / "trustpilot") as tp,
        google_business.demo_server(SAMPLE_API / "google_business") as gb,
        app_store.demo_server(SAMPLE_API / "app_store") as ap,
    ):
        tp.inject(Fault(status=500, times=1_000_000))
        config = {
            "sources": {
                "file_drop": {"enabled": False},
                "customer_drop": {"enabled": False},
                "trustpilot": {**trustpilot.demo_config(tp.base_url), **FAST},
                "google_business": {**google_business.demo_config(gb.base_url), **FAST},
                "app_store": {**app_store.demo_config(ap.base_url), **FAST},
            },
            "report": {"out_dir": str(tmp_path / "out")},
        }
        (tmp_path / "cfm.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "cfm.cli",
                "--config",
                str(tmp_path / "cfm.yml"),
                "run",
                "--run-id",
                "down-1",
                "--no-report",
                "--no-progress",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
            check=False,
        )

    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    failed = [line for line in proc.stdout.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and failed[0].split()[0] == "trustpilot"
    assert "HTTP 500" in failed[0] and "2 attempts" in failed[0]
    read = {line.split()[0]: int(line.split()[2]) for line in proc.stdout.splitlines() if " read " in line}
    assert read["google_business"] > 0 and read["app_store"] > 0

    with psycopg.connect(warehouse) as conn:
        log = {
            (stage, source): status
            for stage, source, status in conn.execute(
                "select stage, source, status from ops.run_log where run_id = 'down-1'"
            )
        }
        error = conn.execute(
            "select error from ops.run_log where run_id = 'down-1' and source = 'trustpilot'"
        ).fetchone()[0]
        in_marts = dict(
            conn.execute("select source, count(*) from marts.fct_feedback group by source").fetchall()
        )
        raw_tp = conn.execute("select count(*) from raw.trustpilot").fetchone()[0]
    assert log[("ingest", "trustpilot")] == "failed" and "HTTP 500" in error
    assert log[("ingest", "google_business")] == "success" and log[("ingest", "app_store")] == "success"
    for stage in ("validate", "enrich", "transform"):
        assert log[(stage, "")] == "success", (stage, log)
    assert raw_tp == 0 and "trustpilot" not in in_marts
    assert in_marts["google_business"] > 0 and in_marts["app_store"] > 0

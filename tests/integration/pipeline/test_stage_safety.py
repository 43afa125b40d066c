"""Runs are safe to start twice and safe to kill; one failing source leaves the others to finish."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from cfm.config import PROJECT_ROOT
from cfm.pipeline import ingest
from cfm.pipeline.run_log import StageBusy, logged_stage
from cfm.pipeline.stage import StageContext
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis import surveymonkey as sm_fake
from cfm.testing.fake_apis import trustpilot as tp_fake

SAMPLE_API = PROJECT_ROOT / "sample_data" / "api"


def _log(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select run_id, stage, source, status, finished_at is null from ops.run_log order by run_id").fetchall()


def test_a_second_run_of_a_stage_is_refused_with_a_clear_message(warehouse: str) -> None:
    with logged_stage(warehouse, "run-a", "transform"):
        assert _log(warehouse) == [("run-a", "transform", "", "running", True)]
        with pytest.raises(StageBusy, match=r"stage transform is already running .*run run-a, started"):
            with logged_stage(warehouse, "run-b", "transform"):
                pytest.fail("the second run must not enter the stage")
        with logged_stage(warehouse, "run-b", "ingest", "typeform"):  # other stages and sources are free
            pass
    assert ("run-a", "transform", "", "success", False) in _log(warehouse)


def test_a_killed_stage_stays_visible_as_running_and_leaves_no_lock(warehouse: str) -> None:
    script = textwrap.dedent(f"""
        import os, signal
        from cfm.pipeline.run_log import logged_stage
        with logged_stage({warehouse!r}, "killed-run", "enrich"):
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "plugins")}
    proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert proc.returncode == -9
    assert _log(warehouse) == [("killed-run", "enrich", "", "running", True)]
    with logged_stage(warehouse, "next-run", "enrich"):  # the session died with the process: so did its lock
        pass


def test_one_source_failing_forever_leaves_the_others_to_finish(warehouse: str, monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    for module in (tp_fake, sm_fake):
        for key, value in module.demo_credentials().items():
            monkeypatch.setenv(key, value)
    fast = {"max_attempts": 2, "backoff_base_seconds": 0.01, "backoff_max_seconds": 0.02}
    with tp_fake.demo_server(SAMPLE_API / "trustpilot") as tp, sm_fake.demo_server(SAMPLE_API / "surveymonkey") as sm:
        tp.inject(Fault(status=500, times=10_000))
        sm.inject(Fault(status=500, path="bulk", times=1))  # heals after one retry
        config = {"sources": {"trustpilot": {**tp_fake.demo_config(tp.base_url), **fast},
                              "surveymonkey": {**sm_fake.demo_config(sm.base_url), **fast}}}
        result = ingest.run(StageContext(url=warehouse, config=config, run_id="r1", only=["trustpilot", "surveymonkey"]))
    assert set(result["failed"]) == {"trustpilot"} and "HTTP 500" in result["failed"]["trustpilot"]
    assert "2 attempts" in result["failed"]["trustpilot"]
    assert result["sources"]["surveymonkey"]["inserted"] > 0
    statuses = {(r[1], r[2]): r[3] for r in _log(warehouse)}
    assert statuses == {("ingest", "trustpilot"): "failed", ("ingest", "surveymonkey"): "success"}


def test_a_partial_failure_still_reports_what_was_committed(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in sm_fake.demo_credentials().items():
        monkeypatch.setenv(key, value)
    with sm_fake.demo_server(SAMPLE_API / "surveymonkey") as sm:
        config = {"sources": {"surveymonkey": {**sm_fake.demo_config(sm.base_url), "per_page": 2, "max_attempts": 1}}}
        original = sm.dispatch
        calls = {"bulk": 0}

        def second_page_fails(req):  # the first page is served, every later one fails
            if "bulk" in req.path:
                calls["bulk"] += 1
                if calls["bulk"] > 1:
                    from cfm.testing.fake_api import Response
                    return Response(500, {"error": "down"})
            return original(req)

        sm.dispatch = second_page_fails
        result = ingest.run(StageContext(url=warehouse, config=config, run_id="r1", only=["surveymonkey"]))
    assert "surveymonkey" in result["failed"]
    assert result["sources"]["surveymonkey"]["inserted"] == 2
    with psycopg.connect(warehouse) as conn:
        counts = conn.execute("select counts from ops.run_log where source = 'surveymonkey'").fetchone()[0]
    assert counts["inserted"] == 2

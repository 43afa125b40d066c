"""Scale-out for real: the ingest and enrich DAGs on CeleryExecutor with two workers and the local Redis.

The same feedback (a file-drop slice and the nine API fakes) goes once through two Celery workers and
once through the in-process executor, each into its own warehouse; the tasks must be spread across
both workers and the two warehouses must hold the same rows.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
import yaml

from cfm.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
REDIS = ("127.0.0.1", 6379)
DAGS = ("cfm_ingest", "cfm_enrich")
# What a run leaves in the warehouse, without the columns that hold run ids or load times.
CHECKSUMS = {
    "raw.file_drop": "select source_record_id, payload_hash from raw.file_drop",
    "quarantine.records": "select source, record_ref, field, check_name, reason from quarantine.records",
    "ops.validated_records": "select source, source_record_id, payload_hash from ops.validated_records",
    "ml.feedback_enrichment": "select feedback_id, language, sentiment_label, round(sentiment_score::numeric, 4), "
                              "category, feedback_type from ml.feedback_enrichment",
}


def _redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _small_drop(target: Path) -> None:
    target.mkdir()
    src = PROJECT_ROOT / "sample_data" / "drop"
    lines = (src / "surveys_2026.csv").read_text(encoding="utf-8").splitlines()[:81]
    (target / "surveys.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _checksums(url: str) -> dict[str, tuple[int, str]]:
    from cfm.sources.registry import source_names

    queries = dict(CHECKSUMS)
    for name in source_names():
        queries.setdefault(f"raw.{name}", f"select source_record_id, payload_hash from raw.{name}")
    out = {}
    with psycopg.connect(url) as conn:
        for table, query in queries.items():
            rows = sorted(map(repr, conn.execute(query).fetchall()))
            out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def _environment(tmp: Path, name: str, url: str, overlays: dict, credentials: dict) -> dict[str, str]:
    from cfm.airflow_env import airflow_env
    from cfm.config import load_config

    _small_drop(tmp / f"drop_{name}")
    config = yaml.safe_load((PROJECT_ROOT / "cfm.yml").read_text())
    config["sources"] = {"file_drop": {"enabled": True, "dir": str(tmp / f"drop_{name}")}, **overlays}
    config["report"] = {"out_dir": str(tmp / f"out_{name}")}
    (tmp / f"{name}.yml").write_text(yaml.safe_dump(config))
    env = {**os.environ, **credentials, **airflow_env(url, load_config(tmp / f"{name}.yml")),
           "AIRFLOW_HOME": str(tmp / f"airflow_home_{name}"), "CFM_CONFIG": str(tmp / f"{name}.yml")}
    env.pop("CFM_WAREHOUSE_URL", None)
    return env


def _airflow(env: dict[str, str], *args: str, timeout: int = 900) -> str:
    airflow = shutil.which("airflow") or str(Path(sys.executable).with_name("airflow"))
    proc = subprocess.run([airflow, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"airflow {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout + proc.stderr


def _wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: int = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the API server exited:\n{log.read_text()[-4000:]}"
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"no answer from {url}:\n{log.read_text()[-4000:]}")


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def celery_and_local_runs(make_database, tmp_path_factory, dbt_manifest):
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    from cfm.demo import start_fake_apis

    tmp = tmp_path_factory.mktemp("celery")
    servers, overlays, credentials = start_fake_apis()
    celery_url, local_url = make_database(), make_database()
    port = _free_port()
    celery = _environment(tmp, "celery", celery_url, overlays, credentials)
    metadata = celery["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].split("://", 1)[1]
    celery.update({
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{random.randint(1, 15)}",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{metadata}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
    })
    local = _environment(tmp, "local", local_url, overlays, credentials)
    procs: list[subprocess.Popen] = []
    airflow = shutil.which("airflow") or str(Path(sys.executable).with_name("airflow"))
    worker_logs = {w: tmp / f"{w}.log" for w in ("worker1", "worker2")}
    try:
        for env in (celery, local):
            _airflow(env, "db", "migrate")
            _airflow(env, "pools", "import", str(PROJECT_ROOT / "airflow" / "pools.json"))
            _airflow(env, "dags", "reserialize")
        api_log = tmp / "api-server.log"
        procs.append(subprocess.Popen([airflow, "api-server", "--port", str(port), "--workers", "1"], env=celery,
                                      stdout=api_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True))
        _wait_http(f"http://127.0.0.1:{port}/api/v2/monitor/health", procs[0], api_log)
        for worker, log in worker_logs.items():
            procs.append(subprocess.Popen(
                [airflow, "celery", "worker", "--concurrency", "1", "--celery-hostname", f"{worker}@%h"],
                env=celery, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True))
        for dag in DAGS:
            _airflow(celery, "dags", "test", dag, "--use-executor")
            _airflow(local, "dags", "test", dag)
        executed = {w: re.findall(r"Executing workload in Celery: .*?task_id='([^']+)'.*?try_number=(\d+)", log.read_text())
                    for w, log in worker_logs.items()}
        yield {"executed": executed, "celery": _checksums(celery_url), "local": _checksums(local_url)}
    finally:
        _stop(procs)
        for server in servers:
            server.stop()
        with psycopg.connect(os.environ.get("CFM_TEST_DATABASE_URL") or celery_url, autocommit=True) as conn:
            for env in (celery, local):
                db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
                conn.execute(f'drop database if exists "{db}" with (force)')


def test_tasks_are_spread_across_both_celery_workers(celery_and_local_runs) -> None:
    executed = celery_and_local_runs["executed"]
    assert all(executed.values()), executed
    attempts = [attempt for ts in executed.values() for attempt in ts]
    assert len(attempts) == len(set(attempts)), "one task attempt ran on two workers"
    assert {"prepare_warehouse", "ingest_file_drop", "validate", "enrich"} <= {task for task, _ in attempts}


def test_celery_run_leaves_the_same_warehouse_as_the_local_run(celery_and_local_runs) -> None:
    celery, local = celery_and_local_runs["celery"], celery_and_local_runs["local"]
    assert celery["raw.file_drop"][0] > 0 and celery["ml.feedback_enrichment"][0] > 0
    assert celery == local

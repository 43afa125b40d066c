"""`airflow dags test cfm_ingest` as a backfill run reads its data interval, like `cfm run --since/--until`,
and the source token held in an Airflow connection never reaches the task logs or XCom."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import yaml

from cfm.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
HOUR = datetime(2026, 6, 1, 10, tzinfo=UTC)  # the hourly data interval [10:00, 11:00) under test
ROWS = [  # id, submitted_at: two inside the hour, one on each side of it
    ("in-1", "2026-06-01T10:00:00Z"),
    ("in-2", "2026-06-01T10:59:59Z"),
    ("before", "2026-06-01T09:59:59Z"),
    ("after", "2026-06-01T11:00:00Z"),
]


def test_a_backfill_run_of_the_ingest_dag_reads_its_interval_and_keeps_the_token_secret(
    make_database, tmp_path: Path
) -> None:
    from cfm.airflow_env import airflow_env
    from cfm.config import load_config
    from cfm.pipeline import ingest
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.stage import StageContext
    from cfm.testing.fake_apis import typeform as tf_fake

    drop = tmp_path / "drop"
    drop.mkdir()
    lines = ["id,submitted_at,channel,text,rating_type,rating_value"]
    lines += [f"{rid},{ts},chat,Delivery was on time,csat,4" for rid, ts in ROWS]
    (drop / "chat.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    token = tf_fake.TOKEN
    dag_url, cli_url = make_database(), make_database()
    with tf_fake.demo_server(PROJECT_ROOT / "sample_data" / "api" / "typeform") as tf:
        config = yaml.safe_load((PROJECT_ROOT / "cfm.yml").read_text())
        config["sources"] = {
            "file_drop": {"enabled": True, "dir": str(drop)},
            "typeform": tf_fake.demo_config(tf.base_url),
        }
        (tmp_path / "cfm.yml").write_text(yaml.safe_dump(config))
        env = {
            **os.environ,
            **airflow_env(dag_url, load_config(tmp_path / "cfm.yml")),
            "AIRFLOW_HOME": str(tmp_path / "airflow_home"),
            "CFM_CONFIG": str(tmp_path / "cfm.yml"),
            # the token only in an Airflow connection (password), as in production
            "AIRFLOW_CONN_CFM_TYPEFORM": f"http://typeform:{token}@{tf.base_url.split('://', 1)[1]}",
        }
        env.pop("CFM_WAREHOUSE_URL", None)
        env.pop("CFM_TYPEFORM_TOKEN", None)
        airflow = shutil.which("airflow") or str(Path(sys.executable).with_name("airflow"))

        def run(*args: str) -> subprocess.CompletedProcess:
            proc = subprocess.run([airflow, *args], env=env, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, (
                f"airflow {' '.join(args)}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
            return proc

        metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace(
            "postgresql+psycopg2://", "postgresql://", 1
        )
        try:
            run("db", "migrate")
            run("pools", "import", str(PROJECT_ROOT / "airflow" / "pools.json"))
            # A run at 11:00 covers the hour that ended then.
            run_at = (HOUR + timedelta(hours=1)).isoformat()
            test = run("dags", "test", "cfm_ingest", run_at, "--conf", '{"backfill": true}')
            with psycopg.connect(metadata) as conn:
                xcom = "\n".join(str(r) for r in conn.execute("select * from xcom").fetchall())
                interval = conn.execute(
                    "select data_interval_start, data_interval_end from dag_run where dag_id = 'cfm_ingest'"
                ).fetchone()
        finally:
            with psycopg.connect(os.environ.get("CFM_TEST_DATABASE_URL") or dag_url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{metadata.rsplit("/", 1)[1]}" with (force)')

        # `cfm run --since 10:00 --until 11:00`: its ingest stage, on a second warehouse.
        with psycopg.connect(cli_url) as conn:
            prepare_warehouse(conn)
        os.environ["CFM_TYPEFORM_TOKEN"] = token  # the CLI reads credentials from the environment
        try:
            cli = ingest.run(
                StageContext(url=cli_url, config=config, run_id="cli", since=interval[0], until=interval[1])
            )
        finally:
            os.environ.pop("CFM_TYPEFORM_TOKEN", None)
        assert cli["failed"] == {}

    assert interval == (HOUR, HOUR + timedelta(hours=1))
    landed = {}
    for url in (dag_url, cli_url):
        with psycopg.connect(url) as conn:
            landed[url] = {
                t: sorted(conn.execute(f"select source_record_id, payload_hash from raw.{t}").fetchall())
                for t in ("file_drop", "typeform")
            }
    assert [r[0] for r in landed[dag_url]["file_drop"]] == ["in-1", "in-2"]
    assert landed[dag_url] == landed[cli_url]

    logs = test.stdout + test.stderr
    for path in (tmp_path / "airflow_home" / "logs").rglob("*"):
        if path.is_file():
            logs += path.read_text(encoding="utf-8", errors="replace")
    assert "ingest_typeform" in logs
    with psycopg.connect(dag_url) as conn:
        run_log = "\n".join(str(r) for r in conn.execute("select * from ops.run_log").fetchall())
    assert "typeform" in run_log
    for name, text in (("task logs", logs), ("XCom", xcom), ("ops.run_log", run_log)):
        assert token not in text, f"the Typeform token from the Airflow connection leaked into {name}"

"""The four DAGs run for real with `airflow dags test` against PostgreSQL, twice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

from cfm.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
DAGS = ("cfm_ingest", "cfm_enrich", "cfm_transform", "cfm_loop", "cfm_alerts", "cfm_report", "cfm_topics")


def _small_drop(target: Path) -> int:
    """A slice of the file-drop sample: the first 120 survey rows and 60 reviews."""
    target.mkdir()
    src = PROJECT_ROOT / "sample_data" / "drop"
    lines = (src / "surveys_2026.csv").read_text(encoding="utf-8").splitlines()[:121]
    (target / "surveys.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reviews = (src / "reviews_2026.jsonl").read_text(encoding="utf-8").splitlines()[:60]
    (target / "reviews.jsonl").write_text("\n".join(reviews) + "\n", encoding="utf-8")
    return 120 + 60


@pytest.fixture(scope="module")
def airflow_run(make_database, tmp_path_factory, dbt_manifest):
    from cfm.airflow_env import airflow_env
    from cfm.config import load_config
    from cfm.demo import start_fake_apis

    tmp = tmp_path_factory.mktemp("e2e")
    rows = _small_drop(tmp / "drop")
    url = make_database()
    servers, overlays, credentials = start_fake_apis()  # the nine APIs, speaking their protocols on loopback
    config = yaml.safe_load((PROJECT_ROOT / "cfm.yml").read_text())
    config["sources"] = {"file_drop": {"enabled": True, "dir": str(tmp / "drop")}, **overlays}
    config["report"] = {"out_dir": str(tmp / "out"), "recipients": ["leadership@example.com"]}
    (tmp / "cfm.yml").write_text(yaml.safe_dump(config))
    from cfm.demo import smtp_connection_uri
    from cfm.testing.mail_catcher import MailCatcher

    catcher = MailCatcher().start()  # the report goes through Airflow's SMTP provider to this server
    servers.append(catcher)
    env = {**os.environ, **credentials, **airflow_env(url, load_config(tmp / "cfm.yml")),
           "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection_uri(catcher.port, "reports@example.com"),
           "AIRFLOW_HOME": str(tmp / "airflow_home"), "CFM_CONFIG": str(tmp / "cfm.yml")}
    env.pop("CFM_WAREHOUSE_URL", None)  # tasks must find the warehouse through the cfm_warehouse connection
    airflow = shutil.which("airflow") or str(Path(sys.executable).with_name("airflow"))

    def run(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([airflow, *args], env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"airflow {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        return proc

    try:
        run("db", "migrate")
        run("pools", "import", str(PROJECT_ROOT / "airflow" / "pools.json"))
        run("dags", "reserialize")
        logs = {dag: run("dags", "test", dag).stdout + "" for dag in DAGS}
        first = _counts(url)
        run("dags", "test", "cfm_ingest")
        run("dags", "test", "cfm_enrich")
        second = _counts(url)
        mail_after_first = len(catcher.messages)
        run("dags", "test", "cfm_report")  # the same period again: nothing new to send
    finally:
        for server in servers:
            server.stop()
    yield {"url": url, "rows": rows, "mail": catcher.messages, "mail_after_first": mail_after_first, "first": first, "second": second, "out": tmp / "out", "logs": logs,
           "api_sources": sorted(overlays)}
    metadata_db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
    with psycopg.connect(os.environ.get("CFM_TEST_DATABASE_URL") or url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{metadata_db}" with (force)')


def _counts(url: str) -> dict[str, int]:
    from cfm.sources.registry import source_names

    tables = [f"raw.{name}" for name in source_names()] + [
        "quarantine.records", "ops.validated_records", "ml.feedback_enrichment", "marts.fct_feedback"]
    with psycopg.connect(url) as conn:
        counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
        counts["raw payload versions"] = sum(
            conn.execute(f"select count(distinct payload_hash) from {t}").fetchone()[0] for t in tables if t.startswith("raw."))
    return counts


def test_dags_load_validate_enrich_and_model_the_feedback(airflow_run) -> None:
    first = airflow_run["first"]
    assert first["raw.file_drop"] + first["quarantine.records"] >= airflow_run["rows"] - 1
    from cfm.sources.registry import feedback_source_names

    assert len(airflow_run["api_sources"]) == 10
    for name in airflow_run["api_sources"]:
        assert first[f"raw.{name}"] > 0, name
    with psycopg.connect(airflow_run["url"]) as conn:
        sources_in_marts = {r[0] for r in conn.execute("select distinct source from marts.fct_feedback")}
    assert sources_in_marts == {"file_drop", *(set(airflow_run["api_sources"]) & set(feedback_source_names()))}
    raw_total = sum(v for k, v in first.items() if k.startswith("raw."))
    assert 0 < first["marts.fct_feedback"] <= raw_total
    assert first["ml.feedback_enrichment"] == first["marts.fct_feedback"]
    with psycopg.connect(airflow_run["url"]) as conn:
        stages = {r[0] for r in conn.execute("select stage from ops.run_log where status = 'success'")}
        assert conn.execute("select count(*) from marts.nps_daily").fetchone()[0] > 0
    assert {"ingest", "validate", "enrich", "recluster", "loop"} <= stages
    with psycopg.connect(airflow_run["url"]) as conn:  # cfm_loop opened cases from the sample's unhappy customers
        cases = conn.execute("select count(*) from marts.fct_cases").fetchone()[0]
        assert cases > 0
        assert conn.execute("select count(distinct case_id) from ops.case_events where event_type = 'created'").fetchone()[0] == cases
    reports = list((airflow_run["out"] / "reports").glob("*/report.pdf"))
    assert len(reports) == 1 and (reports[0].parent / "report.html").exists()


def test_the_report_dag_emails_the_report_once(airflow_run) -> None:
    import email
    from email import policy

    assert airflow_run["mail_after_first"] == 1 and len(airflow_run["mail"]) == 1
    msg = email.message_from_bytes(airflow_run["mail"][0], policy=policy.default)
    assert msg["To"] == "leadership@example.com" and msg["From"] == "reports@example.com"
    assert any(p.get_content_type() == "application/pdf" for p in msg.iter_attachments())


def test_rerunning_the_dags_against_the_same_servers_stores_each_record_once(airflow_run) -> None:
    assert airflow_run["second"] == airflow_run["first"]


def test_task_logs_carry_counts_not_secrets(airflow_run) -> None:
    text = "\n".join(airflow_run["logs"].values())
    assert "sync done" in text or "received" in text
    assert "test-only-pseudonym-key" not in text

"""Backfill by data interval: the ingest DAG task reads the run's window, as `cfm run --since/--until` does."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
import yaml

from cfm.config import PROJECT_ROOT
from cfm.pipeline import ingest
from cfm.pipeline.stage import StageContext, backfill_window, task_context
from cfm.sources.timestamps import parse_utc
from cfm.testing.fake_apis import typeform as tf_fake

SAMPLE = PROJECT_ROOT / "sample_data"
START, END = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)


def _landed(url: str) -> dict[str, set[tuple[str, str]]]:
    with psycopg.connect(url) as conn:
        return {
            t: set(conn.execute(f"select source_record_id, payload_hash from raw.{t}").fetchall())
            for t in ("file_drop", "typeform")
        }


def _submitted(url: str) -> list[datetime]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select payload->>'submitted_at' from raw.file_drop union all "
            "select payload->>'submitted_at' from raw.typeform"
        ).fetchall()
    return [parse_utc(r[0]) for r in rows if parse_utc(r[0]) is not None]


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "drop").mkdir()
    shutil.copy(SAMPLE / "drop" / "chat_csat_2026.csv", tmp_path / "drop")
    for key, value in tf_fake.demo_credentials().items():
        monkeypatch.setenv(key, value)
    with tf_fake.demo_server(SAMPLE / "api" / "typeform") as tf:
        config = yaml.safe_load((PROJECT_ROOT / "cfm.yml").read_text())
        config["sources"] = {
            "file_drop": {"enabled": True, "dir": str(tmp_path / "drop")},
            "typeform": tf_fake.demo_config(tf.base_url),
        }
        (tmp_path / "cfm.yml").write_text(yaml.safe_dump(config))
        monkeypatch.setenv("CFM_CONFIG", str(tmp_path / "cfm.yml"))
        yield config


def test_a_scheduled_run_syncs_incrementally_and_a_backfill_reads_its_interval() -> None:
    interval = {"data_interval_start": START, "data_interval_end": END}
    assert backfill_window({**interval, "dag_run": SimpleNamespace(run_type="scheduled", conf={})}) == (
        None,
        None,
    )
    assert backfill_window({**interval, "dag_run": SimpleNamespace(run_type="backfill", conf={})}) == (
        START,
        END,
    )
    assert backfill_window(
        {**interval, "dag_run": SimpleNamespace(run_type="manual", conf={"backfill": True})}
    ) == (START, END)


def test_the_dag_task_backfill_equals_cfm_run_since_until(
    sources, make_database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cfm.pipeline.prepare import prepare_warehouse

    dag_url, cli_url = make_database(), make_database()
    for url in (dag_url, cli_url):
        with psycopg.connect(url) as conn:
            prepare_warehouse(conn)

    # What the ingest DAG task does for each source, in a backfill run over [START, END).
    context = {
        "run_id": "backfill__2026-06-01",
        "dag_run": SimpleNamespace(run_type="backfill", conf={}),
        "data_interval_start": START,
        "data_interval_end": END,
    }
    monkeypatch.setenv("CFM_WAREHOUSE_URL", dag_url)
    since, until = backfill_window(context)
    for name in ("file_drop", "typeform"):
        ingest.run_source(task_context(context["run_id"], since=since, until=until), name)

    # What `cfm run --since 2026-06-01 --until 2026-08-01` does in its ingest stage.
    result = ingest.run(StageContext(url=cli_url, config=sources, run_id="cli", since=START, until=END))
    assert result["failed"] == {}

    dag, cli = _landed(dag_url), _landed(cli_url)
    assert dag == cli
    assert dag["file_drop"] and dag["typeform"]
    times = _submitted(dag_url)
    assert times and all(START <= t <= END for t in times)  # Typeform's `until` is inclusive to the second

    with psycopg.connect(dag_url) as conn:  # and less than everything: the window really bounded the reads
        total_drop = sum(1 for _ in (SAMPLE / "drop" / "chat_csat_2026.csv").open()) - 1
        assert conn.execute("select count(*) from raw.file_drop").fetchone()[0] < total_drop

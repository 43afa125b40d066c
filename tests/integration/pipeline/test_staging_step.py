"""The staging step: in `cfm run` started in a process of its own beside ingest, the views only, skipped while
they stand as the project defines them; on its own (the ingest DAG) the views and their data tests."""

from __future__ import annotations

import psycopg
import pytest

from cfm.config import load_config
from cfm.pipeline import run as run_module
from cfm.pipeline import staging_views
from cfm.pipeline.prepare import prepare_warehouse
from cfm.pipeline.stage import STAGES, StageContext, stage
from cfm.pipeline.transform import DBT_DIR

pytestmark = pytest.mark.slow


def _status(url: str, run_id: str) -> tuple[str, dict]:
    with psycopg.connect(url) as conn:
        return conn.execute("select status, counts from ops.run_log where run_id = %s and stage = 'staging'",
                            (run_id,)).fetchone()


def _views(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {f"staging.{r[0]}" for r in conn.execute("select viewname from pg_views where schemaname = 'staging'")}


def _land(url: str, record: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("insert into raw.file_drop (source, account, source_record_id, payload, payload_hash, run_id, "
                     "extracted_at) values ('file_drop', 'default', %s, '{}', 'h', 'r', now())", (record,))


def test_started_early_the_views_are_skipped_while_they_stand_whatever_lands(warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        prepare_warehouse(conn)
    config = load_config()
    staging_views.run(StageContext(url=warehouse, config=config, run_id="s1", early=True))
    status, counts = _status(warehouse, "s1")
    assert status == "success" and counts["tested"] is False  # the transform of the same run tests them
    assert _views(warehouse) >= set(staging_views.staging_views(DBT_DIR))

    _land(warehouse, "new-1")  # landed rows do not change what the views are
    staging_views.run(StageContext(url=warehouse, config=config, run_id="s2", early=True))
    status, counts = _status(warehouse, "s2")
    assert status == "skipped" and counts["skipped_because"].startswith("nothing new upstream since run s1")

    with psycopg.connect(warehouse) as conn:  # a view gone: built again
        conn.execute("drop view staging.stg_file_drop__feedback")
    staging_views.run(StageContext(url=warehouse, config=config, run_id="s3", early=True))
    assert _status(warehouse, "s3")[0] == "success"
    assert "staging.stg_file_drop__feedback" in _views(warehouse)


def test_on_its_own_the_step_tests_the_views_again_when_rows_land(warehouse: str) -> None:
    # the ingest DAG: its transform DAG leaves staging out, so this step runs the staging data tests
    with psycopg.connect(warehouse) as conn:
        prepare_warehouse(conn)
    config = load_config()
    staging_views.run(StageContext(url=warehouse, config=config, run_id="s1"))
    status, counts = _status(warehouse, "s1")
    assert status == "success" and counts["tested"] is True
    staging_views.run(StageContext(url=warehouse, config=config, run_id="s2"))
    assert _status(warehouse, "s2")[0] == "skipped"
    _land(warehouse, "new-1")
    staging_views.run(StageContext(url=warehouse, config=config, run_id="s3"))
    status, counts = _status(warehouse, "s3")
    assert status == "success" and counts["tested"] is True


def test_cfm_run_builds_the_views_in_a_process_of_its_own(warehouse: str, monkeypatch) -> None:
    monkeypatch.setattr(run_module, "STAGES", (stage("prepare"), stage("staging")))
    assert stage("staging").starts_after == "prepare" and stage("staging") in STAGES
    summary = run_module.run_pipeline(warehouse, load_config(), "r1", report=False)
    assert _status(warehouse, "r1")[0] == "success"
    assert _views(warehouse) >= set(staging_views.staging_views(DBT_DIR))
    assert summary.stage_seconds["staging"] > 0 and summary.counts["staging"]["tested"] is False

"""The staging step: views only, skipped while they stand as the project defines them, and in `cfm run`
started in a process of its own beside ingest."""

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


def test_staging_is_skipped_while_its_views_stand_whatever_lands(warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        prepare_warehouse(conn)
    ctx = StageContext(url=warehouse, config=load_config(), run_id="s1")
    staging_views.run(ctx)
    assert _status(warehouse, "s1")[0] == "success"
    assert _views(warehouse) >= set(staging_views.staging_views(DBT_DIR))

    with psycopg.connect(warehouse) as conn:  # landed rows do not change what the views are
        conn.execute("insert into raw.file_drop (source, account, source_record_id, payload, payload_hash, run_id, "
                     "extracted_at) values ('file_drop', 'default', 'new-1', '{}', 'h', 'r', now())")
    staging_views.run(StageContext(url=warehouse, config=ctx.config, run_id="s2"))
    status, counts = _status(warehouse, "s2")
    assert status == "skipped" and counts["skipped_because"].startswith("nothing new upstream since run s1")

    with psycopg.connect(warehouse) as conn:  # a view gone: built again
        conn.execute("drop view staging.stg_file_drop__feedback")
    staging_views.run(StageContext(url=warehouse, config=ctx.config, run_id="s3"))
    assert _status(warehouse, "s3")[0] == "success"
    assert "staging.stg_file_drop__feedback" in _views(warehouse)


def test_cfm_run_builds_the_views_in_a_process_of_its_own(warehouse: str, monkeypatch) -> None:
    monkeypatch.setattr(run_module, "STAGES", (stage("prepare"), stage("staging")))
    assert stage("staging").starts_after == "prepare" and stage("staging") in STAGES
    summary = run_module.run_pipeline(warehouse, load_config(), "r1", report=False)
    assert _status(warehouse, "r1")[0] == "success"
    assert _views(warehouse) >= set(staging_views.staging_views(DBT_DIR))
    assert summary.stage_seconds["staging"] > 0 and "staging" in summary.counts

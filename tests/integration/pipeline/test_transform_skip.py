"""A transform with nothing new upstream does not run dbt; a change upstream does."""

from __future__ import annotations

import psycopg
import pytest

from cfm.config import load_config
from cfm.pipeline import transform
from cfm.pipeline.prepare import prepare_warehouse
from cfm.pipeline.stage import StageContext

pytestmark = pytest.mark.slow


def _state(url: str, run_id: str) -> tuple[str, dict, int]:
    """(run_log status, counts, oid of a table dbt re-creates on every build)."""
    with psycopg.connect(url) as conn:
        status, counts = conn.execute(
            "select status, counts from ops.run_log where run_id = %s and stage = 'transform'", (run_id,)
        ).fetchone()
        oid = conn.execute("select 'marts.rpt_source_freshness'::regclass::oid::bigint").fetchone()[0]
    return status, counts, oid


def test_a_second_transform_with_nothing_new_skips_dbt_and_a_change_rebuilds(warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        prepare_warehouse(conn)
    config = load_config()

    transform.run(StageContext(url=warehouse, config=config, run_id="build-1"))
    status, first, built_oid = _state(warehouse, "build-1")
    assert status == "success" and "skipped_because" not in first

    transform.run(StageContext(url=warehouse, config=config, run_id="build-2"))
    status, second, oid = _state(warehouse, "build-2")
    assert status == "skipped"
    assert second["skipped_because"].startswith("nothing new upstream since run build-1")
    assert second["fingerprint"] == first["fingerprint"]
    assert oid == built_oid  # dbt did not run: the table it re-creates is the same one

    with psycopg.connect(warehouse) as conn:  # a new raw record: a dbt source table changes
        conn.execute(
            "insert into raw.file_drop (source, account, source_record_id, payload, payload_hash, run_id, extracted_at) "
            "values ('file_drop', 'default', 'new-1', '{}', 'h', 'r', now())"
        )
    transform.run(StageContext(url=warehouse, config=config, run_id="build-3"))
    status, third, oid = _state(warehouse, "build-3")
    assert status == "success" and "skipped_because" not in third
    assert third["fingerprint"] != first["fingerprint"]
    assert third["upstream"]["raw.file_drop"][0] == first["upstream"]["raw.file_drop"][0] + 1
    assert "ops.sync_state" not in third["upstream"]  # clock-like: left to transform.rebuild_after_hours
    assert oid != built_oid  # rebuilt

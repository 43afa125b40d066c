"""DAG policy: every DAG imports cleanly, is documented and owned, and the wiring is what the design says."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cfm.config import PROJECT_ROOT
from cfm.sources.registry import source_names

KNOWN_TAGS = {"cfm", "ingest", "enrich", "transform", "report", "topics", "loop", "alerts", "privacy"}


@pytest.fixture(scope="module")
def dagbag(dbt_manifest, airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"cfm_ingest", "cfm_enrich", "cfm_transform", "cfm_report", "cfm_topics", "cfm_loop",
                                   "cfm_alerts", "cfm_retention"}


def test_every_dag_is_documented_owned_and_tagged(dagbag) -> None:
    for dag in dagbag.dags.values():
        assert dag.doc_md and len(dag.doc_md) > 80, dag.dag_id
        assert set(dag.tags) <= KNOWN_TAGS and "cfm" in dag.tags, dag.dag_id
        for task in dag.tasks:
            assert task.owner not in (None, "", "airflow"), f"{dag.dag_id}.{task.task_id}"


def test_ingest_has_one_task_per_source_in_its_own_api_pool(dagbag) -> None:
    dag = dagbag.dags["cfm_ingest"]
    pools = json.loads((PROJECT_ROOT / "airflow" / "pools.json").read_text())
    for name in source_names():
        task = dag.get_task(f"ingest_{name}")
        assert task.pool == f"cfm_api_{name}"
        assert task.pool in pools
        assert task.downstream_task_ids == {"build_staging_views"}
    assert dag.get_task("build_staging_views").trigger_rule == "all_done"
    assert dag.get_task("check_sources").trigger_rule == "all_done"


def test_dags_chain_on_assets(dagbag) -> None:
    from cfm.assets import ENRICHED_FEEDBACK, FEEDBACK_MARTS, VALIDATED_FEEDBACK

    ingest, enrich, transform = (dagbag.dags[d] for d in ("cfm_ingest", "cfm_enrich", "cfm_transform"))
    assert VALIDATED_FEEDBACK in ingest.get_task("validate").outlets
    assert list(enrich.timetable.asset_condition.objects) == [VALIDATED_FEEDBACK]
    assert ENRICHED_FEEDBACK in enrich.get_task("enrich").outlets
    assert list(transform.timetable.asset_condition.objects) == [ENRICHED_FEEDBACK]
    assert FEEDBACK_MARTS in transform.get_task("publish_marts").outlets
    loop = dagbag.dags["cfm_loop"]
    assert list(loop.timetable.asset_condition.objects) == [FEEDBACK_MARTS]
    assert [t.task_id for t in loop.topological_sort()] == [
        "open_cases", "apply_events", "compute_breaches", "write_drafts", "build_loop_marts"]


def test_report_runs_on_its_configured_cron_and_time_zone_and_alerts_follow_the_marts(dagbag) -> None:
    from cfm.assets import FEEDBACK_MARTS
    from cfm.config import load_config

    config = load_config()
    timetable = dagbag.dags["cfm_report"].timetable
    assert timetable.expression == config["report"]["schedule"]
    assert str(getattr(timetable.timezone, "name", timetable.timezone)) == (config["report"]["timezone"] or config["timezone"])
    assert list(dagbag.dags["cfm_alerts"].timetable.asset_condition.objects) == [FEEDBACK_MARTS]


def test_retention_runs_nightly_as_its_stage_and_the_marts_rebuild_after_it(dagbag, warehouse, monkeypatch) -> None:
    import psycopg

    from cfm.assets import ENRICHED_FEEDBACK

    dag = dagbag.dags["cfm_retention"]
    assert dag.timetable.expression == "30 2 * * *"
    task = dag.get_task("apply_retention")
    assert ENRICHED_FEEDBACK in task.outlets  # the transform DAG's trigger
    monkeypatch.setenv("CFM_WAREHOUSE_URL", warehouse)
    counts = task.python_callable(run_id="scheduled__retention-test")
    assert counts["deleted"] == {} and counts["lost"] == {}
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select stage, status from ops.run_log where run_id = 'scheduled__retention-test'"
                            ).fetchall() == [("retention", "success")]
        assert conn.execute("select action, actor, dry_run from ops.privacy_audit").fetchall() == [
            ("retention", "airflow", False)]


def test_every_task_alerts_on_failure_through_the_notifier(dagbag) -> None:
    from cfm.alerts.notifier import CfmFailureNotifier

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            callbacks = task.on_failure_callback if isinstance(task.on_failure_callback, list) else [task.on_failure_callback]
            assert any(isinstance(cb, CfmFailureNotifier) for cb in callbacks), f"{dag.dag_id}.{task.task_id}"


def test_transform_renders_one_task_per_dbt_model(dagbag, dbt_manifest) -> None:
    dag = dagbag.dags["cfm_transform"]
    manifest = json.loads(dbt_manifest.read_text())
    models = {n["name"] for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and not n["path"].startswith("staging/")}
    task_ids = set(dag.task_ids)
    assert {"dbt.fct_feedback_model_build", "dbt.nps_daily_model_build", "dbt.topics_model_build"} <= task_ids
    for model in models:
        assert f"dbt.{model}_model_build" in task_ids, model
    assert not any("stg_" in t for t in task_ids)  # staging is built and tested by the ingest DAG
    assert "publish_marts" in task_ids
    # The watermark check comes first: when nothing changed upstream it skips every dbt task. Then the
    # shadow schema the dbt tasks build into, which publish_marts swaps in whatever their outcome.
    assert dag.get_task("check_upstream").downstream_task_ids == {"prepare_marts"}
    after = dag.get_task("prepare_marts").downstream_task_ids
    assert after and all(t.startswith("dbt.") for t in after)
    publish = dag.get_task("publish_marts")
    assert publish.trigger_rule == "all_done"
    assert publish.retries == 0  # the swap consumes the shadow: a retry could only fail
    assert {t for t in publish.upstream_task_ids} and all(t.startswith("dbt.") for t in publish.upstream_task_ids)
    assert all(t.startswith("dbt.") or t in ("check_upstream", "prepare_marts", "publish_marts") for t in task_ids)


def test_dag_files_import_no_heavy_modules() -> None:
    code = (
        "import sys, runpy, pathlib\n"
        f"sys.path.insert(0, {str(PROJECT_ROOT / 'plugins')!r})\n"
        f"for f in ['cfm_ingest.py', 'cfm_enrich.py', 'cfm_report.py', 'cfm_alerts.py']:\n"
        f"    runpy.run_path(str(pathlib.Path({str(PROJECT_ROOT / 'dags')!r}) / f))\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'great_expectations', 'pandas', 'googleapiclient') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

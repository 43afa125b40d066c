"""The transform DAG's dbt tasks render cfm.yml's small-cell rule and report time zone into dbt vars when they run."""

from __future__ import annotations

import pytest
import yaml

from cfm.config import PROJECT_ROOT


@pytest.fixture(scope="module")
def transform_dag(dbt_manifest, airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "cfm_transform.py"))
    assert bag.import_errors == {}
    return bag.dags["cfm_transform"]


def test_dbt_tasks_render_min_responses_and_small_cells_from_cfm_yml(transform_dag, tmp_path, monkeypatch) -> None:
    config = tmp_path / "cfm.yml"
    config.write_text(yaml.safe_dump({"report": {"min_responses": 42, "small_cells": "suppress",
                                                 "timezone": "America/New_York"}}))
    monkeypatch.setenv("CFM_CONFIG", str(config))
    dbt_tasks = [t for t in transform_dag.tasks if t.task_id.startswith("dbt.")]
    assert dbt_tasks
    for task in dbt_tasks:
        rendered = task.render_template(task.vars, {}, jinja_env=transform_dag.get_template_env())
        assert rendered == {"min_responses": "42", "small_cells": "suppress",
                            "report_timezone": "America/New_York", "marts_schema": "marts__next"}, task.task_id


def test_dbt_tasks_build_the_marts_into_the_shadow_schema_that_publish_marts_swaps_in(transform_dag) -> None:
    from cfm.pipeline.transform import dbt_task_outcomes
    from cfm.warehouse.marts_publish import SHADOW

    assert {t.vars["marts_schema"] for t in transform_dag.tasks if t.task_id.startswith("dbt.")} == {SHADOW}
    # publish_marts names the marts whose task failed (they keep their published version) and those not run.
    states = {"dbt.fct_feedback_model_build": "failed", "dbt.nps_daily_model_build": "upstream_failed",
              "dbt.dim_topics_snapshot_build": "success", "dbt.topics_model_build": "success", "publish_marts": "running"}
    assert dbt_task_outcomes(states) == (["fct_feedback"], ["nps_daily"])

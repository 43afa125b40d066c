"""
### Transform: dbt models through Cosmos

Runs when enriched feedback lands. One Airflow task per dbt model, running the model
and its tests (`dbt build`), rendered from the compiled manifest (`cfm init` / `dbt parse`
writes it). The first task compares the dbt sources' watermarks with those of the last
successful build (ops.run_log): when nothing changed upstream, the dbt tasks are skipped
(cfm.pipeline.transform.check_upstream; rebuilt anyway after transform.rebuild_after_hours). The models
build into a shadow schema (prepare_marts) that publish_marts swaps in whole, so readers never see a
half-built set; a failed model keeps its last published version. Staging views are built and tested by the ingest DAG before validation, so
they are not repeated here. The dbt profile comes from the Airflow connection
`cfm_warehouse`. Emits `cfm_feedback_marts`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, TestBehavior
from cosmos.profiles import PostgresUserPasswordProfileMapping

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.assets import ENRICHED_FEEDBACK, FEEDBACK_MARTS

DBT_PROJECT = Path(os.environ.get("CFM_DBT_PROJECT_DIR", Path(__file__).resolve().parent.parent / "dbt"))
MANIFEST = DBT_PROJECT / "target" / "manifest.json"



def cfm_dbt_var(name: str):
    """A dbt var from cfm.yml (report.min_responses, ...), read when a task renders, not at parse time."""
    from cfm.config import load_config
    from cfm.pipeline.transform import dbt_vars

    return dbt_vars(load_config())[name]


profile_config = ProfileConfig(
    profile_name="cfm",
    target_name="airflow",
    profile_mapping=PostgresUserPasswordProfileMapping(conn_id="cfm_warehouse", profile_args={"schema": "public"}),
)


@dag(
    schedule=[ENRICHED_FEEDBACK],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["cfm", "transform"],
    doc_md=__doc__,
    default_args={"owner": "analytics-engineering", "retries": 1, "retry_delay": timedelta(minutes=5),
                  "on_failure_callback": CfmFailureNotifier()},
    user_defined_macros={"cfm_dbt_var": cfm_dbt_var},
)
def cfm_transform():
    dbt_models = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(DBT_PROJECT, manifest_path=MANIFEST if MANIFEST.exists() else None),
        profile_config=profile_config,
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.DBT_LS,
            exclude=["path:models/staging"],
            test_behavior=TestBehavior.BUILD,
            # A test over two models (relationships) runs after both, not with the first.
            should_detach_multiple_parents_tests=True,
            emit_datasets=False,
        ),
        # Rendered per task (Cosmos templates vars): the metric marts' small-cell rule and the report
        # time zone (local days, weeks, months) from cfm.yml.
        operator_args={"install_deps": False, "vars": {
            "min_responses": "{{ cfm_dbt_var('min_responses') }}",
            "small_cells": "{{ cfm_dbt_var('small_cells') }}",
            "report_timezone": "{{ cfm_dbt_var('report_timezone') }}",
            # Built into the shadow schema that prepare_marts makes; publish_marts swaps it in whole.
            "marts_schema": "marts__next",
        }},
    )

    @task.short_circuit
    def check_upstream(**context) -> str | None:
        from cfm.pipeline.stage import task_context
        from cfm.pipeline.transform import check_upstream

        return check_upstream(task_context(context["run_id"]))

    @task
    def prepare_marts(**context) -> None:
        from cfm.pipeline.stage import task_context
        from cfm.pipeline.transform import prepare_marts

        prepare_marts(task_context(context["run_id"]))

    # Runs whatever the dbt tasks' outcome: the marts that built are published, the failed keep theirs.
    # No retry: the swap consumes the shadow, so a retry after it could only fail ("no shadow build").
    @task(outlets=[FEEDBACK_MARTS], trigger_rule="all_done", retries=0)
    def publish_marts(**context) -> None:
        from cfm.pipeline.stage import task_context
        from cfm.pipeline.transform import dbt_task_outcomes, publish_marts

        ti, run_id = context["ti"], context["run_id"]
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[run_id]).get(run_id, {})
        if states.get("prepare_marts") != "success":
            raise RuntimeError("prepare_marts did not succeed: there is no shadow build to publish")
        failed, skipped = dbt_task_outcomes(states)
        publish_marts(task_context(run_id), ti.xcom_pull(task_ids="check_upstream"), failed, skipped)

    check_upstream() >> prepare_marts() >> dbt_models >> publish_marts()


cfm_transform()

"""
### Ingest customer feedback

One task per registered source, each in its own API pool (`cfm_api_<source>`) so
concurrent runs and backfills never exceed an API's rate limit. Sources not enabled in
`cfm.yml` are skipped. A backfill run (or one triggered with conf `{"backfill": true}`)
re-reads its data interval, as `cfm run --since/--until` does; other runs sync
incrementally from each source's cursor. A failing source does not stop the others: staging and
validation run on whatever was stored, and the final check fails the run naming the
sources that failed. Emits `cfm_validated_feedback`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.assets import VALIDATED_FEEDBACK
from cfm.sources.registry import source_names


@dag(
    # Hourly data intervals (a plain cron string would give Airflow 3's point-in-time trigger
    # timetable, whose runs have an empty interval): a backfill run re-reads its hour.
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["cfm", "ingest"],
    doc_md=__doc__,
    default_args={"owner": "data-engineering", "retries": 2, "retry_delay": timedelta(minutes=2),
                  "retry_exponential_backoff": True, "on_failure_callback": CfmFailureNotifier()},
)
def cfm_ingest():
    @task
    def prepare_warehouse(**context) -> None:
        from cfm.pipeline.stage import run_task

        run_task("prepare", context["run_id"])

    def ingest_task(source: str):
        @task(task_id=f"ingest_{source}", pool=f"cfm_api_{source}")
        def ingest(**context) -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            from cfm.pipeline.ingest import SourceDisabled, run_source
            from cfm.pipeline.stage import backfill_window, task_context

            since, until = backfill_window(context)
            try:
                return run_source(task_context(context["run_id"], since=since, until=until), source)
            except SourceDisabled as exc:
                raise AirflowSkipException(str(exc)) from exc

        return ingest()

    @task(trigger_rule="all_done")
    def build_staging_views(**context) -> None:
        from cfm.pipeline.stage import run_task

        run_task("staging", context["run_id"])

    @task(outlets=[VALIDATED_FEEDBACK])
    def validate(**context) -> dict:
        from cfm.pipeline.stage import run_task

        return run_task("validate", context["run_id"])

    @task(trigger_rule="all_done")
    def check_sources(**context) -> None:
        from cfm.pipeline.ingest import failed_sources
        from cfm.pipeline.stage import task_context

        failed = failed_sources(task_context(context["run_id"]))
        if failed:
            raise RuntimeError("sources failed: " + "; ".join(f"{k}: {v}" for k, v in failed.items()))

    ingests = [ingest_task(name) for name in source_names()]
    staged = build_staging_views()
    validated = validate()
    prepare_warehouse() >> ingests >> staged >> validated >> check_sources()


cfm_ingest()

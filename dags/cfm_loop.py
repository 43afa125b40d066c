"""
### Closed loop

Runs when the marts are rebuilt (the `cfm_feedback_marts` asset). As of the run's instant
(the data interval end, else the run's `run_after`) it opens and routes cases from the case
rules, records first responses from company replies (Gmail threads, review-site owner replies),
counts SLA breaches, writes follow-up Gmail drafts for resolved cases, and rebuilds the loop
marts (`fct_cases`, `case_events`, `case_sla_daily`, `loop_closure`, `complaint_audit`,
`recovery`, the case snapshot). Every task is idempotent for its instant: events carry
idempotency keys and follow-ups are claimed before Gmail is called.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.assets import FEEDBACK_MARTS


def _as_of(context) -> datetime:
    return context.get("data_interval_end") or context["dag_run"].run_after


@dag(
    schedule=[FEEDBACK_MARTS],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["cfm", "loop"],
    doc_md=__doc__,
    default_args={"owner": "cx-operations", "retries": 1, "retry_delay": timedelta(minutes=5),
                  "on_failure_callback": CfmFailureNotifier()},
)
def cfm_loop():
    @task
    def open_cases(**context) -> dict:
        from cfm.pipeline.loop import run_step

        return run_step("open_cases", context["run_id"], _as_of(context))

    @task
    def apply_events(**context) -> dict:
        from cfm.pipeline.loop import run_step

        return run_step("apply_events", context["run_id"], _as_of(context))

    @task
    def compute_breaches(**context) -> dict:
        from cfm.pipeline.loop import run_step

        return run_step("compute_breaches", context["run_id"], _as_of(context))

    @task
    def write_drafts(**context) -> dict:
        from cfm.pipeline.loop import run_step

        return run_step("write_drafts", context["run_id"], _as_of(context))

    @task
    def build_loop_marts(**context) -> dict:
        from cfm.pipeline.loop import run_step

        return run_step("build_marts", context["run_id"], _as_of(context))

    open_cases() >> apply_events() >> compute_breaches() >> write_drafts() >> build_loop_marts()


cfm_loop()

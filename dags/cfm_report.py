"""
### Leadership report

Renders the leadership report from the marts every Monday at 07:00 in Airflow's
configured time zone (`[core] default_timezone`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    schedule="0 7 * * 1",
    # Naive on purpose: Airflow applies [core] default_timezone, so the cron is local time.
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["cfm", "report"],
    doc_md=__doc__,
    default_args={"owner": "cx-insights", "retries": 1, "retry_delay": timedelta(minutes=10)},
)
def cfm_report():
    @task
    def render_report(**context) -> dict:
        from cfm.pipeline.stage import run_task

        return run_task("report", context["run_id"])

    render_report()


cfm_report()

"""
### Leadership report

Emails the leadership report (HTML with inline charts, PDF attached) to `report.recipients`
on the `report.schedule` cron in the configured time zone (`report.timezone`, else
`timezone` in cfm.yml), through Airflow's SMTP provider (connection `smtp_default`).
Sent once per recipient and period (`ops.report_deliveries`); archived under
`out/reports/<period>/`. When the marts are stale (not rebuilt within
`report.max_mart_age_hours`, or a source missed its sync), a short "data delayed" note
goes out instead of stale numbers.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.config import load_config

# The schedule is configuration, so it is read when the DAG is parsed (a small YAML file).
_report = load_config()["report"]
_timezone = _report.get("timezone") or load_config()["timezone"]


@dag(
    schedule=CronTriggerTimetable(_report["schedule"], timezone=_timezone),
    start_date=pendulum.datetime(2026, 1, 1, tz=_timezone),
    catchup=False,
    max_active_runs=1,
    tags=["cfm", "report"],
    doc_md=__doc__,
    default_args={"owner": "cx-insights", "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": CfmFailureNotifier()},
)
def cfm_report():
    @task
    def send_report(**context) -> dict:
        from cfm.pipeline import report
        from cfm.pipeline.stage import task_context

        return report.deliver(task_context(context["run_id"]))

    send_report()


cfm_report()

"""
### Alerts

Runs after every transform (when `cfm_feedback_marts` is updated): significant negative
shifts per segment x topic cell (Benjamini-Hochberg across cells), new emerging topics,
stale sources and SLA breaches. Messages go to the Slack incoming webhook
(`CFM_SLACK_WEBHOOK_URL`) and to `alerts.email`; `ops.alerts` keeps one message per
problem until it changes (after `alerts.cooldown_hours`) or resolves. Failed tasks of
every DAG alert through the same table (`CfmFailureNotifier`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.assets import FEEDBACK_MARTS


@dag(
    schedule=[FEEDBACK_MARTS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["cfm", "alerts"],
    doc_md=__doc__,
    default_args={"owner": "cx-insights", "retries": 2, "retry_delay": timedelta(minutes=5),
                  "on_failure_callback": CfmFailureNotifier()},
)
def cfm_alerts():
    @task
    def evaluate_and_notify(**context) -> dict:
        from cfm.pipeline import alerts
        from cfm.pipeline.stage import task_context

        return alerts.run(task_context(context["run_id"]))

    evaluate_and_notify()


cfm_alerts()

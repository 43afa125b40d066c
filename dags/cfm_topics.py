"""
### Topic re-clustering

Every Sunday night, re-clusters all enriched feedback and reconciles the clusters with the
topic registry by centroid: ids are kept, and merges, splits and retirements are recorded
in `ml.topic_history`. Between runs, new feedback joins existing topics incrementally
(the enrich DAG), so ids never change underneath the analysts mid-week.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.assets import ENRICHED_FEEDBACK


@dag(
    schedule="0 3 * * 0",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["cfm", "topics"],
    doc_md=__doc__,
    default_args={"owner": "data-science", "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": CfmFailureNotifier()},
)
def cfm_topics():
    @task(outlets=[ENRICHED_FEEDBACK])
    def recluster_topics(**context) -> dict:
        from cfm.pipeline.stage import run_task

        return run_task("recluster", context["run_id"])

    recluster_topics()


cfm_topics()

"""
### Privacy retention

Every night, raw payloads older than `privacy.retention.raw_days` and quarantine rows older than
`privacy.retention.quarantine_days` (cfm.yml) are deleted. A validated, enriched record keeps its
redacted form (`ml.retained_feedback`), so the marts still have it at every rebuild; each run is in
`ops.privacy_audit`. The transform DAG rebuilds after it (asset `enriched_feedback`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.assets import ENRICHED_FEEDBACK


@dag(
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["cfm", "privacy"],
    doc_md=__doc__,
    default_args={"owner": "data-protection", "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": CfmFailureNotifier()},
)
def cfm_retention():
    @task(outlets=[ENRICHED_FEEDBACK])
    def apply_retention(**context) -> dict:
        from cfm.pipeline.stage import run_task

        return run_task("retention", context["run_id"])

    apply_retention()


cfm_retention()

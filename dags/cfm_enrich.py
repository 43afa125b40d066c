"""
### Enrich feedback

Runs when validated feedback lands. Pseudonymises customers, redacts PII, detects
language, embeds (cached by text hash), scores sentiment, assigns categories and topics
for every validated record not enriched yet. Emits `cfm_enriched_feedback`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from cfm.alerts.notifier import CfmFailureNotifier
from cfm.assets import ENRICHED_FEEDBACK, VALIDATED_FEEDBACK


@dag(
    schedule=[VALIDATED_FEEDBACK],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["cfm", "enrich"],
    doc_md=__doc__,
    default_args={"owner": "data-engineering", "retries": 1, "retry_delay": timedelta(minutes=5),
                  "on_failure_callback": CfmFailureNotifier()},
)
def cfm_enrich():
    @task(outlets=[ENRICHED_FEEDBACK])
    def enrich(**context) -> dict:
        from cfm.pipeline.stage import run_task

        return run_task("enrich", context["run_id"])

    enrich()


cfm_enrich()

"""
### Enrich feedback

Runs when validated feedback lands. Pseudonymises customers, redacts PII, detects
language, embeds (cached by text hash), scores sentiment, assigns categories and topics
for every validated record not enriched yet. Emits `cfm_enriched_feedback`.

A large backlog is split into disjoint feedback_id ranges (`plan`), one mapped `enrich`
task each, so several workers share it without enriching a record twice.
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
    @task
    def plan(**context) -> list[dict]:
        from cfm.pipeline.enrich import plan_ranges
        from cfm.pipeline.stage import task_context

        ctx = task_context(context["run_id"])
        return plan_ranges(ctx.url, ctx.run_id, config=ctx.config)

    @task(outlets=[ENRICHED_FEEDBACK])
    def enrich(key_range: dict, **context) -> dict:
        from cfm.pipeline.enrich import run_range
        from cfm.pipeline.stage import task_context

        ctx = task_context(context["run_id"])
        return run_range(ctx.url, ctx.run_id, key_range, config=ctx.config)

    enrich.expand(key_range=plan())


cfm_enrich()

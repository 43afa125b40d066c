"""Failed DAG runs as alerts, through Airflow's notifier interface (on_failure_callback)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseNotifier


class CfmFailureNotifier(BaseNotifier):
    """on_failure_callback=CfmFailureNotifier(): one alert per failing DAG task, through ops.alerts,
    so a retry storm gives one message, and a different run's failure gives a new one."""

    template_fields = ()

    def notify(self, context: dict[str, Any]) -> None:
        from cfm.alerts.rules import Alert
        from cfm.alerts.run import notify
        from cfm.config import load_config
        from cfm.warehouse.connection import airflow_connection_url, warehouse_url

        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(ti, "dag_id", None) or context["dag"].dag_id
        task_id = getattr(ti, "task_id", "?")
        run_id = context.get("run_id") or getattr(ti, "run_id", "?")
        error = context.get("exception")
        alert = Alert(
            key=f"dag_failed:{dag_id}:{task_id}", kind="dag_failed", severity="critical",
            title=f"Airflow task failed: {dag_id}.{task_id}",
            text=f"Run {run_id} failed" + (f": {type(error).__name__}: {str(error)[:300]}" if error else "."),
            fingerprint=str(run_id),
        )
        config = load_config()
        notify(airflow_connection_url() or warehouse_url(config), config, [alert], resolve_kinds=set())

"""Where the code is running."""

from __future__ import annotations

import sys


def in_airflow_task() -> bool:
    """True when Airflow's SDK is loaded (every DAG file imports it), so Connections can be read.

    Outside Airflow, importing airflow.sdk just to find no connection costs seconds.
    """
    return "airflow.sdk" in sys.modules

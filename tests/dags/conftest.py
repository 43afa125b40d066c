from __future__ import annotations

import os
from pathlib import Path

import pytest

from cfm.config import PROJECT_ROOT


@pytest.fixture(scope="session")
def dbt_manifest(pg_admin_url: str) -> Path:
    """Cosmos renders the transform DAG from the compiled manifest; `dbt parse` writes it."""
    from cfm.pipeline.transform import run_dbt

    run_dbt(pg_admin_url, ["parse"])
    return PROJECT_ROOT / "dbt" / "target" / "manifest.json"


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("airflow_home")
    os.environ.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
    })
    return home

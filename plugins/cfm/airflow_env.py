"""The environment for running this project's Airflow locally (`cfm airflow ...`).

A project-local AIRFLOW_HOME, this repo's dags/ and plugins/, Airflow's metadata in a
database beside the warehouse (PostgreSQL, not SQLite), the `cfm_warehouse` connection,
and Cosmos telemetry off (this machine has no internet; a real deployment wants it off too).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from cfm.config import PROJECT_ROOT


def _with_db(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))


def ensure_metadata_database(url: str) -> str:
    """Create `<warehouse db>_airflow` on the warehouse's server if missing; return its SQLAlchemy URL."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_airflow"
    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'create database "{name}"')
    return _with_db(url, name).replace("postgresql://", "postgresql+psycopg2://", 1)


def airflow_env(url: str, config: dict[str, Any]) -> dict[str, str]:
    metadata_url = ensure_metadata_database(url)
    parts = urlsplit(url)
    # Cosmos' Postgres profile mapping requires a password; trust-auth servers ignore it.
    conn_url = url if parts.password else urlunsplit(parts._replace(
        netloc=f"{parts.username or 'postgres'}:trust@{parts.hostname}:{parts.port or 5432}"))
    return {
        "AIRFLOW_HOME": str(PROJECT_ROOT / "airflow_home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": str(config.get("timezone") or "UTC"),
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        # Airflow 3 also opens the metadata database asynchronously (asyncpg).
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url.replace("postgresql+psycopg2://", "postgresql+asyncpg://", 1),
        "AIRFLOW_CONN_CFM_WAREHOUSE": conn_url,
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "CFM_DBT_PROJECT_DIR": str(PROJECT_ROOT / "dbt"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }

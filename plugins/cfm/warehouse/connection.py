"""Where the warehouse is, and how to connect to it."""

from __future__ import annotations

import os
from typing import Any

from cfm.config import in_airflow_task, load_config, project_path


def warehouse_url(config: dict[str, Any] | None = None) -> str:
    """The warehouse URL: CFM_WAREHOUSE_URL / `warehouse.url`, else the embedded server (started on demand)."""
    if os.environ.get("CFM_WAREHOUSE_URL"):
        return os.environ["CFM_WAREHOUSE_URL"]
    config = config or load_config()
    if config["warehouse"].get("url"):
        return config["warehouse"]["url"]
    from cfm.warehouse.embedded import ensure_embedded

    return ensure_embedded(project_path(config["warehouse"]["embedded_dir"]), int(config["warehouse"]["embedded_port"]))


def airflow_connection_url() -> str | None:
    """The `cfm_warehouse` Airflow connection, when running inside an Airflow task."""
    if not in_airflow_task():
        return None
    try:
        from airflow.sdk import Connection

        conn = Connection.get("cfm_warehouse")
    except Exception:  # not in Airflow, or no such connection
        return None
    return conn.get_uri().replace("postgres://", "postgresql://", 1).split("?")[0]


def redacted_url(url: str) -> str:
    """The URL with any password removed, for logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)

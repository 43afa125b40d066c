"""Credentials for API sources: the environment for the CLI, Airflow connections in DAGs.

`CFM_<SOURCE>_<KEY>` (e.g. CFM_TYPEFORM_TOKEN) wins; otherwise the Airflow connection
`cfm_<source>` is read: `password` answers the keys token/secret/password, `login` the
key login, `host` the key base_url, and any other key comes from the connection extras.
Values are never logged; errors name the source and the key, not the value.
"""

from __future__ import annotations

import os

from cfm.config import in_airflow_task
from cfm.sources.base import SourceError


def _from_airflow(source: str, key: str) -> str | None:
    if not in_airflow_task():
        return None
    from airflow.sdk import Connection

    try:
        conn = Connection.get(f"cfm_{source}")
    except Exception:  # no such connection, or not inside a task context
        return None
    if key in ("token", "secret", "password"):
        return conn.password or None
    if key == "login":
        return conn.login or None
    if key == "base_url" and conn.host:
        return conn.host
    value = (conn.extra_dejson or {}).get(key)
    return None if value is None else str(value)


def credential(source: str, key: str, *, required: bool = True) -> str | None:
    env_name = f"CFM_{source.upper()}_{key.upper()}"
    value = os.environ.get(env_name) or _from_airflow(source, key)
    if value is None and required:
        raise SourceError(source, f"missing credential {key!r}: set {env_name} or the Airflow connection cfm_{source}")
    return value

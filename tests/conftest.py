"""Shared fixtures: every test that touches the warehouse gets its own real PostgreSQL database.

The server is CFM_TEST_DATABASE_URL when set (CI points it at 127.0.0.1:5432), otherwise
the embedded pgserver PostgreSQL. Databases are named cfm_test_<random> and dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("CFM_PSEUDONYM_KEY", "test-only-pseudonym-key")


def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("CFM_TEST_DATABASE_URL")
    if not url:
        from cfm.config import PROJECT_ROOT
        from cfm.warehouse.embedded import ensure_embedded

        url = ensure_embedded(PROJECT_ROOT / ".cfm", int(os.environ.get("CFM_EMBEDDED_PORT", "54329")))
    return url


@pytest.fixture(scope="session")
def make_database(pg_admin_url: str) -> Iterator[Callable[[], str]]:
    created: list[str] = []

    def make() -> str:
        name = f"cfm_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        created.append(name)
        return _with_db(pg_admin_url, name)

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'drop database if exists "{name}" with (force)')


_FREE_DATABASES: list[str] = []
_ALL_SCHEMAS = "raw, quarantine, ops, ml, staging, intermediate, marts, marts__next, marts__loop, marts__old"


@pytest.fixture
def warehouse(make_database: Callable[[], str]) -> Iterator[str]:
    """URL of an empty database with the raw/ops/quarantine/ml schemas and roles created.

    Databases are recycled (schemas dropped and re-created) rather than dropped: on
    PostgreSQL every DROP DATABASE forces a checkpoint, which made teardown the slowest part.
    """
    from cfm.pipeline.prepare import prepare_warehouse

    url = _FREE_DATABASES.pop() if _FREE_DATABASES else make_database()
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    yield url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
        )
        conn.execute(f"drop schema if exists {_ALL_SCHEMAS} cascade")
    _FREE_DATABASES.append(url)

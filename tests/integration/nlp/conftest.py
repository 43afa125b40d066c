"""A throwaway PostgreSQL database per test session for the nlp integration tests."""

from __future__ import annotations

import os
import uuid

import pytest

psycopg = pytest.importorskip("psycopg")

SERVER_URL = os.environ.get("CFM_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def nlp_database_url():
    """Create cfm_nlp_<random>, yield its URL, drop it afterwards."""
    name = f"cfm_nlp_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"no PostgreSQL server at {SERVER_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = SERVER_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def ml_conn(nlp_database_url):
    """A connection to the session database with an empty ml schema."""
    with psycopg.connect(nlp_database_url) as conn:
        conn.execute("DROP SCHEMA IF EXISTS ml CASCADE")
        conn.commit()
        yield conn

"""Fixtures shared by the source connector tests."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest


@pytest.fixture(scope="module")
def module_warehouse(make_database: Callable[[], str]) -> str:
    """One database for a test module: creating and dropping one per test costs seconds each on a busy server.

    A module that uses it empties the tables its source writes before each test (its own `warehouse` fixture).
    """
    from cfm.warehouse.schema import ensure_warehouse

    url = make_database()
    with psycopg.connect(url) as conn:
        ensure_warehouse(conn)
    return url

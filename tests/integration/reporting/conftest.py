from __future__ import annotations

import pytest

from .synthetic_marts import build_report_marts


@pytest.fixture(scope="module")
def report_warehouse(make_database) -> str:
    """A warehouse whose report marts were built by dbt from a known history (module-scoped: dbt takes seconds)."""
    import psycopg

    from cfm.pipeline.prepare import prepare_warehouse

    url = make_database()
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    build_report_marts(url)
    return url

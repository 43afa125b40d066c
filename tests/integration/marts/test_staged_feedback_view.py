"""intermediate.int_feedback_unioned: a query on it computes only the columns it reads.

Its key tests (unique, not_null on feedback_id) read one column of every staged record; when PostgreSQL
could not flatten the view's union, each of them parsed every record's JSON payload (33 s of a first build
at 1M records, bench/results/dbt_first_build.md)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.slow


def _plan(url: str, query: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(f"explain (verbose, costs off) {query}")]


def test_reading_the_key_computes_no_field_of_the_payload(built_warehouse: dict[str, Any]) -> None:
    plan = _plan(built_warehouse["url"], "select feedback_id from intermediate.int_feedback_unioned")
    outputs = [line.strip() for line in plan if line.strip().startswith("Output:")]
    assert outputs and any("md5(" in line for line in outputs)
    assert [line for line in outputs if "->" in line] == []  # no JSON field of any staged payload


def test_the_scales_keep_the_contract_type(built_warehouse: dict[str, Any]) -> None:
    # review sites stage integer default scales; the union casts them to the staging contract's numeric
    with psycopg.connect(built_warehouse["url"]) as conn:
        types = dict(conn.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'intermediate' "
            "and table_name = 'int_feedback_unioned' and column_name like 'rating_scale_%'").fetchall())
    assert types == {"rating_scale_min": "numeric", "rating_scale_max": "numeric"}

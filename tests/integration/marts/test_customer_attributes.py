"""dim_customers (SCD2 snapshot of the customer file drop and HubSpot) and the segment columns of fct_feedback."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.slow


def _one(url: str, query: str, *params: Any) -> Any:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params or None).fetchall()


def test_runs_succeed_and_customer_records_are_keyed_not_stored_in_clear(built_warehouse: dict[str, Any]) -> None:
    url = built_warehouse["url"]
    assert built_warehouse["first"].failed_sources == {} and built_warehouse["second"].failed_sources == {}
    # five id-keyed customers, one email-keyed; the HubSpot contact is keyed by its email
    assert _one(url, "select source, key_kind, count(*) from ml.customer_identity group by 1, 2 order by 1, 2") == [
        ("customer_drop", "email", 1), ("customer_drop", "id", 5), ("hubspot", "email", 1)]
    with psycopg.connect(url) as conn:
        for table in ("marts.dim_customers", "marts.fct_feedback", "intermediate.int_customers"):
            dump = conn.execute(f"select string_agg(t::text, '|') from {table} t").fetchone()[0]
            assert "@" not in dump and "C00001" not in dump, table


def test_dim_customers_keeps_every_version_and_closes_deleted_customers(built_warehouse: dict[str, Any]) -> None:
    url = built_warehouse["url"]
    assert built_warehouse["first_dim"] == 7
    versions = _one(url, """
        select f.feedback_id is not null, d.plan, d.dbt_valid_from, d.dbt_valid_to is null
        from marts.dim_customers d
        left join (select distinct customer_key, 'x' as feedback_id from marts.fct_feedback
                   where source_record_id = 'F1') f using (customer_key)
        where d.customer_key in (select customer_key from marts.fct_feedback where source_record_id in ('F1', 'F5'))
        order by d.dbt_valid_from""")
    c1 = [(plan, str(start)[:10], current) for is_c1, plan, start, current in versions if is_c1]
    assert c1 == [("basic", "2026-01-01", False), ("premium", "2026-06-01", True)]
    hubspot = [(plan, current) for is_c1, plan, _, current in versions if not is_c1]
    assert hubspot == [("enterprise", False)]  # archived in HubSpot: its only version is closed
    assert _one(url, "select count(*) from marts.dim_customers where dbt_valid_to is null")[0][0] == 6


def test_feedback_joins_the_attributes_as_they_were_when_it_was_given(built_warehouse: dict[str, Any]) -> None:
    got = dict(_one(built_warehouse["url"], "select source_record_id, customer_plan || '/' || coalesce(customer_tier, '-') "
                                            "from marts.fct_feedback where source_record_id like 'F%'"))
    assert got == {
        "F1": "basic/bronze",    # older than the first version: the first version describes it
        "F2": "basic/bronze",    # before the change
        "F3": "premium/bronze",  # after the change
        "F4": "plus/silver",     # keyed by email, matched case-insensitively
        "F5": "enterprise/gold",  # HubSpot: the contact's plan, the company's tier, valid then
        "F6": None,              # unknown customer
    }


def test_configured_segments_are_columns_of_fct_feedback(built_warehouse: dict[str, Any]) -> None:
    url = built_warehouse["url"]
    got = {r[0]: r[1:] for r in _one(url, "select source_record_id, region, store, agent, product from marts.fct_feedback")}
    expected = {r["id"]: (r["region"], r["store"], r["agent"], r["product"]) for r in built_warehouse["rows"]}
    assert {k: v for k, v in got.items() if k in expected} == expected
    assert _one(url, "select count(*) from marts.fct_feedback where customer_region is not null")[0][0] > 0

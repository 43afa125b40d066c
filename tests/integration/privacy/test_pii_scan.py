"""The marts' PII check reads every text column of every mart with the redactor's detectors:
a customer's dates and order numbers pass; an email, phone, card or national id anywhere fails."""

import psycopg
import pytest

from cfm.privacy.pii_scan import PiiInMarts, check, scan

CLEAN = [
    "delivered on 2026-10-20 10:00, order 1234567890",
    "تم التوصيل في ٢٠٢٦-١٠-٢٠ ١٠:٠٠ الطلب ١٢٣٤٥٦٧٨٩٠",
    "订单1234567890于2026-10-20 10:00送达",
    "call me on [PHONE] or write to [EMAIL]",
]


@pytest.fixture
def marts(warehouse):
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("create table marts.fct_x (id text, note varchar(200), extra jsonb, tags text[], n int)")
        conn.execute("create view marts.v_x as select id, note from marts.fct_x")
        for i, text in enumerate(CLEAN):
            conn.execute(
                "insert into marts.fct_x values (%s, %s, %s, %s, %s)",
                (
                    f"order-{i}",
                    text,
                    psycopg.types.json.Jsonb({"d": "2026-10-20 10:00"}),
                    ["ok"],
                    5551234567 % 1000,
                ),
            )
    return warehouse


def test_dates_and_order_numbers_pass_every_text_column(marts):
    with psycopg.connect(marts) as conn:
        assert scan(conn) == []
    assert check(marts) == 6  # id, note, extra, tags of the table; id, note of the view


@pytest.mark.parametrize(
    "column, value, kind",
    [
        ("note", "write to jane.doe@example.com", "EMAIL"),
        ("note", "call me 5551234567", "PHONE"),
        ("id", "+966 50 123 4567", "PHONE"),
        ("note", "card 4111 1111 1111 1111", "CARD"),
        ("note", "ssn 123-45-6789", "NATIONAL_ID"),
        ("extra", '{"from": "jane@example.com"}', "EMAIL"),
        ("tags", "0501234567", "PHONE"),
    ],
)
def test_pii_in_any_text_column_fails_naming_the_column(marts, column, value, kind):
    with psycopg.connect(marts, autocommit=True) as conn:
        conn.execute(
            f"insert into marts.fct_x ({column}) values (%s)", ([value] if column == "tags" else value,)
        )
        found = {(f.relation, f.column): f.pii_types for f in scan(conn)}
    assert found[("fct_x", column)] == (kind,)
    with pytest.raises(PiiInMarts, match=f"fct_x.{column}: 1 row") as err:
        check(marts)
    assert value not in str(err.value)  # the error names the column, never the personal data


def test_our_own_accounts_are_not_customer_data(marts):
    with psycopg.connect(marts, autocommit=True) as conn:
        conn.execute("insert into ops.sync_state (source, account) values ('gmail', 'support@shop.example')")
        conn.execute(
            "insert into marts.fct_x (id, note) values ('gmail:support@shop.example:18c2f3a4', 'ok')"
        )
        assert scan(conn) == []
        conn.execute("insert into marts.fct_x (id) values ('gmail:support@shop.example:jane@example.com')")
        assert [(f.relation, f.column, f.pii_types) for f in scan(conn)] == [
            ("fct_x", "id", ("EMAIL",)),
            ("v_x", "id", ("EMAIL",)),
        ]


def test_case_ids_and_staff_owners_are_not_customer_data(marts):
    with psycopg.connect(marts, autocommit=True) as conn:
        conn.execute(
            "insert into ops.case_events (case_id, event_type, occurred_at, actor, idempotency_key, details) "
            "values ('C-5551234567', 'assigned', now(), 'routing', 'k1', '{\"owner\": \"farah@shop.example\"}')"
        )
        conn.execute("insert into marts.fct_x (id, note) values ('C-5551234567', 'farah@shop.example')")
        assert scan(conn) == []

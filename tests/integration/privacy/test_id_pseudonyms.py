"""The build never fails on a customer's words, and ids that carry PII never reach a mart in clear.

One file drop through the real pipeline (`cfm run`'s stages, dbt and the marts' PII check):
- a record whose id is an email, whose thread id is a phone and whose survey id is a card number
  reaches fct_feedback with those ids pseudonymised, the same way wherever they are read;
- texts with date-times and order numbers pass the PII check and keep them;
- a star rating of 8 on a declared 1-10 scale passes star_daily's range test.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

RECENT = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
EMAIL_ID, PHONE_THREAD, CARD_SURVEY = "ann.lee@example.com", "+44 20 7946 0958", "4111111111111111"
SSN_QUESTION = "123-45-6789"
ROWS = [
    {
        "id": EMAIL_ID,
        "thread_id": PHONE_THREAD,
        "survey_id": CARD_SURVEY,
        "question_id": SSN_QUESTION,
        "text": "Parcel delivered on 2026-10-20 10:00, order 1234567890, box crushed.",
        "rating_type": "star",
        "rating_value": "8",
        "rating_scale_min": "1",
        "rating_scale_max": "10",
        "language": "en",
    },
    {
        "id": "ORD-2",
        "thread_id": PHONE_THREAD,
        "survey_id": "S-1",
        "question_id": "Q-1",
        "text": "تم التوصيل في 2026-10-20 10:00 والطلب رقم 1234567890، شكرا",
        "rating_type": "star",
        "rating_value": "4",
        "language": "ar",
    },
    {
        "id": "ORD-3",
        "thread_id": "T-3",
        "survey_id": "S-1",
        "question_id": "Q-1",
        "text": "订单1234567890于2026-10-20 10:00送达，请打5551234567联系我",
        "rating_type": "star",
        "rating_value": "5",
        "language": "zh",
    },
]
CLEAR = [EMAIL_ID, PHONE_THREAD, CARD_SURVEY, SSN_QUESTION, "5551234567"]


@pytest.fixture(scope="module")
def built(make_database, tmp_path_factory):
    from cfm.config import load_config
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.run import run_pipeline

    tmp = tmp_path_factory.mktemp("ids")
    drop = tmp / "drop"
    drop.mkdir()
    columns = [
        "id",
        "submitted_at",
        "channel",
        "customer_email",
        "text",
        "language",
        "rating_type",
        "rating_value",
        "rating_scale_min",
        "rating_scale_max",
        "survey_id",
        "question_id",
        "thread_id",
    ]
    with (drop / "feedback.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for n, row in enumerate(ROWS):
            writer.writerow(
                {
                    "submitted_at": (RECENT - timedelta(hours=n)).isoformat(),
                    "channel": "review",
                    "customer_email": "ann.lee@example.com",
                    **row,
                }
            )
    url = make_database()
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    config = load_config()
    config["sources"] = {"file_drop": {"enabled": True, "dir": str(drop)}}
    config["report"]["out_dir"] = str(tmp / "out")
    summary = run_pipeline(url, config, "ids-test-1", report=False)  # raises if dbt or the PII check fails
    return {"url": url, "summary": summary}


def test_ids_with_pii_reach_no_mart_in_clear(built) -> None:
    with psycopg.connect(built["url"]) as conn:
        marts = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        dump = "\n".join(str(r) for t in marts for r in conn.execute(f'select * from marts."{t}"').fetchall())
        rows = conn.execute(
            "select source_record_id, thread_id, survey_id, question_id from marts.fct_feedback "
            "order by submitted_at desc"
        ).fetchall()
        loop_threads = conn.execute(
            "select thread_id from intermediate.int_loop_feedback order by submitted_at desc"
        ).fetchall()
    assert [c for c in CLEAR if c in dump] == []
    first, second, third = rows
    assert all(v.startswith("pii_") for v in first)  # email id, phone thread, card survey, SSN question
    assert second[0] == "ORD-2" and second[2:] == ("S-1", "Q-1")  # ids without PII are kept
    assert third[1] == "T-3"
    # the same clear thread gets the same pseudonym everywhere, so threads still group and join
    assert first[1] == second[1] and [t[0] for t in loop_threads] == [r[1] for r in rows]
    assert built["summary"].counts["enrich"]["ids_pseudonymised"] == 4


def test_dates_and_order_numbers_pass_and_stay_in_the_text(built) -> None:
    with psycopg.connect(built["url"]) as conn:
        texts = [
            r[0]
            for r in conn.execute("select text_redacted from marts.fct_feedback order by submitted_at desc")
        ]
    assert all("2026-10-20 10:00" in t and "1234567890" in t for t in texts)
    assert "[PHONE]" in texts[2]
    assert built["summary"].counts["transform"]["pii_checked_columns"] > 0


def test_star_rating_on_a_declared_ten_point_scale_passes_its_range_test(built) -> None:
    with psycopg.connect(built["url"]) as conn:
        scales = conn.execute(
            "select rating_scale_min, rating_scale_max, star_mean, responses from marts.star_daily "
            "order by rating_scale_max"
        ).fetchall()
    assert sorted({(float(a), float(b)) for a, b, _, _ in scales}) == [(1, 5), (1, 10)]
    assert [(float(mean), n) for _, b, mean, n in scales if b == 10] == [(8.0, 1)]

"""Aspect-level sentiment through enrich_feedback on a real PostgreSQL with the shipped heads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cfm.nlp.warehouse_enrichment import enrich_feedback

pytestmark = pytest.mark.slow

# Two recurring subjects so that topics form; the mixed items speak about both.
DELIVERY = ["The delivery was fast and the courier was friendly", "Delivery arrived early, great courier",
            "送货很快，快递员很有礼貌", "التوصيل كان سريعا والمندوب لطيف"]
REFUND = ["My refund still has not arrived after a month", "The refund is very slow, still waiting for my money",
          "退款一个月了还没到账", "لم يصلني المبلغ المسترد بعد شهر"]
MIXED = ["Delivery was fast but the refund has been stuck for a month",
         "送货很快，但是退款一个月了还没到账",
         "التوصيل سريع لكن المبلغ المسترد لم يصل بعد شهر"]


def _items() -> list[dict]:
    texts = (DELIVERY + REFUND) * 3 + MIXED
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [{"feedback_id": f"fb-{k:03d}", "text": t, "submitted_at": start + timedelta(hours=k)}
            for k, t in enumerate(texts)]


def test_aspects_are_stored_per_topic_and_rewritten_only_on_change(ml_conn):
    config = {"min_topic_size": 3}
    items = _items()
    counts = enrich_feedback(ml_conn, items, config=config, run_id="run-1")
    assert counts["aspect_rows"] >= len(items)
    with ml_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ml.aspect_sentiment a LEFT JOIN ml.topic_assignments t "
                    "USING (feedback_id) WHERE t.feedback_id IS NULL")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT feedback_id, clause_count, sentiment_label FROM ml.aspect_sentiment "
                    "WHERE feedback_id = ANY(%s) ORDER BY feedback_id, topic_id", ([i["feedback_id"] for i in items[-3:]],))
        mixed = cur.fetchall()
    # every mixed item was split into its two clauses; at least one has them in two topics with opposite sentiment
    per_item: dict[str, list[tuple[int, str]]] = {}
    for fid, n, label in mixed:
        per_item.setdefault(fid, []).append((n, label))
    assert all(sum(n for n, _ in rows) == 2 for rows in per_item.values())
    assert any({label for _, label in rows} >= {"positive", "negative"} for rows in per_item.values()), per_item

    with ml_conn.cursor() as cur:
        cur.execute("SELECT * FROM ml.aspect_sentiment ORDER BY feedback_id, topic_id")
        before = cur.fetchall()
    enrich_feedback(ml_conn, items, config=config, run_id="run-2")
    with ml_conn.cursor() as cur:
        cur.execute("SELECT * FROM ml.aspect_sentiment ORDER BY feedback_id, topic_id")
        assert cur.fetchall() == before  # same values, same run_id and timestamps

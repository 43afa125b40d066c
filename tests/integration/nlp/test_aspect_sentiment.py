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


class _HashBackend:
    """Deterministic stand-in for the encoder under the name of the model whose sentiment head ships."""

    name = "use-multilingual-v3"
    dim = 512

    def encode(self, texts, batch_size):
        import hashlib

        import numpy as np

        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).standard_normal(self.dim)
                for t in texts]
        v = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_a_batch_replaces_its_items_rows_and_leaves_unchanged_rows_and_other_items_alone(ml_conn, monkeypatch):
    from cfm.nlp import embedding
    from cfm.nlp.aspects import split_clauses, write_aspect_sentiment
    from cfm.nlp.ml_schema import ensure_ml_schema

    monkeypatch.setattr(embedding, "load_backend", lambda config=None, purpose=None: _HashBackend())
    ensure_ml_schema(ml_conn)

    def assign(topics: dict[str, int]) -> None:
        ml_conn.execute("DELETE FROM ml.topic_assignments")
        for fid, topic in topics.items():
            ml_conn.execute("INSERT INTO ml.topic_assignments (feedback_id, topic_id, method, embedding_model, run_id) "
                            "VALUES (%s, %s, 'cluster', 'use-multilingual-v3', 'r')", (fid, topic))

    def write(texts: dict[str, str], run_id: str) -> dict[tuple[str, int], tuple]:
        write_aspect_sentiment(ml_conn, list(texts), list(texts.values()), ["en"] * len(texts), config={},
                               embedding_model="use-multilingual-v3", run_id=run_id)
        ml_conn.commit()
        rows = ml_conn.execute("SELECT feedback_id, topic_id, clauses, run_id, scored_at FROM ml.aspect_sentiment")
        return {(r[0], r[1]): r[2:] for r in rows.fetchall()}

    odd = 'He said "no", {sorry} \\ back. Then, the refund came'  # quotes, braces, backslash: COPY and text[]
    assign({"a": 1, "b": 2, "c": 3, "z": 9})
    write({"z": "Another batch's item"}, "run-0")
    first = write({"a": odd, "b": "The app is fine", "c": "Delivery was late"}, "run-1")
    assert sorted(first) == [("a", 1), ("b", 2), ("c", 3), ("z", 9)]
    assert first[("a", 1)][0] == split_clauses(odd) and len(split_clauses(odd)) == 2

    assign({"a": 1, "b": 2, "c": 4, "z": 9})
    second = write({"a": odd, "b": "", "c": "Delivery was late"}, "run-2")
    assert sorted(second) == [("a", 1), ("c", 4), ("z", 9)]  # b has no clauses now; c moved to topic 4
    assert second[("a", 1)] == first[("a", 1)]  # unchanged: not rewritten (same run and timestamp)
    assert second[("z", 9)] == first[("z", 9)]  # not in the batch: untouched
    assert second[("c", 4)][1] == "run-2"

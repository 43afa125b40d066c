"""Topic labels are unique across the live registry, not only within one fit (real PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest
from test_enrich_feedback import CONFIG, _items  # same corpus and settings as the enrich tests

from cfm.nlp.ml_schema import ensure_ml_schema
from cfm.nlp.topics.model import TopicFit
from cfm.nlp.topics.represent import describe_topics
from cfm.nlp.topics.store import create_registry, recluster
from cfm.nlp.warehouse_enrichment import enrich_feedback


def _live_labels(conn) -> dict[int, str]:
    with conn.cursor() as cur:
        cur.execute("SELECT topic_id, label FROM ml.topics WHERE status = 'active' ORDER BY topic_id")
        return dict(cur.fetchall())


def _keep_live_topic(conn, topic_id: int, label: str, model: str = "legacy-model") -> None:
    """An active topic this fit does not relabel (here: one still on another embedding model)."""
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ml.topics (topic_id, label, label_language, embedding_model, centroid) VALUES (%s, %s, 'en', %s, %s)",
            (topic_id, label, model, [1.0, 0.0]),
        )
    conn.commit()


def _fit(texts: list[str], labels: list[int]) -> TopicFit:
    labels_arr = np.asarray(labels)
    vectors = np.zeros((len(texts), 2), np.float32)
    cents = {t: np.array([1.0, 0.0], np.float32) for t in sorted(set(labels))}
    return TopicFit(labels_arr, np.ones(len(texts)), ["cluster"] * len(texts), cents,
                    describe_topics(texts, labels_arr, vectors, cents))


def test_a_new_topic_does_not_take_a_label_a_live_topic_has(ml_conn):
    ensure_ml_schema(ml_conn)
    _keep_live_topic(ml_conn, 1, "Refund not received")
    texts = ["refund not received for my order", "refund not received, bank transfer",
             "refund not received after bank transfer", "bank transfer refund not received",
             "the app crashes on login", "app crashes on login again", "app crashes on login today"]
    fit = _fit(texts, [0, 0, 0, 0, 1, 1, 1])
    mapping = create_registry(ml_conn, fit, [f"f{i}" for i in range(len(texts))], embedding_model="m", run_id="r1")
    ml_conn.commit()
    live = _live_labels(ml_conn)
    assert mapping == {0: 2, 1: 3}  # ids as before: the label check changes no id
    assert live == {1: "Refund not received", 2: "refund not received, bank transfer", 3: "app crashes on login"}


@pytest.mark.slow
def test_recluster_keeps_labels_unique_across_the_live_registry(ml_conn):
    enrich_feedback(ml_conn, _items(60), config=CONFIG, run_id="run-1")
    before = _live_labels(ml_conn)
    topic_id, label = min(before.items())
    _keep_live_topic(ml_conn, max(before) + 100, label)  # another live topic already has this label
    result = recluster(ml_conn, config=CONFIG, run_id="recluster-1")
    live = _live_labels(ml_conn)
    assert len({x.casefold() for x in live.values()}) == len(live), live
    assert live[max(before) + 100] == label  # the other topic keeps its label
    assert result["kept"] >= 1 and topic_id in live and live[topic_id].startswith(label)  # same id, label told apart
    # stable: the same data gives the same labels on the next recluster
    recluster(ml_conn, config=CONFIG, run_id="recluster-2")
    assert _live_labels(ml_conn) == live

"""Topic fits read a bounded sample of the corpus and stream the rest onto the fitted topics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import cfm.nlp.topics.store as store
from cfm.nlp.embedding import configured_cache_name
from cfm.nlp.settings import nlp_config
from cfm.nlp.topics.corpus import load_sample, sample_cutoff, stream_beyond
from cfm.nlp.warehouse_enrichment import enrich_feedback

pytestmark = pytest.mark.slow

SAMPLE = 30
CONFIG = {"min_topic_size": 3, "fit_sample_size": SAMPLE}
DATA = Path(__file__).resolve().parents[3] / "bench" / "data" / "topics_labelled.jsonl"


def _items(n: int) -> list[dict]:
    english = [r for r in map(json.loads, DATA.open(encoding="utf-8")) if r["language"] == "en"][:n]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        {
            "feedback_id": r["id"],
            "text": r["text"],
            "language_declared": None,
            "rating_type": None,
            "rating_value": None,
            "rating_scale_min": None,
            "rating_scale_max": None,
            "submitted_at": start + timedelta(hours=k),
        }
        for k, r in enumerate(english)
    ]


@pytest.fixture
def fitted_sizes(monkeypatch):
    """How many items each topic fit was given."""
    sizes: list[int] = []
    real_fit = store.fit_topics

    def spy(vectors, texts, keys, config=None):
        sizes.append(len(texts))
        return real_fit(vectors, texts, keys, config)

    monkeypatch.setattr(store, "fit_topics", spy)
    return sizes


def _assignments(conn) -> dict[str, tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT feedback_id, topic_id, similarity, method FROM ml.topic_assignments")
        return {f: (t, s, m) for f, t, s, m in cur.fetchall()}


def test_sample_is_the_lowest_keys_and_the_rest_streams_once(ml_conn):
    enrich_feedback(ml_conn, _items(80), config={"min_topic_size": 3}, run_id="run-1")
    model = configured_cache_name(nlp_config({}))
    with ml_conn.cursor() as cur:
        cur.execute("SELECT text_hash || feedback_id, feedback_id FROM ml.feedback_enrichment")
        by_key = sorted(cur.fetchall())
    cutoff, _ = sample_cutoff(ml_conn, model, SAMPLE)
    assert cutoff == by_key[SAMPLE - 1][0]
    sample = load_sample(ml_conn, model, cutoff, chunk_rows=7)
    assert sample.ids == sorted(f for _, f in by_key[:SAMPLE])
    assert (
        sample.vectors.shape == (SAMPLE, sample.vectors.shape[1]) and sample.vectors.dtype.name == "float32"
    )
    parts = list(stream_beyond(ml_conn, model, cutoff, chunk_rows=16))
    assert [len(p) for p in parts] == [16, 16, 16, 2]
    assert sorted(f for p in parts for f in p.ids) == sorted(f for _, f in by_key[SAMPLE:])
    assert sample_cutoff(ml_conn, model, 80) == (None, 80)
    assert list(stream_beyond(ml_conn, model, None)) == []
    assert len(load_sample(ml_conn, model, None)) == 80


def test_first_fit_and_recluster_see_only_the_sample_and_place_everything(ml_conn, fitted_sizes):
    counts = enrich_feedback(ml_conn, _items(80), config=CONFIG, run_id="run-1")
    assert fitted_sizes == [SAMPLE]
    assert counts["new_topics"] >= 2
    first = _assignments(ml_conn)
    assert len(first) == 80
    beyond = [v for v in first.values() if v[2] == "incremental"]
    assert beyond, "no item beyond the sample joined a topic"
    assert all(t is not None and s >= nlp_config(CONFIG)["assign_threshold"] for t, s, _ in beyond)

    result = store.recluster(ml_conn, config=CONFIG, run_id="recluster-1")
    assert fitted_sizes == [SAMPLE, SAMPLE]
    assert result["items"] == 80
    after = _assignments(ml_conn)
    assert set(after) == set(first)
    assert result["unassigned"] == sum(t is None for t, _, _ in after.values())

    # The same data again: every item keeps its topic, inside the sample and beyond it.
    again = store.recluster(ml_conn, config=CONFIG, run_id="recluster-2")
    assert again["created"] == 0 and again["retired"] == 0 and again["split"] == 0
    assert _assignments(ml_conn) == after

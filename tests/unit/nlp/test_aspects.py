"""Aspect-level sentiment: clause splitting in en/ar/zh and pooling per topic."""

from __future__ import annotations

import numpy as np
import pytest

from cfm.nlp.aspects import split_clauses


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Delivery was fast but the refund took a month.", ["Delivery was fast", "the refund took a month."]),
        ("Great food. The waiter was rude!", ["Great food.", "The waiter was rude!"]),
        ("送货很快，但是退款太慢了", ["送货很快", "退款太慢了"]),
        ("东西很好。客服态度差。", ["东西很好。", "客服态度差。"]),
        ("التوصيل سريع لكن الاسترداد بطيء جدا", ["التوصيل سريع", "الاسترداد بطيء جدا"]),
        ("The app is fine", ["The app is fine"]),
        ("", []),
    ],
)
def test_split_clauses(text, expected) -> None:
    assert split_clauses(text) == expected


def test_butter_is_not_but() -> None:
    assert split_clauses("The butter was fresh") == ["The butter was fresh"]


def _pool_by_topic(item_topic, clause_topics, clause_probs) -> dict[int, tuple[np.ndarray, int]]:
    """The reference pooling of one item: per topic, its clauses' mean probabilities and count; a clause
    without a topic of its own belongs to the item's topic, and clauses with neither are dropped."""
    pooled: dict[int, list[np.ndarray]] = {}
    for topic, p in zip(clause_topics, clause_probs, strict=True):
        topic = topic if topic is not None else item_topic
        if topic is not None:
            pooled.setdefault(int(topic), []).append(p)
    return {t: (np.mean(ps, axis=0), len(ps)) for t, ps in pooled.items()}


class _HashBackend:
    """Deterministic stand-in for the encoder (the shipped heads' model name and size); counts what it encodes."""

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts, batch_size):
        import hashlib

        self.encoded.extend(texts)
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)).standard_normal(self.dim)
                for t in texts]
        v = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


# Repeated texts and sentences, a text with one sentence twice, items of one text in different topics.
TEXTS = ["Delivery was fast but the refund took a month.", "Great food. The waiter was rude!",
         "Delivery was fast but the refund took a month.", "The app is fine", "送货很快，但是退款太慢了",
         "Great food. The waiter was rude!", "The app is fine", "Great food. Great food.", "", "Great food."]
LANGS = ["en", "en", "en", "en", "zh", "en", "ar", "en", "en", "en"]
IDS = [f"fb-{k}" for k in range(len(TEXTS))]
ITEM_TOPIC = {"fb-0": 1, "fb-1": 2, "fb-2": 3, "fb-3": 1, "fb-5": 2, "fb-7": 2, "fb-9": 1}


@pytest.fixture
def backend(monkeypatch):
    from cfm.nlp import embedding

    fake = _HashBackend()
    monkeypatch.setattr(embedding, "load_backend", lambda config=None, purpose=None: fake)
    return fake


def _centroids(backend) -> dict[int, np.ndarray]:
    # Topic 7 sits on one clause, so clauses of multi-clause items land in it or stay with their item.
    return {7: backend.encode(["the refund took a month."], 1)[0], 8: backend.encode(["Great food."], 1)[0]}


def _config():
    from cfm.nlp.settings import nlp_config

    return nlp_config({"assign_threshold": 0.5})


def _rows_item_by_item(backend, centroids) -> list[tuple]:
    """The rows as the code before clause dedup made them: every clause occurrence scored on its own."""
    from cfm.nlp.sentiment import HeadSentimentModel
    from cfm.nlp.steps import sentiment_model_for
    from cfm.nlp.topics.cluster import assign_to_centroids
    from cfm.nlp.topics.features import topic_space

    cfg = _config()
    model = sentiment_model_for(backend, cfg)
    assert isinstance(model, HeadSentimentModel)
    rows = []
    for fid, text, lang in zip(IDS, TEXTS, LANGS, strict=True):
        clauses = split_clauses(text)
        if not clauses:
            continue
        vecs = backend.encode(clauses, 8)
        probs = model.with_lexicon(model.probabilities(vecs), clauses, [lang] * len(clauses))
        topics = [None] * len(clauses)
        if len(clauses) > 1:
            assigned, _ = assign_to_centroids(topic_space(vecs, clauses, 0.0), centroids, cfg["assign_threshold"])
            topics = [int(t) if t >= 0 else None for t in assigned]
        own = [t if t is not None else ITEM_TOPIC.get(fid) for t in topics]
        for topic, (p, n) in sorted(_pool_by_topic(ITEM_TOPIC.get(fid), topics, probs).items()):
            decided = model.decide(p[None, :])[0]
            rows.append((fid, topic, n, [c for c, t in zip(clauses, own, strict=True) if t == topic],
                         decided.label, decided.score, model.name, "run-1"))
    return rows


def test_aspect_rows_are_those_of_scoring_each_item_on_its_own(backend) -> None:
    from cfm.nlp.aspects import aspect_rows

    centroids = _centroids(backend)
    got = aspect_rows(IDS, TEXTS, LANGS, ITEM_TOPIC, config=_config(), centroids=centroids, run_id="run-1")
    expected = _rows_item_by_item(backend, centroids)
    assert got == expected
    assert {r[1] for r in got} >= {1, 2, 7}  # clauses went to their own topics and to their items'


def test_each_distinct_clause_is_encoded_and_scored_once(backend, monkeypatch) -> None:
    from cfm.nlp import sentiment
    from cfm.nlp.aspects import aspect_rows

    scored: list[tuple[str, str]] = []
    real = sentiment.lexicon_score
    monkeypatch.setattr(sentiment, "lexicon_score", lambda t, lang: scored.append((t, lang)) or real(t, lang))
    centroids = _centroids(backend)
    backend.encoded.clear()
    aspect_rows(IDS, TEXTS, LANGS, ITEM_TOPIC, config=_config(), centroids=centroids, run_id="run-1")
    occurrences = [(c, lang) for t, lang in zip(TEXTS, LANGS, strict=True) for c in split_clauses(t)]
    assert len(occurrences) > len(set(occurrences))
    assert sorted(scored) == sorted(set(occurrences))  # per distinct (clause, language), not per occurrence
    assert sorted(backend.encoded) == sorted({c for c, _ in occurrences})


def test_no_clauses_no_rows(backend) -> None:
    from cfm.nlp.aspects import aspect_rows

    assert aspect_rows(["a", "b"], ["", "42"], ["en", "en"], {}, config=_config(), centroids={}, run_id="r") == []


def test_a_text_is_split_once_per_process() -> None:
    from cfm.nlp.aspects import _clauses

    text = "A text split twice. Only once though!"
    before = _clauses.cache_info()
    assert split_clauses(text) == split_clauses(text) == ["A text split twice.", "Only once though!"]
    after = _clauses.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    split_clauses(text).append("edited")  # callers get their own list
    assert split_clauses(text) == ["A text split twice.", "Only once though!"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mean_rows_are_numpys_means_bit_for_bit(dtype) -> None:
    from cfm.nlp.aspects import mean_rows

    rng = np.random.default_rng(7)
    values = rng.random((50, 3)).astype(dtype)
    values /= values.sum(axis=1, keepdims=True)
    # Sizes 1 to 12: numpy sums more than 8 values in another order along a contiguous axis, not along rows.
    groups = [list(rng.integers(0, len(values), n)) for n in range(1, 13) for _ in range(20)]
    got = mean_rows(values, groups)
    assert got.dtype == values.dtype
    for row, group in zip(got, groups, strict=True):
        assert row.tobytes() == np.mean([values[m] for m in group], axis=0).tobytes()
    assert mean_rows(values, []).shape == (0, 3)


def test_a_batch_splits_each_distinct_text_and_language_once(monkeypatch) -> None:
    from cfm.nlp import aspects

    calls: list[str] = []
    real = aspects._clauses
    monkeypatch.setattr(aspects, "_clauses", lambda t: calls.append(t) or real(t))
    found = aspects._distinct_clauses(TEXTS, LANGS)
    # Once per distinct (text, language): "The app is fine" comes in en and in ar.
    assert sorted(calls) == sorted(t for t, _ in set(zip(TEXTS, LANGS, strict=True)))
    assert found.items[0] == found.items[2] and found.items[3] != found.items[6]
    assert [[found.texts[found.pairs[m][0]] for m in members] for members in found.items] == [
        split_clauses(t) for t in TEXTS]

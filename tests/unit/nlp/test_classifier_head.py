"""Shipped classifier heads: file format, softmax, and what ships."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cfm.nlp.classifier_head import ClassifierHead, available_heads, load_head
from cfm.nlp.sentiment import LABELS, HeadSentimentModel

DATA = __import__("pathlib").Path(__file__).resolve().parents[2] / "data" / "feedback_types.csv"


def _toy_head(task="sentiment", classes=LABELS) -> ClassifierHead:
    w = np.zeros((len(classes), 2), np.float32)
    w[0, 0], w[-1, 1] = 4.0, 4.0  # dim 0 -> first class, dim 1 -> last class
    return ClassifierHead(task, "toy-model", tuple(classes), w, np.zeros(len(classes), np.float32), {"version": "1"})


def test_head_round_trips_through_npz(tmp_path, monkeypatch) -> None:
    import cfm.nlp.classifier_head as ch

    monkeypatch.setattr(ch, "HEADS_DIR", tmp_path)
    head = _toy_head()
    head.save(tmp_path / "sentiment__toy-model.npz")
    loaded = load_head("sentiment", "toy-model")
    assert loaded.classes == LABELS and loaded.embedding_model == "toy-model"
    x = np.array([[1, 0], [0, 1], [0, 0]], np.float32)
    p = loaded.predict_proba(x)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert loaded.predict(x)[:2] == ["negative", "positive"]
    assert available_heads("sentiment") == ["toy-model"]
    with pytest.raises(FileNotFoundError, match="shipped: toy-model"):
        load_head("sentiment", "other-model")


def test_head_rejects_vectors_of_another_model() -> None:
    with pytest.raises(ValueError, match="expects vectors of dim 2"):
        _toy_head().predict_proba(np.zeros((1, 3), np.float32))


def test_neutral_weight_keeps_polar_texts_out_of_neutral() -> None:
    head = _toy_head()
    # P(neutral) highest, but P(positive) is clearly above P(negative).
    probs = np.array([[0.1, 0.5, 0.4]])
    assert HeadSentimentModel(head, neutral_weight=1.0).decide(probs)[0].label == "neutral"
    decided = HeadSentimentModel(head, neutral_weight=0.6).decide(probs)[0]
    assert decided.label == "positive" and decided.score == pytest.approx(0.3)


def test_lexicon_evidence_moves_probability_to_its_side() -> None:
    model = HeadSentimentModel(_toy_head(), lexicon_weight=0.5)
    probs = np.array([[0.3, 0.4, 0.3], [0.3, 0.4, 0.3]])
    out = model.with_lexicon(probs, ["terrible, the worst app", "I ordered on Monday"], ["en", "en"])
    assert out[0, 0] > out[0, 2] and np.allclose(out[1], probs[1]) and np.allclose(out.sum(axis=1), 1.0)


def test_weak_label_adapter_is_averaged_in() -> None:
    model = HeadSentimentModel(_toy_head())
    x = np.array([[0, 0], [0, 0.1], [0.1, 0]] * 4, np.float32)
    before = model.probabilities(x[:1])
    model.adapt(x, ["positive", "positive", "negative"] * 4)
    assert model.name.endswith("+weak12")
    assert not np.allclose(before, model.probabilities(x[:1]))


@pytest.mark.parametrize("task", ["sentiment", "feedback_type"])
def test_a_head_ships_for_the_default_sentiment_model(task) -> None:
    from cfm.nlp.settings import DEFAULTS

    head = load_head(task, "use-multilingual-v3")
    assert DEFAULTS["sentiment_embedding_model"] == "use-multilingual-v3"
    assert head.weights.shape == (len(head.classes), 512)
    assert head.meta["trained_on"] and head.meta["rows"] > 300


def test_feedback_type_set_is_big_enough_and_covers_three_languages() -> None:
    frame = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    assert set(frame["language"]) == {"en", "ar", "zh"}
    counts = frame["feedback_type"].value_counts()
    assert set(counts.index) == {"complaint", "suggestion", "question", "praise", "other"}
    assert counts.min() >= 60
    assert not frame["text"].duplicated().any()


def test_decide_matches_the_row_by_row_rule() -> None:
    """`decide` is vectorised; labels and scores are those of the per-row rule it replaced."""
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(3), size=500)
    probs[:3] = [[0.2, 0.4, 0.4], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]  # ties and the ends of the scale
    model = HeadSentimentModel(_toy_head(), neutral_weight=0.6)
    expected = []
    for p, w in zip(probs, probs * np.array([1.0, 0.6, 1.0]), strict=True):
        expected.append((LABELS[int(w.argmax())], round(float(np.clip(p[2] - p[0], -1.0, 1.0)), 4)))
    assert [(d.label, d.score) for d in model.decide(probs)] == expected
    assert model.decide(np.zeros((0, 3))) == []

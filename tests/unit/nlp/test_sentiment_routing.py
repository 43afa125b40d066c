"""A second sentiment model (routing by language, USE -> E5 confidence cascade)."""

from __future__ import annotations

import numpy as np
import pytest

from cfm.nlp.sentiment import cascade_probabilities, decision_margin, second_model_rows

SURE_POS = [0.05, 0.05, 0.9]
UNSURE = [0.4, 0.2, 0.4]  # negative and positive tied
NEUTRAL_VS_POS = [0.1, 0.5, 0.4]  # neutral leads by 0.1, but trails once down-weighted


def test_margin_is_lead_over_runner_up_after_neutral_weighting() -> None:
    probs = np.array([SURE_POS, UNSURE, NEUTRAL_VS_POS])
    assert decision_margin(probs) == pytest.approx([0.85, 0.0, 0.1])
    assert decision_margin(probs, neutral_weight=0.6)[2] == pytest.approx(0.4 - 0.3)
    assert decision_margin(np.zeros((0, 3))).shape == (0,)


def test_cascade_asks_the_second_model_only_for_unsure_rows() -> None:
    primary = np.array([SURE_POS, UNSURE, SURE_POS, UNSURE])
    asked: list[list[int]] = []

    def second(rows):
        asked.append(list(rows))
        return np.tile([0.8, 0.1, 0.1], (len(rows), 1))

    out, sent = cascade_probabilities(primary, second, margin=0.3)
    assert asked == [[1, 3]] and sent.tolist() == [False, True, False, True]
    assert np.allclose(out[[0, 2]], primary[[0, 2]]) and np.allclose(out[[1, 3]], [0.8, 0.1, 0.1])
    assert np.allclose(primary[1], UNSURE)  # the input is not modified


def test_cascade_with_margin_zero_never_calls_the_second_model() -> None:
    def second(rows):
        raise AssertionError("called")

    out, sent = cascade_probabilities(np.array([UNSURE]), second, margin=0.0)
    assert not sent.any() and np.allclose(out, [UNSURE])


def test_rows_for_second_model_by_language_and_by_margin() -> None:
    probs = np.array([SURE_POS, SURE_POS, UNSURE, SURE_POS])
    langs = ["en", "zh", "en", None]
    assert second_model_rows(probs, langs).tolist() == [True] * 4  # no languages named: all of them
    assert second_model_rows(probs, langs, route_languages=["zh", "ar"]).tolist() == [False, True, False, False]
    assert second_model_rows(probs, langs, margin=0.3).tolist() == [False, False, True, False]
    assert second_model_rows(probs, langs, ["zh"], 0.3).tolist() == [False, False, False, False]
    assert second_model_rows(probs, langs, ["en"], 0.3).tolist() == [False, False, True, False]


@pytest.mark.slow
def test_enrichment_sends_routed_and_unsure_texts_to_the_second_model() -> None:
    from cfm.nlp.settings import DEFAULTS
    from cfm.nlp.steps import enrich_texts

    texts = ["Excellent service, I love it", "服务很好，送餐很快", "I ordered on Monday", "菜很一般"]
    langs = ["en", "zh", "en", "zh"]
    off = enrich_texts(texts, declared_languages=langs, config={"sentiment_second_embedding_model": ""})
    assert " on " not in off.sentiment_model
    # off by default; turned on, E5 decides the Chinese and English texts (sentiment_second_languages) USE is
    # unsure of; below, routing only Chinese
    assert DEFAULTS["sentiment_second_embedding_model"] == ""
    assert DEFAULTS["sentiment_second_languages"] == ["zh", "en"] and DEFAULTS["sentiment_cascade_margin"] == 0.5
    e5 = {"sentiment_second_embedding_model": "multilingual-e5-small", "sentiment_second_languages": ["zh"]}
    routed = enrich_texts(texts, declared_languages=langs, config={**e5, "sentiment_cascade_margin": 0})
    assert routed.sentiment_model.endswith("| cfm-sentiment-head@2+multilingual-e5-small-q4 on 2/4")
    assert routed.sentiment_label[0] == off.sentiment_label[0] and routed.sentiment_label[1] == "positive"
    every = enrich_texts(texts, declared_languages=langs, config={**e5, "sentiment_second_languages": [],
                                                                  "sentiment_cascade_margin": 1.01})
    assert every.sentiment_model.endswith(" on 4/4")
    default_languages = enrich_texts(texts, declared_languages=langs, config={
        "sentiment_second_embedding_model": "multilingual-e5-small", "sentiment_cascade_margin": 0})
    assert default_languages.sentiment_model.endswith(" on 4/4")
    none = enrich_texts(texts, declared_languages=langs, config={"sentiment_second_languages": ["ar"]})
    assert none.sentiment_model == off.sentiment_model
    # rated Chinese texts: the first model with its weak-label adapter decides, no second model
    ratings = [(None, None, None, None), ("star", 5, 1, 5), (None, None, None, None), ("star", 2, 1, 5)]
    weak = {**e5, "sentiment_cascade_margin": 0, "sentiment_min_weak_labels": 2}
    rated = enrich_texts(texts, declared_languages=langs, ratings=ratings, config=weak)
    assert rated.sentiment_model.endswith("+weak2")
    english_rated = [("star", 5, 1, 5), (None, None, None, None), ("star", 1, 1, 5), (None, None, None, None)]
    mixed = enrich_texts(texts, declared_languages=langs, ratings=english_rated, config=weak)
    assert mixed.sentiment_model.endswith(" on 2/4") and "+weak2 |" in mixed.sentiment_model


@pytest.mark.slow
@pytest.mark.parametrize("text", ["服务很好，送餐很快", "服务很好,送餐很快。", "菜很好吃，服务也很周到"])
def test_chinese_praise_is_positive(text) -> None:
    from cfm.nlp.steps import enrich_texts

    for declared in ("zh", None):
        assert enrich_texts([text], declared_languages=[declared]).sentiment_label == ["positive"]


def test_shipped_e5_head_is_v2_on_the_full_tweet_files() -> None:
    from cfm.nlp.classifier_head import load_head

    head = load_head("sentiment", "multilingual-e5-small-q4")
    assert head.name == "cfm-sentiment-head@2+multilingual-e5-small-q4"
    assert head.meta["rows_per_tweet_file"] == "all" and head.meta["rows"] == 3837 + 84
    assert head.meta["trained_on"] == ["sentiment/en_tweets_semeval.csv", "sentiment/ar_tweets_semeval.csv",
                                       "SEED_SENTENCES"]

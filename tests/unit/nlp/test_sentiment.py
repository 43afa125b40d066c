"""Sentiment: weak labels from ratings, lexicon per language, model on clear cases."""

import pytest

from cfm.nlp.sentiment import lexicon_score, weak_label


@pytest.mark.parametrize(
    "rating, expected",
    [
        (("nps", 0, 0, 10), "negative"),
        (("nps", 6, 0, 10), "negative"),
        (("nps", 7, 0, 10), "neutral"),
        (("nps", 8, 0, 10), "neutral"),
        (("nps", 9, 0, 10), "positive"),
        (("star", 2, 1, 5), "negative"),
        (("star", 3, 1, 5), "neutral"),
        (("star", 4, 1, 5), "positive"),
        (("csat", 1, 1, 5), "negative"),
        (("csat", 5, 1, 5), "positive"),
        (("ces", 4, 1, 7), "neutral"),
        ((None, None, None, None), None),
    ],
)
def test_weak_label_from_ratings(rating, expected):
    assert weak_label(*rating) == expected


@pytest.mark.parametrize(
    "text, lang, sign",
    [
        ("great service, thank you", "en", 1),
        ("terrible, the worst app", "en", -1),
        ("not good at all", "en", -1),
        ("خدمة ممتازة شكرا", "ar", 1),
        ("خدمة سيئة جدا", "ar", -1),
        ("服务很好，很满意", "zh", 1),
        ("质量太差了，很失望", "zh", -1),
    ],
)
def test_lexicon_polarity(text, lang, sign):
    score, hits = lexicon_score(text, lang)
    assert hits >= 1 and score * sign > 0.2


def test_lexicon_has_no_evidence_for_neutral_text():
    assert lexicon_score("I ordered on Monday", "en") == (0.0, 0)


@pytest.mark.slow
def test_model_on_clear_cases_per_language():
    from cfm.nlp.embedding import embed_texts, load_backend
    from cfm.nlp.sentiment import MODEL_NAME, train_sentiment_model

    backend = load_backend()
    model = train_sentiment_model(lambda t: embed_texts(t, backend=backend).vectors)
    cases = [
        ("Excellent service, I love it", "en", "positive"),
        ("Awful experience, the parcel never came", "en", "negative"),
        ("What time do you open on Sunday?", "en", "neutral"),
        ("الخدمة رائعة وسريعة", "ar", "positive"),
        ("تجربة سيئة جدا ومحبطة", "ar", "negative"),
        ("东西很好，非常满意", "zh", "positive"),
        ("太差了，再也不买了", "zh", "negative"),
    ]
    texts = [c[0] for c in cases]
    preds = model.predict(embed_texts(texts, backend=backend).vectors, texts, [c[1] for c in cases])
    assert [p.label for p in preds] == [c[2] for c in cases]
    assert all(-1 <= p.score <= 1 for p in preds)
    assert model.name.startswith(MODEL_NAME)


@pytest.mark.slow
def test_rated_feedback_is_used_as_weak_labels_when_enabled():
    from cfm.nlp.steps import enrich_texts

    texts = ["parcel came late", "lovely staff", "ok I guess", "parcel came late again"]
    ratings = [("nps", 2, 0, 10), ("nps", 10, 0, 10), ("nps", 7, 0, 10), (None, None, None, None)]
    batch = enrich_texts(texts, ratings=ratings, config={"sentiment_min_weak_labels": 3})  # on by default
    assert batch.sentiment_model.endswith("+weak3")
    off = enrich_texts(texts, ratings=ratings, config={"sentiment_weak_labels": False, "sentiment_min_weak_labels": 3})
    assert "+weak" not in off.sentiment_model


def test_chinese_lexicon_tokens_are_jiebas_words():
    """The lexicon reads the memoised segmentation the topics use: the same words as jieba's own."""
    from cfm.nlp.keywords import _jieba
    from cfm.nlp.sentiment import _lexicon_tokens

    for text in ("服务很好，很满意", "质量太差了，很失望 物流 不快", "  客服态度一般 "):
        assert _lexicon_tokens(text, "zh") == [t for t in _jieba().lcut(text) if t.strip()]
        assert lexicon_score(text, "zh") == lexicon_score.__wrapped__(text, "zh")


def _lexicon_score_reference(text, language):
    """The lexicon loop before per-token weights were memoised."""
    import numpy as np

    from cfm.nlp.keywords import _arabic_stem
    from cfm.nlp.sentiment import POSITIVE, _lexicon, _lexicon_tokens

    lang = language if language in POSITIVE else "en"
    pos, neg, negators = _lexicon(lang)
    total, hits, flip_until = 0.0, 0, -1
    for i, tok in enumerate(_lexicon_tokens(text, lang)):
        candidates = [tok] + ([_arabic_stem(tok)] if lang == "ar" else [])
        if lang == "zh" and tok not in pos and tok not in neg and len(tok) > 1:
            candidates.extend(tok)
        weight = 0.0
        for c in candidates:
            if c in pos:
                weight = float(pos[c])
                break
            if c in neg and neg[c]:
                weight = -float(neg[c])
                break
        if tok in negators and weight == 0.0:
            flip_until = i + 3
            continue
        if weight:
            hits += 1
            total += -weight if i <= flip_until else weight
    return (float(np.tanh(total / 2.0)), hits) if hits else (0.0, 0)


def test_lexicon_scores_match_the_unmemoised_loop():
    import json
    from pathlib import Path

    from cfm.nlp.sentiment_lexicon import SEED_SENTENCES

    data = Path(__file__).resolve().parents[3] / "bench" / "data" / "topics_labelled.jsonl"
    cases = [(t, lang) for lang, by_label in SEED_SENTENCES.items() for ts in by_label.values() for t in ts]
    cases += [(r["text"], r["language"]) for r in map(json.loads, data.open(encoding="utf-8"))]
    cases += [("not bad, not good", "en"), ("ليس سيئا", "ar"), ("不太好用", "zh"), ("", "en"), ("ok", None)]
    assert len(cases) > 300
    assert [lexicon_score(t, lang) for t, lang in cases] == [_lexicon_score_reference(t, lang) for t, lang in cases]

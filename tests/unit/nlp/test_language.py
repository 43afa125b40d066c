"""Language detection on short feedback."""

import pytest

from cfm.nlp.language import detect_language, detect_languages


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the delivery was late", "en"),
        ("late delivery", "en"),
        ("ok", "en"),
        ("التوصيل متأخر", "ar"),
        ("خدمة ممتازة", "ar"),
        ("快递太慢了", "zh"),
        ("很好", "zh"),
        ("livraison en retard", "fr"),
        ("el pedido llegó tarde", "es"),
        ("Lieferung kam zu spät", "de"),
        ("配達が遅い", "ja"),
        ("доставка опоздала", "ru"),
        ("👍 10/10", "und"),
        ("", "und"),
    ],
)
def test_detects_short_texts(text, expected):
    assert detect_language(text) == expected


def test_declared_language_is_honoured_when_plausible():
    assert detect_language("ok", declared="fr") == "fr"
    assert detect_language("merci", declared="fr-FR") == "fr"


def test_implausible_declaration_is_overridden():
    assert detect_language("التوصيل متأخر جدا", declared="en") == "ar"
    assert detect_language("the app keeps crashing when I pay", declared="de") == "en"


def test_only_configured_languages_are_returned():
    assert detect_language("доставка опоздала", languages=("en", "ar", "zh")) == "und"
    assert detect_languages(["hello there", "你好"], None, ("en", "zh")) == ["en", "zh"]


def test_detect_languages_detects_each_distinct_text_once(monkeypatch) -> None:
    from cfm.nlp import language

    calls = []
    real = language.detect_language
    monkeypatch.setattr(language, "detect_language", lambda t, d, langs: calls.append((t, d)) or real(t, d, langs))
    language._detect_cached.cache_clear()
    texts = ["great service", "你好", "great service", "great service", "ok"]
    declared = ["en", None, "en", "fr", None]
    out = language.detect_languages(texts, declared, ("en", "fr", "zh"))
    assert out == [real(t, d, ("en", "fr", "zh")) for t, d in zip(texts, declared, strict=True)]
    assert sorted(calls, key=str) == sorted(set(zip(texts, declared, strict=True)), key=str)
    assert language.detect_languages(texts[:2], declared[:2], ("en", "fr", "zh")) == out[:2]
    assert len(calls) == 4  # the next batch's repeats come from the cache

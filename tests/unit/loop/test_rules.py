from __future__ import annotations

import pytest

from cfm.loop.rules import case_priority, evaluate, risk_phrases_found
from cfm.loop.settings import LoopSettings, loop_settings


def fired(**item):
    return {f.rule: f for f in evaluate(item, LoopSettings())}


def test_nps_detractor_fires_up_to_six_only() -> None:
    assert "nps_detractor" in fired(rating_type="nps", rating_value=6, rating_scale_min=0, rating_scale_max=10)
    assert "nps_detractor" not in fired(rating_type="nps", rating_value=7, rating_scale_min=0, rating_scale_max=10)


def test_csat_bottom_two_boxes_on_the_items_own_scale() -> None:
    assert "csat_low" in fired(rating_type="csat", rating_value=2, rating_scale_min=1, rating_scale_max=5)
    assert "csat_low" not in fired(rating_type="csat", rating_value=3, rating_scale_min=1, rating_scale_max=5)
    assert "csat_low" in fired(rating_type="csat", rating_value=1, rating_scale_min=0, rating_scale_max=10)
    assert "csat_low" not in fired(rating_type="csat", rating_value=2, rating_scale_min=0, rating_scale_max=10)


def test_ces_hard_side_follows_the_scale_direction() -> None:
    easy_high = {"rating_type": "ces", "rating_scale_min": 1, "rating_scale_max": 7, "ces_higher_is_easier": True}
    assert "ces_hard" in fired(**easy_high, rating_value=2)
    assert "ces_hard" not in fired(**easy_high, rating_value=6)
    hard_high = {**easy_high, "ces_higher_is_easier": False}
    assert "ces_hard" in fired(**hard_high, rating_value=6)
    assert "ces_hard" not in fired(**hard_high, rating_value=2)


def test_star_reviews_of_one_or_two_stars() -> None:
    assert "star_low" in fired(rating_type="star", rating_value=1, rating_scale_min=1, rating_scale_max=5)
    assert "star_low" not in fired(rating_type="star", rating_value=3, rating_scale_min=1, rating_scale_max=5)


def test_negative_sentiment_needs_confidence_and_complaint_fires_on_type() -> None:
    assert "negative_sentiment" in fired(sentiment_label="negative", sentiment_score=-0.8)
    assert "negative_sentiment" not in fired(sentiment_label="negative", sentiment_score=-0.3)
    assert "complaint" in fired(feedback_type="complaint")


@pytest.mark.parametrize("text, phrase", [
    ("I will cancel my subscription", "cancel my"),
    ("this is FRAUD", "fraud"),
    ("我要退款，否则找律师", "律师"),
    ("سأتصل بمحامي بسبب هذا", "محامي"),
    ("أريد استرداد المبلغ فوراً", "استرداد المبلغ"),
])
def test_risk_phrases_in_three_languages(text: str, phrase: str) -> None:
    found = risk_phrases_found(text, LoopSettings().risk_phrases)
    assert phrase in found
    f = fired(text_redacted=text)["risk_phrase"]
    assert f.priority == "P1" and phrase in f.reason


def test_risk_phrases_match_whole_latin_words() -> None:
    assert risk_phrases_found("the scammer-free zone is fraudulent-free", {"en": ["fraud", "scam"]}) == []


def test_every_rule_that_fires_is_recorded_and_the_most_urgent_priority_wins() -> None:
    result = evaluate({"rating_type": "nps", "rating_value": 2, "rating_scale_min": 0, "rating_scale_max": 10,
                       "feedback_type": "complaint", "text_redacted": "I want a refund"}, LoopSettings())
    assert [f.rule for f in result] == ["risk_phrase", "nps_detractor", "complaint"]
    assert case_priority(result) == "P1"


def test_config_overrides_a_rule_and_rejects_an_unknown_one() -> None:
    s = loop_settings({"loop": {"rules": {"nps_detractor": {"priority": "P1", "threshold": 4}}}})
    assert s.rules["nps_detractor"].priority == "P1" and s.rules["nps_detractor"].threshold == 4
    assert s.rules["csat_low"].priority == "P2"  # untouched defaults stay
    assert not evaluate({"rating_type": "nps", "rating_value": 5, "rating_scale_min": 0, "rating_scale_max": 10}, s)
    with pytest.raises(ValueError, match="unknown case rule 'nps'"):
        loop_settings({"loop": {"rules": {"nps": {"priority": "P1"}}}})
    with pytest.raises(ValueError, match="priority"):
        loop_settings({"loop": {"rules": {"nps_detractor": {"priority": "urgent"}}}})

"""Feedback type is its own classifier (shipped head), not a copy of negative sentiment."""

from __future__ import annotations

import pytest

from cfm.nlp.feedback_type import RULES_NAME, classify_feedback_types

pytestmark = pytest.mark.slow

# None of these is in tests/data/feedback_types.csv (the head's training set).
CASES = [
    ("It would be nice to download invoices as PDF.", "en", "suggestion"),
    ("أتمنى إضافة خيار الدفع عند الاستلام.", "ar", "suggestion"),
    ("希望以后能增加货到付款。", "zh", "suggestion"),
    ("Do you have this jacket in black?", "en", "question"),
    ("هل يوجد فرع في الدمام؟", "ar", "question"),
    ("这款手机支持无线充电吗？", "zh", "question"),
    ("The courier never showed up and my order is lost.", "en", "complaint"),
    ("الطلب وصل ناقص والدعم لا يرد.", "ar", "complaint"),
    ("快递丢了，客服也不处理。", "zh", "complaint"),
    ("Amazing support, thank you so much!", "en", "praise"),
]


def test_the_shipped_head_types_unseen_feedback_in_three_languages() -> None:
    from cfm.nlp.steps import enrich_texts

    batch = enrich_texts([c[0] for c in CASES], declared_languages=[c[1] for c in CASES])
    assert batch.feedback_type_model.startswith("cfm-feedback_type-head")
    got = list(batch.feedback_type)
    assert sum(g == c[2] for g, c in zip(got, CASES, strict=True)) >= len(CASES) - 1, got
    # suggestions keep their type whatever their sentiment, and no text is typed from sentiment alone
    assert got[:3] == ["suggestion"] * 3


def test_without_a_head_the_phrasing_rules_are_used() -> None:
    import numpy as np

    types, name = classify_feedback_types(["please add a receipt option"], np.zeros((1, 3)), "no-such-model", ["neutral"])
    assert (types, name) == (["suggestion"], RULES_NAME)

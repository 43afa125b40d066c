"""Aspect-level sentiment: clause splitting in en/ar/zh and pooling per topic."""

from __future__ import annotations

import numpy as np
import pytest

from cfm.nlp.aspects import pool_aspects, split_clauses


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


def test_pool_aspects_per_topic_with_the_item_topic_as_fallback() -> None:
    probs = np.array([[0.0, 0.2, 0.8], [0.9, 0.1, 0.0], [0.7, 0.1, 0.2]])
    pooled = pool_aspects(5, [None, 9, 9], probs)
    assert sorted(pooled) == [5, 9]
    assert pooled[5][1] == 1 and np.allclose(pooled[5][0], probs[0])
    assert pooled[9][1] == 2 and np.allclose(pooled[9][0], probs[1:].mean(axis=0))
    assert pool_aspects(None, [None], probs[:1]) == {}

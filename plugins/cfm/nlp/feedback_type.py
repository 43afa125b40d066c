"""Feedback type (complaint, suggestion, question, praise, other) as its own classifier.

A shipped head over the sentence embeddings, trained on `tests/data/feedback_types.csv`
(en/ar/zh, written for this project) by `bench/train_insight_heads.py`. It does not look at
the sentiment label: a neutral-toned "please add a receipt option" is a suggestion, and an
angry "why is my refund late?" is a complaint. Without a head for the embedding model the
phrasing rules of `cfm.nlp.categories.feedback_type` are used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cfm.nlp.categories import FEEDBACK_TYPES
from cfm.nlp.categories import feedback_type as rule_based_feedback_type
from cfm.nlp.classifier_head import load_head

RULES_NAME = "cfm-feedback-type-rules"


def classify_feedback_types(
    texts: Sequence[str], vectors: np.ndarray, embedding_model: str, sentiment_labels: Sequence[str]
) -> tuple[list[str], str]:
    """Feedback type per text and the name of the model that chose it."""
    try:
        head = load_head("feedback_type", embedding_model)
    except FileNotFoundError:
        return [rule_based_feedback_type(t, s) for t, s in zip(texts, sentiment_labels, strict=True)], RULES_NAME
    unknown = set(head.classes) - set(FEEDBACK_TYPES)
    if unknown:
        raise ValueError(f"{head.name}: unknown feedback types {sorted(unknown)}")
    if not len(texts):
        return [], head.name
    predicted = head.predict(vectors)
    return [p if (t or "").strip() else "other" for t, p in zip(texts, predicted, strict=True)], head.name

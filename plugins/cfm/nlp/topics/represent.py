"""Topic representation: keywords, a short human-readable label, representative verbatims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cfm.nlp.keywords import class_tfidf_keywords, tokenize


@dataclass
class TopicDescription:
    """What an analyst sees for a topic."""

    label: str
    keywords: list[str]
    representative_texts: list[str]


def label_from_keywords(keywords: Sequence[str], n: int = 3) -> str:
    """Short label such as 'refund / money / weeks' from the top keywords."""
    return " / ".join(keywords[:n]) if keywords else "misc"


def describe_topics(
    texts: Sequence[str],
    labels: np.ndarray,
    vectors: np.ndarray,
    topic_centroids: dict[int, np.ndarray],
    *,
    top_keywords: int = 8,
    n_representatives: int = 3,
) -> dict[int, TopicDescription]:
    """Keywords (class-based TF-IDF over tokens in any of en/ar/zh) and the verbatims nearest the centroid.

    `texts` must already be redacted: representatives are shown in marts.
    """
    docs: dict[int, list[list[str]]] = {}
    for text, label in zip(texts, labels.tolist(), strict=True):
        if label >= 0:
            docs.setdefault(label, []).append(tokenize(text))
    keywords = class_tfidf_keywords(docs, top_n=top_keywords)
    out = {}
    for topic_id, centroid in topic_centroids.items():
        members = np.flatnonzero(labels == topic_id)
        sims = vectors[members] @ centroid
        order = members[np.lexsort((members, -sims))]
        reps: list[str] = []
        for idx in order:
            if texts[idx] not in reps:
                reps.append(texts[idx])
            if len(reps) == n_representatives:
                break
        words = [w for w, _ in keywords.get(topic_id, [])]
        out[topic_id] = TopicDescription(label_from_keywords(words), words, reps)
    return out

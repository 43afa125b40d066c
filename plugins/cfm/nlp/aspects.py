"""Aspect-level sentiment: one sentiment per (feedback item, topic) from its clauses.

"Delivery was fast but the refund took a month" is one item with two aspects. The text is
split into clauses (sentence ends and contrastive conjunctions in en/ar/zh); each clause gets
a sentiment (the same model as the item) and a topic (the nearest active topic centroid,
else the item's own topic). The clauses of one item that land in one topic are pooled, and the
result is stored in ml.aspect_sentiment, which the topic marts use for "% negative".
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Clause boundaries: sentence punctuation (Latin, Arabic, CJK), then contrastive conjunctions.
# Arabic "بس" (dialect "but") only as a separate word; Chinese conjunctions need no spaces.
_BOUNDARY = re.compile(
    r"(?<=[.!?;。！？；؛…])\s*"
    r"|\s*,?\s+(?:but|however|although|though|whereas|yet)\s+"
    r"|\s*[,，、]?\s*(?:但是|不过|可是|然而|但)"
    r"|\s*[،,]?\s*(?:(?<=\s)|^)(?:ولكن|لكن|بس)\s+",
    re.IGNORECASE,
)
_WORDISH = re.compile(r"[^\W\d_]", re.UNICODE)


def split_clauses(text: str) -> list[str]:
    """Clauses of a text (at least one when the text has any letters)."""
    parts = [p.strip(" ,，、،") for p in _BOUNDARY.split(text or "")]
    parts = [p for p in parts if len(_WORDISH.findall(p)) >= 2]
    return parts or ([text.strip()] if _WORDISH.search(text or "") else [])


def pool_aspects(
    item_topic: int | None,
    clause_topics: Sequence[int | None],
    clause_probs: np.ndarray,
) -> dict[int, tuple[np.ndarray, int]]:
    """Mean sentiment probabilities and clause count per topic of one item.

    A clause without a topic of its own belongs to the item's topic; clauses with neither are dropped.
    """
    pooled: dict[int, list[np.ndarray]] = {}
    for topic, p in zip(clause_topics, clause_probs, strict=True):
        topic = topic if topic is not None else item_topic
        if topic is not None:
            pooled.setdefault(int(topic), []).append(p)
    return {t: (np.mean(ps, axis=0), len(ps)) for t, ps in pooled.items()}


_UPSERT = """
INSERT INTO ml.aspect_sentiment AS a (feedback_id, topic_id, clause_count, clauses, sentiment_label,
                                      sentiment_score, sentiment_model, run_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (feedback_id, topic_id) DO UPDATE SET
    clause_count = excluded.clause_count, clauses = excluded.clauses, sentiment_label = excluded.sentiment_label,
    sentiment_score = excluded.sentiment_score, sentiment_model = excluded.sentiment_model,
    run_id = excluded.run_id, scored_at = now()
WHERE (a.clause_count, a.clauses, a.sentiment_label, a.sentiment_score, a.sentiment_model)
      IS DISTINCT FROM
      (excluded.clause_count, excluded.clauses, excluded.sentiment_label, excluded.sentiment_score,
       excluded.sentiment_model)
"""


def write_aspect_sentiment(
    conn,
    feedback_ids: Sequence[str],
    texts: Sequence[str],
    languages: Sequence[str],
    *,
    config: Mapping[str, Any],
    embedding_model: str,
    cache=None,
    run_id: str,
) -> dict[str, int]:
    """Score the clauses of a batch, pool them per topic and write ml.aspect_sentiment (idempotent).

    Reads the items' topic from ml.topic_assignments and the active centroids from ml.topics,
    so call it after the topics were updated. Returns counts: aspect_rows, multi_aspect_items.
    """
    from cfm.nlp.embedding import embed_texts, load_backend
    from cfm.nlp.sentiment import LABELS, HeadSentimentModel
    from cfm.nlp.steps import sentiment_model_for
    from cfm.nlp.topics.cluster import assign_to_centroids
    from cfm.nlp.topics.features import topic_space
    from cfm.nlp.topics.store import load_active_centroids

    ids = [str(f) for f in feedback_ids]
    with conn.cursor() as cur:
        cur.execute("SELECT feedback_id, topic_id FROM ml.topic_assignments WHERE feedback_id = ANY(%s)", (ids,))
        item_topic = {fid: t for fid, t in cur.fetchall()}
    clauses = [split_clauses(t) for t in texts]
    flat = [(k, c) for k, cs in enumerate(clauses) for c in cs]
    rows: list[tuple] = []
    if flat:
        flat_texts = [c for _, c in flat]
        flat_langs = [languages[k] for k, _ in flat]
        sent_backend = load_backend(config, purpose="sentiment")
        model = sentiment_model_for(sent_backend, config)
        svec = embed_texts(flat_texts, config=config, cache=cache, backend=sent_backend).vectors
        if isinstance(model, HeadSentimentModel):
            probs = model.with_lexicon(model.probabilities(svec), flat_texts, flat_langs)
        else:  # seed-trained fallback: one-hot of its labels
            probs = np.array([[float(s.label == c) for c in LABELS] for s in model.predict(svec, flat_texts, flat_langs)])
        centroids = load_active_centroids(conn, embedding_model)
        clause_topics: list[int | None] = [None] * len(flat)
        multi = [i for i, (k, _) in enumerate(flat) if len(clauses[k]) > 1]
        if centroids and multi:
            topic_backend = load_backend(config)
            tvec = embed_texts([flat_texts[i] for i in multi], config=config, cache=cache, backend=topic_backend).vectors
            space = topic_space(tvec, [flat_texts[i] for i in multi], float(config.get("lexical_weight", 0.0)),
                                int(config.get("lexical_dims", 512)))
            assigned, _ = assign_to_centroids(space, centroids, float(config["assign_threshold"]))
            for i, t in zip(multi, assigned, strict=True):
                clause_topics[i] = int(t) if t >= 0 else None
        name = model.name
        by_item: dict[int, list[int]] = {}
        for i, (k, _) in enumerate(flat):
            by_item.setdefault(k, []).append(i)
        for k, fid in enumerate(ids):
            members = by_item.get(k, [])
            if not members:
                continue
            pooled = pool_aspects(item_topic.get(fid), [clause_topics[i] for i in members], probs[members])
            for topic, (p, n) in sorted(pooled.items()):
                in_topic = [flat_texts[i] for i in members
                            if (clause_topics[i] if clause_topics[i] is not None else item_topic.get(fid)) == topic]
                decided = model.decide(p[None, :])[0] if isinstance(model, HeadSentimentModel) else None
                label = decided.label if decided else LABELS[int(np.argmax(p))]
                score = decided.score if decided else round(float(p[2] - p[0]), 4)
                rows.append((fid, topic, n, in_topic, label, score, name, run_id))
    keep = {(r[0], r[1]) for r in rows}
    with conn.cursor() as cur:
        cur.execute("SELECT feedback_id, topic_id FROM ml.aspect_sentiment WHERE feedback_id = ANY(%s)", (ids,))
        stale = [r for r in cur.fetchall() if (r[0], r[1]) not in keep]
        for fid, topic in stale:
            cur.execute("DELETE FROM ml.aspect_sentiment WHERE feedback_id = %s AND topic_id = %s", (fid, topic))
        if rows:
            cur.executemany(_UPSERT, rows)
    per_item = Counter(r[0] for r in rows)
    multi_items = sum(1 for n in per_item.values() if n > 1)
    log.info("aspect sentiment: %d rows for %d items (%d with several topics)", len(rows), len(ids), multi_items)
    return {"aspect_rows": len(rows), "multi_aspect_items": multi_items}

"""Stable topic identity in ml.topics.

- First run: `fit_topics` on everything enriched so far; each topic gets a new id (ids are
  never reused, even after retirement).
- Later runs: new feedback joins the most similar active topic centroid (`assign_threshold`),
  otherwise stays unassigned (topic_id NULL) until the next `recluster`.
- `recluster`: fit again on all enriched feedback, then match new clusters to registered
  topics (Hungarian assignment on centroid cosine and member overlap). Matched clusters keep
  their id; the rest become merges, splits, retirements or new topics, each recorded in
  ml.topic_history.
- Emerging topics: first seen within `emerging_window_days` of the latest feedback, or with
  a last-7-day volume >= `emerging_growth_factor` x their weekly average over the 4 weeks
  before (and at least `min_topic_size` items).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cfm.nlp.config import nlp_config
from cfm.nlp.topics.cluster import assign_to_centroids
from cfm.nlp.topics.features import topic_space
from cfm.nlp.topics.model import TopicFit, fit_topics

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- matching (pure, unit-tested)


@dataclass
class ReclusterPlan:
    """How the clusters of a new fit map onto registered topics."""

    kept: dict[int, int] = field(default_factory=dict)  # new local cluster -> existing topic id
    splits: dict[int, int] = field(default_factory=dict)  # new local cluster -> topic it split from
    created: list[int] = field(default_factory=list)  # new local clusters with no ancestor
    merged: dict[int, int] = field(default_factory=dict)  # old topic id -> topic id it merged into
    retired: list[int] = field(default_factory=list)  # old topic ids with no successor


def plan_recluster(
    new_labels: Sequence[int],
    old_topics: Sequence[int | None],
    new_centroids: Mapping[int, np.ndarray],
    old_centroids: Mapping[int, np.ndarray],
    match_threshold: float = 0.8,
    overlap_threshold: float = 0.5,
) -> ReclusterPlan:
    """Match new clusters to registered topics.

    `new_labels[i]` and `old_topics[i]` describe the same feedback item (new cluster or -1;
    current topic id or None). A pair is kept when centroid cosine >= `match_threshold` or
    member Jaccard overlap >= `overlap_threshold`; pairs are chosen by a Hungarian assignment
    maximising max(cosine, overlap) so one old topic continues in at most one new cluster.
    """
    from scipy.optimize import linear_sum_assignment

    plan = ReclusterPlan()
    new_ids = sorted(new_centroids)
    old_ids = sorted(old_centroids)
    new_members: dict[int, set[int]] = {c: set() for c in new_ids}
    old_members: dict[int, set[int]] = {o: set() for o in old_ids}
    for i, (n, o) in enumerate(zip(new_labels, old_topics, strict=True)):
        if n is not None and n >= 0 and n in new_members:
            new_members[n].add(i)
        if o is not None and o in old_members:
            old_members[o].add(i)
    if new_ids and old_ids:
        cos = (
            np.vstack([new_centroids[c] for c in new_ids]) @ np.vstack([old_centroids[o] for o in old_ids]).T
        )
        jac = np.zeros_like(cos)
        for a, c in enumerate(new_ids):
            for b, o in enumerate(old_ids):
                union = len(new_members[c] | old_members[o])
                jac[a, b] = len(new_members[c] & old_members[o]) / union if union else 0.0
        score = np.maximum(cos, jac)
        rows, cols = linear_sum_assignment(-score)
        for a, b in zip(rows, cols, strict=True):
            if cos[a, b] >= match_threshold or jac[a, b] >= overlap_threshold:
                plan.kept[new_ids[a]] = old_ids[b]
    kept_old = set(plan.kept.values())
    for c in new_ids:
        if c in plan.kept:
            continue
        origins = Counter(old_topics[i] for i in new_members[c] if old_topics[i] is not None)
        parent, n = origins.most_common(1)[0] if origins else (None, 0)
        if parent is not None and parent in kept_old and n >= overlap_threshold * len(new_members[c]):
            plan.splits[c] = parent
        else:
            plan.created.append(c)
    successor_of_new = plan.kept
    for o in old_ids:
        if o in kept_old:
            continue
        targets = Counter(
            new_labels[i] for i in old_members[o] if new_labels[i] is not None and new_labels[i] >= 0
        )
        target, n = targets.most_common(1)[0] if targets else (None, 0)
        if target in successor_of_new and n >= overlap_threshold * max(len(old_members[o]), 1):
            plan.merged[o] = successor_of_new[target]
        else:
            plan.retired.append(o)
    return plan


def keep_established_assignments(
    old_topics: Sequence[int | None],
    new_topics: Sequence[int | None],
    space_vectors: np.ndarray,
    kept_centroids: Mapping[int, np.ndarray],
    threshold: float,
    split_topics: frozenset[int] | set[int] = frozenset(),
) -> dict[int, float]:
    """Items that should keep their current topic despite the new clustering (hysteresis).

    An item keeps its topic when that topic survives the re-clustering and the item is still
    similar enough to the topic's new centroid. Moves into a topic split off from the item's
    own topic are not blocked: recognising the split is what re-clustering is for.
    Returns index -> similarity to the kept topic.
    """
    out = {}
    for i, (old, new) in enumerate(zip(old_topics, new_topics, strict=True)):
        if old is None or old == new or old not in kept_centroids:
            continue
        if new is not None and new in split_topics:
            continue
        sim = float(space_vectors[i] @ kept_centroids[old])
        if sim >= threshold:
            out[i] = sim
    return out


def surviving_topics(
    plan: ReclusterPlan,
    new_labels: Sequence[int],
    old_topics: Sequence[int | None],
    space_vectors: np.ndarray,
    old_centroids: Mapping[int, np.ndarray],
    threshold: float,
    min_size: int,
) -> dict[int, np.ndarray]:
    """Unmatched topics that still hold at least `min_size` of their members (not taken by a split).

    The new clustering may simply not reproduce a smaller topic; retiring it would change the
    ids of items that still belong to it. Returns topic id -> its (unchanged) centroid.
    """
    out = {}
    for o in plan.retired:
        still = sum(
            1
            for i, t in enumerate(old_topics)
            if t == o
            and new_labels[i] not in plan.splits
            and float(space_vectors[i] @ old_centroids[o]) >= threshold
        )
        if still >= min_size:
            out[o] = old_centroids[o]
    return out


# ---------------------------------------------------------------- registry I/O


def load_active_centroids(conn, embedding_model: str) -> dict[int, np.ndarray]:
    """Centroids (topic space) of the active topics for `embedding_model`."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT topic_id, centroid FROM ml.topics WHERE status = 'active' AND embedding_model = %s",
            (embedding_model,),
        )
        return {int(t): np.asarray(c, dtype=np.float32) for t, c in cur.fetchall()}


def _next_topic_id(cur) -> int:
    cur.execute("SELECT coalesce(max(topic_id), 0) + 1 FROM ml.topics")
    return int(cur.fetchone()[0])


def _history(
    cur, topic_id: int, event: str, run_id: str, related: int | None = None, details: dict | None = None
):
    cur.execute(
        "INSERT INTO ml.topic_history (topic_id, event, related_topic_id, details, run_id) VALUES (%s, %s, %s, %s, %s)",
        (topic_id, event, related, json.dumps(details or {}), run_id),
    )


def _insert_topic(cur, topic_id: int, fit: TopicFit, local: int, embedding_model: str) -> None:
    d = fit.descriptions[local]
    cur.execute(
        "INSERT INTO ml.topics (topic_id, label, keywords, representative_texts, size, embedding_model, centroid) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (
            topic_id,
            d.label,
            d.keywords,
            d.representative_texts,
            fit.sizes.get(local, 0),
            embedding_model,
            [float(x) for x in fit.centroids[local]],
        ),
    )


def write_assignments(
    conn,
    feedback_ids: Sequence[str],
    topic_ids: Sequence[int | None],
    similarities: Sequence[float],
    methods: Sequence[str],
    *,
    embedding_model: str,
    run_id: str,
) -> None:
    """Upsert topic assignments; a row only changes when its topic, similarity or method changed."""
    rows = [
        (fid, None if t is None or t < 0 else int(t), round(float(s), 6), m, embedding_model, run_id)
        for fid, t, s, m in zip(feedback_ids, topic_ids, similarities, methods, strict=True)
    ]
    with conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO ml.topic_assignments AS a (feedback_id, topic_id, similarity, method, embedding_model, run_id)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (feedback_id) DO UPDATE SET
                topic_id = excluded.topic_id, similarity = excluded.similarity, method = excluded.method,
                embedding_model = excluded.embedding_model, run_id = excluded.run_id, assigned_at = now()
            WHERE (a.topic_id, a.similarity, a.method, a.embedding_model)
                IS DISTINCT FROM (excluded.topic_id, excluded.similarity, excluded.method, excluded.embedding_model)
            """,
            rows,
        )


def create_registry(
    conn, fit: TopicFit, feedback_ids: Sequence[str], *, embedding_model: str, run_id: str
) -> dict[int, int]:
    """Register every cluster of `fit` as a new topic and write the assignments. Returns local -> topic id."""
    with conn.cursor() as cur:
        start = _next_topic_id(cur)
        mapping = {local: start + k for k, local in enumerate(sorted(fit.centroids))}
        for local, topic_id in mapping.items():
            _insert_topic(cur, topic_id, fit, local, embedding_model)
            _history(cur, topic_id, "created", run_id, details={"size": fit.sizes.get(local, 0)})
    ids = [mapping.get(int(label)) if label >= 0 else None for label in fit.labels]
    write_assignments(
        conn, feedback_ids, ids, fit.similarities, fit.methods, embedding_model=embedding_model, run_id=run_id
    )
    return mapping


def assign_incremental(
    conn,
    feedback_ids: Sequence[str],
    space_vectors: np.ndarray,
    *,
    config: Mapping[str, Any],
    embedding_model: str,
    run_id: str,
) -> list[int | None]:
    """Assign new items to the nearest active topic (cosine >= assign_threshold) or leave them unassigned."""
    cfg = nlp_config(config)
    topic_centroids = load_active_centroids(conn, embedding_model)
    ids, sims = assign_to_centroids(space_vectors, topic_centroids, float(cfg["assign_threshold"]))
    out = [int(t) if t >= 0 else None for t in ids]
    write_assignments(
        conn,
        feedback_ids,
        out,
        sims,
        ["incremental"] * len(out),
        embedding_model=embedding_model,
        run_id=run_id,
    )
    return out


def refresh_topic_stats(conn, *, config: Mapping[str, Any]) -> None:
    """Recompute topic sizes and the emerging flag from assignments (deterministic: relative to the latest feedback)."""
    cfg = nlp_config(config)
    with conn.cursor() as cur:
        cur.execute(
            """
            WITH ref AS (SELECT max(submitted_at) AS ts FROM ml.feedback_enrichment),
            stats AS (
                SELECT a.topic_id,
                       count(*) AS size,
                       min(e.submitted_at) AS first_seen,
                       count(*) FILTER (WHERE e.submitted_at > ref.ts - interval '7 days') AS last7,
                       count(*) FILTER (WHERE e.submitted_at <= ref.ts - interval '7 days'
                                          AND e.submitted_at > ref.ts - interval '35 days') AS prior28
                FROM ml.topic_assignments a
                JOIN ml.feedback_enrichment e USING (feedback_id)
                CROSS JOIN ref
                WHERE a.topic_id IS NOT NULL
                GROUP BY a.topic_id
            ),
            flags AS (
                SELECT t.topic_id,
                       coalesce(s.size, 0) AS size,
                       t.status = 'active' AND s.topic_id IS NOT NULL AND (
                           s.first_seen > (SELECT ts FROM ref) - make_interval(days => %(window)s)
                           OR (s.last7 >= %(min_size)s AND s.last7 >= %(growth)s * greatest(s.prior28 / 4.0, 1))
                       ) AS is_emerging
                FROM ml.topics t LEFT JOIN stats s USING (topic_id)
            )
            UPDATE ml.topics t SET size = f.size, is_emerging = f.is_emerging, updated_at = now()
            FROM flags f
            WHERE t.topic_id = f.topic_id AND (t.size, t.is_emerging) IS DISTINCT FROM (f.size, f.is_emerging)
            """,
            {
                "window": int(cfg["emerging_window_days"]),
                "min_size": int(cfg["min_topic_size"]),
                "growth": float(cfg["emerging_growth_factor"]),
            },
        )


def load_corpus(conn, embedding_model: str) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """Enriched feedback with text and cached embeddings: ids, redacted texts, text hashes, vectors.

    Items with no text (a bare rating) have no topic: clustering their empty embeddings
    would only make one large meaningless topic.
    """
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT e.feedback_id, e.text_redacted, e.text_hash, m.vector
            FROM ml.feedback_enrichment e
            JOIN ml.embeddings m ON m.model_name = e.embedding_model AND m.text_hash = e.text_hash
            WHERE e.embedding_model = %s AND btrim(coalesce(e.text_redacted, '')) <> ''
            ORDER BY e.feedback_id
            """,
            (embedding_model,),
        )
        rows = cur.fetchall()
    if not rows:
        return [], [], [], np.zeros((0, 0), dtype=np.float32)
    ids, texts, hashes, vecs = zip(*rows, strict=True)
    return list(ids), list(texts), list(hashes), np.asarray(vecs, dtype=np.float32)


def recluster(conn, *, config: Mapping[str, Any], run_id: str) -> dict[str, int]:
    """Re-cluster all enriched feedback and reconcile with the registry, keeping topic ids.

    Returns counts: items, topics (active after), kept (matched to a new cluster), survived
    (unmatched but still holding its members), created, split, merged, retired, unassigned.
    Commits.
    """
    from cfm.nlp.embedding import cache_model_name

    cfg = nlp_config(config)
    embedding_model = cache_model_name(cfg["embedding_model"], cfg["embedding_backend"])
    ids, texts, hashes, vectors = load_corpus(conn, embedding_model)
    if not ids:
        return {
            "items": 0,
            "topics": 0,
            "kept": 0,
            "created": 0,
            "split": 0,
            "merged": 0,
            "retired": 0,
            "unassigned": 0,
        }
    fit = fit_topics(vectors, texts, [h + f for h, f in zip(hashes, ids, strict=True)], cfg)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT feedback_id, topic_id FROM ml.topic_assignments WHERE feedback_id = ANY(%s)", (ids,)
        )
        current = dict(cur.fetchall())
    old_topics = [current.get(f) for f in ids]
    old_centroids = load_active_centroids(conn, embedding_model)
    plan = plan_recluster(
        fit.labels.tolist(), old_topics, fit.centroids, old_centroids, float(cfg["match_threshold"])
    )
    space = topic_space(vectors, texts, float(cfg["lexical_weight"]), int(cfg["lexical_dims"]))
    survivors = surviving_topics(
        plan,
        fit.labels.tolist(),
        old_topics,
        space,
        old_centroids,
        float(cfg["assign_threshold"]),
        int(cfg["min_topic_size"]),
    )
    plan.retired = [o for o in plan.retired if o not in survivors]
    with conn.cursor() as cur:
        mapping: dict[int, int] = dict(plan.kept)
        next_id = _next_topic_id(cur)
        for local in sorted(plan.created + list(plan.splits)):
            mapping[local] = next_id
            _insert_topic(cur, next_id, fit, local, embedding_model)
            if local in plan.splits:
                _history(
                    cur,
                    next_id,
                    "created",
                    run_id,
                    details={"size": fit.sizes.get(local, 0), "split_from": plan.splits[local]},
                )
                _history(
                    cur,
                    plan.splits[local],
                    "split",
                    run_id,
                    related=next_id,
                    details={"size": fit.sizes.get(local, 0)},
                )
            else:
                _history(cur, next_id, "created", run_id, details={"size": fit.sizes.get(local, 0)})
            next_id += 1
        for local, topic_id in plan.kept.items():
            d = fit.descriptions[local]
            centroid = [float(x) for x in fit.centroids[local]]
            cur.execute(
                """
                UPDATE ml.topics SET label = %s, keywords = %s, representative_texts = %s, centroid = %s::real[], updated_at = now()
                WHERE topic_id = %s AND (label, keywords, representative_texts, centroid) IS DISTINCT FROM (%s::text, %s::text[], %s::text[], %s::real[])
                RETURNING topic_id
                """,
                (
                    d.label,
                    d.keywords,
                    d.representative_texts,
                    centroid,
                    topic_id,
                    d.label,
                    d.keywords,
                    d.representative_texts,
                    centroid,
                ),
            )
            if cur.fetchone():
                _history(
                    cur,
                    topic_id,
                    "updated",
                    run_id,
                    details={"label": d.label, "size": fit.sizes.get(local, 0)},
                )
        for old, into in plan.merged.items():
            cur.execute(
                "UPDATE ml.topics SET status = 'merged', merged_into = %s, updated_at = now() WHERE topic_id = %s",
                (into, old),
            )
            _history(cur, old, "merged", run_id, related=into)
        for old in plan.retired:
            cur.execute(
                "UPDATE ml.topics SET status = 'retired', updated_at = now() WHERE topic_id = %s", (old,)
            )
            _history(cur, old, "retired", run_id)
    topic_ids = [mapping.get(int(label)) if label >= 0 else None for label in fit.labels]
    similarities = fit.similarities.copy()
    kept_centroids = {topic_id: fit.centroids[local] for local, topic_id in plan.kept.items()}
    kept_centroids.update(survivors)
    split_ids = {mapping[local] for local in plan.splits}
    sticky = keep_established_assignments(
        old_topics, topic_ids, space, kept_centroids, float(cfg["assign_threshold"]), split_ids
    )
    for i, sim in sticky.items():
        topic_ids[i] = old_topics[i]
        similarities[i] = sim
    methods = [m if t is not None else "cluster" for m, t in zip(fit.methods, topic_ids, strict=True)]
    write_assignments(
        conn, ids, topic_ids, similarities, methods, embedding_model=embedding_model, run_id=run_id
    )
    refresh_topic_stats(conn, config=cfg)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM ml.topics WHERE status = 'active' AND embedding_model = %s",
            (embedding_model,),
        )
        active_topics = int(cur.fetchone()[0])
    conn.commit()
    result = {
        "items": len(ids),
        "topics": active_topics,
        "kept": len(plan.kept),
        "survived": len(survivors),
        "created": len(plan.created),
        "split": len(plan.splits),
        "merged": len(plan.merged),
        "retired": len(plan.retired),
        "unassigned": sum(t is None for t in topic_ids),
    }
    log.info("recluster %s: %s", run_id, result)
    return result

"""Topic lifecycle planning, pure (no SQL): how a new clustering maps onto registered topics.

Matching (Hungarian on centroid cosine and member overlap), splits, merges, retirements,
survivors and hysteresis. `cfm.nlp.topics.store` applies the plan to ml.topics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class ReclusterPlan:
    """How the clusters of a new fit map onto registered topics."""

    kept: dict[int, int] = field(default_factory=dict)  # new local cluster -> existing topic id
    splits: dict[int, int] = field(default_factory=dict)  # new local cluster -> topic it split from
    # new local cluster -> kept topic it is folded back into: a would-be split whose centroid is as
    # close to its parent's new centroid as a kept topic is to its old one (same topic, cut in two)
    absorbed: dict[int, int] = field(default_factory=dict)
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

    An unmatched cluster drawn mostly from one kept topic is a split, unless its centroid is
    within `match_threshold` of the cluster that continues that topic: then the new fit only cut
    one topic in two near-identical halves (the resolution wobbles as data is added), and the
    cluster is absorbed into the topic rather than given a new id.
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
            continuing = next(a for a, o in plan.kept.items() if o == parent)
            if float(new_centroids[c] @ new_centroids[continuing]) >= match_threshold:
                plan.absorbed[c] = parent
            else:
                plan.splits[c] = parent
        else:
            plan.created.append(c)
    successor_of_new = {**plan.kept, **plan.absorbed}
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

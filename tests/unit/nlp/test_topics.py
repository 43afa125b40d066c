"""Topic stages and registry matching with small fake embeddings (no model)."""

import numpy as np
import pytest

from cfm.nlp.topics.cluster import assign_to_centroids, centroids, drop_small_clusters
from cfm.nlp.topics.model import fit_topics
from cfm.nlp.topics.planning import plan_recluster

CONFIG = {
    "min_topic_size": 3,
    "lexical_weight": 0.0,
    "cluster_distance_threshold": 0.5,
    "assign_threshold": 0.6,
    "outlier_threshold": 0.6,
}


def fake_corpus(seed=0, per_topic=10, n_topics=3, dim=16, noise=0.05):
    rng = np.random.default_rng(seed)
    bases = np.eye(dim)[:n_topics]
    vectors, texts, truth = [], [], []
    words = ["refund money", "app crash", "late parcel", "rude agent"]
    for t in range(n_topics):
        for i in range(per_topic):
            vectors.append(bases[t] + noise * rng.standard_normal(dim))
            texts.append(f"{words[t]} case {i}")
            truth.append(t)
    return np.array(vectors, dtype=np.float32), texts, np.array(truth)


def test_fit_recovers_topics_and_describes_them():
    vectors, texts, truth = fake_corpus()
    fit = fit_topics(vectors, texts, [f"k{i:03d}" for i in range(len(texts))], CONFIG)
    assert len(fit.centroids) == 3
    for t in range(3):
        assert len(set(fit.labels[truth == t])) == 1
    assert fit.unassigned_share == 0.0
    labels = {d.label for d in fit.descriptions.values()}
    assert any("refund" in lbl for lbl in labels)
    assert all(len(d.representative_texts) == 2 for d in fit.descriptions.values())


def test_fit_is_deterministic_and_order_independent():
    vectors, texts, _ = fake_corpus(per_topic=12)
    keys = [f"k{i:03d}" for i in range(len(texts))]
    a = fit_topics(vectors, texts, keys, CONFIG)
    perm = np.random.default_rng(1).permutation(len(texts))
    b = fit_topics(vectors[perm], [texts[i] for i in perm], [keys[i] for i in perm], CONFIG)
    assert np.array_equal(a.labels[perm], b.labels)


def test_outliers_are_reassigned_only_when_close_enough():
    vectors, texts, _ = fake_corpus()
    near = (np.eye(16)[0] + np.eye(16)[15]) / np.sqrt(2)  # cosine ~0.7 to topic 0: an outlier, but close
    far = np.eye(16)[15]
    vectors = np.vstack([vectors, near, far]).astype(np.float32)
    texts = texts + ["near refund", "something else"]
    config = {**CONFIG, "cluster_method": "agglomerative", "cluster_distance_threshold": 0.2}
    fit = fit_topics(vectors, texts, [f"k{i:03d}" for i in range(len(texts))], config)
    assert fit.labels[-2] == fit.labels[0] and fit.methods[-2] == "reassigned"
    assert fit.labels[-1] == -1


def test_small_clusters_dropped_and_renumbered_by_size():
    labels = np.array([5, 5, 5, 2, 2, 2, 2, 9])
    assert drop_small_clusters(labels, 3).tolist() == [1, 1, 1, 0, 0, 0, 0, -1]


def test_assign_to_centroids_threshold():
    vecs = np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    cents = centroids(np.array([[1.0, 0.0], [0.9, 0.1]]), np.array([3, 3]))
    ids, sims = assign_to_centroids(vecs, cents, 0.8)
    assert ids.tolist() == [3, -1, -1]
    assert sims[0] > 0.99


def test_plan_keeps_ids_on_identical_refit():
    vectors, _, truth = fake_corpus()
    cents = centroids(vectors, truth)
    old = {10 + t: c for t, c in cents.items()}
    plan = plan_recluster(truth.tolist(), [10 + int(t) for t in truth], cents, old)
    assert plan.kept == {0: 10, 1: 11, 2: 12}
    assert not (plan.created or plan.splits or plan.merged or plan.retired)


def test_plan_detects_merge_split_retire_and_new():
    d = 8
    e = np.eye(d)
    # old topics: 1 (dir 0), 2 (dir 1), 3 (dir 2), 4 (dir 3)
    old_centroids = {1: e[0], 2: e[1], 3: e[2], 4: e[3]}
    old_topics = [1] * 10 + [2] * 10 + [3] * 10 + [4] * 10 + [None] * 10
    # new fit: 1 and 2 merged into cluster 0 (centroid between them), 3 split into clusters 1 and 2,
    # 4 disappeared (its items are outliers), cluster 3 is a brand-new topic
    new_labels = [0] * 20 + [1] * 6 + [2] * 4 + [-1] * 10 + [3] * 10
    between = (e[0] + e[1]) / np.linalg.norm(e[0] + e[1])
    new_centroids = {0: between * 0.0 + e[0] * 0.9 + e[1] * 0.1, 1: e[2], 2: 0.6 * e[2] + 0.8 * e[5], 3: e[6]}
    new_centroids = {k: v / np.linalg.norm(v) for k, v in new_centroids.items()}
    plan = plan_recluster(new_labels, old_topics, new_centroids, old_centroids)
    assert plan.kept == {0: 1, 1: 3}
    assert plan.merged == {2: 1}
    assert plan.splits == {2: 3}
    assert plan.created == [3]
    assert plan.retired == [4]


def test_near_identical_half_of_a_kept_topic_is_absorbed_not_split():
    e = np.eye(8)
    old_centroids = {1: e[0], 2: e[1]}
    old_topics = [1] * 20 + [2] * 10 + [None] * 4
    # topic 1 comes back cut in two: cluster 0 (14 items) and cluster 2 (6 old + 4 new items),
    # whose centroid is at cosine 0.9 to cluster 0's: the same topic, so it keeps topic 1's id
    new_labels = [0] * 14 + [2] * 6 + [1] * 10 + [2] * 4
    half = 0.9 * e[0] + np.sqrt(1 - 0.81) * e[2]
    plan = plan_recluster(new_labels, old_topics, {0: e[0], 1: e[1], 2: half}, old_centroids)
    assert plan.kept == {0: 1, 1: 2}
    assert plan.absorbed == {2: 1}
    assert not (plan.splits or plan.created or plan.merged or plan.retired)
    # the same cut with the halves further apart (cosine 0.6) is a split
    apart = 0.6 * e[0] + 0.8 * e[2]
    plan = plan_recluster(new_labels, old_topics, {0: e[0], 1: e[1], 2: apart}, old_centroids)
    assert plan.splits == {2: 1} and not plan.absorbed


def test_established_assignments_are_sticky_but_splits_can_take_items():
    from cfm.nlp.topics.planning import keep_established_assignments

    e = np.eye(4)
    space = np.array([e[0], e[0], 0.8 * e[0] + 0.6 * e[1], e[2], e[0]])
    old = [1, 1, 1, 1, 1]
    new = [2, None, 7, 2, 9]  # 2 is established, 7 split off topic 1, 9 is a brand-new topic
    kept = {1: e[0], 2: e[1]}
    sticky = keep_established_assignments(old, new, space, kept, threshold=0.5, split_topics={7})
    assert set(sticky) == {0, 1, 4}  # 2 goes to the split, 3 is no longer similar to topic 1
    assert sticky[0] == pytest.approx(1.0)


def test_unmatched_topic_survives_while_its_members_stay_close():
    from cfm.nlp.topics.planning import ReclusterPlan, surviving_topics

    e = np.eye(4)
    space = np.array([e[0]] * 4 + [e[1]] * 2)
    old = [5, 5, 5, 5, 6, 6]
    plan = ReclusterPlan(retired=[5, 6])
    out = surviving_topics(plan, [-1] * 6, old, space, {5: e[0], 6: e[2]}, threshold=0.5, min_size=3)
    assert list(out) == [5]  # topic 6's members moved away from its centroid

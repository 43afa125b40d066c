"""Leiden graph clustering: the number of topics follows the data, deterministic, chosen by silhouette."""

import numpy as np
import pytest

from cfm.nlp.topics.cluster import GraphTopics, knn_graph
from cfm.nlp.topics.model import fit_topics


def blobs(n_topics, per_topic=25, dim=32, noise=0.08, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_topics, dim))
    vectors = np.vstack([c + noise * np.linalg.norm(c) * rng.standard_normal((per_topic, dim)) for c in centres])
    truth = np.repeat(np.arange(n_topics), per_topic)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32), truth


def test_knn_graph_is_undirected_without_self_loops():
    vectors, _ = blobs(2, per_topic=10)
    graph = knn_graph(vectors, 3)
    assert graph.vcount() == 20 and not graph.is_directed()
    assert all(e.source != e.target for e in graph.es)
    assert min(graph.degree()) >= 3
    assert all(w > 0 for w in graph.es["weight"])


def test_number_of_topics_follows_the_data():
    for n_topics in (3, 7):
        vectors, truth = blobs(n_topics)
        stage = GraphTopics(n_neighbors=10, min_topic_size=5)
        labels = stage.fit_predict(vectors)
        assert len(set(labels.tolist()) - {-1}) == n_topics
        for t in range(n_topics):
            assert len(set(labels[truth == t].tolist())) == 1
        # the chosen resolution is the one with the best silhouette among those tried
        best = max(stage.scores_.values(), key=lambda v: v[0])
        assert stage.scores_[stage.resolution_] == best


def test_fit_topics_with_leiden_is_deterministic_and_order_independent():
    vectors, truth = blobs(4)
    texts = [f"text {i}" for i in range(len(truth))]
    keys = [f"k{i:04d}" for i in range(len(truth))]
    config = {"cluster_method": "leiden", "min_topic_size": 5, "cluster_neighbors": 10}
    a = fit_topics(vectors, texts, keys, config)
    again = fit_topics(vectors, texts, keys, config)
    assert np.array_equal(a.labels, again.labels)
    perm = np.random.default_rng(3).permutation(len(truth))
    b = fit_topics(vectors[perm], [texts[i] for i in perm], [keys[i] for i in perm], config)
    assert np.array_equal(a.labels[perm], b.labels)
    assert a.selection["method"] == "leiden" and a.selection["resolution"] is not None


def test_cosine_silhouette_matches_sklearn():
    from sklearn.metrics import silhouette_score

    from cfm.nlp.topics.cluster import cosine_silhouette

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(5, 16))
    vectors = np.vstack([c + 0.7 * rng.normal(size=(40, 16)) for c in centres]) * rng.uniform(0.5, 2, size=(200, 1))
    labels = np.repeat(np.arange(5), 40)
    labels[7] = 9  # a singleton cluster scores 0
    labels[50:60] = 0  # and some items sit in the wrong cluster
    expected = silhouette_score(vectors, labels, metric="cosine")
    assert cosine_silhouette(vectors, labels) == pytest.approx(expected, abs=1e-6)


def _knn_edges_reference(vectors, n_neighbors, chunk):
    """The edge loop `knn_graph` vectorised: each row's k nearest, an edge seen twice keeps its later weight."""
    from cfm.nlp.topics.cluster import normalise

    n = vectors.shape[0]
    k = max(1, min(n_neighbors, n - 1))
    unit = normalise(np.asarray(vectors, dtype=np.float32))
    edges = {}
    for start in range(0, n, chunk):
        sims = unit[start : start + chunk] @ unit.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for r, cols in enumerate(nearest):
            for j in cols.tolist():
                key = (start + r, j) if start + r < j else (j, start + r)
                edges[key] = max(float(sims[r, j]), 1e-3)
    return sorted(edges), [edges[e] for e in sorted(edges)]


@pytest.mark.parametrize("chunk", [7, 2048])
def test_knn_graph_edges_and_weights_match_the_loop_it_replaced(chunk):
    vectors, _ = blobs(4, per_topic=30, dim=16, noise=0.3, seed=2)
    vectors[5] = -vectors[4]  # a far pair, floored weights
    graph = knn_graph(vectors, 6, chunk=chunk)
    edges, weights = _knn_edges_reference(vectors, 6, chunk)
    assert [e.tuple for e in graph.es] == edges
    assert graph.es["weight"] == weights

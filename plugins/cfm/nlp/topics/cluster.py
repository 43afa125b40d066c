"""Clustering feedback embeddings into topics, and centroid-based assignment."""

from __future__ import annotations

import numpy as np

from cfm.nlp.topics.interfaces import ClusteringStage


def normalise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class AgglomerativeTopics(ClusteringStage):
    """Agglomerative clustering cut at a distance threshold; small clusters become outliers.

    Deterministic for a given input order (no random init), and the number of topics follows
    from the data, like HDBSCAN, without its cost on a few thousand short texts. The default
    average linkage on cosine distance has a threshold that means the same at 50 or 5,000
    items (ward's merge heights grow with cluster size).
    """

    def __init__(self, distance_threshold: float = 0.7, min_topic_size: int = 8, linkage: str = "average"):
        self.distance_threshold = distance_threshold
        self.min_topic_size = min_topic_size
        self.linkage = linkage

    def fit_predict(self, vectors: np.ndarray) -> np.ndarray:
        n = vectors.shape[0]
        if n < max(2, self.min_topic_size):
            return np.full(n, -1, dtype=int)
        from sklearn.cluster import AgglomerativeClustering

        raw = AgglomerativeClustering(
            n_clusters=None,
            distance_threshold=self.distance_threshold,
            linkage=self.linkage,
            metric="euclidean" if self.linkage == "ward" else "cosine",
        ).fit_predict(vectors)
        return drop_small_clusters(raw, self.min_topic_size)


def drop_small_clusters(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Mark clusters smaller than `min_size` as outliers (-1) and renumber the rest.

    New numbers follow cluster size (largest first), ties broken by first member index,
    so the numbering depends only on the data, not on the clustering library's order.
    """
    out = np.full(labels.shape[0], -1, dtype=int)
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    keep = [(c, int(np.argmax(labels == i)), i) for i, c in zip(ids, counts, strict=True) if c >= min_size]
    keep.sort(key=lambda t: (-t[0], t[1]))
    for new, (_, _, old) in enumerate(keep):
        out[labels == old] = new
    return out


def centroids(vectors: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """Unit-length mean vector of each cluster (outliers excluded)."""
    out = {}
    for label in sorted(set(labels.tolist()) - {-1}):
        mean = vectors[labels == label].mean(axis=0)
        out[int(label)] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def nearest_centroid(
    vectors: np.ndarray, topic_centroids: dict[int, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """For each (unit) vector: id of the most similar centroid and the cosine similarity.

    With no centroids every row gets id -1 and similarity 0.
    """
    if not topic_centroids or vectors.shape[0] == 0:
        return np.full(vectors.shape[0], -1, dtype=int), np.zeros(vectors.shape[0])
    ids = np.array(sorted(topic_centroids))
    matrix = np.vstack([topic_centroids[i] for i in ids])
    sims = normalise(vectors) @ matrix.T
    best = sims.argmax(axis=1)
    return ids[best], sims[np.arange(len(best)), best]


def assign_to_centroids(
    vectors: np.ndarray, topic_centroids: dict[int, np.ndarray], threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid when cosine >= `threshold`, else -1 (unassigned)."""
    ids, sims = nearest_centroid(vectors, topic_centroids)
    ids = np.where(sims >= threshold, ids, -1)
    return ids, sims


def import_igraph():
    """python-igraph, imported without matplotlib when matplotlib is not loaded yet.

    igraph imports matplotlib.pyplot at import time for its plotting, which topics never use:
    1.5-2.5 s of every enrichment process on the bench machine (0.2 s without it). While igraph
    loads, matplotlib is marked unavailable, so igraph falls back to its placeholder; the
    marker is removed right after, and a later `import matplotlib` (reports) works as usual.
    """
    import sys

    if "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph

        return igraph
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # `import matplotlib` raises ImportError
    try:
        import igraph
    finally:
        if sys.modules.get("matplotlib", 0) is None:
            del sys.modules["matplotlib"]
    return igraph


def knn_graph(vectors: np.ndarray, n_neighbors: int, chunk: int = 2048):
    """Undirected igraph graph joining each (unit) vector to its `n_neighbors` most similar ones.

    Edge weight is the cosine similarity (floored at a small positive value so that Leiden's
    modularity stays defined); an edge found from both ends is kept once.
    """
    ig = import_igraph()

    n = vectors.shape[0]
    k = max(1, min(n_neighbors, n - 1))
    unit = normalise(np.asarray(vectors, dtype=np.float32))
    keys, weights = [], []
    for start in range(0, n, chunk):
        sims = unit[start : start + chunk] @ unit.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf  # no self loops
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        i, j = np.repeat(rows + start, k).astype(np.int64), nearest.ravel().astype(np.int64)
        keys.append(np.minimum(i, j) * n + np.maximum(i, j))
        weights.append(np.maximum(sims[rows[:, None], nearest].ravel().astype(np.float64), 1e-3))
    # An edge found from both ends keeps the weight seen last (the later row), edges in (i, j) order.
    key, index = np.unique(np.concatenate(keys)[::-1], return_index=True)
    weight = np.concatenate(weights)[::-1][index]
    edges = list(zip((key // n).tolist(), (key % n).tolist(), strict=True))
    return ig.Graph(n=n, edges=edges, edge_attrs={"weight": weight.tolist()})


def cosine_silhouette(vectors: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette with cosine distance, as sklearn's `silhouette_score(metric="cosine")`.

    With unit vectors the mean cosine distance from an item to a cluster is 1 - (item . cluster
    sum) / size, so a(i) and b(i) come from an items x clusters product instead of the n x n
    distance matrix sklearn builds for every candidate resolution (on 6,000 items that matrix
    was the largest cost of `cfm analyze` after embedding). Singleton clusters score 0, as in sklearn.
    """
    unit = normalise(np.asarray(vectors, dtype=np.float64))
    ids, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    if not 2 <= len(ids) <= len(labels) - 1:
        raise ValueError(f"silhouette needs 2 to n-1 clusters, got {len(ids)} for {len(labels)} items")
    sums = np.zeros((len(ids), unit.shape[1]))
    np.add.at(sums, inverse, unit)
    sim = unit @ sums.T  # item . cluster sum
    rows = np.arange(len(labels))
    own = sizes[inverse]
    self_sim = np.einsum("ij,ij->i", unit, unit)
    a = 1.0 - (sim[rows, inverse] - self_sim) / np.maximum(own - 1, 1)
    mean_dist = 1.0 - sim / sizes
    mean_dist[rows, inverse] = np.inf
    b = mean_dist.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(np.nan_to_num(s).mean())


class GraphTopics(ClusteringStage):
    """Leiden communities on a k-nearest-neighbour cosine graph; the resolution is chosen by silhouette.

    The number of topics follows the data: each candidate resolution gives a partition, and
    the one with the highest cosine silhouette wins, counting 0 for each item left outside
    the topics of at least `min_topic_size` (as for a singleton cluster). Deterministic for a
    given input order and seed. After fitting, `resolution_` and `scores_` (resolution -> silhouette, topics) say what was chosen and why.
    """

    def __init__(
        self,
        *,
        n_neighbors: int = 15,
        resolutions: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0),
        min_topic_size: int = 8,
        seed: int = 42,
    ):
        self.n_neighbors = n_neighbors
        self.resolutions = tuple(resolutions)
        self.min_topic_size = min_topic_size
        self.seed = seed
        self.resolution_: float | None = None
        self.scores_: dict[float, tuple[float, int]] = {}

    def partition(self, graph, resolution: float) -> np.ndarray:
        import_igraph()  # before leidenalg, which imports it
        import leidenalg

        part = leidenalg.find_partition(
            graph,
            leidenalg.RBConfigurationVertexPartition,
            weights="weight",
            resolution_parameter=resolution,
            n_iterations=-1,
            seed=self.seed,
        )
        return drop_small_clusters(np.asarray(part.membership, dtype=int), self.min_topic_size)

    def fit_predict(self, vectors: np.ndarray) -> np.ndarray:
        n = vectors.shape[0]
        if n < max(3, self.min_topic_size):
            return np.full(n, -1, dtype=int)
        # On a small batch a fixed k joins each item to a large share of all items, across
        # topics; k ~ sqrt(n) is the usual kNN scale, capped by `n_neighbors` (reached at 225).
        graph = knn_graph(vectors, min(self.n_neighbors, max(4, round(n**0.5))))
        best: tuple[float, np.ndarray] | None = None
        self.scores_ = {}
        for resolution in self.resolutions:
            labels = self.partition(graph, resolution)
            inside = labels >= 0
            n_topics = len(set(labels[inside].tolist()))
            if n_topics < 2:
                score = -1.0
            else:
                # Items left outside every topic score 0 (sklearn's value for a singleton), so a
                # partition cannot look tight by dropping most items: on 60 items, scoring only
                # the members picked 2 topics of 4 items and left 51 unassigned.
                coverage = float(inside.mean())
                score = coverage * cosine_silhouette(vectors[inside], labels[inside])
            self.scores_[resolution] = (round(score, 4), n_topics)
            if best is None or score > best[0]:
                best, self.resolution_ = (score, labels), resolution
        return best[1]

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

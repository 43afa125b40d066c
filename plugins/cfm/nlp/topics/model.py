"""`fit_topics`: reduce -> cluster -> outlier reassignment -> representation, deterministic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cfm.nlp.settings import nlp_config
from cfm.nlp.topics.cluster import AgglomerativeTopics, GraphTopics, assign_to_centroids, centroids
from cfm.nlp.topics.features import topic_space
from cfm.nlp.topics.interfaces import ClusteringStage
from cfm.nlp.topics.reduce import reduction_for
from cfm.nlp.topics.represent import TopicDescription, describe_topics


@dataclass
class TopicFit:
    """Topic labels aligned with the input rows (-1 = unassigned) and what describes each topic."""

    labels: np.ndarray
    similarities: np.ndarray
    methods: list[str]
    centroids: dict[int, np.ndarray]
    descriptions: dict[int, TopicDescription] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)  # how the number of topics was chosen

    @property
    def sizes(self) -> dict[int, int]:
        ids, counts = np.unique(self.labels[self.labels >= 0], return_counts=True)
        return {int(i): int(c) for i, c in zip(ids, counts, strict=True)}

    @property
    def unassigned_share(self) -> float:
        return float((self.labels < 0).mean()) if len(self.labels) else 0.0


def fit_topics(
    vectors: np.ndarray,
    texts: Sequence[str],
    keys: Sequence[str],
    config: Mapping[str, Any] | None = None,
) -> TopicFit:
    """Cluster embeddings into topics.

    Clustering happens in the topic space (embedding + hashed keyword tokens, see
    `features.topic_space`); the returned centroids live in that space too.

    `keys` (text hashes or feedback ids) fix the processing order, so the same set of items
    gives the same topics whatever order it arrives in. Above `max_cluster_sample` items, a
    deterministic sample (lowest keys) is clustered and the rest assigned to its centroids,
    which keeps memory and time bounded (agglomerative clustering is quadratic).
    Items in clusters smaller than `min_topic_size` join the nearest topic when cosine >=
    `outlier_threshold` (BERTopic's reduce_outliers, by centroid).
    """
    cfg = nlp_config(config)
    n = vectors.shape[0]
    vectors = topic_space(vectors, texts, float(cfg["lexical_weight"]), int(cfg["lexical_dims"]))
    labels = np.full(n, -1, dtype=int)
    sims = np.zeros(n)
    methods = ["cluster"] * n
    if n == 0:
        return TopicFit(labels, sims, methods, {})
    order = np.array(sorted(range(n), key=lambda i: (keys[i], i)))
    sample = order[: int(cfg["max_cluster_sample"])]
    rest = order[int(cfg["max_cluster_sample"]) :]

    reduced = reduction_for(cfg).fit_transform(vectors[sample])
    clusterer = clustering_for(cfg)
    sample_labels = clusterer.fit_predict(reduced)
    selection = {"method": cfg["cluster_method"]}
    if isinstance(clusterer, GraphTopics):
        selection.update(
            resolution=clusterer.resolution_,
            silhouette_by_resolution={str(r): list(v) for r, v in clusterer.scores_.items()},
        )
    topic_centroids = centroids(vectors[sample], sample_labels)
    labels[sample] = sample_labels
    for i, label in zip(sample, sample_labels, strict=True):
        if label >= 0:
            sims[i] = float(vectors[i] @ topic_centroids[label])

    outliers = sample[sample_labels < 0]
    for idx_set, method, threshold in (
        (outliers, "reassigned", float(cfg["outlier_threshold"])),
        (rest, "incremental", float(cfg["assign_threshold"])),
    ):
        if len(idx_set):
            ids, s = assign_to_centroids(vectors[idx_set], topic_centroids, threshold)
            labels[idx_set] = ids
            sims[idx_set] = s
            for i in idx_set:
                methods[i] = method
    descriptions = describe_topics(
        texts,
        labels,
        vectors,
        topic_centroids,
        top_keywords=int(cfg["keywords_per_topic"]),
        n_representatives=int(cfg["representatives_per_topic"]),
        label_language=str(cfg["label_language"]),
    )
    return TopicFit(labels, sims, methods, topic_centroids, descriptions, selection)


def clustering_for(cfg: Mapping[str, Any]) -> ClusteringStage:
    """The configured clustering stage: "leiden" (kNN graph, resolution by silhouette) or "agglomerative"."""
    method = str(cfg["cluster_method"])
    if method == "leiden":
        return GraphTopics(
            n_neighbors=int(cfg["cluster_neighbors"]),
            resolutions=tuple(float(r) for r in cfg["cluster_resolutions"]),
            min_topic_size=int(cfg["min_topic_size"]),
            seed=int(cfg["seed"]),
        )
    if method == "agglomerative":
        return AgglomerativeTopics(
            float(cfg["cluster_distance_threshold"]), int(cfg["min_topic_size"]), str(cfg["cluster_linkage"])
        )
    raise ValueError(f"nlp.cluster_method must be 'leiden' or 'agglomerative', got {method!r}")

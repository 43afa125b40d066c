"""Dimensionality reduction before clustering."""

from __future__ import annotations

import numpy as np

from cfm.nlp.topics.interfaces import ReductionStage


class NoReduction(ReductionStage):
    """Cluster the embeddings as they are."""

    def fit_transform(self, vectors: np.ndarray) -> np.ndarray:
        return vectors


class PCAReduction(ReductionStage):
    """PCA to `n_components`, then re-normalise so Euclidean distance tracks cosine.

    Much cheaper than UMAP and deterministic (full SVD, fixed seed), which matters for
    stable topic ids.
    """

    def __init__(self, n_components: int = 48, seed: int = 42):
        self.n_components = n_components
        self.seed = seed

    def fit_transform(self, vectors: np.ndarray) -> np.ndarray:
        from sklearn.decomposition import PCA

        k = min(self.n_components, vectors.shape[0] - 1, vectors.shape[1])
        if k < 2:
            return vectors
        reduced = PCA(n_components=k, svd_solver="full", random_state=self.seed).fit_transform(vectors)
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        return reduced / np.maximum(norms, 1e-12)


def reduction_for(config: dict) -> ReductionStage:
    """The configured reduction stage (`reduce_dims` 0 disables it)."""
    dims = int(config.get("reduce_dims") or 0)
    return PCAReduction(dims, int(config.get("seed", 42))) if dims else NoReduction()

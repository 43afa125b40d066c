"""Small base classes for swappable topic stages."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class ReductionStage(ABC):
    """Maps embeddings (n, d) to a smaller space used only for clustering."""

    @abstractmethod
    def fit_transform(self, vectors: np.ndarray) -> np.ndarray: ...


class ClusteringStage(ABC):
    """Assigns each row a cluster label >= 0, or -1 for outliers."""

    @abstractmethod
    def fit_predict(self, vectors: np.ndarray) -> np.ndarray: ...

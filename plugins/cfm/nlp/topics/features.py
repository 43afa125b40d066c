"""The space topics live in: sentence embedding plus hashed keyword tokens.

English-centric embedding models (all-MiniLM-L6-v2) place most Arabic and Chinese texts
close together whatever they say; the keyword tokens (jieba for Chinese, normalised and
lightly stemmed Arabic) carry the topic there. Token hashing has no fitted vocabulary, so
the space is fixed and centroids stored in the registry stay comparable across runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from cfm.nlp.keywords import tokenize
from cfm.nlp.topics.cluster import normalise


@lru_cache(maxsize=1 << 18)  # feedback reuses a small vocabulary: hash each token once
def _bucket(token: str, dims: int) -> tuple[int, float]:
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dims, (1.0 if (value >> 63) & 1 else -1.0)


def hashed_tokens(texts: Sequence[str], dims: int = 512) -> np.ndarray:
    """Unit-length signed hashed bag of keyword tokens (sublinear counts)."""
    out = np.zeros((len(texts), dims), dtype=np.float32)
    for row, text in enumerate(texts):
        counts: dict[int, float] = {}
        for tok in tokenize(text):
            idx, sign = _bucket(tok, dims)
            counts[idx] = counts.get(idx, 0.0) + sign
        for idx, c in counts.items():
            out[row, idx] = np.sign(c) * (1.0 + np.log(abs(c))) if c else 0.0
    return normalise(out)


def topic_space(
    vectors: np.ndarray, texts: Sequence[str], lexical_weight: float = 1.0, dims: int = 512
) -> np.ndarray:
    """Concatenate unit embeddings with weighted hashed tokens and re-normalise."""
    vectors = normalise(np.asarray(vectors, dtype=np.float32))
    if lexical_weight <= 0:
        return vectors
    return normalise(np.hstack([vectors, lexical_weight * hashed_tokens(texts, dims)]))

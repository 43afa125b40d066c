"""The per-item enrichment steps shared by the warehouse path and ad-hoc CSV analysis.

redact -> detect language -> embed (cached) -> sentiment -> categories -> feedback type.
Topics are handled by the caller (registry in the warehouse, in-memory fit for a CSV).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cfm.nlp.categories import categorise, feedback_type
from cfm.nlp.embedding import EmbeddingCache, embed_texts, load_backend, text_hash
from cfm.nlp.language import MODEL_NAME as LANGUAGE_MODEL
from cfm.nlp.language import detect_language
from cfm.nlp.redaction import redact
from cfm.nlp.sentiment import SentimentModel, train_sentiment_model, weak_label
from cfm.nlp.settings import nlp_config

log = logging.getLogger(__name__)
_SENTIMENT_MODELS: dict[tuple[str, str], SentimentModel] = {}


@dataclass
class EnrichedBatch:
    """Column-wise enrichment results aligned with the input texts."""

    text_redacted: list[str]
    text_hash: list[str]
    pii_types: list[list[str]]
    language: list[str]
    vectors: np.ndarray
    sentiment_label: list[str]
    sentiment_score: list[float]
    category: list[str]
    categories: list[list[str]]
    department: list[str]
    feedback_type: list[str]
    embedding_model: str
    sentiment_model: str
    classifier_model: str
    language_model: str
    embedded: int
    cached: int


def sentiment_model_for(
    backend, config: Mapping[str, Any], weak: Sequence[tuple[str, str]] = ()
) -> SentimentModel:
    """The sentiment model for this embedding backend (seed-trained once per process)."""
    key = (backend.name, text_hash(repr(sorted(weak))))
    if key not in _SENTIMENT_MODELS:
        texts = [t for t, _ in weak]
        labels = [label for _, label in weak]
        _SENTIMENT_MODELS[key] = train_sentiment_model(
            lambda xs: embed_texts(xs, backend=backend, config=config).vectors, texts, labels, config
        )
    return _SENTIMENT_MODELS[key]


def enrich_texts(
    texts: Sequence[str | None],
    *,
    declared_languages: Sequence[str | None] | None = None,
    ratings: Sequence[tuple[str | None, float | None, float | None, float | None]] | None = None,
    config: Mapping[str, Any] | None = None,
    cache: EmbeddingCache | None = None,
    progress: bool = False,
) -> EnrichedBatch:
    """Run the text stages on raw texts (PII is redacted first; nothing downstream sees raw text).

    `ratings` (rating_type, value, scale_min, scale_max) per text are used as weak sentiment
    labels only when `nlp.sentiment_weak_labels` is true.
    """
    cfg = nlp_config(config)
    red = [redact(t or "") for t in texts]
    clean = [r.text for r in red]
    declared = list(declared_languages) if declared_languages is not None else [None] * len(clean)
    langs = [detect_language(t, d, cfg["languages"]) for t, d in zip(clean, declared, strict=True)]
    log.info(
        "redacted %d texts (%d with PII); languages detected", len(clean), sum(bool(r.found) for r in red)
    )

    backend = load_backend(cfg)
    emb = embed_texts(clean, config=cfg, cache=cache, backend=backend, progress=progress)
    log.info("embeddings: %d computed, %d from cache (%s)", emb.embedded, emb.cached, emb.model_name)

    weak: list[tuple[str, str]] = []
    if cfg.get("sentiment_weak_labels") and ratings is not None:
        for t, rating in zip(clean, ratings, strict=True):
            label = weak_label(*rating)
            if label and t.strip():
                weak.append((t, label))
        weak = sorted(set(weak))
        if len(weak) < int(cfg.get("sentiment_min_weak_labels", 200)):
            weak = []
    model = sentiment_model_for(backend, cfg, weak)
    sentiments = model.predict(emb.vectors, clean, langs)
    cats, classifier_name = categorise(
        clean, emb.vectors, config=cfg, embed=lambda xs: embed_texts(xs, backend=backend, config=cfg).vectors
    )
    types = [feedback_type(t, s.label) for t, s in zip(clean, sentiments, strict=True)]
    return EnrichedBatch(
        text_redacted=clean,
        text_hash=[text_hash(t) for t in clean],
        pii_types=[r.pii_types for r in red],
        language=langs,
        vectors=emb.vectors,
        sentiment_label=[s.label for s in sentiments],
        sentiment_score=[s.score for s in sentiments],
        category=[c.category for c in cats],
        categories=[c.categories for c in cats],
        department=[c.department for c in cats],
        feedback_type=types,
        embedding_model=emb.model_name,
        sentiment_model=f"{model.name}+{emb.model_name}" + (f"+weak{len(weak)}" if weak else ""),
        classifier_model=classifier_name,
        language_model=LANGUAGE_MODEL,
        embedded=emb.embedded,
        cached=emb.cached,
    )

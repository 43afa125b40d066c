"""The enrichment steps, in order, and the columns each one adds to ml.feedback_enrichment.

redact -> detect language -> embed (cached) -> sentiment (its own embedding model, shipped head)
-> categories -> feedback type (shipped head on the sentiment model's vectors).
Topics are handled by the caller (cfm.nlp.topics in the warehouse, an in-memory fit for a CSV).

STEPS is the one list of what enrichment produces: `ml_schema` builds the table's columns
from it, `warehouse_enrichment` writes them, and the dbt macro `enrichment_columns()` carries
the ones marked `in_marts` through to int_feedback_enriched and marts.fct_feedback. To add a
step: write nlp/<step>.py, add a `Step` here, and document its column in the marts yml.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cfm.nlp.categories import categorise
from cfm.nlp.classifier_head import load_head
from cfm.nlp.embedding import EmbeddingCache, embed_texts, load_backend, text_hash
from cfm.nlp.feedback_type import classify_feedback_types
from cfm.nlp.keywords import segment
from cfm.nlp.language import MODEL_NAME as LANGUAGE_MODEL
from cfm.nlp.language import detect_languages
from cfm.nlp.redaction import redact_many
from cfm.nlp.sentiment import (
    HeadSentimentModel,
    SentimentModel,
    second_model_rows,
    train_sentiment_model,
    weak_label,
)
from cfm.nlp.settings import nlp_config
from cfm.nlp.step_timer import timed
from cfm.nlp.threads import limited_threads

log = logging.getLogger(__name__)
_SENTIMENT_MODELS: dict[tuple[str, str], SentimentModel | HeadSentimentModel] = {}


@dataclass(frozen=True)
class Column:
    """One column of ml.feedback_enrichment."""

    name: str
    sql_type: str
    constraints: str = "NOT NULL"  # on CREATE TABLE only (a column added later starts empty)
    per_batch: bool = False  # one value for the whole batch (model names), not one per item
    in_marts: bool = False  # carried through to int_feedback_enriched and marts.fct_feedback
    compared: bool = True  # a change rewrites the row (text_redacted is compared through text_hash)


@dataclass
class StepState:
    """What the steps read and write while enriching one batch."""

    texts: list[str]  # redacted once the redaction step has run
    declared_languages: list[str | None]
    ratings: Sequence[tuple[str | None, float | None, float | None, float | None]] | None
    config: Mapping[str, Any]
    cache: EmbeddingCache | None
    progress: bool
    columns: dict[str, Any] = field(default_factory=dict)
    backend: Any = None
    vectors: np.ndarray | None = None
    sentiment_backend: Any = None  # nlp.sentiment_embedding_model (also used by feedback type)
    sentiment_vectors: np.ndarray | None = None
    embedded: int = 0
    cached: int = 0


@dataclass(frozen=True)
class Step:
    name: str
    columns: tuple[Column, ...]
    run: Callable[[StepState], None]  # sets state.columns[c.name] for each of its columns


def _redact(s: StepState) -> None:
    red = redact_many(s.texts)
    s.texts = [r.text for r in red]
    hashes = {t: text_hash(t) for t in dict.fromkeys(s.texts)}
    s.columns.update(text_redacted=s.texts, text_hash=[hashes[t] for t in s.texts],
                     pii_types=[r.pii_types for r in red])
    log.info("redacted %d texts (%d with PII)", len(red), sum(bool(r.found) for r in red))


def _language(s: StepState) -> None:
    s.columns["language"] = detect_languages(s.texts, s.declared_languages, s.config["languages"])
    s.columns["language_model"] = LANGUAGE_MODEL


def _embed(s: StepState) -> None:
    s.backend = load_backend(s.config)
    emb = embed_texts(s.texts, config=s.config, cache=s.cache, backend=s.backend, progress=s.progress)
    log.info("embeddings: %d computed, %d from cache (%s)", emb.embedded, emb.cached, emb.model_name)
    s.vectors, s.embedded, s.cached = emb.vectors, emb.embedded, emb.cached
    s.columns["embedding_model"] = emb.model_name


def _sentiment(s: StepState) -> None:
    s.sentiment_backend = load_backend(s.config, purpose="sentiment")
    if s.sentiment_backend.name == s.backend.name:
        s.sentiment_vectors = s.vectors
    else:
        emb = embed_texts(s.texts, config=s.config, cache=s.cache, backend=s.sentiment_backend, progress=s.progress)
        s.sentiment_vectors = emb.vectors
    weak: list[tuple[str, str]] = []
    weak_rows: list[int] = []
    if s.config.get("sentiment_weak_labels") and s.ratings is not None:
        seen: set[tuple[str, str]] = set()
        for k, (t, rating) in enumerate(zip(s.texts, s.ratings, strict=True)):
            label = weak_label(*rating)
            if label and t.strip() and (t, label) not in seen:
                seen.add((t, label))
                weak.append((t, label))
                weak_rows.append(k)
        if len(weak) < int(s.config.get("sentiment_min_weak_labels", 200)):
            weak, weak_rows = [], []
    model = sentiment_model_for(s.sentiment_backend, s.config, weak, s.sentiment_vectors[weak_rows] if weak_rows else None)
    if isinstance(model, HeadSentimentModel):
        probs = model.with_lexicon(model.probabilities(s.sentiment_vectors), s.texts, s.columns["language"])
        recorded = model.name + _second_model(s, probs, weak, weak_rows)
        sentiments = model.decide(probs)
    else:
        sentiments = model.predict(s.sentiment_vectors, s.texts, s.columns["language"])
        recorded = f"{model.name}+{s.sentiment_backend.name}" + (f"+weak{len(weak)}" if weak else "")
    s.columns.update(
        sentiment_label=[x.label for x in sentiments],
        sentiment_score=[x.score for x in sentiments],
        sentiment_model=recorded,
    )


def _second_model(s: StepState, probs: np.ndarray, weak: list[tuple[str, str]], weak_rows: list[int]) -> str:
    """Let `nlp.sentiment_second_embedding_model` decide the routed and low-margin texts (in place).

    Only those texts are embedded with the second model. When the batch has enough rated texts in
    the second model's languages, the first model with its weak-label adapter decides instead (it
    measured better than the second model there). Returns what to add to the recorded model name.
    """
    if not s.config.get("sentiment_second_embedding_model"):
        return ""
    languages = s.config.get("sentiment_second_languages") or ()
    rated = [k for k in weak_rows if not languages or s.columns["language"][k] in languages]
    if weak and len(rated) >= int(s.config.get("sentiment_min_weak_labels", 200)):
        return ""
    rows = np.flatnonzero(second_model_rows(
        probs, s.columns["language"], languages, float(s.config.get("sentiment_cascade_margin") or 0.0),
        float(s.config.get("sentiment_neutral_weight", 0.6))))
    if not len(rows):
        return ""
    backend = load_backend(s.config, purpose="sentiment_second")
    second = sentiment_model_for(backend, s.config)
    if not isinstance(second, HeadSentimentModel):
        raise ValueError(f"nlp.sentiment_second_embedding_model {backend.name!r} has no shipped sentiment head")
    texts = [s.texts[k] for k in rows]
    vectors = embed_texts(texts, config=s.config, cache=s.cache, backend=backend, progress=s.progress).vectors
    probs[rows] = second.with_lexicon(second.probabilities(vectors), texts, [s.columns["language"][k] for k in rows])
    return f" | {second.name} on {len(rows)}/{len(probs)}"


def _categories(s: StepState) -> None:
    cats, classifier_name = categorise(
        s.texts, s.vectors, config=s.config,
        # Taxonomy examples go through the embedding cache like any text (by text hash), and
        # the centroids are kept per process and model.
        embed=lambda xs: embed_texts(xs, backend=s.backend, config=s.config, cache=s.cache).vectors,
        embedding_model=s.backend.name,
    )
    s.columns.update(category=[c.category for c in cats], categories=[c.categories for c in cats],
                     department=[c.department for c in cats], classifier_model=classifier_name)


def _feedback_type(s: StepState) -> None:
    types, model_name = classify_feedback_types(
        s.texts, s.sentiment_vectors, s.sentiment_backend.name, s.columns["sentiment_label"]
    )
    s.columns.update(feedback_type=types, feedback_type_model=model_name)


def _provenance(s: StepState) -> None:
    from cfm.nlp.provenance import config_hash, row_provenance

    s.columns.update(config_hash=config_hash(s.config), provenance=json.dumps(row_provenance(s.backend, s.config)))


STEPS: tuple[Step, ...] = (
    Step("redaction", (
        Column("text_redacted", "text", compared=False),
        Column("text_hash", "text"),
        Column("pii_types", "text[]", "NOT NULL DEFAULT '{}'"),
    ), _redact),
    Step("language", (Column("language", "text"), Column("language_model", "text", per_batch=True)), _language),
    Step("embedding", (Column("embedding_model", "text", per_batch=True),), _embed),
    Step("sentiment", (
        Column("sentiment_label", "text", "NOT NULL CHECK (sentiment_label IN ('positive', 'neutral', 'negative'))",
               in_marts=True),
        Column("sentiment_score", "double precision", "NOT NULL CHECK (sentiment_score BETWEEN -1 AND 1)", in_marts=True),
        Column("sentiment_model", "text", per_batch=True),
    ), _sentiment),
    Step("categories", (
        Column("category", "text", in_marts=True),
        Column("categories", "text[]", in_marts=True),
        Column("department", "text", in_marts=True),
        Column("classifier_model", "text", per_batch=True),
    ), _categories),
    Step("feedback_type", (
        Column("feedback_type", "text",
               "NOT NULL CHECK (feedback_type IN ('complaint', 'suggestion', 'praise', 'question', 'other'))", in_marts=True),
        Column("feedback_type_model", "text", "", per_batch=True),
    ), _feedback_type),
    # How the row was made (model and version, package version, config hash, seed); the run's
    # full manifest is in ml.enrichment_runs. Not compared: provenance alone never rewrites a row.
    Step("provenance", (
        Column("config_hash", "text", per_batch=True, compared=False),
        Column("provenance", "jsonb", per_batch=True, compared=False),
    ), _provenance),
)


def enrichment_columns() -> list[Column]:
    """Every step's columns, in step order."""
    return [c for step in STEPS for c in step.columns]


@dataclass
class EnrichedBatch:
    """Column-wise enrichment results aligned with the input texts (`batch.<column>`, `batch.vectors`)."""

    columns: dict[str, Any]
    vectors: np.ndarray
    embedded: int
    cached: int

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None

    def value(self, column: Column, k: int) -> Any:
        """Column `column` of item `k` (per-batch values are the same for every item)."""
        v = self.columns[column.name]
        return v if column.per_batch else v[k]


def sentiment_model_for(
    backend,
    config: Mapping[str, Any],
    weak: Sequence[tuple[str, str]] = (),
    weak_vectors: np.ndarray | None = None,
) -> SentimentModel | HeadSentimentModel:
    """The sentiment model for this embedding backend, built once per process and weak-label set.

    With a shipped head for the backend: the head (+ an adapter fitted on `weak`, whose vectors
    are `weak_vectors`). Otherwise the seed-trained lexicon + classifier model.
    """
    key = (backend.name, text_hash(repr(sorted(weak))))
    if key not in _SENTIMENT_MODELS:
        try:
            head = load_head("sentiment", backend.name)
        except FileNotFoundError:
            head = None
        if head is not None:
            model = HeadSentimentModel(
                head,
                neutral_weight=float(config.get("sentiment_neutral_weight", 0.6)),
                lexicon_weight=float(config.get("sentiment_lexicon_weight", 0.3)),
                seed=int(config.get("seed", 42)),
            )
            if weak:
                if weak_vectors is None:
                    weak_vectors = embed_texts([t for t, _ in weak], backend=backend, config=config).vectors
                model.adapt(weak_vectors, [label for _, label in weak])
        else:
            texts = [t for t, _ in weak]
            labels = [label for _, label in weak]
            model = train_sentiment_model(
                lambda xs: embed_texts(xs, backend=backend, config=config).vectors, texts, labels, config
            )
        _SENTIMENT_MODELS[key] = model
    return _SENTIMENT_MODELS[key]


# Twenty words or more: lingua's low-accuracy detector (see cfm.nlp.language), which loads its own models.
_WARM_UP_TEXTS = ("thanks", "the delivery was late again and nobody from support answered my emails about the "
                  "refund for the broken parcel until last week")


def load_models(config: Mapping[str, Any] | None = None) -> None:
    """Load now what the steps load on first use in a process: the embedding and sentiment models, lingua's
    language models (both accuracy modes), jieba's dictionary and scikit-learn (the sentiment adapter).

    Worker processes call it while starting, as they load the encoder: otherwise the first batch of every
    process pays for these loads (seconds each) inside its language and sentiment steps.
    """
    cfg = nlp_config(config)
    backend = load_backend(cfg)
    backend.encode(["warm up"], int(cfg["batch_size"]))
    sentiment_model_for(load_backend(cfg, purpose="sentiment"), cfg)
    detect_languages(list(_WARM_UP_TEXTS), None, cfg["languages"])
    segment("预热")
    import sklearn.linear_model  # noqa: F401


def enrich_texts(
    texts: Sequence[str | None],
    *,
    declared_languages: Sequence[str | None] | None = None,
    ratings: Sequence[tuple[str | None, float | None, float | None, float | None]] | None = None,
    config: Mapping[str, Any] | None = None,
    cache: EmbeddingCache | None = None,
    progress: bool = False,
) -> EnrichedBatch:
    """Run the STEPS on raw texts (PII is redacted first; nothing downstream sees raw text).

    `ratings` (rating_type, value, scale_min, scale_max) per text are used as weak sentiment
    labels only when `nlp.sentiment_weak_labels` is true.
    """
    state = StepState(
        texts=list(texts),
        declared_languages=list(declared_languages) if declared_languages is not None else [None] * len(texts),
        ratings=ratings,
        config=nlp_config(config),
        cache=cache,
        progress=progress,
    )
    with limited_threads(state.config):
        for step in STEPS:
            with timed(step.name):
                step.run(state)
            missing = [c.name for c in step.columns if c.name not in state.columns]
            if missing:
                raise RuntimeError(f"enrichment step {step.name} did not set its column(s) {', '.join(missing)}")
    return EnrichedBatch(columns=state.columns, vectors=state.vectors, embedded=state.embedded, cached=state.cached)

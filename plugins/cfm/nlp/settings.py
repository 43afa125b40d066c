"""The ``nlp:`` section of the project config: keys, defaults and merging."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.yml")

DEFAULTS: dict[str, Any] = {
    # Embeddings
    "embedding_model": "use-multilingual-v3",  # chosen on the dev sets (bench/results/insight.md); see README
    "embedding_backend": "torch",  # runtime of sentence-transformers models: torch | torch-int8
    # A task's own model (None = embedding_model), read by load_backend(cfg, purpose="sentiment")
    "sentiment_embedding_model": "use-multilingual-v3",  # has shipped sentiment/feedback-type heads
    # A second sentiment model with its own shipped head decides texts of these languages ([] = all):
    # every one (routing) or, with a cascade margin, those the first model is unsure of.
    # Off by default (speed: E5 embeds ~9x slower than USE); "multilingual-e5-small" turns it on. Its head v2
    # (full tweet files) beat USE on every English and Chinese dev set (imdb 0.79 -> 0.91, airline 0.60 -> 0.63,
    # zh +0.03..+0.07; bench/results/insight_sentiment.md); Arabic stays on USE (E5: reviews +0.01..+0.09, tweets 0.54 -> 0.45).
    "sentiment_second_embedding_model": "",
    "sentiment_second_languages": ["zh", "en"],
    "sentiment_cascade_margin": 0.5,  # 0 = every text of those languages; 0.5 sent 53-77% to E5, ~same F1
    "batch_size": 64,
    # BLAS/OpenMP threads per enrichment process (encoder, sentiment adapter, topic fit); 0 = all cores.
    # 1 by default: enrichment runs as several processes at once (cfm/nlp/threads.py).
    "threads": 1,
    "max_seq_length": 128,  # feedback is short; truncating long e-mails keeps batches fast
    # Rated feedback of the batch (NPS/stars/CSAT) as weak labels: helped on every dev set (bench/results/insight_sentiment.md)
    "sentiment_weak_labels": True,
    "sentiment_min_weak_labels": 200,
    # Sentiment and feedback type use the shipped heads of sentiment_embedding_model (nlp/heads/).
    "sentiment_neutral_weight": 0.6,  # < 1: clearly polar reviews are not called neutral
    "sentiment_lexicon_weight": 0.3,  # seed-lexicon evidence added to P(pos) / P(neg)
    # Language
    "languages": ["en", "ar", "zh", "fr", "es", "de", "pt", "it", "tr", "hi", "ja", "ru"],
    # Categories
    "taxonomy_path": str(DEFAULT_TAXONOMY),
    # Topics
    "min_topic_size": 8,  # clusters smaller than this are outliers (then maybe reassigned)
    "cluster_method": "leiden",  # leiden (kNN graph, resolution by silhouette) | agglomerative
    "cluster_neighbors": 15,  # k of the kNN graph Leiden partitions
    "cluster_resolutions": [0.5, 1.0, 2.0, 4.0, 8.0, 16.0],  # candidates; the best silhouette wins
    "outlier_threshold": 0.3,  # cosine to the nearest centroid for an item of a too-small cluster to join it
    "cluster_linkage": "average",  # agglomerative only  # average | complete (cosine distance) | ward (euclidean)
    "cluster_distance_threshold": 0.7,  # cut height: cosine distance for average/complete linkage
    "lexical_weight": 0.0,  # hashed keyword tokens next to the embedding; >0 splits topics by language
    "lexical_dims": 512,
    "reduce_dims": 0,  # PCA before clustering; 0 disables (it cost NMI on the benchmark set)
    "max_cluster_sample": 6000,  # larger sets: cluster a deterministic sample, assign the rest
    "fit_sample_size": 50000,  # a registry fit or recluster loads at most this many items; the rest stream in chunks
    "assign_threshold": 0.45,  # cosine to a topic centroid to assign an item to it
    "match_threshold": 0.8,  # cosine between centroids to keep a topic id across re-clustering
    "keywords_per_topic": 8,
    "representatives_per_topic": 2,
    "label_language": "en",  # topic labels in this language when the topic has members written in it
    "emerging_window_days": 14,
    "emerging_growth_factor": 2.0,
    "seed": 42,
}


def nlp_config(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the nlp config with defaults filled in (unknown keys are kept)."""
    merged = dict(DEFAULTS)
    if config:
        merged.update({k: v for k, v in config.items() if v is not None})
    return merged

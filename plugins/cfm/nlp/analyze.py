"""Ad-hoc analysis of any CSV of feedback, without a warehouse (`cfm analyze`)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cfm.nlp.settings import nlp_config

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = (
    "language",
    "sentiment",
    "sentiment_score",
    "category",
    "feedback_type",
    "topic_id",
    "topic_label",
)


class MissingTextColumnError(ValueError):
    """The CSV has no column with the requested name."""


def analyze_csv(
    input_path: str | Path,
    output_path: str | Path,
    *,
    text_column: str = "text",
    config: dict | None = None,
    progress: bool = True,
    cache=None,
) -> dict:
    """Enrich every row of a CSV and write it back out with analysis columns.

    The output has the input columns plus language, sentiment, sentiment_score, category,
    feedback_type, topic_id and topic_label (topic_id is empty for unassigned rows). The
    input text itself is written back unchanged; topic labels are built from redacted text.
    Returns a summary: rows, topics, unassigned share, seconds, and rows per second. A run
    manifest (config, model provenance, package versions, seed) is written to
    `<output>.manifest.json` so the run can be reproduced.
    `cache` (an EmbeddingCache) lets a caller reuse the vectors, as the insight benchmark does.
    """
    import pandas as pd

    from cfm.nlp.embedding import MemoryEmbeddingCache
    from cfm.nlp.steps import enrich_texts
    from cfm.nlp.topics.model import fit_topics

    cfg = nlp_config(config)
    started = time.perf_counter()
    input_path = Path(input_path)
    frame = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    if text_column not in frame.columns:
        raise MissingTextColumnError(
            f"{input_path}: no column {text_column!r} (columns: {', '.join(map(str, frame.columns)) or 'none'}); "
            "pass --text-column"
        )
    texts = frame[text_column].fillna("").astype(str).tolist()
    declared = frame["language"].tolist() if "language" in frame.columns else None
    stages = _progress(progress, len(texts))
    batch = enrich_texts(
        texts, declared_languages=declared, config=cfg, cache=cache if cache is not None else MemoryEmbeddingCache(), progress=progress
    )
    stages("text stages done")
    keys = [h + f"{i:09d}" for i, h in enumerate(batch.text_hash)]
    fit = fit_topics(batch.vectors, batch.text_redacted, keys, cfg)
    stages("topics done")

    out = frame.copy()
    out["language"] = batch.language
    out["sentiment"] = batch.sentiment_label
    out["sentiment_score"] = batch.sentiment_score
    out["category"] = batch.category
    out["feedback_type"] = batch.feedback_type
    # Topic ids in a CSV are 1-based in size order, like a fresh registry.
    out["topic_id"] = pd.array([int(t) + 1 if t >= 0 else None for t in fit.labels], dtype="Int64")
    out["topic_label"] = [fit.descriptions[t].label if t >= 0 else "" for t in fit.labels]
    Path(output_path).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(output_path, index=False)
    seconds = time.perf_counter() - started
    summary = {
        "rows": len(out),
        "topics": len(fit.centroids),
        "unassigned_share": round(fit.unassigned_share, 4),
        "embedded": batch.embedded,
        "embedding_model": batch.embedding_model,
        "topic_selection": fit.selection,
        "seconds": round(seconds, 2),
        "rows_per_second": round(len(out) / seconds, 1) if seconds else None,
        "output": str(output_path),
    }
    from cfm.nlp.embedding import load_backend
    from cfm.nlp.provenance import run_manifest

    manifest = run_manifest(
        f"analyze:{input_path.name}", load_backend(cfg), cfg, counts=summary, topic_selection=fit.selection
    )
    manifest_path = Path(f"{output_path}.manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    summary["manifest"] = str(manifest_path)
    log.info("analyze_csv: %s", summary)
    return summary


def _progress(enabled: bool, total: int):
    if not enabled:
        return lambda msg: None
    from tqdm.auto import tqdm

    def note(msg: str) -> None:
        tqdm.write(f"{msg} ({total} rows)")

    return note


def summarise(summary: Mapping[str, Any]) -> str:
    """One-line human summary of `analyze_csv`'s result (for the CLI)."""
    return (
        f"{summary['rows']} rows, {summary['topics']} topics, {100 * summary['unassigned_share']:.1f}% unassigned, "
        f"{summary['seconds']}s -> {summary['output']}"
    )

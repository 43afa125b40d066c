"""Embed the sentiment dev sets once per model and keep the vectors (for bench/sentiment_routing.py).

    PYTHONPATH=plugins .venv/bin/python bench/sentiment_vectors.py [--models use-multilingual-v3 multilingual-e5-small]

Writes $CFM_SENTIMENT_CACHE (default /tmp/sentiment-cache)/<set>__<model>.npz with the texts,
labels and vectors: the SemEval training files in full, every other set as the seeded sample of
at most 500 rows that bench/insight_sentiment.py scores, and the project's seed sentences.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "plugins"))
sys.path.insert(0, str(HERE))

from insight_sentiment import DATASETS, TARGETS, TRAINED_ON, _sample  # noqa: E402

CACHE = Path(os.environ.get("CFM_SENTIMENT_CACHE", "/tmp/sentiment-cache"))
LIMIT = 500


def seed_frame() -> pd.DataFrame:
    from cfm.nlp.sentiment_lexicon import SEED_SENTENCES

    rows = [(s, label, lang) for lang, by_label in SEED_SENTENCES.items() for label, ss in by_label.items() for s in ss]
    return pd.DataFrame(rows, columns=["text", "label", "language"])


def frames(limit: int = LIMIT, train_limit: int | None = None) -> dict[str, pd.DataFrame]:
    """Training files and seed sentences first, then the sets with a target, then the rest."""
    out = {"seed_sentences": seed_frame()}
    paths = sorted((DATASETS / "sentiment").glob("*.csv"), key=lambda p: (p.stem not in TRAINED_ON,
                                                                          p.stem not in TARGETS, p.stem))
    for path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if path.stem in TRAINED_ON:
            out[path.stem if not train_limit else f"{path.stem}-{train_limit}"] = _sample(frame, train_limit)
        else:
            out[path.stem if limit == LIMIT else f"{path.stem}-{limit}"] = _sample(frame, limit)
    return out


def cache_path(name: str, model: str) -> Path:
    return CACHE / f"{name}__{model}.npz"


def load(name: str, model: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    with np.load(cache_path(name, model), allow_pickle=False) as z:
        return [str(t) for t in z["texts"]], z["labels"].astype(str), z["vectors"]


def vector_cache(folder: str | Path | None, *model_names: str):
    """An embedding cache prefilled with the vectors of `folder` for these models (none: empty)."""
    from cfm.nlp.embedding import MemoryEmbeddingCache, cache_model_name, text_hash

    cache = MemoryEmbeddingCache()
    for model in model_names:
        for path in sorted(Path(folder).glob(f"*__{model}.npz")) if folder else []:
            with np.load(path, allow_pickle=False) as z:
                pairs = zip(z["texts"], z["vectors"], strict=True)
                cache.put_many(cache_model_name(model), {text_hash(str(t)): v for t, v in pairs})
    return cache


def main() -> None:
    from cfm.nlp.embedding import create_backend

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["use-multilingual-v3", "multilingual-e5-small"])
    parser.add_argument("--limit", type=int, default=LIMIT, help="rows per set (files <set>-<N>__<model>.npz)")
    parser.add_argument("--train-limit", type=int, default=None, help="seeded sample of the training files")
    parser.add_argument("--sets", nargs="*", default=None, help="only sets whose name contains one of these")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    all_frames = {k: v for k, v in frames(args.limit, args.train_limit).items() if not args.sets or any(x in k for x in args.sets)}
    for model in args.models:
        backend = create_backend(model)
        for name, frame in all_frames.items():
            path = cache_path(name, model)
            if path.exists():
                continue
            t = time.perf_counter()
            vectors = backend.encode(frame["text"].tolist(), 64)
            seconds = time.perf_counter() - t
            np.savez_compressed(path, texts=np.array(frame["text"].tolist()), labels=np.array(frame["label"].tolist()),
                                vectors=vectors, seconds=seconds)
            print(f"{model} {name}: {len(frame)} texts, {len(frame) / seconds:.1f} texts/s", flush=True)


if __name__ == "__main__":
    main()

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


def frames(limit: int = LIMIT) -> dict[str, pd.DataFrame]:
    """Training files and seed sentences first, then the sets with a target, then the rest."""
    out = {"seed_sentences": seed_frame()}
    paths = sorted((DATASETS / "sentiment").glob("*.csv"), key=lambda p: (p.stem not in TRAINED_ON,
                                                                          p.stem not in TARGETS, p.stem))
    for path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        out[path.stem] = frame if path.stem in TRAINED_ON else _sample(frame, limit)
    return out


def cache_path(name: str, model: str) -> Path:
    return CACHE / f"{name}__{model}.npz"


def load(name: str, model: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    with np.load(cache_path(name, model), allow_pickle=False) as z:
        return [str(t) for t in z["texts"]], z["labels"].astype(str), z["vectors"]


def main() -> None:
    from cfm.nlp.embedding import create_backend

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["use-multilingual-v3", "multilingual-e5-small"])
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    all_frames = frames()
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

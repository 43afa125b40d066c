"""Train the shipped classifier heads (plugins/cfm/nlp/heads/*.npz), reproducibly.

    .venv/bin/python bench/train_insight_heads.py [--embedding-model use-multilingual-v3]

- sentiment: multinomial logistic regression on the SemEval 2017 tweet files in
  `../shared/datasets/sentiment/` (English and Arabic; the only permissively licensed
  sentiment files there, see its README), plus the project's own seed sentences
  (`cfm.nlp.sentiment_lexicon.SEED_SENTENCES`).
- feedback_type: the same model kind on `tests/data/feedback_types.csv` (written for this
  project in en/ar/zh). Its honest figure is the grouped cross-validation in
  `bench/insight_sentiment.py`; the shipped head is fitted on all of it.

Deterministic: fixed seed, lbfgs, texts in file order.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from cfm.nlp.classifier_head import ClassifierHead, head_path  # noqa: E402
from cfm.nlp.embedding import create_backend, embed_texts  # noqa: E402

DATASETS = Path(__import__("os").environ.get("CFM_DATASETS", ROOT.parent / "shared" / "datasets"))
SENTIMENT_TRAIN_FILES = ("sentiment/en_tweets_semeval.csv", "sentiment/ar_tweets_semeval.csv")
FEEDBACK_TYPES = ROOT / "tests" / "data" / "feedback_types.csv"
SEED = 42
SENTIMENT_C = 0.5
FEEDBACK_TYPE_C = 1.0
SEED_SENTENCE_WEIGHT = 10.0  # 84 review-style sentences beside 3,837 tweets
# Version of each shipped sentiment head (in its name, so enrichment rows record it). E5 v2: the
# full tweet files (v1 had a seeded 300 rows per file).
SENTIMENT_HEAD_VERSION = {"multilingual-e5-small-q4": "2"}


def fit_head(task, embedding_model, vectors, labels, *, C, sample_weight=None, meta=None,
             version: str = "1") -> ClassifierHead:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced", random_state=SEED)
    clf.fit(vectors, labels, sample_weight=sample_weight)
    return ClassifierHead(
        task=task,
        embedding_model=embedding_model,
        classes=tuple(str(c) for c in clf.classes_),
        weights=clf.coef_.astype(np.float32),
        bias=clf.intercept_.astype(np.float32),
        meta={"version": version, "C": C, "seed": SEED, **(meta or {})},
    )


def sentiment_training_set(with_seed_sentences: bool = True, limit: int | None = None):
    """Texts, labels and sample weights of the shipped sentiment head (`limit`: seeded sample per tweet file)."""
    texts, labels, weights = [], [], []
    for rel in SENTIMENT_TRAIN_FILES:
        path = DATASETS / rel
        if not path.exists():
            raise SystemExit(f"training file missing: {path} (set CFM_DATASETS to the datasets folder)")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if limit and len(frame) > limit:
            frame = frame.sample(n=limit, random_state=SEED).sort_index()
        texts += frame["text"].tolist()
        labels += frame["label"].tolist()
        weights += [1.0] * len(frame)
    if with_seed_sentences:
        from cfm.nlp.sentiment_lexicon import SEED_SENTENCES

        for by_label in SEED_SENTENCES.values():
            for label, sentences in by_label.items():
                texts += list(sentences)
                labels += [label] * len(sentences)
                weights += [SEED_SENTENCE_WEIGHT] * len(sentences)
    return texts, labels, weights


def train(embedding_model: str, with_seed_sentences: bool = True, vectors_from: str | None = None,
          limit: int | None = None, sentiment_only: bool = False) -> list[Path]:
    from sentiment_vectors import vector_cache

    backend = create_backend(embedding_model)
    cache = vector_cache(vectors_from, embedding_model)
    texts, labels, weights = sentiment_training_set(with_seed_sentences, limit)
    vectors = embed_texts(texts, backend=backend, cache=cache).vectors
    sentiment = fit_head(
        "sentiment", backend.name, vectors, labels, C=SENTIMENT_C, sample_weight=np.array(weights),
        meta={"trained_on": list(SENTIMENT_TRAIN_FILES) + (["SEED_SENTENCES"] if with_seed_sentences else []),
              "rows": len(texts), "rows_per_tweet_file": limit or "all", **backend.provenance()},
        version=SENTIMENT_HEAD_VERSION.get(backend.name, "1"),
    )
    if sentiment_only:
        return _write([sentiment])
    frame = pd.read_csv(FEEDBACK_TYPES, dtype=str, keep_default_na=False)
    ft = fit_head(
        "feedback_type", backend.name, embed_texts(frame["text"].tolist(), backend=backend, cache=cache).vectors, frame["feedback_type"].tolist(),
        C=FEEDBACK_TYPE_C, meta={"trained_on": ["tests/data/feedback_types.csv"], "rows": len(frame), **backend.provenance()},
    )
    return _write([sentiment, ft])


def _write(heads) -> list[Path]:
    written = []
    for head in heads:
        path = head_path(head.task, head.embedding_model)
        path.parent.mkdir(parents=True, exist_ok=True)
        head.save(path)
        written.append(path)
        print(f"wrote {path.relative_to(ROOT)} ({head.meta['rows']} rows, classes {', '.join(head.classes)})")
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedding-model", default="use-multilingual-v3")
    parser.add_argument("--no-seed-sentences", action="store_true")
    parser.add_argument("--vectors", default=None, help="folder of bench/sentiment_vectors.py output to reuse")
    parser.add_argument("--limit", type=int, default=None, help="seeded sample of N rows per tweet file")
    parser.add_argument("--sentiment-only", action="store_true", help="write the sentiment head only")
    args = parser.parse_args()
    train(args.embedding_model, with_seed_sentences=not args.no_seed_sentences, vectors_from=args.vectors,
          limit=args.limit, sentiment_only=args.sentiment_only)

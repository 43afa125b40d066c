"""Sentiment head variants on every dev set, beside the reference tools, from cached vectors.

    PYTHONPATH=plugins .venv/bin/python bench/sentiment_vectors.py     # embed once (slow for E5)
    PYTHONPATH=plugins .venv/bin/python bench/sentiment_variants.py    # -> bench/results/sentiment_variants.md

Every head is fitted with the shipped recipe (bench/train_insight_heads.py: the full SemEval en + ar
tweet files, the project's seed sentences at weight 10, C 0.5) on USE, E5 or both vectors
concatenated; the SemEval files are scored 5-fold out-of-fold (heads refitted without the held-out
fold) on the seeded 500-row sample bench/insight_sentiment.py scores, every other set on its 500-row
sample. Decisions go through `HeadSentimentModel` (configured lexicon weight; neutral weight as
named). Extra evidence from the reference tools' own models (VADER for English, snownlp for
Chinese) is added to P(positive) / P(negative) like the seed lexicon's (`with_evidence`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "plugins"))
sys.path.insert(0, str(HERE))

from insight_sentiment import SEED, TARGETS, TRAINED_ON, _sample, _scores, baselines  # noqa: E402
from sentiment_vectors import CACHE, cache_path, load  # noqa: E402
from train_insight_heads import SEED_SENTENCE_WEIGHT, SENTIMENT_C, fit_head  # noqa: E402

from cfm.nlp.sentiment import LABELS, HeadSentimentModel  # noqa: E402
from cfm.nlp.settings import nlp_config  # noqa: E402

USE, E5 = "use-multilingual-v3", "multilingual-e5-small"
MODELS = (USE, E5, "concat")
EVAL_SETS = ("ar_attractions", "ar_restaurants", "ar_souq_products", "ar_tweets_semeval", "en_airline_tweets",
             "en_imdb_sentences", "en_tweets_semeval", "zh_chnsenticorp_hotels", "zh_online_shopping", "zh_waimai")
NEUTRAL_WEIGHTS = (0.6, 0.4, 0.2)
EVIDENCE_WEIGHTS = (0.3, 0.6, 1.0)


def vectors(name: str, model: str) -> np.ndarray:
    if model == "concat":
        return np.hstack([load(name, USE)[2], load(name, E5)[2]]) / np.sqrt(2.0)
    return load(name, model)[2]


def training(model: str, exclude: set[str] = frozenset()):
    xs, ys, ws = [], [], []
    for name in (*TRAINED_ON, "seed_sentences"):
        texts, labels, _v = load(name, USE)
        keep = np.array([t not in exclude for t in texts])
        xs.append(vectors(name, model)[keep])
        ys += list(labels[keep])
        ws += [SEED_SENTENCE_WEIGHT if name == "seed_sentences" else 1.0] * int(keep.sum())
    return np.vstack(xs), np.array(ys), np.array(ws)


def head_model(model: str, cfg: dict, exclude: set[str] = frozenset()) -> HeadSentimentModel:
    x, y, w = training(model, exclude)
    head = fit_head("sentiment", model, x, y, C=SENTIMENT_C, sample_weight=w)
    return HeadSentimentModel(head, neutral_weight=cfg["sentiment_neutral_weight"],
                              lexicon_weight=cfg["sentiment_lexicon_weight"])


def scored_rows(name: str) -> np.ndarray:
    """Indices (into the cached file) of the seeded 500-row sample bench/insight_sentiment.py scores."""
    import pandas as pd

    texts, _y, _v = load(name, USE)
    frame = pd.DataFrame({"text": texts})
    return _sample(frame, 500).index.to_numpy()


def probs_for(name: str, model: str, cfg: dict, heads: dict) -> np.ndarray:
    """P(neg, neu, pos) with the seed lexicon's evidence; SemEval files out-of-fold."""
    from sklearn.model_selection import StratifiedKFold

    texts, y, _ = load(name, USE)
    lang = name.split("_", 1)[0]
    x = vectors(name, model)
    if name not in TRAINED_ON:
        m = heads[model]
        return m.with_lexicon(m.probabilities(x), texts, [lang] * len(texts))
    out = np.zeros((len(texts), 3))
    for _tr, te in StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y):
        m = head_model(model, cfg, exclude={texts[i] for i in te})
        out[te] = m.with_lexicon(m.probabilities(x[te]), [texts[i] for i in te], [lang] * len(te))
    return out


def tool_scores(name: str, texts: list[str]) -> np.ndarray | None:
    """VADER's compound (English) or snownlp's 2 P(positive) - 1 (Chinese) per text, cached in CACHE."""
    lang = name.split("_", 1)[0]
    if lang not in ("en", "zh"):
        return None
    path = CACHE / f"{name}__{'vader' if lang == 'en' else 'snownlp'}.npy"
    if path.exists():
        return np.load(path)
    if lang == "en":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        sia = SentimentIntensityAnalyzer()
        s = np.array([sia.polarity_scores(t)["compound"] for t in texts])
    else:
        from snownlp import SnowNLP

        s = np.array([2 * SnowNLP(t).sentiments - 1 if t.strip() else 0.0 for t in texts])
    np.save(path, s)
    return s


def with_evidence(probs: np.ndarray, score: np.ndarray, weight: float) -> np.ndarray:
    """Add weight * max(score, 0) to P(positive) and weight * max(-score, 0) to P(negative), renormalise."""
    p = probs.copy()
    p[:, 2] += weight * np.maximum(score, 0.0)
    p[:, 0] += weight * np.maximum(-score, 0.0)
    return p / p.sum(axis=1, keepdims=True)


def decide(probs: np.ndarray, neutral_weight: float) -> list[str]:
    return [LABELS[i] for i in (probs * np.array([1.0, neutral_weight, 1.0])).argmax(axis=1)]


def markdown(rows, seconds) -> str:
    cols = ("set", "rows", "method", "macro-F1", "accuracy", "neutral", "target")
    lines = ["# Sentiment head variants (bench/sentiment_variants.py)", "",
             "Rows per set: the seeded 500-row sample of bench/insight_sentiment.py. Heads: the shipped recipe on the "
             "full SemEval en + ar tweet files + the 84 seed sentences (weight 10), C 0.5; SemEval rows 5-fold "
             "out-of-fold. `nw`: neutral weight of the decision (0.6 is the default config). `+VADER w` / "
             "`+snownlp w`: that tool's score added to P(pos)/P(neg) with weight w. Sets without cached E5 vectors "
             "have USE rows only. Machine: 2 shared CPU cores.", "",
             "| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r.get(c)) for c in cols) + " |")
    return "\n".join(lines) + f"\n\nTotal run: {seconds:.0f} s (vectors read from the cache).\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "sentiment_variants"))
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    started = time.perf_counter()
    cfg = nlp_config({"seed": SEED})
    models = [m for m in args.models if all(cache_path(n, m if m != "concat" else E5).exists()
                                                for n in (*TRAINED_ON, "seed_sentences"))]
    heads = {m: head_model(m, cfg) for m in models}
    rows = []
    for name in EVAL_SETS:
        if not cache_path(name, USE).exists():
            continue
        texts, y, _ = load(name, USE)
        idx = scored_rows(name)
        ys, ts = y[idx], [texts[i] for i in idx]
        lang = name.split("_", 1)[0]
        base = {"set": name, "rows": len(idx), "target": TARGETS.get(name)}
        tool = tool_scores(name, texts)
        for model in models:
            if not cache_path(name, model if model != "concat" else E5).exists():
                continue
            p = probs_for(name, model, cfg, heads)[idx]
            label = {USE: "USE head", E5: "E5 head", "concat": "USE+E5 concatenated head"}[model]
            for nw in NEUTRAL_WEIGHTS:
                rows.append({**base, "method": f"{label}, nw {nw}", **_scores(ys, decide(p, nw))})
            if tool is not None:
                for w in EVIDENCE_WEIGHTS:
                    for nw in (0.6, 0.2):
                        got = decide(with_evidence(p, tool[idx], w), nw)
                        rows.append({**base, "method": f"{label} +{'VADER' if lang == 'en' else 'snownlp'} {w}, nw {nw}",
                                     **_scores(ys, got)})
        for method, fn in baselines().items():
            if tool is not None and method.startswith(("VADER", "snownlp")):  # same cut-offs, cached scores
                en = lang == "en"  # VADER: >= 0.05 / <= -0.05; snownlp: P(pos) > 0.6 / < 0.4
                pos, neg = (tool[idx] >= 0.05, tool[idx] <= -0.05) if en else (tool[idx] > 0.2, tool[idx] < -0.2)
                got = None if method.startswith("VADER") != en else \
                    ["positive" if a else "negative" if b else "neutral" for a, b in zip(pos, neg, strict=True)]
            else:
                got = fn(ts, lang)
            if got is not None:
                rows.append({**base, "method": method, **_scores(ys, got)})
        for r in rows:
            if r["set"] == name:
                print(f"{name:24s} {r['method']:50s} F1 {r['macro-F1']:.4f} acc {r['accuracy']:.3f} "
                      f"neu {r['neutral']:.3f}", flush=True)
    Path(args.out + ".json").write_text(json.dumps({"rows": rows}, indent=1))
    Path(args.out + ".md").write_text(markdown(rows, time.perf_counter() - started), encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()

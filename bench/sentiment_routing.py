"""Which embedding model (or mix) the sentiment head should run on: USE, E5, concatenation,
routing by language, or a USE -> E5 confidence cascade. Results: bench/results/sentiment_routing.md.

    PYTHONPATH=plugins .venv/bin/python bench/sentiment_vectors.py     # embed once (slow for E5)
    PYTHONPATH=plugins .venv/bin/python bench/sentiment_routing.py [--baselines]

Heads are fitted here with the shipped recipe (bench/train_insight_heads.py: SemEval en + ar
tweets, seed sentences at weight 10, C 0.5) on cached vectors; the SemEval files are scored
5-fold out-of-fold. Every decision goes through `HeadSentimentModel` with the configured
neutral weight and lexicon weight, and the cascade through `cfm.nlp.sentiment.cascade_probabilities`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "plugins"))
sys.path.insert(0, str(HERE))

from insight_sentiment import SEED, TARGETS, TRAINED_ON, _scores, baselines  # noqa: E402
from sentiment_vectors import cache_path, load  # noqa: E402
from train_insight_heads import SEED_SENTENCE_WEIGHT, SENTIMENT_C, fit_head  # noqa: E402

from cfm.nlp.sentiment import HeadSentimentModel, cascade_probabilities  # noqa: E402
from cfm.nlp.settings import nlp_config  # noqa: E402

USE, E5 = "use-multilingual-v3", "multilingual-e5-small"
EVAL_SETS = ("ar_attractions", "ar_restaurants", "ar_souq_products", "ar_tweets_semeval", "en_airline_tweets",
             "en_imdb_sentences", "en_tweets_semeval", "zh_chnsenticorp_hotels", "zh_online_shopping", "zh_waimai")
MARGINS = (0.2, 0.35, 0.5)


SUFFIX = {"eval": "", "train": ""}  # "-<N>" when run on smaller samples (--limit, --train-limit)


def _file(name: str) -> str:
    if name == "seed_sentences":
        return name
    return name + SUFFIX["train" if name in TRAINED_ON else "eval"]


def vectors(name: str, model: str) -> np.ndarray:
    if model == "concat":
        return np.hstack([load(_file(name), USE)[2], load(_file(name), E5)[2]]) / np.sqrt(2.0)
    return load(_file(name), model)[2]


def training(model: str, exclude: set[str] = frozenset()):
    xs, ys, ws = [], [], []
    for name in TRAINED_ON:
        texts, labels, _v = load(_file(name), USE)
        keep = np.array([t not in exclude for t in texts])
        xs.append(vectors(name, model)[keep])
        ys += list(labels[keep])
        ws += [1.0] * int(keep.sum())
    _, labels, _ = load("seed_sentences", USE)
    xs.append(vectors("seed_sentences", model))
    ys += list(labels)
    ws += [SEED_SENTENCE_WEIGHT] * len(labels)
    return np.vstack(xs), np.array(ys), np.array(ws)


def head_model(model: str, cfg: dict, exclude: set[str] = frozenset()) -> HeadSentimentModel:
    x, y, w = training(model, exclude)
    head = fit_head("sentiment", model, x, y, C=SENTIMENT_C, sample_weight=w)
    return HeadSentimentModel(head, neutral_weight=cfg["sentiment_neutral_weight"],
                              lexicon_weight=cfg["sentiment_lexicon_weight"])


def probs_for(name: str, model: str, cfg: dict, heads: dict, idx=None) -> np.ndarray:
    """P(neg, neu, pos) with lexicon evidence; SemEval files out-of-fold."""
    texts, y, _ = load(_file(name), USE)
    lang = name.split("_", 1)[0]
    x = vectors(name, model)
    out = np.zeros((len(texts), 3))
    if name in TRAINED_ON:
        from sklearn.model_selection import StratifiedKFold

        for _tr, te in StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y):
            m = head_model(model, cfg, exclude={texts[i] for i in te})
            out[te] = m.with_lexicon(m.probabilities(x[te]), [texts[i] for i in te], [lang] * len(te))
    else:
        m = heads[model]
        out = m.with_lexicon(m.probabilities(x), texts, [lang] * len(texts))
    return out


def markdown(rows, weak_rows, args) -> str:
    cols = ("set", "rows", "method", "macro-F1", "accuracy", "neutral", "target", "embed_s")
    lines = [
        "# Sentiment: USE, E5, both, routing and cascade (bench/sentiment_routing.py)", "",
        f"Scored rows per set: {args.limit or 500} (the seeded sample bench/insight_sentiment.py takes "
        f"with that --limit); heads trained on {args.train_limit or 'all'} rows per SemEval tweet file + the "
        "84 seed sentences (weight 10); SemEval rows are scored 5-fold out-of-fold. `embed_s`: seconds to embed "
        "the scored rows with the model(s) the method needs, on 2 shared CPU cores under heavy load (ratios "
        "matter, not the absolute figure). E5 share: texts the cascade sends to E5.", "",
        "| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r.get(c)) for c in cols) + " |")
    lines += ["", "Weak labels (half of the scored rows as ratings, scored on the other half), macro-F1 head alone / "
              "with the weak-label adapter:", "", "| set | USE | E5 | USE+E5 concatenated |", "| --- | --- | --- | --- |"]
    for w in weak_rows:
        lines.append(f"| {w['set']} | " + " | ".join(f"{w[m]['alone']['macro-F1']} / {w[m]['weak']['macro-F1']}"
                                                       for m in (USE, E5, "concat")) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baselines", action="store_true", help="also VADER / snownlp / pysenti on the same rows")
    parser.add_argument("--out", default=str(HERE / "results" / "sentiment_routing"))
    parser.add_argument("--limit", type=int, default=None, help="score the <set>-<N> samples")
    parser.add_argument("--train-limit", type=int, default=None, help="train on the <set>-<N> samples")
    args = parser.parse_args()
    SUFFIX.update(eval=f"-{args.limit}" if args.limit else "", train=f"-{args.train_limit}" if args.train_limit else "")
    cfg = nlp_config({"seed": SEED})
    decider = HeadSentimentModel.__new__(HeadSentimentModel)
    decider.neutral_weight = cfg["sentiment_neutral_weight"]

    def labels(p):
        return [s.label for s in HeadSentimentModel.decide(decider, p)]

    heads = {m: head_model(m, cfg) for m in (USE, E5, "concat")}
    train_suffix, SUFFIX["train"] = SUFFIX["train"], ""
    full_use = head_model(USE, cfg) if all(cache_path(n, USE).exists() for n in TRAINED_ON) else None
    SUFFIX["train"] = train_suffix
    rows, weak_rows = [], []
    for name in EVAL_SETS:
        if not all(cache_path(_file(name), m).exists() for m in (USE, E5)):
            continue
        texts, y, _ = load(_file(name), USE)
        lang = name.split("_", 1)[0]
        p = {m: probs_for(name, m, cfg, heads) for m in (USE, E5, "concat")}
        secs = {m: float(np.load(cache_path(_file(name), m))["seconds"]) for m in (USE, E5)}
        base = {"set": name, "rows": len(y), "target": TARGETS.get(name)}
        if full_use is not None and name not in TRAINED_ON:
            pf = full_use.with_lexicon(full_use.probabilities(vectors(name, USE)), texts, [lang] * len(texts))
            rows.append({**base, "method": "USE head trained on the full tweet files (shipped)", **_scores(y, labels(pf)),
                         "embed_s": round(secs[USE], 1)})
        rows.append({**base, "method": "USE head", **_scores(y, labels(p[USE])), "embed_s": round(secs[USE], 1)})
        rows.append({**base, "method": "E5 head", **_scores(y, labels(p[E5])), "embed_s": round(secs[E5], 1)})
        rows.append({**base, "method": "USE+E5 concatenated, one head", **_scores(y, labels(p["concat"])),
                     "embed_s": round(secs[USE] + secs[E5], 1)})
        rows.append({**base, "method": "USE and E5 heads averaged", **_scores(y, labels((p[USE] + p[E5]) / 2)),
                     "embed_s": round(secs[USE] + secs[E5], 1)})
        for margin in MARGINS:
            mixed, to_e5 = cascade_probabilities(p[USE], lambda idx, pe=p[E5]: pe[idx], margin, cfg["sentiment_neutral_weight"])
            share = float(to_e5.mean())
            rows.append({**base, "method": f"cascade USE -> E5 below margin {margin} (E5 share {share:.2f})",
                         **_scores(y, labels(mixed)), "embed_s": round(secs[USE] + share * secs[E5], 1)})
            avg, _ = cascade_probabilities(p[USE], lambda idx, pu=p[USE], pe=p[E5]: (pu[idx] + pe[idx]) / 2, margin,
                                           cfg["sentiment_neutral_weight"])
            rows.append({**base, "method": f"cascade USE -> mean(USE, E5) below margin {margin}",
                         **_scores(y, labels(avg)), "embed_s": round(secs[USE] + share * secs[E5], 1)})
        if args.baselines:
            for method, fn in baselines().items():
                t = time.perf_counter()
                got = fn(texts, lang)
                if got is not None:
                    rows.append({**base, "method": method, **_scores(y, got), "embed_s": round(time.perf_counter() - t, 1)})
        if name not in TRAINED_ON:
            order = np.random.default_rng(SEED).permutation(len(y))
            fit_idx, test_idx = order[: len(order) // 2], order[len(order) // 2:]
            w = {"set": name}
            for m in (USE, E5, "concat"):
                x = vectors(name, m)
                mdl = heads[m]
                alone = labels(mdl.with_lexicon(mdl.probabilities(x[test_idx]), [texts[i] for i in test_idx],
                                                [lang] * len(test_idx)))
                ad = head_model(m, cfg).adapt(x[fit_idx], list(y[fit_idx]))
                weak = labels(ad.with_lexicon(ad.probabilities(x[test_idx]), [texts[i] for i in test_idx],
                                              [lang] * len(test_idx)))
                w[m] = {"alone": _scores(y[test_idx], alone), "weak": _scores(y[test_idx], weak)}
            weak_rows.append(w)
        for r in rows:
            if r["set"] == name:
                print(f"{name:24s} {r['method']:55s} F1 {r['macro-F1']:.4f} acc {r['accuracy']:.3f} "
                      f"neu {r['neutral']:.3f} s {r['embed_s']}", flush=True)
    Path(args.out + ".json").write_text(json.dumps({"rows": rows, "weak_labels": weak_rows}, indent=1))
    Path(args.out + ".md").write_text(markdown(rows, weak_rows, args), encoding="utf-8")
    for w in weak_rows:
        print(w["set"], {m: (w[m]["alone"]["macro-F1"], w[m]["weak"]["macro-F1"]) for m in (USE, E5, "concat")})


if __name__ == "__main__":
    main()

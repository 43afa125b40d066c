"""Insight quality on the real labelled dev sets, beside the standard tools, in one run (`make bench-insight`).

Every dev set in ../shared/datasets/ (or $CFM_DATASETS) goes through `cfm.nlp.analyze.analyze_csv`,
the code path of `cfm analyze`. Baselines run in the same process on the same embeddings
(read back from the cache `analyze_csv` filled):

- topic sets: BERTopic 0.17 (UMAP + HDBSCAN) with and without `reduce_outliers`, in its own
  virtualenv ($BERTOPIC_PYTHON, default /tmp/bt/bin/python; see bench/README.md); KMeans with
  the true k; character n-gram TF-IDF + KMeans with the true k.
- sentiment sets: cfm's sentiment column scored by macro-F1 and accuracy. Reference rows for
  sentiment (VADER on English...) are added through `SENTIMENT_BASELINES` (name -> function of
  (texts, language) returning labels).

Also: readability problems in the topic labels (stopword edges, contradictory words,
keyword lists, Arabic normalised spelling, a label shared by two topics), and how the number of topics was chosen.
Results: bench/results/insight.md and insight.json. `--sets` limits the run (substring match).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import insight_sentiment  # bench/insight_sentiment.py: sentiment references and out-of-fold rows
import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    adjusted_rand_score,
    f1_score,
    normalized_mutual_info_score,
)

from cfm.nlp.analyze import analyze_csv
from cfm.nlp.embedding import MemoryEmbeddingCache, embed_texts
from cfm.nlp.redaction import redact
from cfm.nlp.settings import nlp_config
from cfm.nlp.topics.represent import _has_normalised_spelling, label_problems, script_language

HERE = Path(__file__).parent
DATASETS = Path(os.environ.get("CFM_DATASETS", HERE.parent.parent / "shared" / "datasets"))
BT_PYTHON = os.environ.get("BERTOPIC_PYTHON", "/tmp/bt/bin/python")
SEED = 42
COLUMNS = ("set", "method", "NMI", "ARI", "unassigned", "topics", "macro-F1", "accuracy", "seconds")

# Sentiment reference tools: name -> fn(texts, language) -> labels (negative/neutral/positive).
SENTIMENT_BASELINES: dict[str, Callable[[Sequence[str], str], list[str]]] = {}
SENTIMENT_BASELINES.update(insight_sentiment.baselines())  # VADER, snownlp, pysenti


def _row(set_name: str, method: str, **values) -> dict:
    return {"set": set_name, "method": method, **values}


def _topic_scores(y: np.ndarray, labels: np.ndarray) -> dict:
    labels = np.asarray(labels)
    return {
        "NMI": round(float(normalized_mutual_info_score(y, labels)), 4),
        "ARI": round(float(adjusted_rand_score(y, labels)), 4),
        "unassigned": round(float((labels < 0).mean()), 4),
        "topics": int(len(set(labels.tolist()) - {-1})),
    }


def _kmeans(x, k: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(x)


def _char_ngrams(texts: Sequence[str], k: int) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit_transform(texts)
    return _kmeans(x, k)


def _bertopic(vectors: np.ndarray, texts: Sequence[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/emb.npy", vectors)
        Path(f"{tmp}/texts.json").write_text(json.dumps(list(texts), ensure_ascii=False), encoding="utf-8")
        subprocess.run(
            [BT_PYTHON, str(HERE / "nlp_bertopic_run.py"), f"{tmp}/emb.npy", f"{tmp}/texts.json", f"{tmp}/bt.json", "10"],
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        return json.loads(Path(f"{tmp}/bt.json").read_text())


def _label_readability(descriptions: list[dict], members: dict[int, list[str]]) -> dict:
    problems: dict[str, int] = {}
    counts = Counter(d["label"].casefold() for d in descriptions)
    for d in descriptions:
        found = label_problems(d["label"], d["label_language"])
        if counts[d["label"].casefold()] > 1:
            found.append("label shared with another topic")
        if d["label_language"] == "ar" and _has_normalised_spelling(d["label"], members.get(d["topic_id"], [])):
            found.append("normalised spelling")
        for p in found:
            problems[p] = problems.get(p, 0) + 1
    return problems


def run_topic_set(path: Path, cfg: dict) -> tuple[list[dict], dict]:
    name = f"{path.parent.name}/{path.name}"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    y = frame["label"].to_numpy()
    k = len(set(y))
    cache = MemoryEmbeddingCache()
    with tempfile.TemporaryDirectory() as tmp:
        summary = analyze_csv(path, f"{tmp}/out.csv", config=cfg, progress=False, cache=cache)
        out = pd.read_csv(f"{tmp}/out.csv", dtype=str, keep_default_na=False)
    topic = np.array([int(t) if t else -1 for t in out["topic_id"]])
    rows = [_row(name, f"cfm analyze ({summary['embedding_model']})", **_topic_scores(y, topic), seconds=summary["seconds"])]
    redacted = [redact(t).text for t in frame["text"]]
    vectors = embed_texts(redacted, config=cfg, cache=cache).vectors
    t = time.perf_counter()
    rows.append(_row(name, "KMeans, true k", **_topic_scores(y, _kmeans(vectors, k)), seconds=round(time.perf_counter() - t, 2)))
    t = time.perf_counter()
    rows.append(
        _row(name, "char n-gram TF-IDF + KMeans, true k", **_topic_scores(y, _char_ngrams(redacted, k)),
             seconds=round(time.perf_counter() - t, 2))
    )
    try:
        bt = _bertopic(vectors, redacted)
        rows.append(_row(name, "BERTopic 0.17", **_topic_scores(y, np.array(bt["labels"])), seconds=round(bt["seconds"], 2)))
        for strategy in ("c-tf-idf", "embeddings"):
            rows.append(
                _row(name, f"BERTopic + reduce_outliers ({strategy})",
                     **_topic_scores(y, np.array(bt[f"labels_reduced_{strategy}"])),
                     seconds=round(bt[f"seconds_reduced_{strategy}"], 2))
            )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        rows.append(_row(name, f"BERTopic failed: {detail.strip().splitlines()[-1][:200] if detail else exc}"))
    labels = out.loc[topic >= 0, ["topic_id", "topic_label"]].drop_duplicates()
    members: dict[int, list[str]] = {}
    for tid, text in zip(topic, redacted, strict=True):
        if tid >= 0:
            members.setdefault(int(tid), []).append(text)
    descriptions = [
        {"topic_id": int(r.topic_id), "label": r.topic_label,
         "label_language": script_language(r.topic_label)}
        for r in labels.itertuples()
    ]
    extra = {
        "selection": summary.get("topic_selection"),
        "label_problems": _label_readability(descriptions, members),
        "labels": len(descriptions),
        "example_labels": sorted({d["label"] for d in descriptions})[:15],
    }
    return rows, extra


def run_sentiment_set(path: Path, cfg: dict) -> list[dict]:
    name = f"{path.parent.name}/{path.name}"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    y = frame["label"].to_numpy()
    classes = sorted(set(y))
    with tempfile.TemporaryDirectory() as tmp:
        summary = analyze_csv(path, f"{tmp}/out.csv", config=cfg, progress=False)
        pred = pd.read_csv(f"{tmp}/out.csv", dtype=str, keep_default_na=False)["sentiment"].to_numpy()

    def scored(method, labels, seconds):
        return _row(name, method, **{"macro-F1": round(float(f1_score(y, labels, labels=classes, average="macro")), 4),
                                     "accuracy": round(float(accuracy_score(y, labels)), 4)}, seconds=seconds)

    rows = [scored(f"cfm analyze ({summary['embedding_model']})", pred, summary["seconds"])]
    rows += insight_sentiment.extra_rows(path, cfg)  # out-of-fold rows for the head's training files
    language = path.name.split("_", 1)[0]
    for method, fn in SENTIMENT_BASELINES.items():
        t = time.perf_counter()
        labels = fn(frame["text"].tolist(), language)
        if labels is not None:
            rows.append(scored(method, np.asarray(labels), round(time.perf_counter() - t, 2)))
    return rows


def markdown(rows: list[dict]) -> list[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r.get(c)) for c in COLUMNS) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=None, help="only dev sets whose path contains one of these")
    parser.add_argument("--no-sentiment", action="store_true", help="topic sets only")
    parser.add_argument("--out", default=str(HERE / "results" / "insight"))
    args = parser.parse_args(argv)
    if not DATASETS.is_dir():
        print(f"skipped: no dev sets at {DATASETS} (set CFM_DATASETS)")
        return
    cfg = nlp_config({"seed": SEED})
    paths = sorted((DATASETS / "clustering").glob("*.csv"))
    if not args.no_sentiment:
        paths += sorted((DATASETS / "sentiment").glob("*.csv"))
    if args.sets:
        paths = [p for p in paths if any(s in str(p) for s in args.sets)]
    rows: list[dict] = []
    extras: dict[str, dict] = {}
    started = time.perf_counter()
    for path in paths:
        print(f"{path.parent.name}/{path.name} ...", file=sys.stderr, flush=True)
        if path.parent.name == "clustering":
            set_rows, extra = run_topic_set(path, cfg)
            extras[f"{path.parent.name}/{path.name}"] = extra
        else:
            set_rows = run_sentiment_set(path, cfg)
        rows += set_rows
        print("\n".join(markdown(set_rows)[2:]), file=sys.stderr, flush=True)
    lines = [
        "# Insight benchmark: the dev sets through `cfm analyze`, beside the standard tools",
        "",
        f"Data: {os.path.relpath(DATASETS, HERE.parent)} (real, human-labelled; see its README for origins and licences). "
        f"Embedding model: {cfg['embedding_model']}; every baseline of a set uses the same embeddings. "
        "Topic NMI/ARI count unassigned items as one cluster (-1). `seconds` is the whole `cfm analyze` "
        "run for cfm (every enrichment step), the clustering alone for baselines. Machine: 2 CPU cores "
        "shared with other engineers' jobs, so seconds are noisy.",
        "",
        *markdown(rows),
        "",
        "## Topics: how the number of topics was chosen, and label readability",
        "",
    ]
    for set_name, extra in extras.items():
        lines += [
            f"- {set_name}: {extra['selection']}",
            f"  - label readability problems: {extra['label_problems'] or 'none'} over {extra['labels']} labels",
            f"  - example labels: {', '.join(extra['example_labels'])}",
        ]
    lines += ["", f"Total run: {time.perf_counter() - started:.0f} s."]
    Path(args.out + ".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path(args.out + ".json").write_text(json.dumps({"rows": rows, "topics": extras}, indent=1, ensure_ascii=False))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

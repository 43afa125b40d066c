"""Topic label readability on the dev sets, with the true categories as topics.

For Banking77 (en, 77 intents), the Chinese shopping categories and two Arabic review sets (their
sentiment classes as topics), every category is handed to `describe_topics` as one topic (no
embedding or clustering, so the run is cheap and the labels depend only on the label code).
Counted per set: labels with a readability problem (`label_problems`: stopword at an edge,
contradictory words, keyword list, too long; Arabic: normalised spelling no member wrote), labels
shared by two or more topics, labels that are no phrase any member wrote, and the share of
multi-word labels (a phrase, not a lone word).

Run: PYTHONPATH=plugins python bench/topic_labels.py [--before before.json | out.json]
-> bench/results/topic_labels.md (+ .json). With out.json only that file is written; to compare
another checkout's label code, run `PYTHONPATH=<other>/plugins python bench/topic_labels.py before.json`
first, then this checkout's with `--before before.json` (a "before" column and counts).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from cfm.nlp.topics.represent import (
    _has_normalised_spelling,
    _words,
    describe_topics,
    label_problems,
    script_language,
)

HERE = Path(__file__).parent
DATASETS = Path(os.environ.get("CFM_DATASETS", HERE.parent.parent / "shared" / "datasets"))
SETS = (
    "clustering/banking77_train_sample.csv",
    "clustering/zh_online_shopping_categories.csv",
    "sentiment/ar_restaurants.csv",
    "sentiment/ar_souq_products.csv",
)


def label_set(name: str) -> dict:
    frame = pd.read_csv(DATASETS / name, dtype=str, keep_default_na=False)
    cats = sorted(set(frame["label"]))
    labels = np.array([cats.index(x) for x in frame["label"]])
    texts = frame["text"].tolist()
    vectors = np.zeros((len(texts), 2), np.float32)
    t = time.perf_counter()
    desc = describe_topics(texts, labels, vectors, {i: np.zeros(2, np.float32) for i in range(len(cats))})
    seconds = time.perf_counter() - t
    counts = Counter(d.label for d in desc.values())
    problems: Counter = Counter()
    multi = 0
    for topic, d in desc.items():
        problems.update(label_problems(d.label, d.label_language))
        members = [x for x, lab in zip(texts, labels, strict=True) if lab == topic]
        if d.label_language == "ar" and _has_normalised_spelling(d.label, members):
            problems["normalised Arabic spelling"] += 1
        sep = "，" if d.label_language == "zh" else ", "
        if not all(any(p.lower() in m.lower() for m in members) for p in d.label.split(sep) if "variant" not in p):
            problems["not a phrase from the members"] += 1
        multi += len(_words(d.label.split(sep)[0], d.label_language)) > 1
    return {
        "set": name,
        "topics": len(cats),
        "seconds": round(seconds, 2),
        "duplicate_labels": sum(c for c in counts.values() if c > 1),
        "multi_word_share": round(multi / max(len(desc), 1), 3),
        "problems": dict(problems),
        "labels": {cats[t]: d.label for t, d in sorted(desc.items())},
    }


def _rechecked(before: dict) -> dict:
    """The other checkout's labels judged by this checkout's `label_problems` (its checks may be weaker)."""
    return dict(Counter(p for lab in before["labels"].values() for p in label_problems(lab, script_language(lab))))


def main(*args: str) -> None:
    before_path = args[1] if args[:1] == ("--before",) else None
    out = None if before_path or not args else args[0]
    result = [label_set(name) for name in SETS if (DATASETS / name).exists()]
    before = {r["set"]: r for r in json.loads(Path(before_path).read_text(encoding="utf-8"))} if before_path else {}
    if out:
        Path(out).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        return
    from bench_results import write_results

    lines = [
        "# Topic labels on the dev sets (true categories as topics)",
        "",
        f"Load average {os.getloadavg()[0]:.2f} (shared machine). Multi-word: the label's first phrase has 2+ words.",
        *(["\"before\": the label code of another checkout (`--before`), run on the same sets."] if before else []),
        "",
    ]
    for r in result:
        b = before.get(r["set"])
        lines += [f"## {r['set']} ({r['topics']} topics, {r['seconds']} s)", ""]
        if b:
            lines += [
                f"- multi-word labels (first phrase of the label): {r['multi_word_share']:.0%}"
                f" (before: {b.get('multi_word_share', 0):.0%})",
                f"- labels shared by more than one topic: {r['duplicate_labels']} (before: {b['duplicate_labels']})",
                f"- readability problems: {r['problems'] or 'none'} (before: {b['problems'] or 'none'};"
                f" before's labels under this checkout's checks: {_rechecked(b) or 'none'})",
                "", "| category | label | before |", "| --- | --- | --- |",
                *(f"| {c} | {lab} | {b['labels'].get(c, '')} |" for c, lab in r["labels"].items()),
            ]
        else:
            lines += [
                f"- multi-word labels (first phrase of the label): {r['multi_word_share']:.0%}",
                f"- labels shared by more than one topic: {r['duplicate_labels']}",
                f"- readability problems: {r['problems'] or 'none'}",
                "", "| category | label |", "| --- | --- |",
                *(f"| {c} | {lab} |" for c, lab in r["labels"].items()),
            ]
        lines.append("")
    write_results("topic_labels", lines, result, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])

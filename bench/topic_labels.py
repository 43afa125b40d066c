"""Topic label readability on the clustering dev sets, with the true categories as topics.

For Banking77 (en, 77 intents) and the Chinese shopping categories, every category is handed to
`describe_topics` as one topic (no embedding or clustering, so the run is cheap and the labels
depend only on the label code). Counted per set: labels with a readability problem
(`label_problems`: stopword at an edge, contradictory words, keyword list), labels shared by two
or more topics, and labels that are no phrase any member wrote.

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

from cfm.nlp.topics.represent import describe_topics, label_problems

HERE = Path(__file__).parent
DATASETS = Path(os.environ.get("CFM_DATASETS", HERE.parent.parent / "shared" / "datasets"))
SETS = ("clustering/banking77_train_sample.csv", "clustering/zh_online_shopping_categories.csv")


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
    for topic, d in desc.items():
        problems.update(label_problems(d.label, d.label_language))
        members = [x for x, lab in zip(texts, labels, strict=True) if lab == topic]
        if not all(any(p.lower() in m.lower() for m in members) for p in d.label.split(", ")):
            problems["not a phrase from the members"] += 1
    return {
        "set": name,
        "topics": len(cats),
        "seconds": round(seconds, 2),
        "duplicate_labels": sum(c for c in counts.values() if c > 1),
        "problems": dict(problems),
        "labels": {cats[t]: d.label for t, d in sorted(desc.items())},
    }


def main(*args: str) -> None:
    before_path = args[1] if args[:1] == ("--before",) else None
    out = None if before_path or not args else args[0]
    result = [label_set(name) for name in SETS if (DATASETS / name).exists()]
    before = {r["set"]: r for r in json.loads(Path(before_path).read_text(encoding="utf-8"))} if before_path else {}
    if out:
        Path(out).write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        return
    from bench_results import write_results

    lines = ["# Topic labels on the clustering dev sets (true categories as topics)", ""]
    for r in result:
        b = before.get(r["set"])
        lines += [f"## {r['set']} ({r['topics']} topics, {r['seconds']} s)", ""]
        if b:
            lines += [
                f"- labels shared by more than one topic: {r['duplicate_labels']} (before: {b['duplicate_labels']})",
                f"- readability problems: {r['problems'] or 'none'} (before: {b['problems'] or 'none'})",
                "", "| category | label | before |", "| --- | --- | --- |",
                *(f"| {c} | {lab} | {b['labels'].get(c, '')} |" for c, lab in r["labels"].items()),
            ]
        else:
            lines += [
                f"- labels shared by more than one topic: {r['duplicate_labels']}",
                f"- readability problems: {r['problems'] or 'none'}",
                "", "| category | label |", "| --- | --- |",
                *(f"| {c} | {lab} |" for c, lab in r["labels"].items()),
            ]
        lines.append("")
    write_results("topic_labels", lines, result, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])

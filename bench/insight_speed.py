"""`cfm analyze` speed and peak memory with the default backend, as a ratio against plain encode, in one run.

N rows (default 20,000) of real dev-set text in English, Arabic and Chinese (../shared/datasets,
cycled with a varying reference so that nearly every text is unique). In one run, each in its own
child process (so peak RSS is that step's alone):

1. plain `encode` of the N texts with all-MiniLM-L6-v2 on torch: the floor of the previous default's
   `cfm analyze` (which embedded with it, then ran every other step on top);
2. `analyze_csv` (the `cfm analyze` code path) with the default config;
3. plain `encode` with the default model.

`cfm analyze` is not slower than before when (2) <= (1): the old analyze took at least (1).
Run: PYTHONPATH=plugins python bench/insight_speed.py [N] -> bench/results/insight_speed.md (+ .json)
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_results import write_results

HERE = Path(__file__).parent
DATASETS = Path(os.environ.get("CFM_DATASETS", HERE.parent.parent / "shared" / "datasets"))
SOURCES = ("clustering/banking77_train_sample.csv", "clustering/zh_online_shopping_categories.csv",
           "sentiment/ar_restaurants.csv", "sentiment/en_airline_tweets.csv", "sentiment/zh_waimai.csv",
           "sentiment/ar_souq_products.csv")

CHILD = r"""
import json, resource, sys, time
mode, src = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if mode == "analyze":
    from cfm.nlp.analyze import analyze_csv
    summary = analyze_csv(src, src + ".out.csv", progress=False)
    extra = {"topics": summary["topics"], "unassigned_share": summary["unassigned_share"]}
else:
    import csv
    from cfm.nlp.embedding import create_backend
    texts = [r["text"] for r in csv.DictReader(open(src, encoding="utf-8"))]
    backend = create_backend(mode)
    backend.encode(texts, 64)
    extra = {}
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))
"""


def rows(n: int) -> list[str]:
    import pandas as pd

    pool = [t for name in SOURCES if (DATASETS / name).exists()
            for t in pd.read_csv(DATASETS / name, dtype=str, keep_default_na=False)["text"]]
    return [f"{pool[i % len(pool)]} (ref {i // len(pool)})" if i >= len(pool) else pool[i] for i in range(n)]


def child(mode: str, src: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(src)], check=True, capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(n: int = 20000) -> None:
    if not DATASETS.is_dir():
        print(f"skipped: no dev sets at {DATASETS}")
        return
    from cfm.nlp.settings import nlp_config

    tmp = Path(tempfile.mkdtemp())
    src = tmp / "feedback.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i, text in enumerate(rows(n)):
            w.writerow([i, text])
    default = nlp_config()["embedding_model"]
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    result = {"rows": n, "default_model": default, "load_average_start": round(load_start, 2)}
    result["encode_minilm"] = child("all-MiniLM-L6-v2", src)
    result["analyze_default"] = child("analyze", src)
    result["encode_default"] = child(default, src)
    ratio = result["analyze_default"]["seconds"] / result["encode_minilm"]["seconds"]
    result["ratio_analyze_vs_minilm_encode"] = round(ratio, 3)
    same = result["analyze_default"]["seconds"] / result["encode_default"]["seconds"]
    result["ratio_analyze_vs_default_encode"] = round(same, 3)
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    lines = [
        "# `cfm analyze` speed and memory (default backend), ratio against plain encode in one run",
        "",
        f"{n} rows of real dev-set text (en/ar/zh, {', '.join(SOURCES)}), each step in its own child process, "
        f"on a 2-core machine shared with other engineers' jobs (times are noisy; the ratio is what counts). "
        f"Run took {time.perf_counter() - started:.0f} s; load average {load_start:.1f} at the start, "
        f"{result['load_average_end']:.1f} at the end.",
        "",
        "| step | seconds | rows/s | peak RSS (MB) |",
        "| --- | --- | --- | --- |",
    ]
    for key, label in (("encode_minilm", "plain encode, all-MiniLM-L6-v2 (previous default; floor of its analyze)"),
                       ("analyze_default", f"cfm analyze, default config ({default}), every step"),
                       ("encode_default", f"plain encode, {default}")):
        r = result[key]
        lines.append(f"| {label} | {r['seconds']:.1f} | {n / r['seconds']:.0f} | {r['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"- analyze (default) / plain MiniLM encode = **{ratio:.2f}** (<= 1 means `cfm analyze` is faster than "
        "the previous default's embedding step alone, so faster than its whole analyze; today's figure was 249 s)",
        f"- analyze (default) / plain encode with the same default backend = **{same:.2f}** (the cost of every "
        "step beyond embedding; target <= 1.5)",
        f"- analyze topics: {result['analyze_default'].get('topics')}, unassigned share "
        f"{result['analyze_default'].get('unassigned_share')}",
        f"- peak memory of analyze: {result['analyze_default']['peak_rss_mb']:.0f} MB (target < 2048 MB)",
    ]
    write_results("insight_speed", lines, result)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))

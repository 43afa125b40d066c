"""analyze_csv on 20,000 rows (2-core machine): wall time, throughput, peak memory.

Rows are the labelled topic texts repeated with a varying order reference and PII, so most
texts are unique (nothing is served from the in-memory cache by accident).
Run: PYTHONPATH=plugins python bench/nlp_analyze.py [N]  -> bench/results/analyze.md (+ .json)
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sys
import tempfile
from pathlib import Path

from bench_results import write_results

from cfm.nlp.analyze import analyze_csv

HERE = Path(__file__).parent


def main(n: int = 20000) -> None:
    rows = [json.loads(line) for line in open(HERE / "data/topics_labelled.jsonl", encoding="utf-8")]
    tmp = Path(tempfile.mkdtemp())
    src, dst = tmp / "feedback.csv", tmp / "out.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "channel"])
        for i in range(n):
            r = rows[i % len(rows)]
            suffix = f" (ref {i * 7919 % 100000})" if i >= len(rows) else ""
            if i % 25 == 0:
                suffix += f" mail me at user{i}@example.com"
            w.writerow([f"r{i}", r["text"] + suffix, "survey"])
    summary = analyze_csv(src, dst, text_column="text", progress=True)
    summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    summary["cpus"] = os.cpu_count()
    with open(dst, encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    summary["output_columns"] = header
    lines = [
        "# analyze_csv on a 2-core machine",
        "",
        f"{summary['rows']} rows (bench/data/topics_labelled.jsonl texts with a varying reference suffix and "
        f"an e-mail in 1 of 25 rows), torch backend, all-MiniLM-L6-v2, {summary['cpus']} CPUs.",
        "",
        f"- wall time: {summary['seconds']} s ({summary['rows_per_second']} rows/s), including model load",
        f"- texts embedded: {summary['embedded']}",
        f"- topics: {summary['topics']}, unassigned share: {summary['unassigned_share']}",
        f"- peak RSS: {summary['peak_rss_mb']} MB",
        f"- output columns: {', '.join(header)}",
    ]
    write_results("analyze", lines, summary)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)

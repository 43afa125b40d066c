"""Label step speed, two checkouts' code: `describe_topics` on `cfm analyze`-like rows, interleaved runs.

The whole `cfm analyze` A/B (bench/analyze_before_after.py) is too noisy on the shared machine to
see a step of a few seconds, so this times the step labels live in: `describe_topics` on N rows of
bench/insight_speed.py (en/ar/zh dev-set texts) split into 40 topics, once per fit as in analyze.
Each checkout runs in its own child process (jieba loaded before timing), alternately, `repeats`
times; the minimum is reported and the ratio after/before.

Run: python bench/topic_labels_speed.py N BEFORE_PLUGINS AFTER_PLUGINS [repeats]
-> bench/results/topic_labels_speed.md (+ .json)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
import insight_speed
from cfm.nlp.keywords import segment
from cfm.nlp.topics.represent import describe_topics
texts = insight_speed.rows(int(sys.argv[1]))
segment("预热")  # jieba's dictionary load is not the label step
rng = np.random.default_rng(0)
labels = np.arange(len(texts)) % 40
vectors = rng.normal(size=(len(texts), 64)).astype(np.float32)
cents = {t: vectors[labels == t].mean(axis=0) for t in range(40)}
t = time.perf_counter()
describe_topics(texts, labels, vectors, cents)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def main(n: int, before: str, after: str, repeats: int = 3) -> None:
    runs: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(repeats):
        for name, plugins in (("before", before), ("after", after)):
            env = {**os.environ, "PYTHONPATH": plugins}
            res = subprocess.run([sys.executable, "-c", CHILD, str(n), str(Path(__file__).parent)],
                                 check=True, capture_output=True, text=True, env=env)
            runs[name].append(json.loads(res.stdout.strip().splitlines()[-1])["seconds"])
            print(name, round(runs[name][-1], 2), "load", os.getloadavg()[0], flush=True)
    best = {k: min(v) for k, v in runs.items()}
    result = {"rows": n, "topics": 40, "runs": runs, "min": best, "ratio_after_vs_before": round(best["after"] / best["before"], 3),
              "load_average": round(os.getloadavg()[0], 2)}
    from bench_results import write_results

    write_results("topic_labels_speed", [
        "# Label step speed (describe_topics once per fit), before vs after in one run",
        "",
        f"{n} rows of bench/insight_speed.py (en/ar/zh), 40 topics, {repeats} interleaved runs per checkout, "
        f"load average {result['load_average']} (shared machine: minimums compared).",
        "",
        "| code | min seconds | runs |", "| --- | --- | --- |",
        *(f"| {k} | {best[k]:.2f} | {', '.join(f'{x:.2f}' for x in runs[k])} |" for k in ("before", "after")),
        "",
        f"ratio after/before: {result['ratio_after_vs_before']}",
    ], result)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], *(int(x) for x in sys.argv[4:5]))

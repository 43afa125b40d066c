"""`cfm analyze` beyond embedding, two checkouts' code in one run (each in its own child process).

Rows as bench/insight_speed.py; the embedding cache is pre-filled with vectors of 40 synthetic
clusters, so only the steps after embedding are timed (redaction, language, sentiment, categories,
topics). Run: python bench/analyze_before_after.py N BEFORE_PLUGINS AFTER_PLUGINS
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import csv, json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[3])
import insight_speed
from cfm.nlp.analyze import analyze_csv
from cfm.nlp.embedding import MemoryEmbeddingCache, text_hash
from cfm.nlp.redaction import redact
from cfm.nlp.settings import nlp_config
n, src = int(sys.argv[1]), sys.argv[2]
texts = insight_speed.rows(n)
with open(src, "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh); w.writerow(["id", "text"])
    for i, t in enumerate(texts): w.writerow([i, t])
rng = np.random.default_rng(0)
centres = rng.normal(size=(40, 512)).astype(np.float32)
cache = MemoryEmbeddingCache()
vecs = {}
for i, t in enumerate(texts):
    v = centres[i % 40] + 0.8 * rng.normal(size=512).astype(np.float32)
    vecs[text_hash(redact(t).text)] = v / np.linalg.norm(v)
cache.put_many(nlp_config()["embedding_model"], vecs)
t = time.perf_counter()
summary = analyze_csv(src, src + ".out.csv", progress=False, cache=cache)
print(json.dumps({"seconds": time.perf_counter() - t, "topics": summary["topics"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(n: int, before: str, after: str) -> None:
    out = {}
    for name, plugins in (("before", before), ("after", after)):
        env = {**os.environ, "PYTHONPATH": plugins, "HF_HUB_OFFLINE": "1"}
        res = subprocess.run([sys.executable, "-c", CHILD, str(n), f"/tmp/analyze_ab_{name}.csv", str(Path(__file__).parent)],
                             check=True, capture_output=True, text=True, env=env)
        out[name] = json.loads(res.stdout.strip().splitlines()[-1])
        print(name, out[name], "load", os.getloadavg()[0], flush=True)
    print(json.dumps({"rows": n, **out, "ratio_after_vs_before": round(out["after"]["seconds"] / out["before"]["seconds"], 3)}))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])

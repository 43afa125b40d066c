"""The pipeline's embedding step (`embed_texts` with the warehouse cache) against plain `encode`, same texts, same run.

    PYTHONPATH=plugins .venv/bin/python bench/embedding_step_overhead.py --rows 8000 --rounds 3 [--baseline main]

Texts come from bench/scale.py's generator, redacted as the pipeline does. Each round times, in turn:
plain `backend.encode` of the distinct texts in chunks of 2,048 (bench/scale.py's `embed_baseline`), then
`embed_texts` of all the texts (duplicates included) with a `PostgresEmbeddingCache` on an emptied
ml.embeddings of a scratch database, as a batch's embedding step runs; with `--baseline REV`, also REV's
`embed_texts` and cache (bench/baseline_tree.py), each in a process of its own. Inside `embed_texts` the
backend's `encode` is timed too, so "beside encode" is what the step spends on anything else (hashing,
cache reads and writes, sorting, stacking). Wall and CPU seconds (this process's; the PostgreSQL
server's work shows in wall time only). One thread (`nlp.threads: 1`), as in the workers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_results import add_section_on_top  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import psycopg
from threadpoolctl import threadpool_limits
from cfm.nlp.embedding import embed_texts, load_backend
from cfm.nlp.embedding_cache import PostgresEmbeddingCache
from cfm.nlp.settings import nlp_config

texts = json.load(open(sys.argv[3], encoding="utf-8"))
cfg = nlp_config({"threads": 1})
backend = load_backend(cfg)
backend.encode(["warm up"], 8)


class Timed:
    def __init__(self, inner):
        self.inner, self.name, self.dim, self.seconds = inner, inner.name, inner.dim, 0.0

    def encode(self, xs, batch_size):
        t = time.perf_counter()
        try:
            return self.inner.encode(xs, batch_size)
        finally:
            self.seconds += time.perf_counter() - t


out = {}
with threadpool_limits(1), psycopg.connect(sys.argv[2]) as conn:
    if sys.argv[4] == "encode":
        distinct = list(dict.fromkeys(texts))
        w, c = time.perf_counter(), time.process_time()
        for start in range(0, len(distinct), 2048):
            backend.encode(distinct[start:start + 2048], int(cfg["batch_size"]))
        out = {"wall": time.perf_counter() - w, "cpu": time.process_time() - c, "encode": time.perf_counter() - w}
    else:
        conn.execute("TRUNCATE ml.embeddings")
        conn.commit()
        timed = Timed(backend)
        w, c = time.perf_counter(), time.process_time()
        got = embed_texts(texts, config=cfg, cache=PostgresEmbeddingCache(conn, commit_chunks=True), backend=timed)
        out = {"wall": time.perf_counter() - w, "cpu": time.process_time() - c, "encode": timed.seconds,
               "embedded": got.embedded}
print(json.dumps(out))
"""


def _texts(rows: int) -> list[str]:
    import scale  # noqa: F401  (sets sys.path and the offline environment)

    from cfm.nlp.redaction import redact_many

    with tempfile.TemporaryDirectory() as d:
        scale.generate(Path(d), rows)
        texts: list[str] = []
        for f in sorted(Path(d).iterdir()):
            with f.open(encoding="utf-8") as fh:
                records = csv.DictReader(fh) if f.suffix == ".csv" else (json.loads(line) for line in fh)
                texts += [str(r["text"]) for r in records if r.get("text")]
    return [r.text for r in redact_many(texts[:rows])]


def main() -> None:
    import psycopg

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=8_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", default="", help="git revision whose embed_texts and cache to time as well")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "embedding_step_overhead.md"))
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "plugins"))
    from baseline_tree import export_plugins

    from cfm.nlp.ml_schema import ensure_ml_schema

    texts = _texts(args.rows)
    db = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    url = args.url.rsplit("/", 1)[0] + f"/{db}"
    runs: dict[str, list[dict]] = {}
    loads = [os.getloadavg()[0]]
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    try:
        with psycopg.connect(url) as conn:
            ensure_ml_schema(conn)
            conn.commit()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "texts.json"
            path.write_text(json.dumps(texts), encoding="utf-8")
            variants = [("plain encode", ROOT / "plugins", "encode"), ("embed_texts, this tree", ROOT / "plugins", "step")]
            if args.baseline:
                variants.append((f"embed_texts, {args.baseline}", export_plugins(args.baseline, Path(tmp) / "old"), "step"))
            for _ in range(args.rounds):
                for label, plugins, kind in variants:
                    env = {**os.environ, "PYTHONPATH": str(plugins)}
                    res = subprocess.run([sys.executable, "-c", CHILD, str(plugins), url, str(path), kind], env=env,
                                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
                    runs.setdefault(label, []).append(json.loads(res.strip().splitlines()[-1]))
                    loads.append(os.getloadavg()[0])
                    print(label, runs[label][-1], flush=True)
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')
    write_section(args, texts, runs, loads)


def write_section(args: argparse.Namespace, texts: list[str], runs: dict[str, list[dict]], loads: list[float]) -> None:
    enc = runs["plain encode"]
    lines = [
        f"## Embedding step against plain encode ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`bench/embedding_step_overhead.py --rows {args.rows} --rounds {args.rounds}"
        + (f" --baseline {args.baseline}" if args.baseline else "") + f"`: {len(texts):,} redacted texts, "
        f"{len(set(texts)):,} distinct; one thread; rounds alternate the variants, each in a process of its own. "
        f"Load average (1 min) {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores.", "",
        "| variant | round | wall s | CPU s | in encode s | beside encode s | wall / plain encode wall (same round) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, rs in runs.items():
        for k, r in enumerate(rs):
            lines.append(f"| {label} | {k + 1} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['encode']:.2f} | "
                         f"{r['wall'] - r['encode']:.2f} | {r['wall'] / enc[k]['wall']:.3f} |")
    add_section_on_top(Path(args.out), lines, "# Embedding step overhead")


if __name__ == "__main__":
    main()

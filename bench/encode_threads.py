"""USE encode with 1 vs 2 BLAS threads in one process, and 2 one-thread processes at once, same run.

    PYTHONPATH=plugins .venv/bin/python bench/encode_threads.py [--texts 5000] [--rounds 2]

Texts come from bench/scale.py's generator (the sample generator's sentences plus up to two more).
Each round times, in turn: one process with 1 thread, one process with 2 threads (threadpoolctl
around the default backend), then two spawned processes with 1 thread each encoding half the
texts at once (what `enrich.workers: 2` does). Prints texts/s of each; the ratio tells whether
enrichment should run one process per core.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))


def _texts(n: int) -> list[str]:
    import csv
    import json

    import scale

    with tempfile.TemporaryDirectory() as d:
        scale.generate(Path(d), n)
        texts: list[str] = []
        for f in sorted(Path(d).iterdir()):
            with f.open(encoding="utf-8") as fh:
                rows = csv.DictReader(fh) if f.suffix == ".csv" else (json.loads(line) for line in fh)
                texts += [str(r["text"]) for r in rows if r.get("text")]
    return texts[:n]


def _encode(texts: list[str], threads: int) -> float:
    """Seconds to encode `texts` with the default backend limited to `threads` BLAS threads."""
    from threadpoolctl import threadpool_limits

    from cfm.nlp.embedding import load_backend
    from cfm.nlp.settings import nlp_config

    cfg = nlp_config({"threads": threads})
    backend = load_backend(cfg)
    backend.encode(texts[:8], int(cfg["batch_size"]))  # warm up
    with threadpool_limits(limits=threads):
        t = time.perf_counter()
        backend.encode(texts, int(cfg["batch_size"]))
        return time.perf_counter() - t


def _worker(texts: list[str], start: multiprocessing.Event, out: multiprocessing.Queue) -> None:
    from cfm.nlp.embedding import load_backend
    from cfm.nlp.settings import nlp_config

    load_backend(nlp_config({"threads": 1})).encode(texts[:8], 64)
    out.put("ready")
    start.wait()
    out.put(_encode(texts, 1))


def _two_processes(texts: list[str]) -> float:
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    half = len(texts) // 2
    procs = [ctx.Process(target=_worker, args=(part, start, out)) for part in (texts[:half], texts[half:])]
    for p in procs:
        p.start()
    for _ in procs:
        out.get()
    t = time.perf_counter()
    start.set()
    for _ in procs:
        out.get()
    wall = time.perf_counter() - t
    for p in procs:
        p.join()
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    texts = _texts(args.texts)
    print(f"{len(texts)} texts, {os.cpu_count()} cores, load {os.getloadavg()}", flush=True)
    for r in range(args.rounds):
        one, two, procs = _encode(texts, 1), _encode(texts, 2), _two_processes(texts)
        print(f"round {r + 1}: 1 thread {len(texts) / one:,.0f} texts/s; 2 threads {len(texts) / two:,.0f} texts/s "
              f"({one / two:.2f}x); 2 processes x 1 thread {len(texts) / procs:,.0f} texts/s ({one / procs:.2f}x); "
              f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()

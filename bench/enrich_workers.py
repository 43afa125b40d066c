"""Enrichment in 1 vs N worker processes against the plain encode, all in the same run.

    PYTHONPATH=plugins .venv/bin/python bench/enrich_workers.py --rows 20000 [--workers 2]

bench/scale.py's generated records are landed, staged and validated once; the database is then
copied (template) so each enrichment starts from the same backlog. In this order, each stage in a
process of its own (scale.run_stage): the encode baseline, enrichment with 1 worker, enrichment
with N workers, the encode baseline again (the machine is shared: the two baselines bracket the
load). Writes bench/results/enrich_workers.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402  (sets up sys.path and the bench environment)


def _clone(admin: str, source: str) -> str:
    import psycopg

    name = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{source}"')
    return name


def main() -> None:
    import psycopg

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "enrich_workers.md"))
    args = ap.parse_args()

    base = args.url.rsplit("/", 1)[0]
    dbs = [f"cfm_bench_{uuid.uuid4().hex[:8]}"]
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f'create database "{dbs[0]}"')
    loads = [os.getloadavg()[0]]
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    try:
        from cfm.pipeline.prepare import prepare_warehouse

        with psycopg.connect(f"{base}/{dbs[0]}") as conn:
            prepare_warehouse(conn)
        with tempfile.TemporaryDirectory() as drop:
            scale.generate(Path(drop), args.rows)
            for name in ("landing", "staging", "validation"):
                scale.run_stage(name, f"{base}/{dbs[0]}", drop)
            dbs += [_clone(args.url, dbs[0]), _clone(args.url, dbs[0])]
            m = {"encode": scale.run_stage("embed_baseline", f"{base}/{dbs[0]}", drop)}
            loads.append(os.getloadavg()[0])
            m["1 worker"] = scale.run_stage("enrichment", f"{base}/{dbs[1]}", drop, workers=1)
            loads.append(os.getloadavg()[0])
            m[f"{args.workers} workers"] = scale.run_stage("enrichment", f"{base}/{dbs[2]}", drop, workers=args.workers)
            loads.append(os.getloadavg()[0])
            m["encode again"] = scale.run_stage("embed_baseline", f"{base}/{dbs[0]}", drop)
            loads.append(os.getloadavg()[0])
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            for db in dbs:
                conn.execute(f'drop database if exists "{db}" with (force)')

    encode = min(m["encode"]["seconds"], m["encode again"]["seconds"])
    lines = [
        "# Enrichment in worker processes",
        "",
        f"`bench/enrich_workers.py --rows {args.rows} --workers {args.workers}` ({started} UTC, {os.cpu_count()} cores; "
        f"load average {', '.join(f'{x:.1f}' for x in loads)} before/between the stages). Same validated backlog "
        "(database copies) for both enrichments; each stage in a process of its own; workers' models loaded before "
        "the clock (as the baseline's). Ratios are to the faster of the two encode baselines of this run.",
        "",
        "| stage | records | seconds | / encode | peak RSS MB (summed over workers) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, s in m.items():
        lines.append(f"| {name} | {s['records']:,} | {s['seconds']:.1f} | {s['seconds'] / encode:.2f} | {s['peak_mb']:,.0f} |")
    one, many = m["1 worker"]["seconds"], m[f"{args.workers} workers"]["seconds"]
    lines += ["", f"{args.workers} workers: {one / many:.2f}x as fast as 1 worker."]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

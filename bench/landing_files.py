"""Landing from files against a COPY of the same records, as bench/scale.py measures it, in one run.

    PYTHONPATH=plugins .venv/bin/python bench/landing_files.py --rows 100000 [--repeat 3] [--before DIR]

The drop is generated once by bench/scale.py's generator. Each repeat, in fresh databases: scale's
`stage_copy_baseline` (records prepared beforehand, only the COPY timed) and `stage_landing` (the file
drop synced end to end: parse, tombstones, upsert into raw, rejects, cursor), each in a process of its
own. `--before DIR` also lands with the `plugins` folder DIR (e.g. a checkout of main), in the same
repeats, so before and after share the machine's load. Medians of the repeats; prints a markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (it puts plugins/ on the path)


def _child(name: str, url: str, drop: str, plugins: str | None, out: Any) -> None:
    if plugins:
        sys.path.insert(0, plugins)
    out.put(getattr(scale, f"stage_{name}")(url, drop))


def _stage(name: str, url: str, drop: str, plugins: str | None = None) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, url, drop, plugins, out))
    proc.start()
    result = out.get()
    proc.join()
    if proc.exitcode:
        raise RuntimeError(f"stage {name} failed (exit {proc.exitcode})")
    return result


@contextmanager
def _database(admin: str):
    import psycopg

    from cfm.pipeline.prepare import prepare_warehouse

    db = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    url = admin.rsplit("/", 1)[0] + f"/{db}"
    try:
        with psycopg.connect(url) as conn:
            prepare_warehouse(conn)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", help="a plugins folder holding the code to compare with (landing only)")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()
    load_start = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"copy_baseline": [], "landing": [], "before": []}
    with tempfile.TemporaryDirectory() as drop:
        scale.generate(Path(drop), args.rows)
        for _ in range(args.repeat):
            with _database(args.url) as url:
                runs["copy_baseline"].append(_stage("copy_baseline", url, drop))
                runs["landing"].append(_stage("landing", url, drop))
            if args.before:
                with _database(args.url) as url:
                    runs["before"].append(_stage("landing", url, drop, str(Path(args.before).resolve())))
            print({k: [round(r["seconds"], 2) for r in v] for k, v in runs.items()}, flush=True)
    load_end = os.getloadavg()

    def row(label: str, name: str) -> str:
        got = runs[name]
        secs = statistics.median(r["seconds"] for r in got)
        ratio = statistics.median(r["seconds"] for r in runs["copy_baseline"]) / secs
        return (f"| {label} | {got[0]['records']:,} | {secs:.2f} | {got[0]['records'] / secs:,.0f} | {ratio:.2f}x "
                f"| {max(r['peak_mb'] for r in got):,.0f} |")

    lines = [f"`bench/landing_files.py --rows {args.rows} --repeat {args.repeat}` "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), medians:", "",
             "| stage | records | seconds | records/s | / COPY (records/s) | peak RSS MB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |",
             row("baseline: COPY of the same records (prepared beforehand)", "copy_baseline"),
             row("landing (this code)", "landing")]
    if runs["before"]:
        lines.append(row(f"landing (before: {args.before})", "before"))
    lines += ["", "Load average at the start: " + " ".join(f"{x:.1f}" for x in load_start)
              + "; at the end: " + " ".join(f"{x:.1f}" for x in load_end) + f" ({os.cpu_count()} cores)."]
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Aspects and categories, old code against new, on the same records in one run.

    PYTHONPATH=plugins .venv/bin/python bench/aspects_categories_ab.py --rows 20000 [--baseline-rev main]

Generates records as bench/scale.py does and lands, stages and validates them once; then two
copies of that database are enriched, each in a process of its own: one with the plugins of
`--baseline-rev` (from `git archive`), one with this tree's. Prints the step timers of both and
their ratio, checks that both wrote the same ml.aspect_sentiment rows and the same categories,
and appends a section to bench/results/enrichment_overhead.md.
"""

from __future__ import annotations

import argparse
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

import scale  # noqa: E402  (sets sys.path and the offline environment)
from baseline_tree import export_plugins  # noqa: E402

STEPS = ("aspects", "categories")
CHILD = """
import json, sys
sys.path.insert(0, {bench!r})
import scale
sys.path.insert(0, {plugins!r})
import cfm
assert cfm.__file__.startswith({plugins!r}), cfm.__file__
print("RESULT " + json.dumps(scale.stage_enrichment({url!r}, "")))
"""
ASPECTS = ("SELECT feedback_id, topic_id, clause_count, clauses, sentiment_label, sentiment_score, sentiment_model "
           "FROM ml.aspect_sentiment ORDER BY feedback_id, topic_id")
CATEGORIES = "SELECT feedback_id, category, categories, department FROM ml.feedback_enrichment ORDER BY feedback_id"


def _enrich(url: str, plugins: Path) -> dict:
    code = CHILD.format(bench=str(ROOT / "bench"), plugins=str(plugins), url=url)
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])


def _rows(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def main() -> None:
    import psycopg

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--baseline-rev", default="main")
    ap.add_argument("--new-first", action="store_true", help="enrich with this tree's code first")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "enrichment_overhead.md"))
    args = ap.parse_args()

    tag = uuid.uuid4().hex[:8]
    dbs = {name: f"cfm_bench_{tag}_{name}" for name in ("base", "old", "new")}
    server = args.url.rsplit("/", 1)[0]
    load = os.getloadavg()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            scale.validated_database(args.url, dbs["base"], args.rows, Path(tmp))
            with psycopg.connect(args.url, autocommit=True) as conn:
                for name in ("old", "new"):
                    conn.execute(f'create database "{dbs[name]}" template "{dbs["base"]}"')
            old_plugins = export_plugins(args.baseline_rev, Path(tmp) / "baseline")
            plugins = {"old": old_plugins, "new": ROOT / "plugins"}
            results = {side: _enrich(f"{server}/{dbs[side]}", plugins[side])
                       for side in (("new", "old") if args.new_first else ("old", "new"))}
        same = {what: _rows(f"{server}/{dbs['old']}", sql) == _rows(f"{server}/{dbs['new']}", sql)
                for what, sql in (("aspect rows", ASPECTS), ("categories", CATEGORIES))}
        n_aspects = len(_rows(f"{server}/{dbs['new']}", ASPECTS))
        load = tuple(max(a, b) for a, b in zip(load, os.getloadavg(), strict=True))
        write_section(args, results, same, n_aspects, load)
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            for db in dbs.values():
                conn.execute(f'drop database if exists "{db}" with (force)')


def write_section(args: argparse.Namespace, results: dict, same: dict, n_aspects: int, load: tuple) -> None:
    old, new = results["old"], results["new"]
    lines = [
        "", f"## aspects and categories: {args.baseline_rev} against this branch "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`bench/aspects_categories_ab.py --rows {args.rows}`: {new['records']:,} records enriched twice from copies of "
        f"one database, {'new' if args.new_first else 'old'} code first; {n_aspects:,} aspect rows; load average up to {load[0]:.1f} (1 min) on "
        f"{os.cpu_count()} cores. Same output: "
        + ", ".join(f"{what} {'identical' if ok else '**different**'}" for what, ok in same.items()) + ".", "",
        f"| step | {args.baseline_rev} (s) | this branch (s) | new / old |", "| --- | ---: | ---: | ---: |",
    ]
    for step in (*STEPS, "embedding"):
        o, n = old["steps"].get(step, 0.0), new["steps"].get(step, 0.0)
        lines.append(f"| {step} | {o:.1f} | {n:.1f} | {n / o if o else float('nan'):.2f} |")
    lines.append(f"| enrichment, whole stage | {old['seconds']:.1f} | {new['seconds']:.1f} | "
                 f"{new['seconds'] / old['seconds']:.2f} |")
    out = Path(args.out)
    with out.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

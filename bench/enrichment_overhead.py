"""Where enrichment time goes beside the embedding: per-step wall-clock timers against plain encode.

    PYTHONPATH=plugins .venv/bin/python bench/enrichment_overhead.py --rows 3000 [--label after]

Same records as bench/scale.py (its generator, landing, staging views and validation, run
once into a fresh database), then in processes of their own, each with the model loaded
before its clock starts: the baseline (plain `encode` of the distinct texts enrichment
embeds, as in scale.py) and enrichment, whose per-step seconds come from
cfm.nlp.step_timer. Appends a section to bench/results/enrichment_overhead.md.
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

import scale  # noqa: E402  (sets sys.path and the offline environment)


def main() -> None:
    import psycopg

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "enrichment_overhead.md"))
    ap.add_argument("--label", default="", help="what this run measures (the section title)")
    args = ap.parse_args()

    db = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    url = args.url.rsplit("/", 1)[0] + f"/{db}"
    load = os.getloadavg()
    try:
        from cfm.pipeline.prepare import prepare_warehouse

        with psycopg.connect(url) as conn:
            prepare_warehouse(conn)
        with tempfile.TemporaryDirectory() as drop:
            scale.generate(Path(drop), args.rows)
            for name in ("landing", "staging", "validation"):
                scale.run_stage(name, url, drop)
            base = scale.run_stage("embed_baseline", url, drop)
            enrich = scale.run_stage("enrichment", url, drop)
        load = tuple(max(a, b) for a, b in zip(load, os.getloadavg(), strict=True))
        write_section(args, base, enrich, load)
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')


def write_section(args: argparse.Namespace, base: dict, enrich: dict, load: tuple[float, ...]) -> None:
    steps = enrich["steps"]
    embed_step = steps.get("embedding", 0.0)
    lines = [
        "", f"## {args.label or 'run'} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`bench/enrichment_overhead.py --rows {args.rows}`: {enrich['records']:,} records enriched, "
        f"{base['records']:,} distinct texts; load average up to {load[0]:.1f} (1 min) on {os.cpu_count()} cores.", "",
        "| measure | seconds | / plain encode |", "| --- | ---: | ---: |",
        f"| plain encode of the distinct texts (baseline) | {base['seconds']:.1f} | 1.00 |",
        f"| enrichment, whole stage | {enrich['seconds']:.1f} | {enrich['seconds'] / base['seconds']:.2f} |",
    ]
    for name, secs in sorted(steps.items(), key=lambda kv: -kv[1]):
        lines.append(f"| step: {name} | {secs:.1f} | {secs / base['seconds']:.2f} |")
    rest = enrich["seconds"] - sum(steps.values())
    lines.append(f"| outside the timed steps (reads, identity rows, manifest) | {rest:.1f} | {rest / base['seconds']:.2f} |")
    lines.append(f"| enrichment minus its embedding step | {enrich['seconds'] - embed_step:.1f} | "
                 f"{(enrich['seconds'] - embed_step) / base['seconds']:.2f} |")
    out = Path(args.out)
    if not out.exists():
        out.write_text("# Enrichment overhead beside the embedding\n\nSections appended by bench/enrichment_overhead.py.\n",
                       encoding="utf-8")
    with out.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""dbt on a day of new data: the incremental build against a full rebuild, in the same run.

    .venv/bin/python bench/dbt_incremental.py --rows 100000 --new 10000 [--url postgresql://...]

The bundled sample drop goes through the real pipeline once (ingest, staging + validation, enrichment).
Its landed rows (raw.file_drop, ops.validated_records, ops.enriched_records, ml.feedback_enrichment,
ml.feedback_identity, ml.topic_assignments) are then copied in SQL, ids suffixed, up to --rows records
with change markers spread over the past year (enriching a million texts on this machine takes hours;
the dbt build only reads what the stages wrote). dbt builds everything once (a first build is a full
build); then a day arrives: --new records copied in the same way, stamped now, and 1% of them edits of
existing records (a re-delivered payload). Timed: `dbt build` (incremental), then `dbt build --full-refresh`
over the same data; per-model seconds from dbt's run_results.json. Writes bench/results/dbt_incremental.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CFM_PSEUDONYM_KEY", "bench-only-key")

# the incremental models (macros/incremental_feedback.sql, macros/incremental_metrics.sql)
INCREMENTAL_MODELS = ["int_feedback_enriched", "fct_feedback", "fct_metric_responses", "metric_cells", "metric_changes"]


def main() -> None:
    from bench_db import copy_landed, fill_sample_history, scratch_warehouse

    from cfm.pipeline.transform import DBT_DIR, run_dbt

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000, help="records in the warehouse before the new day")
    ap.add_argument("--new", type=int, default=10_000, help="records the new day brings (1%% of them edits)")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()

    # a copy of the project: its target/ and logs/ stay out of the working tree's
    project = Path(tempfile.mkdtemp(prefix="cfm_bench_dbt_")) / "dbt"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))

    def timed_build(label: str, extra: list[str]) -> dict[str, Any]:
        t = time.perf_counter()
        run_dbt(url, ["build", *extra], project_dir=project)
        seconds = time.perf_counter() - t
        results = json.loads((project / "target" / "run_results.json").read_text())["results"]
        models = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results
                  if r["unique_id"].startswith(("model.", "snapshot."))}
        tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
        print(f"{label}: {seconds:.1f} s", flush=True)
        return {"seconds": seconds, "models": models, "tests_seconds": tests}

    with scratch_warehouse(args.url) as url:
        base, history = fill_sample_history(url, args.rows)
        with psycopg.connect(url) as conn:
            rows = conn.execute("select count(*) from raw.file_drop").fetchone()[0]
        print(f"{rows} records landed ({base} enriched by the pipeline, copied)", flush=True)

        first = timed_build("first build", [])
        with psycopg.connect(url) as conn:
            built = conn.execute("select count(*) from marts.fct_feedback").fetchone()[0]
            new_copies = -(-args.new // base)
            # new feedback is given on the day (the last 24 hours), unlike the history, which keeps the sample's dates
            copy_landed(conn, list(range(history + 1, history + 1 + new_copies)), "now()",
                        submitted="to_char(now() at time zone 'utc' - (c.copy % 24) * interval '1 hour', "
                                  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
            # 1% edits: a re-delivered payload (new hash, re-validated, re-enriched) of an old record
            edits = max(1, args.new // 100)
            conn.execute("""
                with picked as (select source, account, source_record_id from raw.file_drop
                                where extracted_at < now() - interval '2 days' order by source_record_id limit %s),
                raw_edit as (
                    update raw.file_drop r set payload = r.payload || '{"rating_value": "0"}', payload_hash = md5(r.payload_hash),
                        extracted_at = now() from picked p
                    where (r.source, r.account, r.source_record_id) = (p.source, p.account, p.source_record_id)
                    returning r.source, r.account, r.source_record_id, r.payload_hash)
                update ops.validated_records v set payload_hash = e.payload_hash, validated_at = now() from raw_edit e
                where (v.source, v.account, v.source_record_id) = (e.source, e.account, e.source_record_id)
                """, (edits,))
            conn.commit()
            conn.execute("analyze")
            total = conn.execute("select count(*) from raw.file_drop").fetchone()[0]
            new = total - rows
        incremental = timed_build("incremental build", [])
        with psycopg.connect(url) as conn:
            after = conn.execute("select count(*) from marts.fct_feedback").fetchone()[0]
        full = timed_build("full-refresh build", ["--full-refresh"])
        # written before the scratch database is dropped (a drop can wait on other sessions)
        _write(args, built, rows, new, edits, total, after, first, incremental, full)


def _write(args: argparse.Namespace, built: int, rows: int, new: int, edits: int, total: int, after: int,
           first: dict[str, Any], incremental: dict[str, Any], full: dict[str, Any]) -> None:
    ratio = incremental["seconds"] / full["seconds"]
    big = INCREMENTAL_MODELS
    load = os.getloadavg()
    lines = [
        "# dbt: incremental build of a new day vs a full rebuild",
        "",
        f"`bench/dbt_incremental.py --rows {args.rows} --new {args.new}`: {built:,} valid records built "
        f"({rows:,} landed: the bundled sample through the real ingest, validation and enrichment, its landed rows "
        f"copied in SQL with change markers spread over a year, submitted dates the sample's), then a day of {new:,} new records "
        f"(--new {args.new}, whole copies of the sample submitted in the last 24 hours), "
        f"{edits} of them edits of old records ({total:,} landed, {after:,} valid after). Same run, same data: "
        f"`dbt build` (incremental: {', '.join(big)}) against `dbt build --full-refresh`. "
        f"Local PostgreSQL 15; {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared); "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min).",
        "",
        "| build | total s | models s | tests s | " + " | ".join(f"{m} s" for m in big) + " |",
        "| --- | ---: | ---: | ---: |" + " ---: |" * len(big),
    ]
    for label, r in (("first (full)", first), ("new day, incremental", incremental), ("new day, --full-refresh", full)):
        lines.append(f"| {label} | {r['seconds']:.1f} | {sum(r['models'].values()):.1f} | {r['tests_seconds']:.1f} | "
                     + " | ".join(f"{r['models'].get(m, 0):.1f}" for m in big) + " |")
    lines += [
        "",
        f"**Incremental / full refresh: {ratio:.2f}** (whole `dbt build`); the incremental models: "
        f"{sum(incremental['models'].get(m, 0) for m in big):.1f} s vs {sum(full['models'].get(m, 0) for m in big):.1f} s.",
        "",
        "Slowest models of the incremental build (seconds; those not listed above are tables rebuilt over the full history):",
        "",
        "| model | incremental | full refresh |",
        "| --- | ---: | ---: |",
    ]
    for name, secs in sorted(incremental["models"].items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"| {name} | {secs:.1f} | {full['models'].get(name, 0):.1f} |")
    from bench_results import write_results

    write_results("dbt_incremental", lines, {"rows": args.rows, "new": args.new, "built": built, "after": after,
                                             "first": first, "incremental": incremental, "full_refresh": full,
                                             "ratio": ratio, "load_average": load})


if __name__ == "__main__":
    main()

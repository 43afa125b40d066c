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

# (table, its feedback-id column or None when keyed by raw key, timestamp columns to spread)
LANDED = [
    ("raw.file_drop", None, ["extracted_at"]),
    ("ops.validated_records", None, ["validated_at"]),
    ("ops.enriched_records", "feedback_id", ["enriched_at"]),
    ("ml.feedback_enrichment", "feedback_id", ["enriched_at"]),
    ("ml.feedback_identity", "feedback_id", []),
    ("ml.topic_assignments", "feedback_id", ["assigned_at"]),
]
# the incremental models (macros/incremental_feedback.sql, macros/incremental_metrics.sql)
INCREMENTAL_MODELS = ["int_feedback_enriched", "fct_feedback", "fct_metric_responses", "metric_cells", "metric_changes"]
FEEDBACK_ID = "md5('file_drop' || '|' || b.account || '|' || b.source_record_id || '-' || c.copy)"


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    schema, name = table.split(".")
    return [r[0] for r in conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
        "order by ordinal_position", (schema, name))]


def copy_landed(conn: psycopg.Connection, copies: list[int], stamp: str, submitted: str | None = None) -> None:
    """Copy the base records (copy 0) as copies `copies`: new ids, timestamps from `stamp` (SQL of c.copy);
    `submitted` (SQL), when given, replaces the payload's submitted_at (else the sample's dates are kept)."""
    conn.execute("create temp table if not exists copies (copy int primary key)")
    conn.execute("truncate copies")
    with conn.cursor().copy("copy copies (copy) from stdin") as cp:
        for c in copies:
            cp.write_row((c,))
    for table, id_column, stamps in LANDED:
        cols = _columns(conn, table)
        select = []
        for col in cols:
            if col == "source_record_id":
                select.append("b.source_record_id || '-' || c.copy")
            elif col == id_column:
                select.append(FEEDBACK_ID)
            elif col in stamps:
                select.append(stamp)
            elif col == "payload" and submitted:
                select.append(f"b.payload || jsonb_build_object('submitted_at', {submitted})")
            else:
                select.append(f"b.{col}")
        if id_column:  # keyed by feedback id: find the base record's raw key through validated_records
            base = (f"(select t.*, v.account, v.source_record_id from {table} t join base_keys v "
                    "on v.feedback_id = t.feedback_id) b")
        else:
            base = f"(select t.* from {table} t join base_keys k using (account, source_record_id) where t.source = 'file_drop') b"
        conn.execute(f"insert into {table} ({', '.join(cols)}) select {', '.join(select)} from {base} cross join copies c")


def main() -> None:
    from bench_db import scratch_warehouse

    from cfm.config import load_config
    from cfm.pipeline.enrich import enrich_new_records
    from cfm.pipeline.ingest import sync_source
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.staging_views import build_staging_views
    from cfm.pipeline.transform import DBT_DIR, run_dbt
    from cfm.quality.validation import validate_new_records
    from cfm.sources.file_drop import FileDropSource

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
        with psycopg.connect(url) as conn:
            prepare_warehouse(conn)
        config = load_config()
        with tempfile.TemporaryDirectory() as tmp:
            for src in sorted((ROOT / "sample_data" / "drop").iterdir()):
                (Path(tmp) / src.name).write_bytes(src.read_bytes())
            sync_source(url, FileDropSource({"dir": tmp}), run_id="bench-base")
        build_staging_views(url)
        validate_new_records(url, "bench-base")
        enrich_new_records(url, "bench-base", config=config)

        with psycopg.connect(url) as conn:
            conn.execute("create table public.base_keys as select account, source_record_id, "
                         "md5(source || '|' || account || '|' || source_record_id) as feedback_id "
                         "from ops.validated_records where source = 'file_drop'")
            base = conn.execute("select count(*) from raw.file_drop").fetchone()[0]
            history = max(0, -(-args.rows // base) - 1)
            # spread over the past year, older than the lookback
            copy_landed(conn, list(range(1, history + 1)),
                        "now() - interval '2 days' - (c.copy % 365) * interval '1 day'")
            conn.commit()
            conn.execute("analyze")
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

"""Validation records/s against a plain COPY of the same rows, measured in the same run.

    PYTHONPATH=plugins .venv/bin/python bench/validation_speed.py --rows 20000 60000 [--url postgresql://...]

For each size: the bundled sample drop copied until it holds that many rows (ids suffixed,
so every copy is new, ~0.2% of rows invalid as in the sample), landed in a fresh database,
staging views built; then `validate_new_records` (Great Expectations on the whole batch,
verdicts and quarantine entries written with COPY) is timed from the read of the staged rows
to the commit. The baseline: COPY of the same staged rows into an empty table. Writes
bench/results/validation_speed.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

SAMPLE_ROWS = 3016  # rows in sample_data/drop


def measure(admin_url: str, rows: int) -> dict[str, float]:
    from pipeline_stages import scaled_drop

    from cfm.pipeline.ingest import sync_source
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.staging_views import build_staging_views
    from cfm.quality.validation import get_context, validate_new_records
    from cfm.sources.file_drop import FileDropSource
    from cfm.warehouse import staging

    db = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{db}"
    try:
        with psycopg.connect(url) as conn:
            prepare_warehouse(conn)
        with tempfile.TemporaryDirectory() as tmp:
            n = scaled_drop(Path(tmp), -(-rows // SAMPLE_ROWS))
            sync_source(url, FileDropSource({"dir": tmp}), run_id="bench")
        build_staging_views(url)

        # Baseline: the same staged rows (what validation reads) COPYed into an empty table.
        with psycopg.connect(url) as conn:
            names, records = staging.unvalidated_records(conn, "stg_file_drop__feedback")
            t = time.perf_counter()
            conn.execute(
                "create temp table copy_baseline as select * from staging.stg_file_drop__feedback "
                "cross join (select null::jsonb as payload) p with no data"
            )
            with conn.cursor().copy(f"copy copy_baseline ({', '.join(names)}) from stdin") as copy:
                for rec in records:
                    copy.write_row(rec)
            conn.commit()
            copy_s = time.perf_counter() - t

        t = time.perf_counter()
        get_context()  # once per process: importing Great Expectations and loading the context
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        result = validate_new_records(url, "bench")
        validate_s = time.perf_counter() - t
        return {
            "landed": n,
            "checked": result["checked"],
            "quarantined": result["quarantined"],
            "validate_s": validate_s,
            "copy_s": copy_s,
            "load_s": load_s,
        }
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{db}" with (force)')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000, 60_000])
    ap.add_argument(
        "--url",
        default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    ap.add_argument("--note", default="", help="a line added under the table (what else ran on the machine)")
    args = ap.parse_args()

    lines = [
        "# Validation throughput",
        "",
        f"`bench/validation_speed.py --rows {' '.join(map(str, args.rows))}`: the bundled sample drop copied until it "
        "holds the rows, landed in a fresh database on the local PostgreSQL; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores. Validation is `validate_new_records`: "
        "read the staged rows, Great Expectations on the whole batch as one dataframe, verdicts and quarantine "
        "entries written with COPY, commit. The baseline is a COPY of the same staged rows into an empty table, "
        "measured in the same run. Great Expectations is imported and its context loaded before the clock starts "
        "(once per process; the last column). Target (issue 13): >= 20,000 records/s.",
        "",
        "| rows validated | quarantined | validation s | validation records/s | COPY records/s | validation / COPY "
        "| GX import + context s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows in args.rows:
        m = measure(args.url, rows)
        v_rate, c_rate = m["checked"] / m["validate_s"], m["checked"] / m["copy_s"]
        lines.append(
            f"| {m['checked']:,} | {m['quarantined']:,} | {m['validate_s']:.1f} | {v_rate:,.0f} | {c_rate:,.0f} "
            f"| {v_rate / c_rate:.2f}x | {m['load_s']:.1f} |"
        )
        print(lines[-1], flush=True)
    if args.note:
        lines += ["", args.note]
    out = ROOT / "bench" / "results" / "validation_speed.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

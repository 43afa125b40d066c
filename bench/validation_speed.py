"""Validation records/s against a plain COPY of the same rows, measured in the same run.

    PYTHONPATH=plugins .venv/bin/python bench/validation_speed.py --rows 20000 60000 [--url postgresql://...]

For each size: the bundled sample drop copied until it holds that many rows (ids suffixed,
so every copy is new, ~0.2% of rows invalid as in the sample), landed in a fresh database,
staging views built; then `validate_new_records` (Great Expectations on the whole batch,
verdicts and quarantine entries written with COPY) is timed from the read of the staged rows
to the commit. The baseline: COPY of the same staged rows into an empty table. Landing
(`land_batch` of every batch of the drop) is timed too, against a plain COPY of the same rows.
Writes bench/results/validation_speed.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
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

    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.staging_views import build_staging_views
    from cfm.quality.validation import get_context, typed_frame, validate_frame, validate_new_records
    from cfm.sources.base import canonical_json
    from cfm.sources.file_drop import FileDropSource
    from cfm.warehouse import staging
    from cfm.warehouse.raw_loader import land_batch

    db = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{db}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{db}"
    try:
        with psycopg.connect(url) as conn:
            prepare_warehouse(conn)
        with tempfile.TemporaryDirectory() as tmp:
            n = scaled_drop(Path(tmp), -(-rows // SAMPLE_ROWS))
            source = FileDropSource({"dir": tmp})
            account = source.accounts()[0]
            batches = [(list(b.records), list(b.rejects), b.cursor) for b in source.batches(account, None)]
        landed = [rec for records, _, _ in batches for rec in records]

        # Landing: land_batch (sanitise, COPY into a stage, upsert, rejects, cursor) of every batch of the drop.
        with psycopg.connect(url) as conn:
            t = time.perf_counter()
            for records, rejects, cursor in batches:
                land_batch(conn, source.name, account, records, rejects, cursor, "bench")
            land_s = time.perf_counter() - t
        # Its baseline: a plain COPY of the same rows (same columns, payloads serialised) into an empty table.
        with psycopg.connect(url) as conn:
            conn.execute("create temp table land_baseline (like raw.file_drop)")
            now = datetime.now(UTC)
            t = time.perf_counter()
            with conn.cursor().copy(
                "copy land_baseline (source, account, source_record_id, source_updated_at, extracted_at, run_id, "
                "payload, payload_hash) from stdin"
            ) as copy:
                for rec in landed:
                    copy.write_row((rec.source, rec.account, rec.source_record_id, rec.source_updated_at, now, "bench",
                                    canonical_json(rec.payload), rec.payload_hash))
            conn.commit()
            land_copy_s = time.perf_counter() - t
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
        with psycopg.connect(url) as conn:  # and its first run, which imports the metric modules
            validate_frame(typed_frame(staging.unvalidated_frame(conn, "stg_file_drop__feedback").head(100)))
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
            "land_rows": len(landed),
            "land_s": land_s,
            "land_copy_s": land_copy_s,
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
        "measured in the same run. Great Expectations is imported, its context loaded and a first 100-row run made "
        "(importing its metric modules) before the clock starts (once per process; the last column). Target (issue 13): >= 20,000 records/s.",
        "",
        "| rows validated | quarantined | validation s | validation records/s | COPY records/s | validation / COPY "
        "| GX import, context, first run s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    landing = [
        "",
        "Landing (issue 13: >= 0.6x a plain COPY): `land_batch` of every batch of the same drop (sanitise, COPY into "
        "a stage table, one upsert, rejects, cursor, commit) against a plain COPY of the same rows (same columns, "
        "payloads serialised) into an empty table, measured in the same run.",
        "",
        "| rows landed | landing s | landing records/s | COPY records/s | landing / COPY |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows in args.rows:
        m = measure(args.url, rows)
        v_rate, c_rate = m["checked"] / m["validate_s"], m["checked"] / m["copy_s"]
        lines.append(
            f"| {m['checked']:,} | {m['quarantined']:,} | {m['validate_s']:.1f} | {v_rate:,.0f} | {c_rate:,.0f} "
            f"| {v_rate / c_rate:.2f}x | {m['load_s']:.1f} |"
        )
        print(lines[-1], flush=True)
        l_rate, lc_rate = m["land_rows"] / m["land_s"], m["land_rows"] / m["land_copy_s"]
        landing.append(f"| {m['land_rows']:,} | {m['land_s']:.1f} | {l_rate:,.0f} | {lc_rate:,.0f} | {l_rate / lc_rate:.2f}x |")
        print(landing[-1], flush=True)
    lines += landing
    lines += ["", f"Load average at the end of the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)."]
    if args.note:
        lines += ["", args.note]
    out = ROOT / "bench" / "results" / "validation_speed.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

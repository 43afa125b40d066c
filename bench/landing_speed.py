"""Landing records/s against a plain COPY of the same rows, measured in the same run.

    PYTHONPATH=plugins .venv/bin/python bench/landing_speed.py --rows 20000 60000 [--profile N] [--url postgresql://...]

For each size: the bundled sample drop copied until it holds that many rows (ids suffixed, so
every copy is new), read by the file drop source into batches (one per file, not timed), then in a
fresh database: `land_batch` of every batch (sanitise, serialise and hash, COPY into the stage
table, the upsert into raw, rejects, cursor, commit), timed. The baseline, in the same database
and run: a plain COPY of the same rows (same columns; each payload serialised and hashed once)
into an empty table, committed. A second landing of the same batches (every row unchanged: the
idempotent re-land) is timed too. Writes bench/results/landing_speed.md (unless --profile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

SAMPLE_ROWS = 3016  # rows in sample_data/drop


def measure(admin_url: str, rows: int, profile: bool = False) -> dict[str, float]:
    from bench_db import scratch_warehouse
    from pipeline_stages import scaled_drop

    from cfm.sources.base import canonical_json_and_hash
    from cfm.sources.file_drop import FileDropSource
    from cfm.warehouse.raw_loader import land_batch

    with tempfile.TemporaryDirectory() as tmp:
        scaled_drop(Path(tmp), -(-rows // SAMPLE_ROWS))
        source = FileDropSource({"dir": tmp})
        account = source.accounts()[0]
        batches = [(list(b.records), list(b.rejects), b.cursor) for b in source.batches(account, None)]
    landed = [rec for records, _, _ in batches for rec in records]

    with scratch_warehouse(admin_url) as url:
        # The baseline first, so landing does not run on a warmer cache than it.
        with psycopg.connect(url) as conn:
            conn.execute("create table public.land_baseline (like raw.file_drop)")
            conn.commit()
            now = datetime.now(UTC)
            t = time.perf_counter()
            with conn.cursor().copy(
                "copy public.land_baseline (source, account, source_record_id, source_updated_at, extracted_at, run_id, "
                "payload, payload_hash) from stdin"
            ) as copy:
                for rec in landed:
                    text, digest = canonical_json_and_hash(rec.payload)
                    copy.write_row((rec.source, rec.account, rec.source_record_id, rec.source_updated_at, now, "bench",
                                    text, digest))
            conn.commit()
            copy_s = time.perf_counter() - t
        with psycopg.connect(url) as conn:
            prof = cProfile.Profile() if profile else None
            t = time.perf_counter()
            if prof:
                prof.enable()
            for records, rejects, cursor in batches:
                land_batch(conn, source.name, account, records, rejects, cursor, "bench")
            if prof:
                prof.disable()
            land_s = time.perf_counter() - t
            t = time.perf_counter()
            again = [land_batch(conn, source.name, account, records, rejects, cursor, "bench2")
                     for records, rejects, cursor in batches]
            reland_s = time.perf_counter() - t
            stored = conn.execute("select count(*) from raw.file_drop").fetchone()[0]
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return {"rows": len(landed), "batches": len(batches), "stored": stored, "copy_s": copy_s, "land_s": land_s,
            "reland_s": reland_s, "reland_changed": sum(r.inserted + r.updated for r in again)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000, 60_000])
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the first landing; write no result file")
    ap.add_argument("--note", default="", help="a line added under the table (what else ran on the machine)")
    args = ap.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# Landing throughput",
        "",
        f"`bench/landing_speed.py --rows {' '.join(map(str, args.rows))}`: the bundled sample drop copied until it holds "
        "the rows (ids suffixed, so every copy is new), read into batches by the file drop source (one batch per file, "
        "not timed), then landed in a fresh database on the local PostgreSQL; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores. Landing is `land_batch` of every batch "
        "(sanitise, serialise and hash, COPY into the stage table, upsert into raw, rejects, cursor, commit). "
        "The baseline, measured in the same run and database: one plain COPY of the same rows (same columns, each "
        "payload serialised and hashed once) into an empty logged table, committed. Re-land: the same batches "
        "landed a second time (every row unchanged). Target (issue 13): landing >= 0.6x COPY.",
        "",
        "| rows | batches | COPY s | landing s | re-land s | COPY records/s | landing records/s | landing / COPY "
        "| re-land / COPY | rows changed by the re-land |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows in args.rows:
        m = measure(args.url, rows, args.profile)
        assert m["stored"] == m["rows"], m
        c_rate, l_rate, r_rate = m["rows"] / m["copy_s"], m["rows"] / m["land_s"], m["rows"] / m["reland_s"]
        lines.append(
            f"| {m['rows']:,} | {m['batches']} | {m['copy_s']:.2f} | {m['land_s']:.2f} | {m['reland_s']:.2f} "
            f"| {c_rate:,.0f} | {l_rate:,.0f} | {l_rate / c_rate:.2f}x | {r_rate / c_rate:.2f}x | {m['reland_changed']} |"
        )
        print(lines[-1], flush=True)
    lines += ["", f"Load average at the start: {load}; at the end: "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)."]
    if args.note:
        lines += ["", args.note]
    if not args.profile:
        (ROOT / "bench" / "results" / "landing_speed.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Landing records/s against a plain COPY of the same rows, measured in the same run.

    PYTHONPATH=plugins .venv/bin/python bench/landing_speed.py --rows 20000 60000 [--repeat 3] [--profile] [--url ...]

For each size: the bundled sample drop copied until it holds that many rows (ids suffixed, so
every copy is new), read by the file drop source into batches (one per file, not timed), then in a
fresh database: three baseline COPYs of the same rows, `land_batch` of every source batch, and the
landing as ingest does it (batches merged by `raw_loader.coalesce`), then that landing again
(every row unchanged). Medians of --repeat runs. Writes bench/results/landing_speed.md (unless --profile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import statistics
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


#: name -> (the table COPYed into, each payload serialised once for its JSON and hash or, as
#: bench/validation_speed.py does, once for the JSON and again for the hash).
BASELINES = {
    "issue": ("create temp table land_baseline (like raw.file_drop)", False),
    "logged": ("create table public.land_baseline (like raw.file_drop)", True),
    "pk": ("create table public.land_baseline (like raw.file_drop including indexes)", True),
}


def _copy(url: str, landed: list, ddl: str, once: bool) -> float:
    """Seconds to COPY `landed` into a new table made by `ddl`, and commit."""
    from cfm.sources.base import canonical_json, canonical_json_and_hash

    with psycopg.connect(url) as conn:
        conn.execute(ddl)
        conn.commit()
        now = datetime.now(UTC)
        t = time.perf_counter()
        with conn.cursor().copy(
            "copy land_baseline (source, account, source_record_id, source_updated_at, extracted_at, run_id, "
            "payload, payload_hash) from stdin"
        ) as copy:
            for rec in landed:
                text, digest = canonical_json_and_hash(rec.payload) if once else (canonical_json(rec.payload), rec.payload_hash)
                copy.write_row((rec.source, rec.account, rec.source_record_id, rec.source_updated_at, now, "bench",
                                text, digest))
        conn.commit()
        took = time.perf_counter() - t
        conn.execute("drop table land_baseline")
        conn.commit()
    return took


def measure(admin_url: str, rows: int, profile: bool = False) -> dict[str, float]:
    from bench_db import scratch_warehouse
    from pipeline_stages import scaled_drop

    from cfm.sources.file_drop import FileDropSource
    from cfm.warehouse.raw_loader import coalesce, land_batch

    with tempfile.TemporaryDirectory() as tmp:
        scaled_drop(Path(tmp), -(-rows // SAMPLE_ROWS))
        source = FileDropSource({"dir": tmp})
        account = source.accounts()[0]
        batches = list(source.batches(account, None))
    landed = [rec for batch in batches for rec in batch.records]

    with scratch_warehouse(admin_url) as url:
        # The baselines first, so landing does not run on a warmer cache than they do.
        copy_s = {name: _copy(url, landed, ddl, once) for name, (ddl, once) in BASELINES.items()}
        with psycopg.connect(url) as conn:
            # As bench/validation_speed.py measured it: land_batch of every source batch (one per file).
            t = time.perf_counter()
            for batch in batches:
                land_batch(conn, source.name, account, batch.records, batch.rejects, batch.cursor, "bench")
            per_file_s = time.perf_counter() - t
            conn.execute("truncate raw.file_drop, ops.sync_state, quarantine.records")
            conn.commit()
            # As ingest lands them: consecutive batches merged (raw_loader.coalesce), each merge one land_batch.
            prof = cProfile.Profile() if profile else None
            t = time.perf_counter()
            if prof:
                prof.enable()
            transactions = 0
            for _, merged in coalesce(batches):
                land_batch(conn, source.name, account, merged.records, merged.rejects, merged.cursor, "bench")
                transactions += 1
            if prof:
                prof.disable()
            land_s = time.perf_counter() - t
            t = time.perf_counter()
            again = [land_batch(conn, source.name, account, merged.records, merged.rejects, merged.cursor, "bench2")
                     for _, merged in coalesce(batches)]
            reland_s = time.perf_counter() - t
            stored = conn.execute("select count(*) from raw.file_drop").fetchone()[0]
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return {"rows": len(landed), "batches": len(batches), "transactions": transactions, "stored": stored, "copy_s": copy_s,
            "per_file_s": per_file_s, "land_s": land_s,
            "reland_s": reland_s, "reland_changed": sum(r.inserted + r.updated for r in again)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000, 60_000])
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the (merged) landing; write no result file")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size, each in a fresh database; medians reported")
    ap.add_argument("--note", default="", help="a line added under the table (what else ran on the machine)")
    args = ap.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# Landing throughput",
        "",
        f"`bench/landing_speed.py --rows {' '.join(map(str, args.rows))}`: the bundled sample drop copied until it holds "
        "the rows (ids suffixed, so every copy is new), read into batches by the file drop source (one batch per file, "
        "not timed), then landed in a fresh database on the local PostgreSQL; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores. `land_batch` sanitises, serialises and "
        "hashes each record, upserts the batch into raw, stores the rejects and the cursor, and commits. **Per batch**: "
        "one `land_batch` per source batch (as `bench/validation_speed.py` measured landing). **Landing**: as ingest "
        "lands them, consecutive batches merged by `raw_loader.coalesce` (up to `LANDING_ROWS` records per transaction). "
        "**Re-land**: the same, a second time (every row unchanged, nothing written to raw). Baselines, measured in the "
        "same run and database before the landings, each a plain COPY of the same rows (same columns) in one "
        "transaction: **issue**, as `bench/validation_speed.py` measured it for issue 13 (into a temporary table, so no "
        "WAL; each payload serialised for its JSON and again for its hash); **logged**: into a logged table without "
        "indexes, each payload serialised and hashed once; **pk**: the same into a table with raw's primary key (the "
        "index every landing maintains). Each figure is the median of `--repeat` runs (each in a fresh database); "
        "ratios are records/s of the landing over records/s of the COPY, from those medians. Target "
        "(issue 13): landing >= 0.6x COPY.",
        "",
        "| rows | source batches | transactions | COPY s: issue / logged / pk | per batch s | landing s | re-land s "
        "| per batch / COPY issue | landing / COPY issue | landing / COPY logged | landing / COPY pk "
        "| re-land / COPY issue | rows changed by the re-land |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows in args.rows:
        runs = [measure(args.url, rows, args.profile) for _ in range(1 if args.profile else args.repeat)]
        for m in runs:
            assert m["stored"] == m["rows"] and m["reland_changed"] == 0, m
        m = {**runs[0], **{k: statistics.median(r[k] for r in runs) for k in ("per_file_s", "land_s", "reland_s")},
             "copy_s": {name: statistics.median(r["copy_s"][name] for r in runs) for name in BASELINES}}
        print("runs:", [{k: v for k, v in r.items() if k.endswith("_s")} for r in runs], flush=True)
        ratio = {name: s / m["land_s"] for name, s in m["copy_s"].items()}
        lines.append(
            f"| {m['rows']:,} | {m['batches']} | {m['transactions']} "
            f"| {' / '.join(f'{s:.2f}' for s in m['copy_s'].values())} "
            f"| {m['per_file_s']:.2f} | {m['land_s']:.2f} | {m['reland_s']:.2f} "
            f"| {m['copy_s']['issue'] / m['per_file_s']:.2f}x | {ratio['issue']:.2f}x | {ratio['logged']:.2f}x "
            f"| {ratio['pk']:.2f}x | {m['copy_s']['issue'] / m['reland_s']:.2f}x | {m['reland_changed']} |"
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

"""Landing from files: the rows this code writes against those another revision's code writes, from the same drops.

    PYTHONPATH=plugins .venv/bin/python bench/landing_same_output.py [--rows 100000] [--ref main]

Two drops, each synced by the file drop source into a fresh database once with this code and once with
the `plugins` folder of git revision `--ref` (bench/baseline_tree.py), each side in a process of its own:
scale.py's generated drop of `--rows` records, and bench/hostile_input.py's hostile files plus JSON lines
the fast JSON reader must read as the json module does (floats anywhere, big integers, a key twice,
NaN, 1e400, a lone surrogate escape, a BOM, trailing text). Compared: every raw row (all columns but
extracted_at) and every quarantine row (all but its id and timestamps), and the sync's counts. Prints
one line per drop and exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (it puts plugins/ on the path)
from baseline_tree import export_plugins  # noqa: E402

JSON_CASES = [
    '{"id": "J-float", "rating_value": 4.5, "text": "a float"}',
    '{"id": "J-nested-float", "meta": {"a": [1, {"b": -0.0}]}, "text": "nested"}',
    '{"id": "J-exp", "rating_value": 1E2}',
    '{"id": "J-tiny", "rating_value": 1.5e-400}',
    '{"id": "J-huge", "rating_value": 1e400}',
    '{"id": "J-bigint", "n": 123456789012345678901234567890, "m": -18446744073709551616}',
    '{"id": "J-twice", "text": "first", "text": "second"}',
    '{"id": "J-nan", "rating_value": NaN}',
    '{"id": "J-sur", "text": "half \\ud83d of an emoji"}',
    '{"id": "J-nul", "text": "a\\u0000b"}',
    '\ufeff{"id": "J-bom", "text": "a BOM inside"}',
    '{"id": "J-trail", "text": "x"} trailing',
    '{"id": "J-ctrl", "text": "tab\there"}',
    '{"id": 12.0, "text": "float id"}',
    '{"id": 1.5, "text": "fractional id"}',
    '{"id": "J-unicode", "text": "caf\\u00e9 \u4e2d\u6587 \\ud83d\\ude00"}',
    '"just a string"',
    '{"id": "J-deep", "x": ' + "[" * 2000 + "]" * 2000 + "}",
]


def _rows(url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url) as conn:
        raw = conn.execute("select source, account, source_record_id, source_updated_at::text, run_id, payload::text, "
                           "payload_hash from raw.file_drop order by source_record_id").fetchall()
        quarantined = conn.execute(
            "select source, account, record_ref, source_record_id, field, check_name, reason, payload::text, payload_hash, "
            "run_id, status from quarantine.records order by record_ref, check_name, field, payload_hash").fetchall()
    return {"raw": raw, "quarantine": quarantined}


def _child(url: str, drop: str, plugins: str | None, out: Any) -> None:
    if plugins:
        sys.path.insert(0, plugins)
    from cfm.pipeline.ingest import sync_source
    from cfm.sources.file_drop import FileDropSource

    counts = sync_source(url, FileDropSource({"dir": drop}), run_id="same-output")
    counts.pop("seconds")
    got = _rows(url)
    out.put({"counts": counts, "raw": len(got["raw"]), "quarantine": len(got["quarantine"]),
             "digest": hashlib.sha256(json.dumps(got, default=str).encode()).hexdigest(), "rows": got})


def land(admin: str, drop: str, plugins: str | None) -> dict[str, Any]:
    from bench_db import scratch_warehouse

    with scratch_warehouse(admin, prepared=True) as url:
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        proc = ctx.Process(target=_child, args=(url, drop, plugins, out))
        proc.start()
        result = out.get()
        proc.join()
    return result


def hostile_drop(folder: Path) -> None:
    import hostile_input

    hostile_input.corpus(folder)
    (folder / "json_cases.jsonl").write_text("\n".join(JSON_CASES) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--ref", default="main")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        before = str(export_plugins(args.ref, Path(tmp) / "before"))
        drops = {"generated": Path(tmp) / "generated", "hostile": Path(tmp) / "hostile" / "drop"}
        for path in drops.values():
            path.mkdir(parents=True)
        scale.generate(drops["generated"], args.rows)
        hostile_drop(drops["hostile"])
        for name, drop in drops.items():
            old, new = land(args.url, str(drop), before), land(args.url, str(drop), None)
            equal = old["digest"] == new["digest"] and old["counts"] == new["counts"]
            same &= equal
            print(f"{name}: {'identical' if equal else 'DIFFERENT'}: raw {new['raw']:,} rows, quarantine {new['quarantine']:,} "
                  f"rows, counts {new['counts']} (--ref {args.ref}: raw {old['raw']:,}, quarantine {old['quarantine']:,}, "
                  f"counts {old['counts']})", flush=True)
            if not equal:
                for table in ("raw", "quarantine"):
                    gone = set(old["rows"][table]) - set(new["rows"][table])
                    added = set(new["rows"][table]) - set(old["rows"][table])
                    for row in sorted(gone, key=str)[:3]:
                        print(f"  {table} only with --ref: {str(row)[:300]}")
                    for row in sorted(added, key=str)[:3]:
                        print(f"  {table} only with this code: {str(row)[:300]}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()

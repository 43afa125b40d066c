"""CPU seconds of landing from files, this code against another revision's, and of the COPY baseline: in the
client process and in its PostgreSQL backend, so a loaded machine (which stretches wall time) matters less.

    PYTHONPATH=plugins .venv/bin/python bench/landing_cpu.py --drop DIR [--ref main] [--repeat 3]

DIR is a drop written by scale.py's generator (bench/landing_files.py measures wall time on the same
drop). Each stage runs in a spawned process against a fresh database: "copy" is scale.py's COPY
baseline (rows prepared before the clock, as there); "landing" syncs the drop with the file drop
source (`sync_source`). Client CPU is the process's user + system time over the timed part (its
threads included), backend CPU the same for the connections it opened (read from /proc, so PostgreSQL
must run on this machine). Medians of the repeats.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (it puts plugins/ on the path)
from baseline_tree import export_plugins  # noqa: E402
from bench_db import scratch_warehouse  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(stage: str, url: str, drop: str, plugins: str | None, out: Any) -> None:
    if plugins:
        sys.path.insert(0, plugins)
    import psycopg

    backends: dict[int, float] = {}
    close = psycopg.Connection.close

    def closing(conn: psycopg.Connection) -> None:  # the backend's CPU, read before it exits
        if not conn.closed:
            backends[conn.info.backend_pid] = _backend_cpu(conn.info.backend_pid)
        close(conn)

    psycopg.Connection.close = closing  # type: ignore[method-assign]
    if stage == "copy":
        rows = scale.copy_rows(drop)
        with psycopg.connect(url) as conn:
            conn.execute("create table public.copy_baseline (like raw.file_drop including all)")
            conn.commit()
            backend0, client0, t = _backend_cpu(conn.info.backend_pid), _client_cpu(), time.perf_counter()
            with conn.cursor().copy("copy public.copy_baseline (source, account, source_record_id, extracted_at, run_id, "
                                    "payload, payload_hash) from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            seconds, client = time.perf_counter() - t, _client_cpu() - client0
            backend = _backend_cpu(conn.info.backend_pid) - backend0
        out.put({"records": len(rows), "seconds": seconds, "client": client, "backend": backend})
        return
    from cfm.pipeline.ingest import sync_source
    from cfm.sources.file_drop import FileDropSource

    client0, t = _client_cpu(), time.perf_counter()
    got = sync_source(url, FileDropSource({"dir": drop}), run_id="bench")
    seconds, client = time.perf_counter() - t, _client_cpu() - client0
    out.put({"records": got["received"] + got["quarantined"], "seconds": seconds, "client": client,
             "backend": sum(backends.values())})


def _run(stage: str, admin: str, drop: str, plugins: str | None = None) -> dict[str, Any]:
    with scratch_warehouse(admin, prepared=True) as url:
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        proc = ctx.Process(target=_child, args=(stage, url, drop, plugins, out))
        proc.start()
        result = out.get()
        proc.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drop", required=True)
    ap.add_argument("--ref", default="main")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()
    load_start = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"copy": [], "landing": [], "before": []}
    with tempfile.TemporaryDirectory() as tmp:
        before = str(export_plugins(args.ref, Path(tmp)))
        for _ in range(args.repeat):
            runs["copy"].append(_run("copy", args.url, args.drop))
            runs["landing"].append(_run("landing", args.url, args.drop))
            runs["before"].append(_run("landing", args.url, args.drop, before))
            print({k: [(round(r["seconds"], 2), round(r["client"], 2), round(r["backend"], 2)) for r in v]
                   for k, v in runs.items()}, flush=True)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    lines = [f"`bench/landing_cpu.py --ref {args.ref} --repeat {args.repeat}` on {runs['copy'][0]['records']:,} records "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), medians:", "",
             "| stage | wall s | client CPU s | backend CPU s | CPU s in all | CPU / COPY's |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    copy_cpu = med("copy", "client") + med("copy", "backend")
    for name, label in (("copy", "baseline: COPY (rows prepared before the clock)"), ("landing", "landing (this code)"),
                        ("before", f"landing ({args.ref})")):
        cpu = med(name, "client") + med(name, "backend")
        lines.append(f"| {label} | {med(name, 'seconds'):.2f} | {med(name, 'client'):.2f} | {med(name, 'backend'):.2f} | "
                     f"{cpu:.2f} | {cpu / copy_cpu:.2f}x |")
    lines += ["", "Load average at the start: " + " ".join(f"{x:.1f}" for x in load_start) + "; at the end: "
              + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)."]
    print("\n".join(lines))


if __name__ == "__main__":
    main()

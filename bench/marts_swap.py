"""How long the marts' swap holds readers off, against the cheapest rebuild of the same tables, same run.

    PYTHONPATH=plugins .venv/bin/python bench/marts_swap.py --rows 3016 1000000 [--url postgresql://...]

For each size: a scratch warehouse whose marts are 40 tables like the real set (a fct_feedback of that
many rows with row-level security and analyst grants, 39 small marts of 100 rows) and a view outside
marts over fct_feedback. A shadow build is simulated by `create table as` of every mart into
marts__next (the baseline: what a rebuild of the same tables costs at least, the time readers would see
half-built marts with an in-place build); then cfm.warehouse.marts_publish.publish is timed, half the
small marts carried over (as after a failed build). Median of 5. Writes bench/results/marts_swap.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

SMALL = 39
REPEATS = 5


def _live(conn: psycopg.Connection, rows: int) -> None:
    conn.execute("drop schema if exists marts cascade")
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.fct_feedback as select g as id, md5(g::text) as feedback_id, 'dept_' || (g %% 7) as department, "
        "g %% 11 as score, repeat(md5(g::text), 4) as text_redacted, now() - g * interval '1 minute' as submitted_at "
        "from generate_series(1, %s) g", (rows,))
    conn.execute("alter table marts.fct_feedback enable row level security")
    conn.execute("create policy department_scope on marts.fct_feedback for select using (true)")
    for i in range(SMALL):
        conn.execute(f"create table marts.mart_{i} as select g as n, md5(g::text) as label from generate_series(1, 100) g")
    conn.execute("grant usage on schema marts to cfm_analyst")
    conn.execute("grant select on all tables in schema marts to cfm_analyst")
    conn.execute("create schema if not exists reporting")
    conn.execute("create or replace view reporting.feedback_by_department as "
                 "select department, count(*) from marts.fct_feedback group by 1")
    conn.commit()


def _shadow(conn: psycopg.Connection) -> float:
    """Build the shadow (every mart but half the small ones) like a rebuild would; returns its ms."""
    from cfm.warehouse.marts_publish import SHADOW

    started = time.perf_counter()
    conn.execute(f"drop schema if exists {SHADOW} cascade")
    conn.execute(f"create schema {SHADOW}")
    conn.execute(f"create table {SHADOW}.fct_feedback as select * from marts.fct_feedback")
    for i in range(0, SMALL, 2):
        conn.execute(f"create table {SHADOW}.mart_{i} as select * from marts.mart_{i}")
    conn.commit()
    return (time.perf_counter() - started) * 1000


def measure(url: str, rows: int) -> dict[str, float]:
    from cfm.warehouse.marts_publish import publish
    from cfm.warehouse.schema import ensure_roles

    with psycopg.connect(url) as conn:
        ensure_roles(conn)
        conn.commit()
        _live(conn, rows)
        builds, swaps = [], []
        for _ in range(REPEATS):
            builds.append(_shadow(conn))
            swaps.append(publish(conn, ["mart_1"])["swap_ms"])
        assert conn.execute("select count(*) from reporting.feedback_by_department").fetchone()[0] == 7
    return {"rows": rows, "swap_ms": statistics.median(swaps), "rebuild_ms": statistics.median(builds)}


def main() -> None:
    from bench_db import scratch_warehouse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[3016, 1_000_000])
    parser.add_argument("--url", default=os.environ.get("CFM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    results = []
    for rows in args.rows:
        with scratch_warehouse(args.url) as url:
            results.append(measure(url, rows))
        print(results[-1], flush=True)
    lines = ["# Marts swap time", "", f"`bench/marts_swap.py`, {platform.machine()}, {os.cpu_count()} CPUs, "
             f"PostgreSQL at {args.url.split('@')[-1]}; median of {REPEATS}.", "",
             "40 marts (fct_feedback of N rows + 39 small), 19 carried over from the live schema, one view outside "
             "marts re-created. Baseline: `create table as` of the rebuilt marts (the least an in-place rebuild "
             "leaves readers with half-built marts).", "",
             "| fct_feedback rows | swap (ms) | rebuild baseline (ms) | swap / baseline |", "| ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['swap_ms']:.1f} | {r['rebuild_ms']:.1f} | {r['swap_ms'] / r['rebuild_ms']:.3f} |")
    (ROOT / "bench" / "results" / "marts_swap.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

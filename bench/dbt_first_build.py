"""dbt's fixed and first-build costs, old code against new in the same run, on copies of one warehouse.

    .venv/bin/python bench/dbt_first_build.py --rows 100000 [--old main] [--url postgresql://...]

One warehouse is filled as bench/dbt_incremental.py fills it (bench_db.fill_sample_history: the bundled sample through the real ingest,
validation and enrichment, its landed rows copied in SQL up to --rows records), without any dbt model.
It becomes the template of two databases; in each, one side (the `--old` revision's plugins and dbt
project, or this working tree's) runs in a process of its own, from a fresh copy of its project (no
target/: the first invocation parses the project, as on a fresh deploy):

1. the staging step (`build_staging_views`, forced), timed, then again (a re-run with the views in place);
2. the first full `dbt build` (per-node seconds from run_results.json);
3. a new day (--new records stamped at one fixed instant, 1% edits) and its incremental `dbt build`.

Every table of schema marts is compared between the two databases after step 3: rows (as text, sorted)
must be equal (the new day is stamped at the same instant on both sides). Writes a new section on top of bench/results/dbt_first_build.md.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
CLOCK_MARTS = ("rpt_source_freshness",)  # hours since each source's last sync: differs between any two builds
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CFM_PSEUDONYM_KEY", "bench-only-key")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def _db_url(admin: str, name: str) -> str:
    return admin.rsplit("/", 1)[0] + f"/{name}"


def fill_template(admin: str, name: str, rows: int) -> dict[str, int]:
    """Database `name`: the sample through ingest, staging, validation and enrichment, copied up to `rows`."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from bench_db import fill_sample_history

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = _db_url(admin, name)
    base, history = fill_sample_history(url, rows)
    with psycopg.connect(url) as conn:
        conn.execute("create table public.bench_state as select %s::int as base, %s::int as history",
                     (base, history))
        landed = conn.execute("select count(*) from raw.file_drop").fetchone()[0]
        conn.execute("drop schema staging cascade")  # as after landing: no views yet
        conn.commit()
    return {"base": base, "landed": landed}


def side(url: str, project_root: str, new: int, stamp: str) -> dict[str, Any]:
    """One side's timings (runs in a process whose cfm package is `project_root`'s)."""
    import cfm  # first: bench modules put this tree's plugins on sys.path, and cfm's modules come from cfm.__path__

    assert Path(cfm.__file__).is_relative_to(project_root), cfm.__file__
    from bench_db import copy_landed

    from cfm.pipeline import staging_views
    from cfm.pipeline.transform import run_dbt

    project = Path(project_root) / "dbt"
    out: dict[str, Any] = {}

    def build(label: str) -> None:
        t = time.perf_counter()
        run_dbt(url, ["build"], project_dir=project)
        out[label] = time.perf_counter() - t
        results = json.loads((project / "target" / "run_results.json").read_text())
        out[f"{label}_nodes"] = {r["unique_id"]: r["execution_time"] for r in results["results"]}
        out[f"{label}_dbt_elapsed"] = results.get("elapsed_time")

    for label in ("staging", "staging_again"):
        t = time.perf_counter()
        if "project_dir" in inspect.signature(staging_views.build_staging_views).parameters:
            # as `cfm run` runs it beside ingest: the views only (its transform's build tests them)
            staging_views.build_staging_views(url, project_dir=project, tests=False)
        else:  # main's: no project_dir
            _old_staging(url, project)
        out[label] = time.perf_counter() - t
    build("first_build")
    with psycopg.connect(url) as conn:
        base, history = conn.execute("select base, history from public.bench_state").fetchone()
        stamp_sql = f"timestamptz '{stamp}'"
        copy_landed(conn, list(range(history + 1, history + 1 + -(-new // base))), stamp_sql,
                    submitted=f"to_char({stamp_sql} at time zone 'utc' - (c.copy % 24) * interval '1 hour', "
                              "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
        conn.execute("""
            with picked as (select source, account, source_record_id from raw.file_drop
                            where extracted_at < %(stamp)s::timestamptz - interval '2 days' order by source_record_id limit %(n)s),
            raw_edit as (
                update raw.file_drop r set payload = r.payload || '{"rating_value": "0"}', payload_hash = md5(r.payload_hash),
                    extracted_at = %(stamp)s::timestamptz from picked p
                where (r.source, r.account, r.source_record_id) = (p.source, p.account, p.source_record_id)
                returning r.source, r.account, r.source_record_id, r.payload_hash)
            update ops.validated_records v set payload_hash = e.payload_hash, validated_at = %(stamp)s::timestamptz from raw_edit e
            where (v.source, v.account, v.source_record_id) = (e.source, e.account, e.source_record_id)
            """, {"stamp": stamp, "n": max(1, new // 100)})
        conn.commit()
        conn.execute("analyze")
    build("incremental_build")
    return out


def _old_staging(url: str, project: Path) -> None:
    from cfm.pipeline.transform import run_dbt

    run_dbt(url, ["build", "--select", "staging"], project_dir=project)


def marts_digest(url: str) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of its rows as text, sorted)} for every table of schema marts."""
    digest = {}
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1")]
        for t in tables:
            n, h = conn.execute(
                f'select count(*), md5(coalesce(string_agg(r, E\'\\n\' order by r), \'\')) '
                f'from (select t::text as r from marts."{t}" t) s').fetchone()
            digest[t] = (n, h)
    return digest


def _export(ref: str, target: Path) -> Path:
    """plugins/ and dbt/ (and cfm.yml) of `ref` (None: this working tree) under `target`."""
    target.mkdir(parents=True)
    if ref == "WORKTREE":
        for part in ("plugins", "dbt"):
            shutil.copytree(ROOT / part, target / part,
                            ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__"))
        shutil.copy(ROOT / "cfm.yml", target / "cfm.yml")
    else:
        import io
        import tarfile

        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "plugins", "dbt", "cfm.yml"], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target


def _run_side(url: str, root: Path, new: int, stamp: str, snapshot: Path) -> dict[str, Any]:
    code = (f"import json, sys; sys.path.insert(0, {str(root / 'plugins')!r}); sys.path.insert(0, {str(ROOT / 'bench')!r}); "
            f"import dbt_first_build as b; json.dump(b.side({url!r}, {str(root)!r}, {new}, {stamp!r}), open({str(snapshot)!r}, 'w'))")
    env = {**os.environ, "PYTHONPATH": str(root / "plugins"), "CFM_CONFIG": str(root / "cfm.yml")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return json.loads(snapshot.read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--old", default="main")
    ap.add_argument("--rounds", type=int, default=2, help="old/new pairs, in alternating order")
    ap.add_argument("--template", default="", help="reuse this filled database (kept); default: fill and drop one")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args()

    made = not args.template
    template = args.template or f"cfm_bench_{uuid.uuid4().hex[:8]}"
    if made:
        print(fill_template(args.url, template, args.rows), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="cfm_bench_first_"))
    dbs: list[str] = []
    runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    digests: dict[str, list[Any]] = {"old": [], "new": []}
    stamp = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime())
    roots = {"old": _export(args.old, tmp / "old_tree"), "new": _export("WORKTREE", tmp / "new_tree")}
    try:
        for round_ in range(args.rounds):  # old, new, then new, old: the load drifts over a run
            for label in ("old", "new") if round_ % 2 == 0 else ("new", "old"):
                db = f"cfm_bench_{uuid.uuid4().hex[:8]}"
                dbs.append(db)
                with psycopg.connect(args.url, autocommit=True) as conn:
                    conn.execute(f'create database "{db}" template "{template}"')
                root = tmp / f"{label}_{round_}"  # a fresh copy of the side's tree: no target/
                shutil.copytree(roots[label], root)
                url = _db_url(args.url, db)
                runs[label].append(_run_side(url, root, args.new, stamp, tmp / f"{label}_{round_}.json"))
                digests[label].append(marts_digest(url))
                with psycopg.connect(args.url, autocommit=True) as conn:
                    conn.execute(f'drop database if exists "{db}" with (force)')
                print(label, {k: round(v, 1) for k, v in runs[label][-1].items() if isinstance(v, float)}, flush=True)
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            for db in [*dbs, *([template] if made else [])]:
                conn.execute(f'drop database if exists "{db}" with (force)')
        shutil.rmtree(tmp, ignore_errors=True)
    results = {label: _mean(rs) for label, rs in runs.items()}
    _write(args, results, digests)


def _mean(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            out[key] = {k: sum(r[key].get(k, 0) for r in runs) / len(runs) for k in value}
        elif isinstance(value, float):
            out[key] = sum(r[key] for r in runs) / len(runs)
    out["runs"] = runs
    return out


def _write(args: argparse.Namespace, results: dict[str, Any], digests: dict[str, Any]) -> None:
    old, new = results["old"], results["new"]
    every = [*digests["old"], *digests["new"]]
    tables = sorted(set().union(*every))
    differ = sorted(t for t in tables if len({d.get(t) for d in every}) > 1)
    clock = [t for t in differ if t in CLOCK_MARTS]
    load = os.getloadavg()
    lines = [
        f"## {args.rows:,} records: {args.old} (old) against this branch (new), same run ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"`bench/dbt_first_build.py --rows {args.rows} --new {args.new} --rounds {args.rounds}`: copies of one warehouse, "
        f"old and new {args.rounds} times each in alternating order (means below); each side's plugins and dbt project "
        f"from a fresh copy (no target/). {platform.machine()}, {os.cpu_count()} cores (shared); "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        "| step | old s | new s | new / old |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key, label in (("staging", "staging step, first invocation (old: views + their tests; new: views)"),
                       ("staging_again", "staging step again (views in place)"),
                       ("first_build", "first full `dbt build`"),
                       ("incremental_build", "new day, incremental `dbt build`")):
        lines.append(f"| {label} | {old[key]:.1f} | {new[key]:.1f} | {new[key] / old[key]:.2f} |")
    rest = [t for t in differ if t not in clock]
    lines += ["", f"Marts compared (every table of schema marts, rows as text) after the new day's build, all "
              f"{len(every)} databases: {len(tables)} tables, " + ("all equal" if not rest else f"**differ: {', '.join(rest)}**")
              + (f" (besides {', '.join(clock)}, which depends on the clock: hours since each source's last sync)" if clock else "")
              + ".", "",
              "Slowest nodes of the first full build (old side), seconds:", "",
              "| node | old | new |", "| --- | ---: | ---: |"]
    nodes_old, nodes_new = old["first_build_nodes"], new["first_build_nodes"]
    for uid, secs in sorted(nodes_old.items(), key=lambda kv: -kv[1])[:20]:
        lines.append(f"| {uid.split('.', 1)[1]} | {secs:.1f} | {nodes_new.get(uid, float('nan')):.1f} |")
    lines.append(f"| (all tests) | {sum(v for k, v in nodes_old.items() if k.startswith('test.')):.1f} | "
                 f"{sum(v for k, v in nodes_new.items() if k.startswith('test.')):.1f} |")
    path = ROOT / "bench" / "results" / "dbt_first_build.md"
    head = "# dbt: staging step, first full build and a new day, old against new\n\n"
    old_text = path.read_text(encoding="utf-8").removeprefix(head) if path.exists() else ""
    path.write_text(head + "\n".join(lines) + "\n\n" + old_text, encoding="utf-8")
    (ROOT / "bench" / "results" / "dbt_first_build.json").write_text(json.dumps(
        {"rows": args.rows, "new": args.new, "old": old, "new_side": new, "marts_differ": differ, "load": load}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

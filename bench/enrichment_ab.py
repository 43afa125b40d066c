"""Enrichment step timers of another git revision against this tree, in one run on the same records.

    PYTHONPATH=plugins .venv/bin/python bench/enrichment_ab.py --rows 12000 --chunk 2000 --baseline main
        [--workers 2] [--rounds 2] [--steps]

Generates the records as bench/scale.py does, lands, stages and validates them once, then
enriches copies of that database (CREATE DATABASE ... TEMPLATE) with the baseline revision's
plugins (`git archive`) and with this tree's, alternating baseline / this tree `--rounds`
times, each in a process of its own with the embedding model loaded before the clock starts.
Then checks that both wrote the same results: sentiment labels (scores within 1e-3), topic
assignments, topic labels and keywords, topic sizes and emerging flags, id pseudonyms; and, table
by table, that every ml.* row written is the same (all columns but the timestamps the database
sets: a digest of the rows' text forms).
With `--workers N` each variant enriches in N spawned worker processes (`enrich_in_workers`, as
`cfm run` and bench/scale.py do, models loaded in every worker before the clock) and the step
timers are the workers' `step_seconds`; vectors then depend on which worker embedded a text
first, so compare rows with `--workers 1`. `--steps` lists every step timer, not only the
main ones. Appends a section to bench/results/enrichment_overhead.md (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402  (sets sys.path and the offline environment)
from baseline_tree import export_plugins  # noqa: E402

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from cfm.config import load_config
from cfm.nlp.embedding import load_backend
from cfm.nlp.settings import nlp_config
from cfm.nlp.step_timer import STEP_SECONDS
from cfm.pipeline.enrich import enrich_new_records
config = load_config()
config["enrich"] = {**(config.get("enrich") or {}), "chunk_size": int(sys.argv[3])}
workers = int(sys.argv[4])
if workers == 1:
    load_backend(nlp_config(config.get("nlp") or {})).encode(["warm up"], 8)
    t = time.perf_counter()
    got = enrich_new_records(sys.argv[2], "bench", config=config)
    steps = dict(STEP_SECONDS)
else:
    from cfm.pipeline.enrich_workers import enrich_in_workers, warm_up, worker_pool
    with worker_pool(workers) as pool:
        warm_up(pool, workers, config)
        t = time.perf_counter()
        got = enrich_in_workers(sys.argv[2], "bench", config=config, workers=workers, pool=pool)
    steps = got.get("step_seconds") or {}
print(json.dumps({"seconds": time.perf_counter() - t, "items": got["items"], "embedded": got.get("embedded", 0),
                  "steps": steps}))
"""

# Set by the database when a row is written: left out of the row comparison.
_CLOCK_COLUMNS = ("enriched_at", "created_at", "updated_at", "assigned_at", "scored_at", "recorded_at", "occurred_at")
ML_TABLES = ("feedback_enrichment", "embeddings", "topics", "topic_assignments", "topic_history", "aspect_sentiment",
             "enrichment_runs")


def _db(admin: str, name: str) -> str:
    return admin.rsplit("/", 1)[0] + f"/{name}"


def enrich(plugins: Path, url: str, chunk: int, workers: int = 1) -> dict:
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(plugins), url, str(chunk), str(workers)], env=env,
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def row_digests(url: str) -> dict[str, dict[tuple, tuple[str, ...]]]:
    """Per ml table: each row's columns (all but `_CLOCK_COLUMNS`) as md5s of their text forms, by primary key."""
    import psycopg

    out = {}
    with psycopg.connect(url) as conn:
        for table in ML_TABLES:
            cols = [c for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'ml' and table_name = %s "
                "order by ordinal_position", (table,)) if c not in _CLOCK_COLUMNS]
            key = [c for (c,) in conn.execute(
                "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid "
                "and a.attnum = any(i.indkey) where i.indrelid = %s::regclass and i.indisprimary order by a.attnum",
                (f"ml.{table}",))]
            rows = conn.execute("select " + ", ".join(f'"{c}"::text' for c in key) + ", "
                                + ", ".join(f'md5("{c}"::text)' for c in cols) + f" from ml.{table}").fetchall()
            out[table] = {"columns": cols, **{r[:len(key)]: r[len(key):] for r in rows}}
    return out


def row_differences(a: dict, b: dict) -> str:
    """'identical', or how many rows differ and in which columns."""
    cols = a.pop("columns")
    b.pop("columns")
    if a == b:
        return "identical"
    only = len(a.keys() ^ b.keys())
    changed = [k for k in a.keys() & b.keys() if a[k] != b[k]]
    by_col = {c: sum(a[k][j] != b[k][j] for k in changed) for j, c in enumerate(cols)}
    return (f"**{len(changed):,} rows differ** ({', '.join(f'{c}: {n:,}' for c, n in by_col.items() if n)})"
            + (f", {only:,} rows in one only" if only else ""))


def results(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        sentiment = {f: (lab, s) for f, lab, s in conn.execute(
            "SELECT feedback_id, sentiment_label, sentiment_score FROM ml.feedback_enrichment")}
        topics = dict(conn.execute("SELECT feedback_id, topic_id FROM ml.topic_assignments"))
        labels = {t: (lab, list(k)) for t, lab, k in conn.execute("SELECT topic_id, label, keywords FROM ml.topics")}
        stats = conn.execute("SELECT topic_id, size, is_emerging, status FROM ml.topics ORDER BY topic_id").fetchall()
        pseudonyms = conn.execute("SELECT id_digest, pseudonym, key_version FROM ml.id_pseudonyms ORDER BY 1").fetchall()
    return {"sentiment": sentiment, "topics": topics, "labels": labels, "stats": stats, "pseudonyms": pseudonyms}


def differences(a: dict, b: dict) -> list[str]:
    out = []
    if a["sentiment"].keys() != b["sentiment"].keys():
        out.append("enriched items differ")
    labels = sum(a["sentiment"][f][0] != b["sentiment"].get(f, (None,))[0] for f in a["sentiment"])
    scores = sum(abs(a["sentiment"][f][1] - b["sentiment"][f][1]) > 1e-3 for f in a["sentiment"] if f in b["sentiment"])
    if labels or scores:
        out.append(f"sentiment: {labels} labels, {scores} scores differ")
    if a["topics"] != b["topics"]:
        out.append(f"topic assignments: {sum(a['topics'].get(f) != t for f, t in b['topics'].items())} differ")
    if a["labels"] != b["labels"]:
        out.append("topic labels / keywords differ")
    if a["stats"] != b["stats"]:
        out.append("topic stats (size, is_emerging) differ")
    if a["pseudonyms"] != b["pseudonyms"]:
        out.append(f"id pseudonyms differ ({len(a['pseudonyms'])} vs {len(b['pseudonyms'])} rows)")
    return out


def main() -> None:
    import psycopg

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=12_000)
    ap.add_argument("--chunk", type=int, default=2_000, help="enrich.chunk_size: the first chunk fits the topics")
    ap.add_argument("--baseline", default="main", help="git revision whose plugins are the baseline")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1, help="enrich in this many worker processes (enrich_in_workers)")
    ap.add_argument("--steps", action="store_true", help="list every step timer in the table")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "enrichment_overhead.md"))
    args = ap.parse_args()

    template = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    copies: list[str] = []
    loads = [os.getloadavg()[0]]
    runs: dict[str, list[dict]] = {"baseline": [], "this tree": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            scale.validated_database(args.url, template, args.rows, Path(tmp))
            trees = {"baseline": export_plugins(args.baseline, Path(tmp) / "baseline"), "this tree": ROOT / "plugins"}
            for _ in range(args.rounds):
                for label, plugins in trees.items():
                    copy = f"cfm_bench_{uuid.uuid4().hex[:8]}"
                    with psycopg.connect(args.url, autocommit=True) as conn:
                        conn.execute(f'create database "{copy}" template "{template}"')
                    copies.append(copy)
                    runs[label].append(enrich(plugins, _db(args.url, copy), args.chunk, args.workers) | {"db": copy})
                    loads.append(os.getloadavg()[0])
                    print(label, json.dumps(runs[label][-1]["steps"]), flush=True)
        first = {label: _db(args.url, runs[label][0]["db"]) for label in runs}
        diffs = differences(results(first["baseline"]), results(first["this tree"]))
        digests = {label: row_digests(url) for label, url in first.items()}
        compared = {t: (len(digests["this tree"][t]) - 1, row_differences(digests["baseline"][t], digests["this tree"][t]))
                    for t in ML_TABLES}
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            for name in [template, *copies]:
                conn.execute(f'drop database if exists "{name}" with (force)')
    write_section(args, runs, diffs, loads, compared)


def write_section(args: argparse.Namespace, runs: dict[str, list[dict]], diffs: list[str], loads: list[float],
                  compared: dict[str, tuple[int, str]]) -> None:
    def best(label: str, step: str) -> float:
        return min(r["steps"].get(step, 0.0) if step != "whole stage" else r["seconds"] for r in runs[label])

    steps = ["pseudonymise", "topics", "sentiment", "embedding", "whole stage"]
    if args.steps:
        steps = sorted({k for rs in runs.values() for r in rs for k in r["steps"]},
                       key=lambda k: -best("baseline", k)) + ["whole stage"]
    lines = [
        "", f"## {args.baseline} against this tree, same records ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`bench/enrichment_ab.py --rows {args.rows} --chunk {args.chunk} --baseline {args.baseline} --rounds "
        f"{args.rounds} --workers {args.workers}`: {runs['this tree'][0]['items']:,} records enriched in chunks of "
        f"{args.chunk:,} in {args.workers} process(es) (texts embedded: baseline "
        f"{', '.join(str(r['embedded']) for r in runs['baseline'])}, this tree "
        f"{', '.join(str(r['embedded']) for r in runs['this tree'])}; step timers summed over processes) (the first "
        f"fits the topics, the rest join them), each variant on its own copy of one landed database; best of "
        f"{args.rounds} per variant, alternating. Load average (1 min) {min(loads):.1f}-{max(loads):.1f} on "
        f"{os.cpu_count()} cores.", "",
        "| step timer | baseline s | this tree s | this tree / baseline |", "| --- | ---: | ---: | ---: |",
    ]
    for step in steps:
        b, t = best("baseline", step), best("this tree", step)
        lines.append(f"| {step} | {b:.1f} | {t:.1f} | {t / b if b else float('nan'):.2f} |")
    lines += ["", "Results: " + ("identical (sentiment labels, scores within 1e-3, topic assignments, labels, keywords, "
                                 "topic sizes and emerging flags, id pseudonyms)."
                                 if not diffs else "**differ**: " + "; ".join(diffs))]
    lines += ["", "Rows written, table by table (all columns but the database's timestamps), this tree against "
              "baseline: " + "; ".join(f"ml.{t} ({n:,} rows) {verdict}" for t, (n, verdict) in compared.items()) + ". "
              "(config_hash, provenance and the run manifest hold the nlp config, whose taxonomy_path is the absolute "
              "path of each variant's plugins folder: they always differ here.)"]
    with Path(args.out).open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

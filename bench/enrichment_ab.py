"""Enrichment step timers of another git revision against this tree, in one run on the same records.

    PYTHONPATH=plugins .venv/bin/python bench/enrichment_ab.py --rows 12000 --chunk 2000 --baseline main

Generates the records as bench/scale.py does, lands, stages and validates them once, then
enriches copies of that database (CREATE DATABASE ... TEMPLATE) with the baseline revision's
plugins (`git archive`) and with this tree's, alternating baseline / this tree `--rounds`
times, each in a process of its own with the embedding model loaded before the clock starts.
Then checks that both wrote the same results: sentiment labels (scores within 1e-3), topic
assignments, topic labels and keywords, topic sizes and emerging flags, id pseudonyms. Appends a
section to `--out` (default bench/results/enrichment_overhead.md).
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
load_backend(nlp_config(config.get("nlp") or {})).encode(["warm up"], 8)
t = time.perf_counter()
got = enrich_new_records(sys.argv[2], "bench", config=config)
print(json.dumps({"seconds": time.perf_counter() - t, "items": got["items"], "steps": dict(STEP_SECONDS)}))
"""


def _db(admin: str, name: str) -> str:
    return admin.rsplit("/", 1)[0] + f"/{name}"


def enrich(plugins: Path, url: str, chunk: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(plugins), url, str(chunk)], env=env, check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


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
                    runs[label].append(enrich(plugins, _db(args.url, copy), args.chunk) | {"db": copy})
                    loads.append(os.getloadavg()[0])
                    print(label, json.dumps(runs[label][-1]["steps"]), flush=True)
        diffs = differences(results(_db(args.url, runs["baseline"][0]["db"])), results(_db(args.url, runs["this tree"][0]["db"])))
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            for name in [template, *copies]:
                conn.execute(f'drop database if exists "{name}" with (force)')
    write_section(args, runs, diffs, loads)


def write_section(args: argparse.Namespace, runs: dict[str, list[dict]], diffs: list[str], loads: list[float]) -> None:
    def best(label: str, step: str) -> float:
        return min(r["steps"].get(step, 0.0) if step != "whole stage" else r["seconds"] for r in runs[label])

    steps = ["pseudonymise", "topics", "sentiment", "embedding", "whole stage"]
    lines = [
        "", f"## {args.baseline} against this tree, same records ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"`bench/enrichment_ab.py --rows {args.rows} --chunk {args.chunk} --baseline {args.baseline} --rounds "
        f"{args.rounds}`: {runs['this tree'][0]['items']:,} records enriched in chunks of {args.chunk:,} (the first "
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
    with Path(args.out).open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Peak memory of a topic re-cluster as the corpus grows: bounded sample against loading everything.

    PYTHONPATH=plugins .venv/bin/python bench/topic_fit_memory.py --rows 100000 300000 [--whole 100000]

Fills a scratch warehouse's ml.feedback_enrichment with N items over `--distinct` cached
embeddings (ml.embeddings; items share texts as real feedback does), clustered around 40 centres
in 512 dimensions, then runs `recluster` in a process of its own and reads that process's peak
RSS. `--whole` sizes are also run with `fit_sample_size` = N (the whole corpus loaded at once, as
before the bound): the baseline in the same run. `--baseline REV` also runs git revision REV's
recluster (its plugins, `git archive`) on the same data first and appends a section instead. The vectors are synthetic: this measures memory
and time, not topic quality (bench/insight.py does that on the real dev sets).
Writes bench/results/topic_fit_memory.md.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

WORDS = "refund delivery courier app login card payment invoice support agent price quality size colour".split()


def _fill(url: str, rows: int, distinct: int, model: str, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, 512)).astype(np.float32)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_texts (k int PRIMARY KEY, text_hash text, text text)")
        texts = []
        with cur.copy("COPY ml.embeddings (model_name, text_hash, dim, vector) FROM STDIN") as copy:
            for k in range(distinct):
                topic = k % len(centres)
                vec = centres[topic] + 0.6 * rng.normal(size=512).astype(np.float32)
                vec /= np.linalg.norm(vec)
                text = f"{WORDS[topic % len(WORDS)]} {WORDS[(topic * 7) % len(WORDS)]} issue number {k}"
                digest = hashlib.sha256(text.encode()).hexdigest()
                texts.append((k, digest, text))
                copy.write_row((model, digest, 512, "{" + ",".join(f"{x:.5f}" for x in vec) + "}"))
        with cur.copy("COPY bench_texts (k, text_hash, text) FROM STDIN") as copy:
            for row in texts:
                copy.write_row(row)
        cur.execute(
            """
            INSERT INTO ml.feedback_enrichment (feedback_id, text_redacted, text_hash, language, language_model,
                embedding_model, sentiment_label, sentiment_score, sentiment_model, category, categories, department,
                classifier_model, feedback_type, config_hash, provenance, run_id, submitted_at)
            SELECT md5('item' || i), t.text, t.text_hash, 'en', 'bench', %s, 'neutral', 0, 'bench', 'other', '{}',
                'other', 'bench', 'other', 'bench', '{}'::jsonb, 'bench',
                timestamptz '2026-11-01' - make_interval(hours => i %% 2000)
            FROM generate_series(1, %s) i JOIN bench_texts t ON t.k = i %% %s
            """,
            (model, rows, distinct),
        )
        conn.commit()


def _recluster(url: str, sample: int, plugins: str | None, out) -> None:
    if plugins:
        sys.path.insert(0, plugins)
    from cfm.nlp.topics.store import recluster

    start = time.perf_counter()
    with psycopg.connect(url) as conn:
        result = recluster(conn, config={"fit_sample_size": sample}, run_id="bench")
    out.put((time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, result))


def _measure(url: str, sample: int, plugins: str | None = None) -> tuple[float, float, dict]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_recluster, args=(url, sample, plugins, queue))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise SystemExit(f"recluster failed (exit {proc.exitcode})")
    seconds, peak_mb, result = queue.get()
    return seconds, peak_mb, result


def main() -> None:
    from baseline_tree import export_plugins

    from cfm.nlp.embedding import configured_cache_name
    from cfm.nlp.settings import nlp_config

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000])
    ap.add_argument("--whole", type=int, nargs="*", default=[100_000], help="sizes also run with the whole corpus loaded")
    ap.add_argument("--distinct", type=int, default=20_000)
    ap.add_argument("--baseline", help="git revision whose recluster also runs on the same data (bounded sample)")
    ap.add_argument("--url", default=os.environ.get("CFM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "topic_fit_memory.md"))
    args = ap.parse_args()
    cfg = nlp_config({})
    model = configured_cache_name(cfg)
    load = os.getloadavg()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline = str(export_plugins(args.baseline, Path(tmp))) if args.baseline else None
        for rows in args.rows:
            lines += _size(args, rows, cfg, model, baseline)
    _write(args, lines, load)


def _size(args: argparse.Namespace, rows: int, cfg: dict, model: str, baseline: str | None) -> list[str]:
    from bench_db import scratch_warehouse

    from cfm.nlp.ml_schema import ensure_ml_schema

    lines, bounded = [], int(cfg["fit_sample_size"])
    runs = [("bounded", bounded, None)] + ([("whole corpus", rows, None)] if rows in args.whole else [])
    if baseline:
        runs.insert(0, (f"bounded, {args.baseline}", bounded, baseline))
    for how, sample, plugins in runs:
        with scratch_warehouse(args.url) as url:
            with psycopg.connect(url) as conn:
                ensure_ml_schema(conn)
            started = time.perf_counter()
            _fill(url, rows, min(args.distinct, rows), model)
            fill_s = time.perf_counter() - started
            seconds, peak_mb, result = _measure(url, sample, plugins)
        print(f"{rows} {how}: {seconds:.1f} s, peak {peak_mb:.0f} MB, {result} (fill {fill_s:.0f} s)", flush=True)
        lines.append(
            f"| {rows:,} | {how} (fit_sample_size {sample:,}) | {seconds:.1f} | {peak_mb:,.0f} | "
            f"{result['topics']} | {result['unassigned']:,} |"
        )
    return lines


def _write(args: argparse.Namespace, lines: list[str], load: tuple[float, ...]) -> None:
    """The whole file; with --baseline, a section appended to it instead."""
    title = (f"## {args.baseline} against this tree ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})"
             if args.baseline else "# Topic re-cluster: peak memory as the corpus grows")
    text = "\n".join(
        [
            title,
            "",
            f"`bench/topic_fit_memory.py --rows {' '.join(map(str, args.rows))} --whole "
            f"{' '.join(map(str, args.whole))}{' --baseline ' + args.baseline if args.baseline else ''}`: N items over {args.distinct:,} cached 512-d embeddings (synthetic,"
            f" 40 centres), `recluster` with an empty registry in a process of its own; peak RSS of that process. "
            f"{platform.machine()}, {os.cpu_count()} cores, load average at the start {load[0]:.1f}.",
            "",
            "| items | corpus read | seconds | peak RSS MB | topics | unassigned |",
            "| ---: | --- | ---: | ---: | ---: | ---: |",
            *lines,
            "",
        ]
    )
    if args.baseline and Path(args.out).exists():
        with Path(args.out).open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

"""Aspects and categories of real dev-set texts: old code against new, same outputs? (and compute time)

    PYTHONPATH=plugins .venv/bin/python bench/aspects_categories_same_output.py [--per-file 200] [--baseline-rev main]

Texts: the first `--per-file` of each CSV under ../shared/datasets (en/ar/zh, see its README),
each item twice (feedback repeats texts). Vectors from the configured encoder, computed once
into an in-memory cache both sides read. Item topics and topic centroids are made up
(centroids: vectors of some clauses), so that clauses land in topics of their own.
The old modules come from `git show <rev>:plugins/cfm/nlp/{aspects,categories}.py`; the old
aspect writer runs against a stand-in connection that answers its reads and keeps its rows.
No database. Prints whether the outputs are identical and each side's seconds.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))


def old_module(rev: str, name: str) -> types.ModuleType:
    src = subprocess.run(["git", "show", f"{rev}:plugins/cfm/nlp/{name}.py"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    mod = types.ModuleType(f"old_{name}")
    sys.modules[mod.__name__] = mod  # dataclasses look their module up
    exec(compile(src, f"{rev}:{name}.py", "exec"), mod.__dict__)
    return mod


class _Cursor:
    """Answers the old writer's reads; keeps what it writes."""

    def __init__(self, conn: _Conn) -> None:
        self.conn, self.result = conn, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql: str, params=None) -> None:
        if "FROM ml.topic_assignments" in sql:
            self.result = list(self.conn.item_topic.items())
        elif "FROM ml.topics" in sql:
            self.result = [(t, c.tolist()) for t, c in self.conn.centroids.items()]
        else:
            self.result = []

    def fetchall(self):
        return self.result

    def executemany(self, sql: str, rows) -> None:
        self.conn.written.extend(rows)


class _Conn:
    def __init__(self, item_topic, centroids) -> None:
        self.item_topic, self.centroids, self.written = item_topic, centroids, []

    def cursor(self):
        return _Cursor(self)


def dev_texts(per_file: int) -> tuple[list[str], list[str]]:
    texts, langs = [], []
    for path in sorted((ROOT.parent / "shared" / "datasets").glob("*/*.csv")):
        with path.open(encoding="utf-8") as fh:
            rows = [r["text"] for _, r in zip(range(per_file), csv.DictReader(fh), strict=False)]
        texts += rows
        langs += [path.name[:2] if path.name[:2] in ("ar", "zh") else "en"] * len(rows)  # banking77: en
    return texts, langs


def main() -> None:
    from cfm.nlp import aspects, categories
    from cfm.nlp.embedding import MemoryEmbeddingCache, embed_texts, load_backend
    from cfm.nlp.settings import nlp_config
    from cfm.nlp.threads import limited_threads

    ap = argparse.ArgumentParser()
    ap.add_argument("--per-file", type=int, default=200)
    ap.add_argument("--baseline-rev", default="main")
    args = ap.parse_args()
    cfg = nlp_config({})
    old_aspects, old_categories = old_module(args.baseline_rev, "aspects"), old_module(args.baseline_rev, "categories")
    texts, langs = dev_texts(args.per_file)
    texts, langs = texts * 2, langs * 2
    ids = [f"fb-{k}" for k in range(len(texts))]
    rng = random.Random(7)
    with limited_threads(cfg):
        cache = MemoryEmbeddingCache()
        clauses = sorted({c for t in texts for c in aspects.split_clauses(t)})
        started = time.perf_counter()
        vectors = embed_texts(texts, config=cfg, cache=cache).vectors
        clause_vectors = embed_texts(clauses, config=cfg, cache=cache).vectors
        print(f"{len(texts)} items ({len(set(texts))} distinct texts, {len(clauses)} distinct clauses) "
              f"from {len(set(langs))} languages; encoded in {time.perf_counter() - started:.0f} s")
        centroids = {100 + k: clause_vectors[i] for k, i in enumerate(rng.sample(range(len(clauses)), 40))}
        item_topic = {fid: rng.randrange(1, 30) for fid in ids if rng.random() < 0.8}
        model = load_backend(cfg).name
        cfg = {**cfg, "assign_threshold": 0.55}

        timings = {}
        started = time.perf_counter()
        conn = _Conn(item_topic, centroids)
        old_aspects.write_aspect_sentiment(conn, ids, texts, langs, config=cfg, embedding_model=model, cache=cache,
                                           run_id="r")
        timings["aspects old"] = time.perf_counter() - started
        started = time.perf_counter()
        new_rows = aspects.aspect_rows(ids, texts, langs, item_topic, config=cfg, centroids=centroids, cache=cache,
                                       run_id="r")
        timings["aspects new"] = time.perf_counter() - started

        def embed(xs):
            return embed_texts(xs, config=cfg, cache=cache).vectors

        got = {}
        for side, mod in (("old", old_categories), ("new", categories)):
            clf = mod.CategoryClassifier(mod.load_taxonomy(), embed)
            started = time.perf_counter()
            got[side] = [(c.categories, c.department) for c in clf.classify(texts, vectors)]
            timings[f"categories {side}"] = time.perf_counter() - started
    same_aspects = [tuple(r) for r in conn.written] == [tuple(r) for r in new_rows]
    print(f"aspect rows: {len(new_rows)}, with a clause topic of their own: "
          f"{sum(r[1] >= 100 for r in new_rows)}; identical to {args.baseline_rev}: {same_aspects}")
    print(f"categories: {sum(c != ['other'] for c, _ in got['new'])} of {len(texts)} categorised; "
          f"identical to {args.baseline_rev}: {got['old'] == got['new']}")
    for what in ("aspects", "categories"):
        o, n = timings[f"{what} old"], timings[f"{what} new"]
        print(f"{what}: {args.baseline_rev} {o:.2f} s, this tree {n:.2f} s, new/old {n / o:.2f}")


if __name__ == "__main__":
    main()

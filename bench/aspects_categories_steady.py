"""Aspects and categories on chunks whose clause vectors are cached (most chunks at 1M records): old vs new.

    PYTHONPATH=plugins .venv/bin/python bench/aspects_categories_steady.py URL [--baseline-rev main]

URL: a database enriched already, so that every text and clause vector is in ml.embeddings.
Its records, in chunks of 10,000 as enrichment takes them, go through the old (`git show
<rev>:...`) and this tree's aspect writer (rolled back) and category classifier, in
alternating order, in one process; prints seconds per side and whether the outputs are identical.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

ASPECTS = ("select feedback_id, topic_id, clause_count, clauses, sentiment_label, sentiment_score "
           "from ml.aspect_sentiment where feedback_id = any(%s) order by 1, 2")


def old_module(rev: str, name: str) -> types.ModuleType:
    src = subprocess.run(["git", "show", f"{rev}:plugins/cfm/nlp/{name}.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    mod = types.ModuleType(f"old_{name}")
    sys.modules[mod.__name__] = mod
    exec(compile(src, f"{rev}:{name}.py", "exec"), mod.__dict__)
    return mod


def main() -> None:
    import numpy as np
    import psycopg

    from cfm.nlp import aspects, categories
    from cfm.nlp.embedding import LayeredEmbeddingCache, MemoryEmbeddingCache, embed_texts, load_backend
    from cfm.nlp.embedding_cache import PostgresEmbeddingCache
    from cfm.nlp.settings import nlp_config
    from cfm.nlp.threads import limited_threads

    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--baseline-rev", default="main")
    args = ap.parse_args()
    old = {"aspects": old_module(args.baseline_rev, "aspects"), "categories": old_module(args.baseline_rev, "categories")}
    cfg = nlp_config({})
    backend = load_backend(cfg)
    conn = psycopg.connect(args.url)
    rows = conn.execute("select feedback_id, text_redacted, language, text_hash from ml.feedback_enrichment "
                        "order by feedback_id").fetchall()

    def embed(xs):
        return embed_texts(xs, backend=backend, config=cfg, cache=PostgresEmbeddingCache(conn)).vectors

    sides = {"old": (old["aspects"], old["categories"]), "new": (aspects, categories)}
    clf = {side: mods[1].CategoryClassifier(mods[1].load_taxonomy(), embed) for side, mods in sides.items()}
    seconds = dict.fromkeys(("aspects old", "aspects new", "categories old", "categories new"), 0.0)
    same = True
    with limited_threads(cfg):
        for n, k in enumerate(range(0, len(rows), 10000)):
            chunk = rows[k : k + 10000]
            ids, texts, langs = [r[0] for r in chunk], [r[1] for r in chunk], [r[2] for r in chunk]
            vecs = PostgresEmbeddingCache(conn).get_many(backend.name, list({r[3] for r in chunk}))
            vectors = np.vstack([vecs[r[3]] for r in chunk])
            out = {}
            for side in ("old", "new") if n % 2 == 0 else ("new", "old"):
                known = MemoryEmbeddingCache()
                known.put_many(backend.name, vecs)
                cache = LayeredEmbeddingCache(known, PostgresEmbeddingCache(conn))
                conn.execute("delete from ml.aspect_sentiment where feedback_id = any(%s)", (ids,))
                started = time.perf_counter()
                sides[side][0].write_aspect_sentiment(conn, ids, texts, langs, config=cfg, embedding_model=backend.name,
                                                      cache=cache, run_id="bench")
                seconds[f"aspects {side}"] += time.perf_counter() - started
                out[side] = conn.execute(ASPECTS, (ids,)).fetchall()
                conn.rollback()
                started = time.perf_counter()
                out[f"categories {side}"] = [(c.categories, c.department) for c in clf[side].classify(texts, vectors)]
                seconds[f"categories {side}"] += time.perf_counter() - started
            same &= out["old"] == out["new"] and out["categories old"] == out["categories new"]
            print(k + len(chunk), {a: round(b, 1) for a, b in seconds.items()}, "identical so far:", same, flush=True)
    for what in ("aspects", "categories"):
        print(f"{what}: new / old {seconds[f'{what} new'] / seconds[f'{what} old']:.2f}")


if __name__ == "__main__":
    main()

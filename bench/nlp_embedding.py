"""Embedding stage throughput vs plain SentenceTransformer.encode, cache re-run, fast backend.

One process, same model object, same unique texts (the labelled sets, deduplicated so the
stage's own deduplication gives it no unfair advantage), alternating runs, best of 3.
Run: PYTHONPATH=plugins python bench/nlp_embedding.py  -> bench/results/embedding.md (+ .json)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
from bench_results import write_results
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from cfm.nlp.embedding import MemoryEmbeddingCache, SentenceTransformerBackend, embed_texts, text_hash
from cfm.nlp.topics.model import fit_topics

HERE = Path(__file__).parent
BATCH = 64
REPEATS = 3
BLOCK = 256


def _texts() -> list[str]:
    seen, out = set(), []
    for name in ("topics_labelled.jsonl", "sentiment_en.jsonl", "sentiment_ar.jsonl", "sentiment_zh.jsonl"):
        for line in open(HERE / "data" / name, encoding="utf-8"):
            t = json.loads(line)["text"]
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out


def _best(fn, repeats=3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    texts = _texts()
    torch_backend = SentenceTransformerBackend("all-MiniLM-L6-v2", backend="torch")
    model = torch_backend.model
    model.encode(texts[:64], batch_size=BATCH)  # warm-up
    # The machine is shared, so load changes within seconds. Alternate plain and stage on
    # small blocks (order flipped every block) and sum per method: both see the same load.
    blocks = [texts[i : i + BLOCK] for i in range(0, len(texts), BLOCK)]
    plain_s, stage_s = [], []
    for _ in range(REPEATS):
        p_total = s_total = 0.0
        for b, block in enumerate(blocks):

            def run_plain(block=block):
                model.encode(block, batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)

            def run_stage(block=block):
                embed_texts(
                    block, backend=torch_backend, cache=MemoryEmbeddingCache(), config={"batch_size": BATCH}
                )

            order = (run_plain, run_stage) if b % 2 == 0 else (run_stage, run_plain)
            for fn in order:
                t = time.perf_counter()
                fn()
                elapsed = time.perf_counter() - t
                if fn is run_plain:
                    p_total += elapsed
                else:
                    s_total += elapsed
        plain_s.append(p_total)
        stage_s.append(s_total)
    plain, stage = min(plain_s), min(stage_s)
    plain_median, stage_median = float(np.median(plain_s)), float(np.median(stage_s))

    cache = MemoryEmbeddingCache()
    first = embed_texts(texts, backend=torch_backend, cache=cache)
    t = time.perf_counter()
    rerun = embed_texts(texts, backend=torch_backend, cache=cache)
    rerun_s = time.perf_counter() - t

    int8_backend = SentenceTransformerBackend("all-MiniLM-L6-v2", backend="torch-int8")
    int8_backend.encode(texts[:64], BATCH)
    int8_s = _best(lambda: embed_texts(texts, backend=int8_backend, config={"batch_size": BATCH}))
    v_int8 = embed_texts(texts, backend=int8_backend).vectors
    cos = float((first.vectors * v_int8).sum(axis=1).mean())

    rows = [json.loads(line) for line in open(HERE / "data/topics_labelled.jsonl", encoding="utf-8")]
    ttexts = [r["text"] for r in rows]
    y = [r["topic"] for r in rows]
    keys = [text_hash(t) + r["id"] for t, r in zip(ttexts, rows, strict=True)]
    quality = {}
    for name, backend in (("torch", torch_backend), ("torch-int8", int8_backend)):
        vecs = embed_texts(ttexts, backend=backend).vectors
        fit = fit_topics(vecs, ttexts, keys)
        quality[name] = {
            "nmi": round(normalized_mutual_info_score(y, fit.labels), 4),
            "ari": round(adjusted_rand_score(y, fit.labels), 4),
            "topics": len(fit.centroids),
            "unassigned_share": round(fit.unassigned_share, 4),
        }
    result = {
        "texts": len(texts),
        "batch_size": BATCH,
        "plain_encode_s": round(plain, 3),
        "stage_s": round(stage, 3),
        "plain_texts_per_s": round(len(texts) / plain, 1),
        "stage_texts_per_s": round(len(texts) / stage, 1),
        "stage_vs_plain_ratio": round(plain / stage, 3),
        "plain_runs_s": [round(x, 2) for x in plain_s],
        "stage_runs_s": [round(x, 2) for x in stage_s],
        "stage_vs_plain_ratio_median": round(plain_median / stage_median, 3),
        "loadavg_at_end": os.getloadavg(),
        "cached_rerun_embedded": rerun.embedded,
        "cached_rerun_s": round(rerun_s, 3),
        "int8_s": round(int8_s, 3),
        "int8_speedup_vs_stage": round(stage / int8_s, 3),
        "int8_mean_cosine_to_fp32": round(cos, 4),
        "topic_quality": quality,
    }
    lines = [
        "# Embedding stage",
        "",
        f"{len(texts)} unique texts (bench/data labelled sets, en/ar/zh), all-MiniLM-L6-v2, batch {BATCH}, "
        f"CPU (2 cores, shared with other test runs: load average {result['loadavg_at_end'][0]:.1f} at the end), "
        f"{REPEATS} passes in one process, plain encode and the stage alternating on blocks of {BLOCK} texts.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| plain SentenceTransformer.encode | {result['plain_encode_s']} s ({result['plain_texts_per_s']} texts/s) |",
        f"| embedding stage (hash, dedupe, cache lookup, chunked encode, cache write) | {result['stage_s']} s ({result['stage_texts_per_s']} texts/s) |",
        f"| stage throughput / plain encode (best runs) | {result['stage_vs_plain_ratio']}x (target >= 0.9x) |",
        f"| same, medians of {REPEATS} passes | {result['stage_vs_plain_ratio_median']}x |",
        f"| all runs, plain / stage (s) | {result['plain_runs_s']} / {result['stage_runs_s']} |",
        f"| cached re-run: texts embedded | {result['cached_rerun_embedded']} ({result['cached_rerun_s']} s) |",
        f"| torch-int8 backend (dynamic int8 quantisation) | {result['int8_s']} s, {result['int8_speedup_vs_stage']}x faster than torch |",
        f"| torch-int8 vectors: mean cosine to fp32 | {result['int8_mean_cosine_to_fp32']} |",
        "",
        "Topic quality on bench/data/topics_labelled.jsonl with each backend (same fit_topics defaults):",
        "",
        "| backend | NMI | ARI | topics | unassigned |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, q in quality.items():
        lines.append(f"| {name} | {q['nmi']} | {q['ari']} | {q['topics']} | {q['unassigned_share']} |")
    lines += [
        "",
        "The cache key includes the backend (`all-MiniLM-L6-v2+int8`), so int8 and fp32 vectors never mix. "
        "ONNX Runtime was not tried (onnxruntime is on the index, but exporting the model needs optimum/onnx "
        "as well); dynamic int8 quantisation needs no extra package.",
    ]
    write_results("embedding", lines, result)


if __name__ == "__main__":
    main()

"""Topic quality vs BERTopic with the same embeddings, and topic-id stability through PostgreSQL.

Quality: bench/data/topics_labelled.jsonl (en/ar/zh, 12 known topics). NMI and ARI against the
known topics over all items (outliers count as one cluster, -1), outlier share, wall time of
the topic step only (embeddings precomputed once and shared).
Stability: a fresh database; enrich 90% of the set, re-run enrich (ids kept?), recluster on
the same data (ids kept?), add the other 10% (incremental), recluster: share of the old items
that keep their topic id.
Run: PYTHONPATH=plugins python bench/nlp_topics.py  -> bench/results/topics.md (+ .json)
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from bench_results import write_results
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from cfm.nlp.embedding import embed_texts, text_hash
from cfm.nlp.settings import nlp_config
from cfm.nlp.topics.model import fit_topics

HERE = Path(__file__).parent
BT_PYTHON = os.environ.get("BERTOPIC_PYTHON", "/tmp/bt/bin/python")
SERVER = os.environ.get("CFM_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _scores(y, labels, lang) -> dict:
    labels = np.asarray(labels)
    out = {
        "nmi": round(normalized_mutual_info_score(y, labels), 4),
        "ari": round(adjusted_rand_score(y, labels), 4),
        "topics": int(len(set(labels.tolist()) - {-1})),
        "outlier_share": round(float((labels < 0).mean()), 4),
    }
    for code in ("en", "ar", "zh"):
        m = lang == code
        out[f"nmi_{code}"] = round(normalized_mutual_info_score(y[m], labels[m]), 4)
    return out


def quality(rows) -> dict:
    texts = [r["text"] for r in rows]
    y = np.array([r["topic"] for r in rows])
    lang = np.array([r["language"] for r in rows])
    vectors = embed_texts(texts).vectors
    keys = [text_hash(t) + r["id"] for t, r in zip(texts, rows, strict=True)]
    results = {}
    cfg = nlp_config()
    variants = {
        "cfm (default: embedding + hashed keywords, average linkage)": cfg,
        "cfm, embedding only (lexical_weight 0)": {**cfg, "lexical_weight": 0.0},
    }
    for name, conf in variants.items():
        t = time.perf_counter()
        fit = fit_topics(vectors, texts, keys, conf)
        results[name] = {**_scores(y, fit.labels, lang), "seconds": round(time.perf_counter() - t, 2)}
        # same fit without outlier reassignment, to show what reassignment buys
        raw = fit.labels.copy()
        raw[np.array(fit.methods) == "reassigned"] = -1
        results[name]["outlier_share_before_reassignment"] = round(float((raw < 0).mean()), 4)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/emb.npy", vectors)
        json.dump(texts, open(f"{tmp}/texts.json", "w", encoding="utf-8"), ensure_ascii=False)
        for min_size in (8, 10):
            try:
                t = time.perf_counter()
                subprocess.run(
                    [
                        BT_PYTHON,
                        str(HERE / "nlp_bertopic_run.py"),
                        f"{tmp}/emb.npy",
                        f"{tmp}/texts.json",
                        f"{tmp}/bt.json",
                        str(min_size),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                process_s = time.perf_counter() - t
                bt = json.load(open(f"{tmp}/bt.json"))
                results[f"BERTopic 0.17 (UMAP+HDBSCAN, min_topic_size {min_size})"] = {
                    **_scores(y, bt["labels"], lang),
                    "seconds": round(bt["seconds"], 2),
                    "seconds_incl_import": round(process_s, 2),
                }
            except (OSError, subprocess.SubprocessError) as exc:
                results[f"BERTopic min_topic_size {min_size}"] = {"error": str(exc)[:300]}
    return results


def _items(rows, start):
    return [
        {
            "feedback_id": r["id"],
            "text": r["text"],
            "language_declared": None,
            "rating_type": None,
            "rating_value": None,
            "rating_scale_min": None,
            "rating_scale_max": None,
            "submitted_at": start + timedelta(minutes=7 * k),
        }
        for k, r in enumerate(rows)
    ]


def stability(rows) -> dict:
    import psycopg

    from cfm.nlp.topics.store import recluster
    from cfm.nlp.warehouse_enrichment import enrich_feedback

    name = f"cfm_nlp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = SERVER.rsplit("/", 1)[0] + "/" + name
    out: dict = {}
    try:
        with psycopg.connect(url) as conn:
            n_old = int(len(rows) * 0.9)
            old = _items(rows[:n_old], datetime(2026, 10, 1, tzinfo=UTC))
            new = _items(rows[n_old:], datetime(2026, 11, 1, tzinfo=UTC))

            def assignments():
                return dict(conn.execute("SELECT feedback_id, topic_id FROM ml.topic_assignments").fetchall())

            t = time.perf_counter()
            first = enrich_feedback(conn, old, config={}, run_id="r1")
            out["first_enrich"] = {**first, "seconds": round(time.perf_counter() - t, 1)}
            a1 = assignments()
            t = time.perf_counter()
            second = enrich_feedback(conn, old, config={}, run_id="r2")
            out["rerun_enrich"] = {**second, "seconds": round(time.perf_counter() - t, 1)}
            a2 = assignments()
            out["rerun_ids_kept_share"] = round(sum(a1[k] == a2[k] for k in a1) / len(a1), 4)
            rc_same = recluster(conn, config={}, run_id="rc-same")
            a3 = assignments()
            out["recluster_same_data"] = rc_same
            out["recluster_same_data_ids_kept_share"] = round(sum(a1[k] == a3[k] for k in a1) / len(a1), 4)
            inc = enrich_feedback(conn, new, config={}, run_id="r3")
            out["incremental_enrich"] = inc
            a4 = assignments()
            out["incremental_old_ids_kept_share"] = round(sum(a3[k] == a4[k] for k in a3) / len(a3), 4)
            t = time.perf_counter()
            rc = recluster(conn, config={}, run_id="rc-new")
            out["recluster_after_10pct_new"] = {**rc, "seconds": round(time.perf_counter() - t, 1)}
            a5 = assignments()
            out["recluster_after_10pct_new_old_ids_kept_share"] = round(
                sum(a3[k] == a5[k] for k in a3) / len(a3), 4
            )
            had = [k for k in a3 if a3[k] is not None]
            out["recluster_after_10pct_new_assigned_old_ids_kept_share"] = round(
                sum(a3[k] == a5[k] for k in had) / len(had), 4
            )
            out["history_events"] = dict(
                conn.execute(
                    "SELECT event, count(*) FROM ml.topic_history GROUP BY event ORDER BY event"
                ).fetchall()
            )
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


def main() -> None:
    rows = [json.loads(line) for line in open(HERE / "data/topics_labelled.jsonl", encoding="utf-8")]
    q = quality(rows)
    s = stability(rows)
    result = {"quality": q, "stability": s}
    lines = [
        "# Topics: quality vs BERTopic, and id stability",
        "",
        f"Data: bench/data/topics_labelled.jsonl, {len(rows)} short texts (en 720, ar 480, zh 480) over 12 known "
        "topics, synthetic (phrase banks x openers/closers, bench/nlp_make_data.py). Same all-MiniLM-L6-v2 "
        "embeddings for every method; times are the topic step only, 2 CPU cores.",
        "",
        "| method | NMI | ARI | NMI en | NMI ar | NMI zh | topics | outlier share | seconds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in q.items():
        if "error" in r:
            lines.append(f"| {name} | error: {r['error']} | | | | | | | |")
            continue
        lines.append(
            f"| {name} | {r['nmi']} | {r['ari']} | {r['nmi_en']} | {r['nmi_ar']} | {r['nmi_zh']} | {r['topics']} | "
            f"{r['outlier_share']} | {r['seconds']} |"
        )
    lines += [
        "",
        "cfm outlier share before centroid reassignment: "
        + ", ".join(
            f"{k}: {v['outlier_share_before_reassignment']}"
            for k, v in q.items()
            if "outlier_share_before_reassignment" in v
        ),
        "",
        "Times were taken on a 2-core machine shared with other engineers' test runs, so they vary between "
        "runs (BERTopic 15-39 s, cfm 1.6-2.4 s across our runs); the ratio is large enough to survive the noise.",
        "",
        "## Stability (PostgreSQL, enrich_feedback + recluster)",
        "",
        f"- enrich 90% ({s['first_enrich']['items']} items): {s['first_enrich']['topics']} topics, "
        f"{s['first_enrich']['unassigned']} unassigned, {s['first_enrich']['seconds']} s",
        f"- re-run on the same data: {s['rerun_enrich']['embedded']} texts embedded, ids kept: {s['rerun_ids_kept_share']:.2%}",
        f"- recluster on the same data: ids kept {s['recluster_same_data_ids_kept_share']:.2%} ({s['recluster_same_data']})",
        f"- add 10% new items (incremental): {s['incremental_enrich']['assigned']} assigned, "
        f"{s['incremental_enrich']['unassigned']} unassigned; old ids kept {s['incremental_old_ids_kept_share']:.2%}",
        f"- recluster after adding 10%: old items keeping their topic id {s['recluster_after_10pct_new_old_ids_kept_share']:.2%} "
        f"(target >= 95%); among old items that had a topic: {s['recluster_after_10pct_new_assigned_old_ids_kept_share']:.2%}; "
        f"{s['recluster_after_10pct_new']}",
        f"- topic_history events: {s['history_events']}",
        "",
        "Old items 'keeping their topic id' counts an item unassigned before and assigned after as changed; "
        "among old items that had a topic the share is the second figure. Ids are held by hysteresis: an item "
        "stays in a surviving topic while its cosine to that topic's centroid >= assign_threshold, unless its "
        "topic split; an unmatched topic survives while >= min_topic_size members stay close to it.",
    ]
    write_results("topics", lines, result, default=str)


if __name__ == "__main__":
    main()

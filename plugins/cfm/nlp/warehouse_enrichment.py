"""Warehouse entry point: enrich feedback items and write ml.* (idempotent).

Re-running on the same input leaves ml unchanged: rows are only rewritten when a value
changed (so run_id / timestamps keep pointing at the run that produced them), embeddings
are read from the cache, and items already assigned to a topic keep their assignment.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cfm.nlp.aspects import write_aspect_sentiment
from cfm.nlp.embedding import LayeredEmbeddingCache, MemoryEmbeddingCache, load_backend
from cfm.nlp.embedding_cache import PostgresEmbeddingCache
from cfm.nlp.ml_schema import ensure_ml_schema_current
from cfm.nlp.provenance import run_manifest, write_run_manifest
from cfm.nlp.settings import nlp_config
from cfm.nlp.step_timer import timed
from cfm.nlp.steps import enrich_texts, enrichment_columns
from cfm.nlp.threads import limited_threads
from cfm.nlp.topics.store import update_topics

log = logging.getLogger(__name__)

REQUIRED_KEYS = ("feedback_id", "text")

def _row_columns() -> list[str]:
    return ["feedback_id", *(c.name for c in enrichment_columns()), "submitted_at", "run_id"]


def _temp_table() -> str:
    """The session temp table the rows are copied into; its name follows the columns."""
    return "feedback_enrichment_in_" + hashlib.md5(", ".join(_row_columns()).encode("utf-8")).hexdigest()[:8]


def _upsert_sql() -> str:
    """Upsert ml.feedback_enrichment from the temp table, in feedback_id order; a row is only rewritten
    when a compared value changed."""
    cols = [c.name for c in enrichment_columns()] + ["submitted_at", "run_id"]
    compared = [c.name for c in enrichment_columns() if c.compared] + ["submitted_at"]
    return (
        f"INSERT INTO ml.feedback_enrichment AS f (feedback_id, {', '.join(cols)})\n"
        f"SELECT {', '.join(_row_columns())} FROM {_temp_table()} ORDER BY feedback_id\n"
        "ON CONFLICT (feedback_id) DO UPDATE SET\n    "
        + ", ".join(f"{c} = excluded.{c}" for c in cols) + ", enriched_at = now()\n"
        f"WHERE ({', '.join('f.' + c for c in compared)})\n    IS DISTINCT FROM\n"
        f"      ({', '.join('excluded.' + c for c in compared)})"
    )


def _write_rows(cur, rows: Sequence[tuple]) -> None:
    """COPY the rows into a session temp table, then one upsert from it (one INSERT per row was the
    "enrichment rows" step)."""
    cols, temp = ", ".join(_row_columns()), _temp_table()
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} AS SELECT {cols} FROM ml.feedback_enrichment WITH NO DATA")
    with cur.copy(f"COPY {temp} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(_upsert_sql())
    cur.execute(f"TRUNCATE {temp}")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _validate(items: Sequence[Mapping[str, Any]]) -> None:
    seen = set()
    for n, item in enumerate(items):
        for key in REQUIRED_KEYS:
            if key not in item:
                raise ValueError(
                    f"feedback item #{n} ({item.get('feedback_id', '?')}): missing field {key!r}"
                )
        fid = str(item["feedback_id"])
        if fid in seen:
            raise ValueError(f"feedback item #{n}: duplicate feedback_id {fid!r} in one batch")
        seen.add(fid)


def enrich_feedback(
    conn,
    items: Sequence[Mapping[str, Any]],
    *,
    config: Mapping[str, Any] | None,
    run_id: str,
    progress: bool = False,
    refresh_topic_stats: bool = True,
) -> dict[str, int]:
    """Redact, detect language, embed (cached), score sentiment, categorise and assign topics.

    `refresh_topic_stats=False` leaves the topics' sizes and emerging flags to the caller
    (`cfm.nlp.topics.store.refresh_topic_stats_locked` once after its last batch).

    `items`: dicts with feedback_id, text (raw, may contain PII), language_declared,
    rating_type, rating_value, rating_scale_min, rating_scale_max, submitted_at.
    Writes ml.feedback_enrichment, ml.embeddings, ml.topics, ml.topic_assignments and
    ml.topic_history, commits, and returns counts: items, embedded, cached, topics (active),
    new_topics, assigned, unassigned (items of this batch without a topic), with_pii.
    """
    cfg = nlp_config(config)
    _validate(items)
    ensure_ml_schema_current(conn)
    counts = {
        "items": len(items),
        "embedded": 0,
        "cached": 0,
        "topics": 0,
        "new_topics": 0,
        "assigned": 0,
        "unassigned": 0,
        "with_pii": 0,
    }
    if not items:
        return counts
    ids = [str(i["feedback_id"]) for i in items]
    batch = enrich_texts(
        [i.get("text") for i in items],
        declared_languages=[i.get("language_declared") for i in items],
        ratings=[
            (
                i.get("rating_type"),
                i.get("rating_value"),
                i.get("rating_scale_min"),
                i.get("rating_scale_max"),
            )
            for i in items
        ],
        config=cfg,
        # Each chunk of new vectors is committed on its own: mapped tasks enriching other key
        # ranges may embed the same texts, and short inserts never wait on each other in a cycle.
        cache=PostgresEmbeddingCache(conn, commit_chunks=True),
        progress=progress,
    )
    model = batch.embedding_model
    columns = enrichment_columns()
    rows = [
        (fid, *(_plain(batch.value(c, k)) for c in columns), items[k].get("submitted_at"), run_id)
        for k, fid in enumerate(ids)
    ]
    # One batch at a time writes enrichment and topics: a registry is fitted once, never by two tasks at once.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('cfm.topics'))")
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT e.feedback_id, e.text_hash, a.feedback_id IS NOT NULL
            FROM ml.feedback_enrichment e
            LEFT JOIN ml.topic_assignments a ON a.feedback_id = e.feedback_id AND a.embedding_model = e.embedding_model
            WHERE e.feedback_id = ANY(%s) AND e.embedding_model = %s
            """,
            (ids, model),
        )
        before = {fid: (h, has_topic) for fid, h, has_topic in cur.fetchall()}
        with timed("enrichment rows"):
            _write_rows(cur, rows)
    # Items never assigned, or whose redacted text changed, need a topic; the rest keep theirs.
    pending = {
        fid
        for k, fid in enumerate(ids)
        if (batch.text_redacted[k] or "").strip()
        and (fid not in before or not before[fid][1] or before[fid][0] != batch.text_hash[k])
    }
    log.info("enrichment rows written for %d items; %d need topic assignment", len(ids), len(pending))

    with limited_threads(cfg), timed("topics"):
        counts.update(update_topics(conn, ids, batch.vectors, batch.text_redacted, pending, config=cfg,
                                    embedding_model=model, run_id=run_id, refresh_stats=refresh_topic_stats))
        conn.commit()
    with limited_threads(cfg), timed("aspects"):
        # The batch's own vectors first: a one-clause text's clause is the text, already embedded.
        known = MemoryEmbeddingCache()
        known.put_many(model, dict(zip(batch.text_hash, batch.vectors, strict=True)))
        # Clause vectors commit chunk by chunk too: two workers' chunks of overlapping clauses, each
        # sorted but held in one transaction, could otherwise lock the same rows in opposite orders.
        cache = LayeredEmbeddingCache(known, PostgresEmbeddingCache(conn, commit_chunks=True))
        counts.update(write_aspect_sentiment(conn, ids, batch.text_redacted, batch.language, config=cfg,
                                             embedding_model=model, cache=cache, run_id=run_id))
        conn.commit()
    counts.update(
        embedded=batch.embedded, cached=batch.cached, with_pii=sum(bool(p) for p in batch.pii_types)
    )
    write_run_manifest(conn, run_manifest(run_id, load_backend(cfg), cfg, counts=counts))
    conn.commit()
    log.info("enrich_feedback %s: %s", run_id, counts)
    return counts

"""The enriched corpus a topic fit reads, bounded in memory however large the warehouse grows.

A fit sees at most `fit_sample_size` items: those with the lowest key (text hash, then feedback
id), the order `fit_topics` itself samples in, so a growing corpus keeps most of its sample from
one run to the next. Everything above the sample's last key is streamed from a server-side
cursor in chunks and placed on the fitted centroids; it is never held whole. Vectors come out of
PostgreSQL chunk by chunk straight into float32 arrays: a million `real[]` rows as Python floats
would take over ten gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

_CORPUS = """
    FROM ml.feedback_enrichment e
    JOIN ml.embeddings m ON m.model_name = e.embedding_model AND m.text_hash = e.text_hash
    WHERE e.embedding_model = %(model)s AND btrim(coalesce(e.text_redacted, '')) <> ''
"""
_KEY = '(e.text_hash || e.feedback_id) COLLATE "C"'
FETCH_ROWS = 5000


@dataclass
class CorpusPart:
    """Items with text and a cached embedding: feedback ids, redacted texts, text hashes, vectors."""

    ids: list[str]
    texts: list[str]
    hashes: list[str]
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _part(rows: list[tuple]) -> CorpusPart:
    if not rows:
        return CorpusPart([], [], [], np.zeros((0, 0), dtype=np.float32))
    ids, texts, hashes, vecs = zip(*rows, strict=True)
    return CorpusPart(list(ids), list(texts), list(hashes), np.asarray(vecs, dtype=np.float32))


def _stream(conn, sql: str, params: dict, chunk_rows: int) -> Iterator[CorpusPart]:
    with conn.cursor(name="cfm_topic_corpus") as cur:
        cur.itersize = chunk_rows
        cur.execute(sql, params)
        while rows := cur.fetchmany(chunk_rows):
            yield _part(rows)


def corpus_size(conn, embedding_model: str) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) " + _CORPUS, {"model": embedding_model})
        return int(cur.fetchone()[0])


def sample_cutoff(conn, embedding_model: str, limit: int) -> str | None:
    """The key of the `limit`-th item in key order; None when the whole corpus fits in the sample."""
    if corpus_size(conn, embedding_model) <= limit:
        return None
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT {_KEY} {_CORPUS} ORDER BY 1 OFFSET %(skip)s LIMIT 1",
            {"model": embedding_model, "skip": max(limit, 1) - 1},
        )
        return cur.fetchone()[0]


def load_sample(conn, embedding_model: str, cutoff: str | None, chunk_rows: int = FETCH_ROWS) -> CorpusPart:
    """Every item with a key up to `cutoff` (all items when None), in feedback id order."""
    where = f" AND {_KEY} <= %(cutoff)s" if cutoff is not None else ""
    sql = f"SELECT e.feedback_id, e.text_redacted, e.text_hash, m.vector {_CORPUS}{where} ORDER BY e.feedback_id"
    parts = list(_stream(conn, sql, {"model": embedding_model, "cutoff": cutoff}, chunk_rows))
    if not parts:
        return _part([])
    return CorpusPart(
        [i for p in parts for i in p.ids],
        [t for p in parts for t in p.texts],
        [h for p in parts for h in p.hashes],
        np.vstack([p.vectors for p in parts]),
    )


def stream_beyond(
    conn, embedding_model: str, cutoff: str | None, chunk_rows: int = FETCH_ROWS
) -> Iterator[CorpusPart]:
    """The items the sample left out (key above `cutoff`), chunk by chunk, in no particular order."""
    if cutoff is None:
        return
    sql = f"SELECT e.feedback_id, e.text_redacted, e.text_hash, m.vector {_CORPUS} AND {_KEY} > %(cutoff)s"
    yield from _stream(conn, sql, {"model": embedding_model, "cutoff": cutoff}, chunk_rows)

"""The enriched corpus a topic fit reads, bounded in memory however large the warehouse grows.

A fit sees at most `fit_sample_size` items: those with the lowest key (text hash, then feedback
id), the order `fit_topics` itself samples in, so a growing corpus keeps most of its sample from
one run to the next. Everything above the sample's last key is streamed from a server-side
cursor in chunks and placed on the fitted centroids; it is never held whole. Vectors come out of
PostgreSQL chunk by chunk straight into float32 arrays: a million `real[]` rows as Python floats
would take over ten gigabytes. The cursor reads the binary format and `real[]` values are decoded
by numpy (`decode_real_array`): parsing their text form was most of the read's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from psycopg.adapt import Loader
from psycopg.pq import Format

_CORPUS = """
    FROM ml.feedback_enrichment e
    JOIN ml.embeddings m ON m.model_name = e.embedding_model AND m.text_hash = e.text_hash
    WHERE e.embedding_model = %(model)s AND btrim(coalesce(e.text_redacted, '')) <> ''
"""
_KEY = '(e.text_hash || e.feedback_id) COLLATE "C"'
FETCH_ROWS = 5000
_REAL_ARRAY_OID = 1021  # real[] (float4[])
# PostgreSQL's binary array: ndim, has-null flag, element oid, then (length, lower bound) per
# dimension, then each element as its byte length and its big-endian value.
_ELEMENT = np.dtype([("size", ">i4"), ("value", ">f4")])


def decode_real_array(data: bytes | memoryview) -> np.ndarray:
    """A `real[]` value in PostgreSQL's binary format as a float32 vector (empty array: length 0)."""
    header = np.frombuffer(data, dtype=">i4", count=3)
    ndim, has_null = int(header[0]), int(header[1])
    if ndim == 0:
        return np.zeros(0, dtype=np.float32)
    if ndim != 1:
        raise ValueError(f"expected a one-dimensional real[] vector, got {ndim} dimensions")
    if has_null:
        raise ValueError("a real[] vector holds NULL elements")
    n = int(np.frombuffer(data, dtype=">i4", count=1, offset=12)[0])
    if len(data) != 20 + n * _ELEMENT.itemsize:
        raise ValueError("malformed binary real[] value")
    elements = np.frombuffer(data, dtype=_ELEMENT, count=n, offset=20)
    if (elements["size"] != 4).any():
        raise ValueError("malformed binary real[] value")
    return elements["value"].astype(np.float32)


class _RealArrayLoader(Loader):
    format = Format.BINARY

    def load(self, data: bytes | memoryview) -> np.ndarray:
        return decode_real_array(data)


def vector_cursor(conn, name: str | None = None):
    """A binary cursor (server-side when `name` is given) that reads `real[]` columns as float32 arrays."""
    cur = conn.cursor(name=name, binary=True) if name else conn.cursor(binary=True)
    cur.adapters.register_loader(_REAL_ARRAY_OID, _RealArrayLoader)
    return cur


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
    if any(v is None for v in vecs):
        raise ValueError("an embedding vector is NULL")
    return CorpusPart(list(ids), list(texts), list(hashes), np.stack(vecs).astype(np.float32, copy=False))


def _stream(conn, sql: str, params: dict, chunk_rows: int) -> Iterator[CorpusPart]:
    with vector_cursor(conn, "cfm_topic_corpus") as cur:
        cur.itersize = chunk_rows
        cur.execute(sql, params)
        while rows := cur.fetchmany(chunk_rows):
            yield _part(rows)


def corpus_size(conn, embedding_model: str) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) " + _CORPUS, {"model": embedding_model})
        return int(cur.fetchone()[0])


def sample_cutoff(conn, embedding_model: str, limit: int) -> tuple[str | None, int]:
    """The key of the `limit`-th item in key order (None when the whole corpus fits in the sample)
    and the corpus size, counted once for both."""
    size = corpus_size(conn, embedding_model)
    if size <= limit:
        return None, size
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT {_KEY} {_CORPUS} ORDER BY 1 OFFSET %(skip)s LIMIT 1",
            {"model": embedding_model, "skip": max(limit, 1) - 1},
        )
        return cur.fetchone()[0], size


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

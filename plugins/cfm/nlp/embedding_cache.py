"""`EmbeddingCache` over ml.embeddings (vectors as real[]), so a text is embedded once per model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from psycopg.adapt import Dumper
from psycopg.pq import Format

from cfm.nlp.topics.corpus import vector_cursor

_FLOAT4_OID = 700  # real
_REAL_ARRAY_OID = 1021  # real[]
_ELEMENT = np.dtype([("size", ">i4"), ("value", ">f4")])  # each element: its byte length, its value


def encode_real_array(vector: np.ndarray) -> bytes:
    """A float32 vector in PostgreSQL's binary `real[]` format (what `decode_real_array` reads back)."""
    vector = np.asarray(vector, dtype=np.float32)
    if vector.ndim != 1:
        raise ValueError(f"expected a one-dimensional vector, got shape {vector.shape}")
    # ndim 1, no NULLs, element type real; then one dimension: its length, lower bound 1.
    header = np.array([1, 0, _FLOAT4_OID, vector.shape[0], 1], dtype=">i4").tobytes()
    elements = np.empty(vector.shape[0], dtype=_ELEMENT)
    elements["size"] = 4
    elements["value"] = vector  # float32 to big-endian float32: the same bits, reordered
    return header + elements.tobytes()


class _RealArrayDumper(Dumper):
    """numpy float32 vectors as binary `real[]` (COPY ... (FORMAT BINARY) with `set_types([... "real[]"])`)."""

    format = Format.BINARY
    oid = _REAL_ARRAY_OID

    def dump(self, obj: np.ndarray) -> bytes:
        return encode_real_array(obj)


class PostgresEmbeddingCache:
    """`EmbeddingCache` over ml.embeddings (vectors as real[])."""

    def __init__(self, conn, *, commit_chunks: bool = False):
        self.conn = conn
        self.commit_chunks = commit_chunks  # commit each chunk: a long re-embedding can resume after a crash

    def get_many(self, model_name: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        if not hashes:
            return {}
        # Binary: the real[] values decode straight into float32 arrays, no text parsing.
        with vector_cursor(self.conn) as cur:
            cur.execute(
                "SELECT text_hash, vector FROM ml.embeddings WHERE model_name = %s AND text_hash = ANY(%s)",
                (model_name, list(hashes)),
            )
            return dict(cur.fetchall())

    def put_many(self, model_name: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Add vectors not stored yet: binary COPY into a session temp table, then one INSERT .. ON CONFLICT DO NOTHING.

        The vectors go as PostgreSQL's binary real[] (the float32 bits as they are): formatting
        each float as text for a text COPY was the cost of this write (about 19 s at 1M records).
        Rows go in text_hash order, so concurrent writers of overlapping texts lock them in the same order.
        """
        if not vectors:
            return
        with self.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS embeddings_in "
                        "(model_name text, text_hash text, dim int, vector real[])")
            cur.adapters.register_dumper(None, _RealArrayDumper)
            with cur.copy("COPY embeddings_in (model_name, text_hash, dim, vector) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["text", "text", "int4", "real[]"])
                for h in sorted(vectors):
                    v = vectors[h]
                    copy.write_row((model_name, h, int(v.shape[0]), v))
            cur.execute("INSERT INTO ml.embeddings (model_name, text_hash, dim, vector) "
                        "SELECT model_name, text_hash, dim, vector FROM embeddings_in ORDER BY text_hash "
                        "ON CONFLICT (model_name, text_hash) DO NOTHING")
            cur.execute("TRUNCATE embeddings_in")
        if self.commit_chunks:
            self.conn.commit()

"""`EmbeddingCache` over ml.embeddings (vectors as real[]), so a text is embedded once per model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


class PostgresEmbeddingCache:
    """`EmbeddingCache` over ml.embeddings (vectors as real[])."""

    def __init__(self, conn, *, commit_chunks: bool = False):
        self.conn = conn
        self.commit_chunks = commit_chunks  # commit each chunk: a long re-embedding can resume after a crash

    def get_many(self, model_name: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if not hashes:
            return out
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT text_hash, vector FROM ml.embeddings WHERE model_name = %s AND text_hash = ANY(%s)",
                (model_name, list(hashes)),
            )
            for h, vec in cur.fetchall():
                out[h] = np.asarray(vec, dtype=np.float32)
        return out

    def put_many(self, model_name: str, vectors: Mapping[str, np.ndarray]) -> None:
        if not vectors:
            return
        rows = [(model_name, h, int(v.shape[0]), [float(x) for x in v]) for h, v in sorted(vectors.items(), key=lambda hv: hv[0])]
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO ml.embeddings (model_name, text_hash, dim, vector) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (model_name, text_hash) DO NOTHING",
                rows,
            )
        if self.commit_chunks:
            self.conn.commit()

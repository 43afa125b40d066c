"""PostgresEmbeddingCache: vectors written with COPY read back bit for bit; stored vectors are never replaced."""

import numpy as np

from cfm.nlp.embedding_cache import PostgresEmbeddingCache
from cfm.nlp.ml_schema import ensure_ml_schema


def test_vectors_round_trip_exactly_and_existing_ones_are_kept(ml_conn):
    ensure_ml_schema(ml_conn)
    cache = PostgresEmbeddingCache(ml_conn)
    rng = np.random.default_rng(7)
    first = {f"h{i}": rng.normal(size=512).astype(np.float32) for i in range(50)}
    first["tiny"] = np.array([1e-38, -3.4e38, 0.1, 1 / 3], dtype=np.float32)
    # Subnormals, signed zero, the extremes: the binary COPY must keep every bit.
    first["edges"] = np.array([1e-45, -1e-45, -0.0, 0.0, np.finfo(np.float32).max, np.finfo(np.float32).tiny,
                               np.nextafter(np.float32(1), np.float32(2))], dtype=np.float32)
    cache.put_many("m", first)
    # Again in the same transaction, overlapping: new ones are added, stored ones stay as they were.
    second = {"h0": np.zeros(512, np.float32), "new": np.ones(512, np.float32)}
    cache.put_many("m", second)
    ml_conn.commit()
    got = cache.get_many("m", [*first, "new", "missing"])
    assert set(got) == {*first, "new"}
    for h, v in first.items():
        assert got[h].dtype == np.float32 and got[h].tobytes() == v.tobytes()  # bit for bit
    assert np.array_equal(got["new"], second["new"])
    assert cache.get_many("other-model", ["h0"]) == {}
    count = ml_conn.execute("SELECT count(*) FROM ml.embeddings").fetchone()[0]
    assert count == len(first) + 1


def test_commit_chunks_commits_each_write(ml_conn):
    ensure_ml_schema(ml_conn)
    ml_conn.commit()
    PostgresEmbeddingCache(ml_conn, commit_chunks=True).put_many("m", {"a": np.ones(4, np.float32)})
    ml_conn.rollback()  # nothing left to roll back: the chunk was committed
    assert PostgresEmbeddingCache(ml_conn).get_many("m", ["a"])["a"].tolist() == [1.0] * 4


def test_vectors_are_stored_as_the_same_reals_postgres_reads_from_text(ml_conn):
    """What the binary COPY stores is the real[] that PostgreSQL parses from the shortest decimal text."""
    ensure_ml_schema(ml_conn)
    v = np.random.default_rng(3).normal(size=64).astype(np.float32)
    PostgresEmbeddingCache(ml_conn).put_many("m", {"a": v})
    text = "{" + ",".join(map(repr, v.tolist())) + "}"
    same, dim = ml_conn.execute("SELECT vector = %s::real[], dim FROM ml.embeddings WHERE text_hash = 'a'",
                                (text,)).fetchone()
    assert same and dim == 64

"""The topic corpus reads `real[]` vectors in PostgreSQL's binary format, decoded by numpy."""

from __future__ import annotations

import numpy as np
import pytest

from cfm.nlp.topics.corpus import _part, decode_real_array, vector_cursor

VECTORS = {
    1: np.array([0.1, -2.5, 3.4028235e38, -1.1754944e-38, 1e-45, -0.0, 0.333333343], dtype=np.float32),
    2: np.random.default_rng(3).normal(size=512).astype(np.float32),
    3: np.array([np.inf, -np.inf], dtype=np.float32),
}


@pytest.fixture
def vectors_table(ml_conn):
    ml_conn.execute("CREATE TEMP TABLE v (k int PRIMARY KEY, vector real[])")
    with ml_conn.cursor() as cur:
        for k, vec in VECTORS.items():
            cur.execute("INSERT INTO v VALUES (%s, %s::real[])", (k, [float(x) for x in vec]))
        cur.execute("INSERT INTO v VALUES (4, '{}'), (5, NULL), (6, '{1.5,NULL}'), (7, '{{1,2},{3,4}}')")
    return ml_conn


def _read(conn, keys, name=None):
    with vector_cursor(conn, name) as cur:
        cur.execute("SELECT vector FROM v WHERE k = ANY(%s) ORDER BY k", (list(keys),))
        return [r[0] for r in cur.fetchall()]


def test_binary_read_round_trips_real_vectors_bit_for_bit(vectors_table):
    for name in (None, "server_side"):
        got = _read(vectors_table, VECTORS, name)
        for (k, want), vec in zip(VECTORS.items(), got, strict=True):
            assert vec.dtype == np.float32 and vec.shape == want.shape, k
            assert vec.tobytes() == want.tobytes(), k  # same bits: signed zero, denormals, infinities
    with vectors_table.cursor() as cur:  # the same values as the text format gives
        cur.execute("SELECT vector FROM v WHERE k = ANY(%s) ORDER BY k", (list(VECTORS),))
        as_text = [np.asarray(r[0], dtype=np.float32) for r in cur.fetchall()]
    assert all(a.tobytes() == b.tobytes() for a, b in zip(as_text, _read(vectors_table, VECTORS), strict=True))


def test_empty_and_null_vectors(vectors_table):
    empty, null = _read(vectors_table, [4, 5])
    assert empty.shape == (0,) and empty.dtype == np.float32
    assert null is None
    with pytest.raises(ValueError, match="NULL"):
        _part([("f1", "text", "hash", null)])
    part = _part([("f1", "a", "h1", VECTORS[2]), ("f2", "b", "h2", VECTORS[2])])
    assert part.vectors.shape == (2, 512) and part.vectors.dtype == np.float32


def test_null_elements_and_matrices_are_refused(vectors_table):
    with pytest.raises(ValueError, match="NULL elements"):
        _read(vectors_table, [6])
    vectors_table.rollback()
    vectors_table.execute("CREATE TEMP TABLE v (k int PRIMARY KEY, vector real[])")
    vectors_table.execute("INSERT INTO v VALUES (7, '{{1,2},{3,4}}')")
    with pytest.raises(ValueError, match="dimensions"):
        _read(vectors_table, [7])


def test_truncated_value_is_refused():
    data = bytes.fromhex("00000001 00000000 000002bd 00000002 00000001 00000004 3f800000 00000004")
    with pytest.raises(ValueError, match="malformed"):
        decode_real_array(data)
    assert decode_real_array(data + bytes.fromhex("40000000")).tolist() == [1.0, 2.0]

"""The enrich stage pseudonymises each id that carries PII once: ids stored under the current key are not checked again."""

from __future__ import annotations

import hashlib

import psycopg

from cfm.nlp.ml_schema import ensure_ml_schema_current
from cfm.pipeline.enrich import _pseudonymise_ids
from cfm.privacy.pseudonymise import id_pseudonym, key_version

KEY = b"k" * 32
STORED, NEW, OLD_KEY, PLAIN = "+44 20 7946 0958", "+290 1234", "ann@example.com", "SU-0000123"


def _md5(value: str) -> str:
    return hashlib.md5(value.encode("utf-8")).hexdigest()


def _rows(conn: psycopg.Connection) -> dict[str, tuple]:
    return {d: (p, v, r) for d, p, v, r in conn.execute(
        "select id_digest, pseudonym, key_version, run_id from ml.id_pseudonyms")}


def test_stored_ids_are_skipped_new_and_old_key_ones_written(make_database) -> None:
    version = key_version(KEY)
    with psycopg.connect(make_database()) as conn:
        ensure_ml_schema_current(conn)
        # A stand-in pseudonym for STORED: had it been checked and written again, it would be the real one.
        conn.execute("insert into ml.id_pseudonyms (id_digest, pseudonym, key_version, run_id) values "
                     "(%s, 'pii_stored', %s, 'r0'), (%s, 'pii_old', 'oldkey', 'r0')",
                     (_md5(STORED), version, _md5(OLD_KEY)))
        conn.commit()
        items = [{"feedback_id": "f1", "source_record_id": STORED, "survey_id": NEW, "question_id": PLAIN,
                  "thread_id": OLD_KEY}]

        assert _pseudonymise_ids(conn, items, KEY, "r1") == 3  # every id with PII counts, stored or not
        conn.commit()
        rows = _rows(conn)
        assert rows == {
            _md5(STORED): ("pii_stored", version, "r0"),
            _md5(NEW): (id_pseudonym(NEW, KEY), version, "r1"),
            _md5(OLD_KEY): (id_pseudonym(OLD_KEY, KEY), version, "r1"),
        }
        # Again (a re-delivered record): nothing to write, the same count.
        assert _pseudonymise_ids(conn, items, KEY, "r2") == 3
        conn.commit()
        assert _rows(conn) == rows

"""enrich_feedback and recluster end to end through a real PostgreSQL with the real model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from cfm.nlp.ml_schema import ensure_ml_schema
from cfm.nlp.topics.store import recluster
from cfm.nlp.warehouse_enrichment import enrich_feedback

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[3] / "bench" / "data" / "topics_labelled.jsonl"
CONFIG = {"min_topic_size": 3}
TABLES = ("feedback_enrichment", "topic_assignments", "topics", "topic_history", "embeddings")


def _items(n: int, offset: int = 0) -> list[dict]:
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    en = [r for r in rows if r["language"] == "en"]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for k, r in enumerate(en[offset : offset + n]):
        out.append(
            {
                "feedback_id": r["id"],
                "text": r["text"] + (" call me at +44 20 7946 0958" if k % 10 == 0 else ""),
                "language_declared": None,
                "rating_type": "nps",
                "rating_value": float(k % 11),
                "rating_scale_min": 0,
                "rating_scale_max": 10,
                "submitted_at": start + timedelta(hours=k),
            }
        )
    return out


def _snapshot(conn) -> dict[str, list]:
    out = {}
    with conn.cursor() as cur:
        for table in TABLES:
            cols = "*" if table != "topic_history" else "topic_id, event, related_topic_id, details, run_id"
            cur.execute(f"SELECT {cols} FROM ml.{table} ORDER BY 1, 2")
            out[table] = cur.fetchall()
    return out


def test_enrich_writes_contract_tables_and_is_idempotent(ml_conn):
    items = _items(50)
    first = enrich_feedback(ml_conn, items, config=CONFIG, run_id="run-1")
    assert first["items"] == 50
    assert first["embedded"] == 50 and first["cached"] == 0
    assert first["topics"] >= 2
    assert first["with_pii"] == 5

    with ml_conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE 'PHONE' = ANY(pii_types)) FROM ml.feedback_enrichment"
        )
        assert cur.fetchone() == (50, 5)
        cur.execute("SELECT count(*) FROM ml.feedback_enrichment WHERE text_redacted LIKE '%%7946%%'")
        assert cur.fetchone()[0] == 0, "raw phone number reached ml"
        cur.execute(
            "SELECT count(*) FROM ml.topics WHERE array_to_string(representative_texts, ' ') LIKE '%%7946%%'"
        )
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT DISTINCT language FROM ml.feedback_enrichment")
        assert [r[0] for r in cur.fetchall()] == ["en"]
        cur.execute("SELECT count(*) FROM ml.topic_assignments")
        assert cur.fetchone()[0] == 50
        cur.execute("SELECT count(*) FROM ml.topic_history WHERE event = 'created'")
        assert cur.fetchone()[0] == first["topics"]

    before = _snapshot(ml_conn)
    again = enrich_feedback(ml_conn, items, config=CONFIG, run_id="run-2")
    assert again["embedded"] == 0 and again["cached"] == 50
    assert _snapshot(ml_conn) == before


def test_incremental_assignment_keeps_ids_and_recluster_records_history(ml_conn):
    old = _items(60)
    enrich_feedback(ml_conn, old, config=CONFIG, run_id="run-1")
    with ml_conn.cursor() as cur:
        cur.execute("SELECT feedback_id, topic_id FROM ml.topic_assignments")
        ids_before = dict(cur.fetchall())
        cur.execute("SELECT max(topic_id) FROM ml.topics")
        max_topic = cur.fetchone()[0]

    new = _items(20, offset=60)
    counts = enrich_feedback(ml_conn, new, config=CONFIG, run_id="run-2")
    assert counts["new_topics"] == 0 and counts["embedded"] == 20
    with ml_conn.cursor() as cur:
        cur.execute("SELECT feedback_id, topic_id, method FROM ml.topic_assignments")
        rows = cur.fetchall()
    after = {f: t for f, t, _ in rows}
    assert all(after[f] == t for f, t in ids_before.items())
    new_methods = {m for f, _, m in rows if f in {i["feedback_id"] for i in new}}
    assert new_methods == {"incremental"}
    assert all(t is None or t <= max_topic for f, t in after.items())
    assert counts["assigned"] >= 10, counts  # same topics as the first batch: most new items should join

    result = recluster(ml_conn, config=CONFIG, run_id="recluster-1")
    assert result["items"] == 80
    assert result["kept"] >= 1
    with ml_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ml.topic_history WHERE run_id = 'recluster-1'")
        events = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM ml.topic_assignments WHERE topic_id IS NULL")
        unassigned = cur.fetchone()[0]
    assert result["unassigned"] == unassigned
    # every structural change of the registry is recorded (updates may add more events)
    assert events >= result["created"] + 2 * result["split"] + result["merged"] + result["retired"]
    with ml_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ml.topics WHERE status = 'active'")
        assert cur.fetchone()[0] == result["topics"]
    # A second recluster on unchanged data changes nothing.
    snap = _snapshot(ml_conn)
    second = recluster(ml_conn, config=CONFIG, run_id="recluster-2")
    assert second["kept"] + second["survived"] == result["topics"]
    assert second["created"] == 0 and second["retired"] == 0 and second["split"] == 0
    assert _snapshot(ml_conn)["topic_assignments"] == snap["topic_assignments"]


def test_ensure_ml_schema_is_idempotent(ml_conn):
    ensure_ml_schema(ml_conn)
    ensure_ml_schema(ml_conn)
    with ml_conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ml' ORDER BY table_name"
        )
        assert [r[0] for r in cur.fetchall()] == sorted(
            (*TABLES, "feedback_identity", "customer_identity", "id_pseudonyms", "enrichment_runs", "aspect_sentiment",
             "retained_feedback"))


def test_enrichment_runs_the_ml_ddl_only_when_this_code_has_not_run_it(ml_conn, nlp_database_url):
    from cfm.nlp.ml_schema import ensure_ml_schema_current

    ensure_ml_schema_current(ml_conn)  # an empty warehouse: the DDL runs
    assert ml_conn.execute("SELECT to_regclass('ml.feedback_enrichment') IS NOT NULL").fetchone()[0]
    # Another worker's open enrichment transaction holds ml.feedback_enrichment: the DDL (ALTER) would wait on it.
    with psycopg.connect(nlp_database_url) as other:
        other.execute("LOCK TABLE ml.feedback_enrichment IN ROW EXCLUSIVE MODE")
        ml_conn.execute("SET lock_timeout = '2s'")
        ensure_ml_schema_current(ml_conn)  # current: returns without taking table locks
        ml_conn.execute("COMMENT ON SCHEMA ml IS 'cfm ddl of older code'")
        ml_conn.commit()
        with pytest.raises(psycopg.errors.LockNotAvailable):
            ensure_ml_schema_current(ml_conn)
        ml_conn.rollback()
    ensure_ml_schema_current(ml_conn)
    ml_conn.execute("RESET lock_timeout")
    assert ml_conn.execute("SELECT obj_description('ml'::regnamespace, 'pg_namespace')").fetchone()[0].startswith("cfm ddl ")

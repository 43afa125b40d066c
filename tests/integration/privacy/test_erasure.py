"""Right to erasure on a real warehouse: every trace of one customer goes, and stays gone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from cfm.config import load_config
from cfm.loop.events import append_event, case_id_for
from cfm.pipeline.run import run_pipeline
from cfm.privacy.erasure import erase_customer, ml_tables

pytestmark = pytest.mark.slow

ROWS = [
    {"id": "a1", "submitted_at": "2026-06-01T10:00:00Z", "channel": "email", "customer_email": "Amira@Example.com",
     "text": "The courier was late again, call me on +44 7700 900123", "rating_type": "nps", "rating_value": 3},
    {"id": "a2", "submitted_at": "2026-06-02T10:00:00Z", "channel": "chat", "customer_email": "amira@example.com",
     "text": "Refund still missing after two weeks", "rating_type": "csat", "rating_value": 1},
    {"id": "b1", "submitted_at": "2026-06-03T10:00:00Z", "channel": "chat", "customer_email": "li.wei@example.com",
     "text": "Great support, thank you", "rating_type": "csat", "rating_value": 5},
    {"id": "", "submitted_at": "2026-06-04T10:00:00Z", "channel": "chat", "customer_email": "amira@example.com",
     "text": "row without id lands in quarantine"},
    # Only the record id names her.
    {"id": "amira@example.com", "submitted_at": "2026-06-05T10:00:00Z", "channel": "email",
     "text": "Parcel arrived damaged, box crushed", "rating_type": "csat", "rating_value": 2},
    # Only her phone, in another format, in the text.
    {"id": "a3", "submitted_at": "2026-06-06T10:00:00Z", "channel": "phone",
     "text": "Please ring 07700 900123 about the broken kettle", "rating_type": "csat", "rating_value": 1},
]


def _count(conn, query: str, *params) -> int:
    return conn.execute(query, params).fetchone()[0]


def _traces(conn, table: str, needles: list[str]) -> int:
    """Rows of `table` whose text form contains any needle (ids, keys, hashes, texts, the email).

    Float vectors are left out: a digit needle such as "07700" turns up inside "0.0770012" by chance."""
    schema, name = table.split(".")
    columns = [c for (c,) in conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
        "and udt_name not in ('_float4', '_float8') order by ordinal_position", (schema, name))]
    row = "concat_ws('|', " + ", ".join(f't."{c}"::text' for c in columns) + ")"
    return _count(conn, f"select count(*) from {table} t where lower({row}) like any(%s)",
                  [f"%{n.lower()}%" for n in needles])


def test_erasure_deletes_everywhere_and_a_backfill_cannot_bring_it_back(warehouse: str, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "f.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    config = load_config()
    customers = tmp_path / "customers"
    customers.mkdir()
    (customers / "c.csv").write_text("customer_id,email,plan\nA-1,amira@example.com,premium\nB-1,,basic\n", encoding="utf-8")
    config["sources"] = {"file_drop": {"enabled": True, "dir": str(drop)},
                         "customer_drop": {"enabled": True, "dir": str(customers)}}
    config["report"]["out_dir"] = str(tmp_path / "out")
    run_pipeline(warehouse, config, "r1", report=False)
    with psycopg.connect(warehouse) as conn:
        assert _count(conn, "select count(*) from marts.fct_feedback") == 5
        key = conn.execute("select i.customer_key from ml.feedback_identity i join marts.fct_feedback f using (feedback_id) "
                           "where f.source_record_id = 'a1'").fetchone()[0]
        ids = [f for (f,) in conn.execute("select feedback_id from marts.fct_feedback where source_record_id <> 'b1'")]
        kept_id = conn.execute("select feedback_id from marts.fct_feedback where source_record_id = 'b1'").fetchone()[0]
        texts = [t for (t,) in conn.execute("select text_redacted from ml.feedback_enrichment where feedback_id = any(%s)",
                                            (ids,))]
        hashes = [h for (h,) in conn.execute("select text_hash from ml.feedback_enrichment where feedback_id = any(%s)",
                                             (ids,))]
        assert _count(conn, "select count(*) from ml.embeddings where text_hash = any(%s)", hashes) >= 4
        # Her email as a record id is pseudonymised, keyed by md5 of the clear id (a dictionary reverses it).
        assert _count(conn, "select count(*) from ml.id_pseudonyms where id_digest = md5('amira@example.com')") == 1
        # A topic showing her words, and a case opened on her feedback with one more event.
        conn.execute("insert into ml.topics (topic_id, label, representative_texts, embedding_model, centroid) "
                     "values (990, 'erasure probe', %s, 'm', '{0}')", ([texts[0], "Great support, thank you"],))
        case = case_id_for(ids[0])
        append_event(conn, case_id=case, event_type="created", occurred_at=datetime(2026, 6, 1, tzinfo=UTC), actor="test",
                     idempotency_key="probe-created", feedback_id=ids[0], details={"customer_key": key})
        append_event(conn, case_id=case, event_type="assigned", occurred_at=datetime(2026, 6, 2, tzinfo=UTC), actor="test",
                     idempotency_key="probe-assigned", details={"owner": "ops"})
        # A build in progress: its shadow marts (seeded snapshot history among them) would be published after.
        conn.execute("create schema marts__next")
        conn.execute("create table marts__next.fct_feedback as table marts.fct_feedback")
        conn.execute("create table marts__next.dim_customers as table marts.dim_customers")
        conn.commit()

    result = erase_customer(warehouse, email="AMIRA@example.com ", phone="+44 7700 900123", region="GB", actor="dpo")
    assert result["records"] == 4

    needles = [*ids, key, *hashes, *(t for t in texts if len(t) > 12), "amira", "7700 900123", "07700", "447700900123"]
    with psycopg.connect(warehouse) as conn:
        tables = ml_tables()
        assert {"ml.embeddings", "ml.topics", "ml.aspect_sentiment", "ml.feedback_enrichment", "ml.topic_assignments",
                "ml.feedback_identity", "ml.customer_identity"} <= set(tables)
        for table in tables:
            assert _traces(conn, table, needles) == 0, f"{table} still holds the erased customer"
        derived = [f"{s}.{t}" for s, t in conn.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema in ('intermediate', 'marts', 'marts__next', 'raw', 'quarantine', 'ops')")]
        assert {"intermediate.int_feedback_enriched", "marts__next.fct_feedback", "marts__next.dim_customers"} <= set(derived)
        for table in derived:
            if table in ("ops.erasure_requests", "ops.privacy_audit", "ops.erasure_tombstones"):
                continue  # keyed hashes of the request, by design (checked below)
            assert _traces(conn, table, needles) == 0, f"{table} still holds the erased customer"
        assert _count(conn, "select count(*) from ops.case_events where case_id = %s", case) == 0
        assert _count(conn, "select count(*) from ml.id_pseudonyms where id_digest = md5('amira@example.com')") == 0
        assert _count(conn, "select count(*) from ml.topics where topic_id = 990 and "
                            "representative_texts = array['Great support, thank you']") == 1
        assert _count(conn, "select count(*) from ml.feedback_enrichment where feedback_id = %s", kept_id) == 1
        assert [r[0] for r in conn.execute("select source_record_id from raw.file_drop")] == ["b1"]
        assert [r[0] for r in conn.execute("select source_record_id from raw.customer_drop")] == ["id:B-1"]
        assert _count(conn, "select count(*) from marts.dim_customers where plan = 'premium'") == 0
        assert _count(conn, "select count(*) from marts.dim_customers") == 1
        assert _count(conn, "select count(*) from quarantine.records where payload::text ilike '%%amira%%'") == 0
        request = conn.execute("select customer_key, completed_at, rows_deleted from ops.erasure_requests").fetchone()
        tombstones = conn.execute("select kind, digest from ops.erasure_tombstones").fetchall()
        audit = conn.execute("select action, actor, subject_hash, dry_run, counts from ops.privacy_audit").fetchall()
    assert request[0] == key and request[1] is not None and request[2]["raw"] == 4
    assert request[2]["customer_records"] == 1
    assert "amira" not in json.dumps(request[2]).lower()
    assert {kind for kind, _ in tombstones} == {"email", "phone", "record"} and len(tombstones) == 6
    assert not any("amira" in d or "7700" in d for _, d in tombstones)
    assert len(audit) == 1
    action, actor, subject, dry_run, counts = audit[0]
    assert (action, actor, subject, dry_run, counts["records"]) == ("erasure", "dpo", key, False, 4)
    assert "amira" not in json.dumps(counts).lower() and "7700" not in json.dumps(counts)

    # The file is still in the drop: a backfill re-reads it, and the erased customer must not come back,
    # neither in raw nor in quarantine (the id-less row), nor as the phone-only or id-only rows.
    summary = run_pipeline(warehouse, config, "r2", since=datetime(2026, 1, 1, tzinfo=UTC), report=False)
    assert summary.sources["file_drop"]["erased"] == 4 and summary.sources["customer_drop"]["erased"] == 1
    with psycopg.connect(warehouse) as conn:
        assert [r[0] for r in conn.execute("select source_record_id from raw.file_drop order by 1")] == ["b1"]
        assert [r[0] for r in conn.execute("select source_record_id from raw.customer_drop")] == ["id:B-1"]
        assert _count(conn, "select count(*) from marts.fct_feedback") == 1
        assert _count(conn, "select count(*) from quarantine.records") == 0
        for table in ml_tables():
            assert _traces(conn, table, needles) == 0, f"{table} holds the erased customer after a re-read"

"""Right to erasure on a real warehouse: every trace of one customer goes, and stays gone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from cfm.config import load_config
from cfm.pipeline.run import run_pipeline
from cfm.privacy.erasure import erase_customer

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
]


def _count(conn, query: str, *params) -> int:
    return conn.execute(query, params).fetchone()[0]


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
        assert _count(conn, "select count(*) from marts.fct_feedback") == 3
        key = conn.execute("select i.customer_key from ml.feedback_identity i join marts.fct_feedback f using (feedback_id) "
                           "where f.source_record_id = 'a1'").fetchone()[0]

    result = erase_customer(warehouse, email="AMIRA@example.com ")
    assert result["records"] == 2

    with psycopg.connect(warehouse) as conn:
        assert [r[0] for r in conn.execute("select source_record_id from raw.file_drop")] == ["b1"]
        assert [r[0] for r in conn.execute("select source_record_id from raw.customer_drop")] == ["id:B-1"]
        assert _count(conn, "select count(*) from ml.customer_identity where source_record_id = 'id:A-1'") == 0
        assert _count(conn, "select count(*) from marts.dim_customers where plan = 'premium'") == 0
        assert _count(conn, "select count(*) from marts.dim_customers") == 1
        assert _count(conn, "select count(*) from ml.feedback_identity where customer_key = %s", key) == 0
        assert _count(conn, "select count(*) from ml.feedback_enrichment") == 1
        assert _count(conn, "select count(*) from marts.fct_feedback where customer_key = %s", key) == 0
        assert _count(conn, "select count(*) from quarantine.records where payload::text ilike '%%amira%%'") == 0
        request = conn.execute("select customer_key, completed_at, rows_deleted from ops.erasure_requests").fetchone()
    assert request[0] == key and request[1] is not None and request[2]["raw"] == 2
    assert request[2]["customer_records"] == 1
    assert "amira" not in json.dumps(request[2]).lower()

    # The file is still in the drop: a backfill re-reads it, and the erased customer must not come back.
    summary = run_pipeline(warehouse, config, "r2", since=datetime(2026, 1, 1, tzinfo=UTC), report=False)
    assert summary.enrichment["suppressed"] == 2
    with psycopg.connect(warehouse) as conn:
        assert [r[0] for r in conn.execute("select source_record_id from raw.file_drop order by 1")] == ["b1"]
        assert [r[0] for r in conn.execute("select source_record_id from raw.customer_drop")] == ["id:B-1"]
        assert _count(conn, "select count(*) from marts.fct_feedback") == 1
        assert _count(conn, "select count(*) from quarantine.records where payload::text ilike '%%amira%%'") == 0

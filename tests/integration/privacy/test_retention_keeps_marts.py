"""Retention removes a record's raw PII but keeps its derived, redacted form: after retention and a
full-refresh dbt build the record is still in marts.fct_feedback, and no clear identifier of it is left."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from cfm.config import load_config
from cfm.pipeline.run import run_pipeline
from cfm.pipeline.transform import dbt_vars, run_dbt
from cfm.privacy.erasure import erase_customer
from cfm.privacy.pii_scan import check
from cfm.privacy.retention import apply_retention

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = {"id": "ann.lee@example.com", "submitted_at": (NOW - timedelta(days=420)).isoformat(), "channel": "email",
       "customer_email": "Ann.Lee@example.com", "thread_id": "+44 7700 900123", "region": "north",
       "note": "ann.lee@example.com", "text": "Courier late again, call me on +44 7700 900123",
       "rating_type": "csat", "rating_value": 2}
NEW = {"id": "n1", "submitted_at": (NOW - timedelta(days=1)).isoformat(), "channel": "chat",
       "customer_email": "bo@example.com", "text": "Quick refund, thanks", "rating_type": "csat", "rating_value": 5}
CLEAR = ["ann.lee", "7700 900123", "447700900123", "Courier late again, call me on +44"]
CONFIG = {"raw_days": 365, "quarantine_days": 90}


def _fct(conn) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in conn.execute(
        "select feedback_id, source_record_id, customer_key, text_redacted, rating_value, thread_id, region "
        "from marts.fct_feedback")}


def _clear_traces(conn) -> list[str]:
    tables = [f"{s}.{t}" for s, t in conn.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
        "and table_schema in ('raw', 'ml', 'intermediate', 'marts', 'quarantine') "
        "or (table_schema, table_name) = ('ops', 'validated_records')")]
    return [t for t in tables if conn.execute(f"select count(*) from {t} x where x::text ilike any(%s)",
                                              ([f"%{c}%" for c in CLEAR],)).fetchone()[0]]


def test_a_record_past_the_window_stays_in_the_marts_redacted_after_a_full_refresh(warehouse: str,
                                                                                  tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "f.jsonl").write_text("".join(json.dumps(r) + "\n" for r in (OLD, NEW)), encoding="utf-8")
    config = load_config()
    config["sources"] = {"file_drop": {"enabled": True, "dir": str(drop)}}
    config["report"]["out_dir"] = str(tmp_path / "out")
    config["privacy"] = {"retention": CONFIG}
    run_pipeline(warehouse, config, "r1", report=False)
    with psycopg.connect(warehouse) as conn:
        before = _fct(conn)
        conn.execute("update raw.file_drop set extracted_at = now() - interval '400 days' where source_record_id = %s",
                     (OLD["id"],))
        conn.commit()
        assert _clear_traces(conn)  # the raw payload, its verdict and the md5 key of its id name her
    assert len(before) == 2

    dry = apply_retention(warehouse, config, dry_run=True)
    assert (dry["deleted"], dry["retained"], dry["lost"]) == ({"raw.file_drop": 1}, {"raw.file_drop": 1}, {})
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from ml.retained_feedback").fetchone()[0] == 0

    done = apply_retention(warehouse, config)
    assert done["retained"] == {"raw.file_drop": 1} and done["deleted"]["raw.file_drop"] == 1
    assert done["deleted"]["ml.id_pseudonyms"] == 2  # the email record id and the phone thread id

    run_dbt(warehouse, ["build", "--full-refresh"], vars=dbt_vars(config))
    check(warehouse)  # the marts' PII check passes
    with psycopg.connect(warehouse) as conn:
        after = _fct(conn)
        assert [r for (r,) in conn.execute("select source_record_id from raw.file_drop")] == ["n1"]
        assert _clear_traces(conn) == []
    assert after == before  # same ids (pseudonyms), customer key, redacted text, rating, thread and segment
    old = next(v for v in after.values() if v[0] != "n1")
    assert old[0].startswith("pii_") and "[PHONE]" in old[2] and old[5] == "north"

    assert apply_retention(warehouse, config)["deleted"] == {}  # nothing left to do: idempotent

    # Erasure still reaches a retained record (by her pseudonymous key): its redacted form goes too.
    assert erase_customer(warehouse, email="ann.lee@example.com")["records"] == 1
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from ml.retained_feedback").fetchone()[0] == 0
        assert [r for (r,) in conn.execute("select source_record_id from marts.fct_feedback")] == ["n1"]

"""Retention on a real warehouse: raw payloads and quarantine rows past their window go, the rest stays;
a dry run deletes nothing; every run is in ops.privacy_audit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml
from pydantic import ValidationError

from cfm.config import load_config, privacy_config
from cfm.privacy.retention import apply_retention
from cfm.sources.base import RawRecord, RejectedRecord
from cfm.warehouse.raw_loader import land_batch


def _land(url: str, source: str, ids: list[str], rejects: list[str], run_id: str) -> None:
    with psycopg.connect(url) as conn:
        land_batch(
            conn,
            source,
            "acct",
            [RawRecord(source, "acct", i, {"id": i, "text": f"text of {i}"}) for i in ids],
            [RejectedRecord(source, "acct", r, "id", "bad id", {"ref": r}) for r in rejects],
            None,
            run_id,
        )


def _age(url: str, source: str, ids: list[str], days: int) -> None:
    """Make rows look `days` old (the clock cannot be moved for PostgreSQL's now())."""
    with psycopg.connect(url) as conn:
        conn.execute(
            f"update raw.{source} set extracted_at = now() - make_interval(days => %s) "
            "where source_record_id = any(%s)",
            (days, ids),
        )
        conn.execute(
            "update quarantine.records set quarantined_at = now() - make_interval(days => %s) "
            "where record_ref = any(%s)",
            (days, ids),
        )


def _ids(url: str, query: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return sorted(r[0] for r in conn.execute(query))


@pytest.fixture
def aged(warehouse: str) -> str:
    _land(warehouse, "file_drop", ["old-1", "old-2", "new-1"], ["old-q", "mid-q", "new-q"], "r1")
    _land(warehouse, "trustpilot", ["tp-old", "tp-new"], [], "r1")
    _age(warehouse, "file_drop", ["old-1", "old-2", "old-q"], 400)
    _age(warehouse, "file_drop", ["mid-q"], 100)
    _age(warehouse, "trustpilot", ["tp-old"], 366)
    with psycopg.connect(warehouse) as conn:  # derived rows (no clear PII) of an old record: kept
        conn.execute(
            "insert into ml.embeddings (model_name, text_hash, dim, vector) values ('m', 'h-old-1', 1, '{1}')"
        )
        conn.execute(
            "insert into ml.feedback_identity (feedback_id, customer_key, key_version, run_id) "
            "values ('fb-old-1', 'k', 'v', 'r1')"
        )
    return warehouse


CONFIG = {"privacy": {"retention": {"raw_days": 365, "quarantine_days": 90}}}


def test_retention_deletes_only_what_is_past_its_window_and_audits_it(aged: str) -> None:
    dry = apply_retention(aged, CONFIG, dry_run=True, actor="ops-bot")
    assert dry["deleted"] == {"raw.file_drop": 2, "raw.trustpilot": 1, "quarantine.records": 2}
    assert _ids(aged, "select source_record_id from raw.file_drop") == ["new-1", "old-1", "old-2"]

    done = apply_retention(aged, CONFIG, actor="ops-bot")
    assert done["deleted"] == dry["deleted"]
    assert _ids(aged, "select source_record_id from raw.file_drop") == ["new-1"]
    assert _ids(aged, "select source_record_id from raw.trustpilot") == ["tp-new"]
    assert _ids(aged, "select record_ref from quarantine.records") == ["new-q"]
    assert _ids(aged, "select text_hash from ml.embeddings") == ["h-old-1"]
    assert _ids(aged, "select feedback_id from ml.feedback_identity") == ["fb-old-1"]
    assert apply_retention(aged, CONFIG)["deleted"] == {}

    with psycopg.connect(aged) as conn:
        audit = conn.execute(
            "select action, actor, subject_hash, dry_run, counts from ops.privacy_audit order by audit_id"
        ).fetchall()
    assert [(a[0], a[1], a[2], a[3]) for a in audit[:2]] == [
        ("retention", "ops-bot", None, True),
        ("retention", "ops-bot", None, False),
    ]
    assert audit[1][4]["deleted"] == {"raw.file_drop": 2, "raw.trustpilot": 1, "quarantine.records": 2}
    assert audit[1][4]["raw_days"] == 365 and audit[1][4]["quarantine_days"] == 90
    assert audit[2][4]["deleted"] == {}


def test_cfm_retention_dry_run_prints_what_would_go(aged: str, tmp_path: Path) -> None:
    cfg = tmp_path / "cfm.yml"
    cfg.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    env = {**os.environ, "CFM_WAREHOUSE_URL": aged, "CFM_CONFIG": str(cfg)}
    proc = subprocess.run(
        [sys.executable, "-m", "cfm.cli", "retention", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "would delete 2 rows from raw.file_drop" in proc.stdout
    assert "would delete 1 rows from raw.trustpilot" in proc.stdout
    assert "would delete 2 rows from quarantine.records" in proc.stdout
    assert "(365 days)" in proc.stdout and "(90 days)" in proc.stdout
    assert _ids(aged, "select source_record_id from raw.file_drop") == ["new-1", "old-1", "old-2"]


def test_the_retention_window_is_validated() -> None:
    assert privacy_config(load_config()).retention.raw_days == 365
    with pytest.raises(ValidationError, match="raw_days"):
        privacy_config({"privacy": {"retention": {"raw_days": 0}}})
    with pytest.raises(ValidationError, match="retention_days"):
        privacy_config({"privacy": {"retention_days": 30}})


def test_retention_on_a_warehouse_prepared_before_retained_records_existed(aged: str) -> None:
    with psycopg.connect(aged) as conn:
        conn.execute("drop table ml.retained_feedback")
    assert apply_retention(aged, CONFIG)["deleted"]["raw.file_drop"] == 2
    with psycopg.connect(aged) as conn:
        assert conn.execute("select to_regclass('ml.retained_feedback') is not null").fetchone()[0]

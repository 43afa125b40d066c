"""`cfm erase --phone`: the number in any format finds raw rows and parser rejects that were never staged,
and the tombstone keeps a re-delivery of them out of raw and quarantine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg

from cfm.privacy.tombstones import Tombstones
from cfm.sources.base import RawRecord, RejectedRecord
from cfm.warehouse.raw_loader import land_batch

RECORDS = [
    RawRecord("file_drop", "drop", "r1", {"id": "r1", "text": "call me back on +44 7700 900123 please"}),
    RawRecord("file_drop", "drop", "r2", {"id": "r2", "customer_id": "07700-900-123", "text": "late again"}),
    RawRecord("file_drop", "drop", "r3", {"id": "r3", "text": "all good, order 7700900999"}),
]
REJECTS = [RejectedRecord("file_drop", "drop", "f.csv:9", "id", "missing id", {"text": "ring 07700 900123"})]


def _land(conn: psycopg.Connection, run_id: str, erased=None):
    return land_batch(conn, "file_drop", "drop", RECORDS, REJECTS, None, run_id, erased=erased)


def test_erase_by_phone_from_the_cli_and_a_redelivery_stays_out(warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        _land(conn, "r1")
    env = {**os.environ, "CFM_WAREHOUSE_URL": warehouse}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cfm.cli",
            "erase",
            "--phone",
            "07700 900123",
            "--region",
            "GB",
            "--actor",
            "dpo@example.com",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["deleted"]["raw_unstaged"] == 2 and result["deleted"]["quarantine_payloads"] == 1
    assert "7700" not in proc.stdout

    with psycopg.connect(warehouse) as conn:
        assert [r for (r,) in conn.execute("select source_record_id from raw.file_drop")] == ["r3"]
        assert conn.execute("select count(*) from quarantine.records").fetchone()[0] == 0
        assert [k for (k,) in conn.execute("select kind from ops.erasure_tombstones")] == ["phone"]
        audit = conn.execute(
            "select action, actor, subject_hash, counts::text from ops.privacy_audit"
        ).fetchall()
        assert len(audit) == 1 and audit[0][:2] == ("erasure", "dpo@example.com")
        assert "7700" not in audit[0][2] + audit[0][3]

        # The source delivers the same batch again: the erased customer's rows are refused, the rest is untouched.
        stones = Tombstones.load(conn, "GB")
        again = _land(conn, "r2", erased=stones.blocks)
        assert (again.received, again.erased, again.quarantined, again.inserted) == (3, 2, 0, 0)
        assert [r for (r,) in conn.execute("select source_record_id from raw.file_drop")] == ["r3"]
        assert conn.execute("select count(*) from quarantine.records").fetchone()[0] == 0

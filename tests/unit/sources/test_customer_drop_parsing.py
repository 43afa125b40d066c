from __future__ import annotations

import json
from datetime import UTC, datetime

from cfm.sources.customer_drop import CustomerDropSource


def parse(name: str, data: bytes):
    return CustomerDropSource({"dir": "."}).parse_file("customers", name, data)


def test_rows_are_keyed_by_external_id_else_normalised_email_and_extras_kept() -> None:
    data = (b"customer_id,email,plan,region,tier,signup_date,lifetime_value,account_owner,updated_at,segment\n"
            b"C1,ann@example.com,plus,UAE,silver,2025-01-02,120.5,team-gcc,2026-03-01T10:00:00+04:00,smb\n"
            b",  Bob@Example.COM ,basic,UK,,,,,,consumer\n")
    records, rejects = parse("c.csv", data)
    assert rejects == []
    assert [r.source_record_id for r in records] == ["id:C1", "email:bob@example.com"]
    assert records[0].payload["segment"] == "smb" and records[0].payload["_file"] == "c.csv"
    assert records[0].source_updated_at.isoformat() == "2026-03-01T06:00:00+00:00"
    assert records[1].source_updated_at is None


def test_unkeyable_and_mistyped_rows_are_rejected_naming_file_line_and_field() -> None:
    lines = [json.dumps({"plan": "basic"}), json.dumps({"customer_id": "C2", "signup_date": "last spring"}),
             json.dumps({"email": "x@example.com", "lifetime_value": "a lot"}),
             json.dumps({"customer_id": "C3", "updated_at": "tuesday"}), "{oops"]
    records, rejects = parse("c.jsonl", "\n".join(lines).encode())
    assert records == []
    assert [(r.record_ref, r.field) for r in rejects] == [
        ("c.jsonl:1", "customer_id"), ("c.jsonl:2", "signup_date"), ("c.jsonl:3", "lifetime_value"),
        ("c.jsonl:4", "updated_at"), ("c.jsonl:5", "line")]
    assert "source=customer_drop" in rejects[1].message() and "'last spring'" in rejects[1].reason


def test_a_corrected_quarantined_row_can_be_replayed() -> None:
    source = CustomerDropSource({"dir": "."})
    record = source.record_from_quarantine("customers", {"customer_id": "C2", "signup_date": "2025-04-01", "_file": "c.jsonl"})
    assert record.source_record_id == "id:C2"


def test_a_sync_and_a_backfill_window_read_every_customer_row(tmp_path) -> None:
    # The feedback drop filters rows by submission time; customer rows are current state, not events.
    (tmp_path / "c.csv").write_bytes(b"customer_id,plan\nC1,plus\nC2,basic\n")
    source = CustomerDropSource({"dir": str(tmp_path)})
    assert not source.supports_until
    for window in ({}, {"since": datetime(2030, 1, 1, tzinfo=UTC)},
                   {"since": datetime(2020, 1, 1, tzinfo=UTC), "until": datetime(2020, 1, 2, tzinfo=UTC)}):
        batches = list(source.batches("customers", None, **window))
        assert sorted(r.source_record_id for b in batches for r in b.records) == ["id:C1", "id:C2"], window

"""The customer file drop lands in raw.customer_drop: keyed rows, quarantined bad rows, re-read on change only."""

from __future__ import annotations

from pathlib import Path

import psycopg

from cfm.pipeline.ingest import sync_source
from cfm.sources.customer_drop import CustomerDropSource


def test_customer_file_lands_once_updates_on_change_and_quarantines_bad_rows(tmp_path: Path, warehouse: str) -> None:
    folder = tmp_path / "customers"
    folder.mkdir()
    path = folder / "c.csv"
    path.write_text("customer_id,email,plan,signup_date,lifetime_value\n"
                    "C1,,basic,2025-01-02,10\n,ann@example.com,plus,,\n,,premium,,\nC2,,basic,someday,\n", encoding="utf-8")
    source = CustomerDropSource({"dir": str(folder)})
    first = sync_source(warehouse, source, run_id="r1")
    assert (first["inserted"], first["quarantined"]) == (2, 2)
    with psycopg.connect(warehouse) as conn:
        rows = dict(conn.execute("select source_record_id, payload->>'plan' from raw.customer_drop").fetchall())
        fields = sorted(r[0] for r in conn.execute("select field from quarantine.records where source = 'customer_drop'"))
    assert rows == {"id:C1": "basic", "email:ann@example.com": "plus"}
    assert fields == ["customer_id", "signup_date"]
    assert sync_source(warehouse, source, run_id="r2")["received"] == 0
    path.write_text(path.read_text(encoding="utf-8").replace("C1,,basic", "C1,,premium"), encoding="utf-8")
    third = sync_source(warehouse, source, run_id="r3")
    assert (third["inserted"], third["updated"], third["unchanged"]) == (0, 1, 1)

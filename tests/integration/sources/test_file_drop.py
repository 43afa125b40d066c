from __future__ import annotations

import json
from pathlib import Path

import psycopg
from sync_helpers import crashing_after

from cfm.pipeline.ingest import sync_source
from cfm.sources.file_drop import FileDropSource


def _rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select source_record_id, payload, payload_hash, run_id from raw.file_drop order by source_record_id"
        ).fetchall()


def test_file_drop_loads_once_updates_on_change_and_quarantines_rows_without_id(tmp_path: Path, warehouse: str) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    csv_file = drop / "phone.csv"
    csv_file.write_text(
        "id,submitted_at,channel,text,rating_type,rating_value,agent\n"
        "p1,2026-05-01T10:00:00Z,phone,Courier was late,nps,3,amy\n"
        ",2026-05-01T11:00:00Z,phone,no id here,nps,9,bob\n"
        "p2,2026-05-02T10:00:00+04:00,phone,\"Great, thanks\",csat,5,amy\n",
        encoding="utf-8",
    )
    (drop / "visits.jsonl").write_text(
        json.dumps({"id": "v1", "submitted_at": "2026-05-03T09:00:00Z", "channel": "in_person", "text": "نعم"}, ensure_ascii=False)
        + "\n{not json\n",
        encoding="utf-8",
    )
    source = FileDropSource({"dir": str(drop)})

    first = sync_source(warehouse, source, run_id="r1")
    assert (first["inserted"], first["updated"], first["quarantined"]) == (3, 0, 2)
    rows = _rows(warehouse)
    assert [r[0] for r in rows] == ["p1", "p2", "v1"]
    assert rows[0][1]["agent"] == "amy" and rows[0][1]["_file"] == "phone.csv"
    assert rows[2][1]["text"] == "نعم"

    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select record_ref, field, reason from quarantine.records order by record_ref").fetchall()
        cursor = conn.execute("select cursor from ops.sync_state where source = 'file_drop'").fetchone()[0]
    assert q[0][0] == "phone.csv:3" and q[0][1] == "id" and "missing" in q[0][2]
    assert q[1][0] == "visits.jsonl:2" and "invalid JSON" in q[1][2]
    assert set(cursor["files"]) == {"phone.csv", "visits.jsonl"}

    second = sync_source(warehouse, source, run_id="r2")
    assert second["received"] == 0 and second["inserted"] == 0
    assert _rows(warehouse) == rows

    csv_file.write_text(csv_file.read_text(encoding="utf-8").replace("Courier was late", "Courier was very late"), encoding="utf-8")
    third = sync_source(warehouse, source, run_id="r3")
    assert (third["inserted"], third["updated"], third["unchanged"]) == (0, 1, 1)
    after = {r[0]: r for r in _rows(warehouse)}
    assert after["p1"][1]["text"] == "Courier was very late" and after["p1"][3] == "r3"
    assert after["p2"][3] == "r1"
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from quarantine.records").fetchone()[0] == 2


def test_batch_and_cursor_roll_back_together(tmp_path: Path, warehouse: str) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_text("id,submitted_at\na1,2026-01-01T00:00:00Z\n", encoding="utf-8")
    (drop / "b.csv").write_text("id,submitted_at\nb1,2026-01-01T00:00:00Z\n", encoding="utf-8")

    class CrashAfterFirstFile(FileDropSource):
        def batches(self, account, cursor, *, since=None):
            yield from crashing_after(super().batches(account, cursor, since=since), 1)

    import pytest

    with pytest.raises(RuntimeError):
        sync_source(warehouse, CrashAfterFirstFile({"dir": str(drop)}), run_id="r1")
    with psycopg.connect(warehouse) as conn:
        assert [r[0] for r in conn.execute("select source_record_id from raw.file_drop").fetchall()] == ["a1"]
        cursor = conn.execute("select cursor from ops.sync_state").fetchone()[0]
    assert list(cursor["files"]) == ["a.csv"]
    resumed = sync_source(warehouse, FileDropSource({"dir": str(drop)}), run_id="r2")
    assert resumed["inserted"] == 1
    assert [r[0] for r in _rows(warehouse)] == ["a1", "b1"]


def test_relanding_rows_stored_by_the_generic_serialiser_changes_nothing(tmp_path: Path, warehouse: str) -> None:
    """The file drop serialises payloads itself (msgspec, json.dumps for floats): rows stored with the loader's
    own serialisation (as every earlier version did) re-land as unchanged, so no hash moves."""
    from dataclasses import replace

    from cfm.warehouse.raw_loader import land_batch

    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "notes.csv").write_text('id,text,agent\nn1,"said ""no"" \\ ✓ 😀 مرحبا",amy\nn2,\x7f\x1f tab\t,\nn3\n',
                                    encoding="utf-8")
    lines = [{"id": 1, "n": 1e16, "f": 0.1, "big": 10**30, "l": [True, None, {"z": 1, "a": -0.0}], "t": "你好"},
             {"id": "v2", "rating_value": 9, "x": 1e-7}, {"id": "v3", "nested": {"b": [], "a": {}}}]
    (drop / "visits.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in lines) + "\n", encoding="utf-8")
    source = FileDropSource({"dir": str(drop)})
    with psycopg.connect(warehouse) as conn:
        for batch in source.batches("drop", None):
            assert all(r.canonical is not None for r in batch.records)
            land_batch(conn, source.name, "drop", [replace(r, canonical=None) for r in batch.records], batch.rejects,
                       None, "old")
    stored = _rows(warehouse)
    assert len(stored) == 6

    again = sync_source(warehouse, source, run_id="new")
    assert (again["received"], again["inserted"], again["updated"], again["unchanged"]) == (6, 0, 0, 6)
    assert _rows(warehouse) == stored


def test_the_garbage_collector_is_off_while_a_sync_lands_and_back_on_after(tmp_path: Path, warehouse: str, monkeypatch) -> None:
    """Off from the first batch to the last (a collection between two batches rescans all the reader holds)."""
    import gc

    import cfm.pipeline.ingest as ingest

    (tmp_path / "a.csv").write_text("id,text\nA1,ok\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("id,text\nB1,ok\n", encoding="utf-8")
    seen: list[bool] = []
    land = ingest.land_batch

    def spying(*args, **kwargs):
        seen.append(gc.isenabled())
        return land(*args, **kwargs)

    monkeypatch.setattr(ingest, "land_batch", spying)
    assert gc.isenabled()
    got = sync_source(warehouse, FileDropSource({"dir": str(tmp_path)}), run_id="r1")
    assert got["inserted"] == 2 and seen == [False]  # the two small files land in one transaction
    assert gc.isenabled()

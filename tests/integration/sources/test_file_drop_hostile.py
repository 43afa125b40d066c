"""A hostile drop folder: every good row in every file lands, each bad line is quarantined by file:line, nothing blocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from cfm.pipeline.ingest import sync_source
from cfm.sources.file_drop import FileDropSource

GOOD = "2026-05-01T10:00:00Z"


def _drop(tmp_path: Path) -> Path:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a_long_id.csv").write_bytes(b"id,submitted_at,text\n" + b"L" * 12_000 + f",{GOOD},long id\nA1,{GOOD},ok\n".encode())
    (drop / "b_nul_and_bad_byte.csv").write_bytes(f"id,submitted_at,text\nB1,{GOOD},nul\x00inside\nB2,{GOOD},caf".encode()
                                                  + b"\xe9\n" + f"B3,{GOOD},after\n".encode())
    (drop / "c_nan.jsonl").write_text(f'{{"id": "C1", "submitted_at": "{GOOD}", "score": NaN}}\n'
                                      + json.dumps({"id": "C2", "submitted_at": GOOD, "text": "good"}) + "\n")
    (drop / "d_deep.jsonl").write_text('{"id": "D1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
                                       + json.dumps({"id": "D2", "submitted_at": "2025-01-01T00:00:00Z"}) + "\n")
    (drop / "e_big_cell.csv").write_text(f"id,submitted_at,text\nE1,{GOOD}," + "y" * 1_000_000 + f"\nE2,{GOOD},small\n")
    (drop / "f_dupe.csv").write_text(f"id,submitted_at,text\nA1,{GOOD},A1 again in a later file\n")
    outside = tmp_path / "secret.csv"
    outside.write_text(f"id,submitted_at,text\nS1,{GOOD},must not be read\n")
    (drop / "g_link.csv").symlink_to(outside)
    return drop


def test_hostile_files_land_every_good_row(tmp_path: Path, warehouse: str) -> None:
    source = FileDropSource({"dir": str(_drop(tmp_path))})
    counts = sync_source(warehouse, source, run_id="r1")
    with psycopg.connect(warehouse) as conn:
        ids = {r[0]: r[1] for r in conn.execute("select source_record_id, payload->>'text' from raw.file_drop")}
        held = {r[0]: r[1:] for r in conn.execute("select record_ref, field, check_name, reason from quarantine.records")}
    assert set(ids) == {"A1", "B1", "B3", "C2", "D2", "E2"} | {k for k in ids if k.startswith("sha256:")}
    assert len([k for k in ids if k.startswith("sha256:")]) == 1, "the 12 kB id is hashed, not refused"
    assert ids["B1"] == "nulinside" and ids["A1"] == "A1 again in a later file"
    assert held["b_nul_and_bad_byte.csv:3"][0] == "text" and "0xE9" in held["b_nul_and_bad_byte.csv:3"][2]
    assert "NaN" in held["c_nan.jsonl:1"][2]
    assert "nested" in held["d_deep.jsonl:1"][2]
    assert held["e_big_cell.csv:2"][:2] == ("text", "unstorable")
    assert held["a_long_id.csv:3"][1] == "duplicate_id" and "f_dupe.csv:2" in held["a_long_id.csv:3"][2]
    assert held["g_link.csv"][1] == "refused_symlink"
    assert "S1" not in ids
    assert counts["quarantined"] == len(held) == 6

    again = sync_source(warehouse, source, run_id="r2")
    assert again["inserted"] == again["updated"] == 0


def test_since_filters_the_file_drop_rows(tmp_path: Path, warehouse: str) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "x.csv").write_text("id,submitted_at,text\nOLD,2025-01-01T00:00:00Z,old\nNEW,2026-06-01T00:00:00Z,new\nNODATE,,?\n")
    source = FileDropSource({"dir": str(drop)})
    sync_source(warehouse, source, run_id="r1", since=datetime(2026, 1, 1, tzinfo=UTC))
    with psycopg.connect(warehouse) as conn:
        assert sorted(r[0] for r in conn.execute("select source_record_id from raw.file_drop")) == ["NEW", "NODATE"]
    sync_source(warehouse, source, run_id="r2")  # a backfill read part of the file: the next plain sync reads all of it
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.file_drop").fetchone()[0] == 3

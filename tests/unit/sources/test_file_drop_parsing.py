from __future__ import annotations

import json

from cfm.sources.file_drop import FileDropSource


def parse(name: str, data: bytes):
    return FileDropSource({"dir": "."}).parse_file("drop", name, data)


def test_csv_with_bom_and_quoted_commas_and_newlines() -> None:
    data = '\ufeffid,submitted_at,text\nA1,2026-05-01T00:00:00Z,"late, again\nand broken"\n'.encode()
    records, rejects = parse("x.csv", data)
    assert rejects == []
    assert records[0].source_record_id == "A1"
    assert records[0].payload["text"] == "late, again\nand broken"


def test_csv_row_with_more_values_than_header_is_rejected_with_its_line() -> None:
    records, rejects = parse("x.csv", b"id,text\nA1,ok\nA2,too,many\n")
    assert [r.source_record_id for r in records] == ["A1"]
    assert rejects[0].record_ref == "x.csv:3" and rejects[0].field == "line"
    assert "more values" in rejects[0].reason
    assert "source=file_drop" in rejects[0].message() and "record=x.csv:3" in rejects[0].message()


def test_jsonl_keeps_types_and_rejects_non_objects_and_bad_json() -> None:
    lines = [json.dumps({"id": 7, "rating_value": 9, "extra": {"a": 1}}), "[1,2]", "{oops", ""]
    records, rejects = parse("x.jsonl", "\n".join(lines).encode())
    assert records[0].source_record_id == "7" and records[0].payload["extra"] == {"a": 1}
    assert [(r.record_ref, r.field) for r in rejects] == [("x.jsonl:2", "line"), ("x.jsonl:3", "line")]


def test_a_bad_byte_quarantines_its_line_not_the_file() -> None:
    data = b"id,text\nA1,ok\nA2,caf\xe9\nA3,fine\n"
    records, rejects = parse("x.csv", data)
    assert [r.source_record_id for r in records] == ["A1", "A3"]
    assert [(r.record_ref, r.field) for r in rejects] == [("x.csv:3", "text")]
    assert "0xE9" in rejects[0].reason and rejects[0].payload["raw"] == "A2,caf\\xe9\n"


def test_jsonl_bad_bytes_nan_and_deep_nesting_are_quarantined_per_line() -> None:
    lines = [b'{"id": "J1", "text": "ok"}', b'{"id": "J2", "text": "\xff"}', b'{"id": "J3", "score": NaN}',
             b'{"id": "J4", "score": Infinity}', b'{"id": "J5", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
             b'{"id": "J6", "text": "still read"}']
    records, rejects = parse("x.jsonl", b"\n".join(lines))
    assert [r.source_record_id for r in records] == ["J1", "J6"]
    reasons = {r.record_ref: r.reason for r in rejects}
    assert set(reasons) == {"x.jsonl:2", "x.jsonl:3", "x.jsonl:4", "x.jsonl:5"}
    assert "0xFF" in reasons["x.jsonl:2"] and "NaN" in reasons["x.jsonl:3"] and "Infinity" in reasons["x.jsonl:4"]
    assert "nested" in reasons["x.jsonl:5"]


def test_utf16_with_a_bom_is_read() -> None:
    records, rejects = parse("x.csv", "id,text\nU1,مرحبا 你好\n".encode("utf-16"))
    assert rejects == [] and records[0].payload["text"] == "مرحبا 你好"


def test_unclosed_quote_does_not_swallow_the_next_rows() -> None:
    records, rejects = parse("x.csv", b'id,text\nA1,ok\nA2,"never closed\nA3,good\nA4,good too\n')
    assert [r.source_record_id for r in records] == ["A1", "A3", "A4"]
    assert [r.record_ref for r in rejects] == ["x.csv:3"] and "CSV syntax" in rejects[0].reason


def test_oversize_cells_are_quarantined_with_their_column() -> None:
    records, rejects = parse("x.csv", b"id,text\nA1," + b"y" * 1_000_000 + b"\nA2,ok\n")
    assert [r.source_record_id for r in records] == ["A2"]
    assert (rejects[0].record_ref, rejects[0].field) == ("x.csv:2", "text") and "over the limit" in rejects[0].reason


def test_ids_must_be_strings_or_numbers_and_zero_is_an_id() -> None:
    lines = [{"id": 0}, {"id": True}, {"id": {"a": 1}}, {"id": [1]}, {"id": 12.0}, {"id": "  "}, {"id": None}]
    records, rejects = parse("x.jsonl", "\n".join(json.dumps(line) for line in lines).encode())
    assert [r.source_record_id for r in records] == ["0", "12"]
    assert [r.record_ref for r in rejects] == [f"x.jsonl:{n}" for n in (2, 3, 4, 6, 7)]
    assert "got true" in rejects[0].reason and 'got {"a": 1}' in rejects[1].reason


def test_the_same_id_twice_keeps_the_later_row_and_flags_the_earlier() -> None:
    records, rejects = parse("x.csv", b"id,text\nD1,first\nD2,other\nD1,second\n")
    assert [(r.source_record_id, r.payload["text"]) for r in records] == [("D1", "second"), ("D2", "other")]
    assert rejects[0].check == "duplicate_id" and rejects[0].record_ref == "x.csv:2"
    assert "later row (line 4) was kept" in rejects[0].reason


def test_record_from_quarantine_requires_an_id() -> None:
    import pytest

    from cfm.sources.base import SourceError

    src = FileDropSource({"dir": "."})
    rec = src.record_from_quarantine("drop", {"id": "NEW-1", "text": "hi", "_file": "a.csv", "_line": 3})
    assert rec.source_record_id == "NEW-1" and "_line" not in rec.payload
    with pytest.raises(SourceError, match="'id' is missing"):
        src.record_from_quarantine("drop", {"id": "", "_file": "a.csv"})
